"""Tensor methods that reshape, repeat, split or reorder (``view``, ``expand``,
``repeat``, ``split``, ``flip``, ``movedim``...). Mixed into :class:`~scratchcnn.Tensor`;
the methods that read or write at index positions (``gather``, ``narrow``...) come
from :class:`~scratchcnn.tensor_index.IndexMethods`.

Like PyTorch, ``view``/``reshape``/``expand``/``squeeze``/``permute``/``split``... give
tensors that share memory with their input (NumPy views); ``flip``, ``roll``,
``repeat`` and ``clone`` copy.
"""

import numpy as np

from . import autograd
from .dims import normalize_dim, normalize_dims, resolve_shape, shape_arguments
from .errors import ArgumentError, ShapeError
from .ops import layout as lay
from .ops import shape as sh
from .tensor_index import IndexMethods


def _one_keyword(args, kwargs, name, where):
    """``f(*args)`` or ``f(name=...)`` (PyTorch's keyword form), not both."""
    unknown = set(kwargs) - {name}
    if unknown:
        raise ArgumentError(f"{where} got unexpected keyword argument(s) {sorted(unknown)}")
    if name in kwargs:
        if args:
            raise ArgumentError(f"{where} got {name} both as positional and keyword argument")
        return (kwargs[name],)
    return args


class ShapeMethods(IndexMethods):
    __slots__ = ()

    # ----------------------------------------------------------------- reshape
    def reshape(self, *shape, **kwargs):
        """``reshape(2, 3)``, ``reshape((2, -1))``, ``reshape(shape=[6])``: the same
        elements in a new shape (one size may be -1)."""
        shape = shape_arguments(_one_keyword(shape, kwargs, "shape", "reshape()"), "reshape()")
        target = resolve_shape(shape, self.shape, "reshape()")
        return autograd.apply(sh.reshape_forward, sh.reshape_backward, self, shape=target)

    def view(self, *shape, **kwargs):
        """``view(2, 3)``, ``view((2, -1))``, ``view(size=[6])`` as :meth:`reshape`;
        ``view(dtype)`` reinterprets the bytes as another dtype (no gradient)."""
        args = _one_keyword(shape, kwargs, "size", "view()")
        if len(args) == 1 and isinstance(args[0], (np.dtype, type, str)):
            return self._view_dtype(np.dtype(args[0]))
        shape = shape_arguments(args, "view()")
        target = resolve_shape(shape, self.shape, "view()")
        return autograd.apply(sh.reshape_forward, sh.reshape_backward, self, shape=target)

    def _view_dtype(self, dtype):
        if self.requires_grad and autograd.is_grad_enabled() and dtype != self.dtype:
            raise ArgumentError("view(dtype): a tensor that requires grad can only be viewed "
                                "as its own dtype; detach() it first")
        if self.ndim == 0 and dtype.itemsize != self.dtype.itemsize:
            raise ShapeError("view(dtype): a 0-d tensor can only be viewed as a dtype of the "
                             "same size")
        try:
            return autograd.constant(self._array.view(dtype))
        except ValueError as error:
            raise ShapeError(f"view(dtype): cannot view {self.dtype} of shape {self.shape} as "
                             f"{dtype}: {error}") from None

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge dims ``start_dim .. end_dim`` into one (a 0-d tensor becomes 1-D)."""
        if self.ndim == 0:
            return self.reshape(1)
        start = normalize_dim(start_dim, self.ndim, "flatten()")
        end = normalize_dim(end_dim, self.ndim, "flatten()")
        if start > end:
            raise ArgumentError(f"flatten() has invalid args: start_dim {start_dim} "
                                f"cannot come after end_dim {end_dim}")
        merged = int(np.prod(self.shape[start:end + 1]))
        return self.reshape(self.shape[:start] + (merged,) + self.shape[end + 1:])

    def unflatten(self, dim, sizes):
        """Split dim ``dim`` into ``sizes`` (one entry may be -1)."""
        axis = normalize_dim(dim, self.ndim, "unflatten()")
        sizes = shape_arguments((sizes,), "unflatten()")
        if not sizes:
            raise ArgumentError("unflatten(): sizes must be non-empty")
        sizes = resolve_shape(sizes, (self.shape[axis],), "unflatten()")
        return self.reshape(self.shape[:axis] + sizes + self.shape[axis + 1:])

    def squeeze(self, dim=None):
        """Drop dims of size 1: all of them, the one ``dim`` or those in a tuple of dims
        (dims listed that are not of size 1 stay, as in PyTorch)."""
        if dim is None:
            axes = tuple(i for i, s in enumerate(self.shape) if s == 1)
        else:
            axes = normalize_dims(dim, self.ndim, "squeeze()")
            axes = tuple(a for a in axes if self.ndim and self.shape[a] == 1)
        return self.reshape(tuple(s for i, s in enumerate(self.shape) if i not in axes))

    def unsqueeze(self, dim):
        """Insert a dim of size 1 at position ``dim`` (``-1`` appends)."""
        axis = normalize_dim(dim, self.ndim, "unsqueeze()", extra=1)
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    # ----------------------------------------------------------------- reorder dims
    def permute(self, *dims):
        dims = shape_arguments(dims, "permute()")
        if len(dims) != self.ndim:
            raise ShapeError(f"permute(): dims {tuple(dims)} are not a permutation of the "
                             f"{self.ndim} dimensions of a tensor of shape {self.shape}")
        dims = normalize_dims(dims, self.ndim, "permute()")
        return autograd.apply(sh.permute_forward, sh.permute_backward, self, dims=dims)

    def transpose(self, dim0, dim1):
        dims = list(range(self.ndim))
        d0 = normalize_dim(dim0, self.ndim, "transpose()")
        d1 = normalize_dim(dim1, self.ndim, "transpose()")
        if self.ndim == 0:
            return self.reshape(())
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return self.permute(dims)

    swapaxes = swapdims = transpose

    def t(self):
        """Transpose a 2-D tensor; 0-d and 1-D tensors come back as they are."""
        if self.ndim > 2:
            raise ShapeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                             f"{self.ndim}D")
        return self.transpose(0, 1) if self.ndim == 2 else self.reshape(self.shape)

    @property
    def T(self):
        return self.permute(tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        """The last two dims swapped (a batch of matrices transposed)."""
        if self.ndim < 2:
            raise ShapeError(f"tensor.mT is only supported on matrices or batches of "
                             f"matrices. Got {self.ndim}-D tensor.")
        return self.transpose(-2, -1)

    mH = mT   # real tensors only: the conjugate is the tensor itself

    def movedim(self, source, destination):
        """Move dims ``source`` (an int or a sequence) to positions ``destination``; the
        other dims keep their order."""
        src = normalize_dims(source, self.ndim, "movedim()")
        dst = normalize_dims(destination, self.ndim, "movedim()")
        if len(src) != len(dst):
            raise ArgumentError(f"movedim(): Invalid source or destination dims: source "
                                f"({list(src)} dims) should contain the same number of "
                                f"dims as destination ({list(dst)} dims)")
        rest = iter(d for d in range(self.ndim) if d not in src)
        placed = dict(zip(dst, src))
        order = [placed[i] if i in placed else next(rest) for i in range(self.ndim)]
        return self.permute(order)

    moveaxis = movedim

    # ----------------------------------------------------------------- copies
    def expand(self, *sizes):
        """A view with size-1 dims repeated (no copy); -1 keeps a dim's size and new
        leading dims may be added."""
        sizes = shape_arguments(sizes, "expand()")
        if len(sizes) < self.ndim:
            raise ShapeError(f"expand(): the number of sizes provided ({len(sizes)}) must be "
                             f"greater or equal to the number of dimensions in the tensor "
                             f"({self.ndim})")
        lead = len(sizes) - self.ndim
        target = []
        for i, size in enumerate(sizes):
            if i < lead:
                if size < 0:
                    raise ShapeError(f"expand(): the expanded size of the tensor ({size}) "
                                     f"isn't allowed in a leading, non-existing dimension {i}")
                target.append(size)
                continue
            current = self.shape[i - lead]
            if size == -1:
                size = current
            if current != size and current != 1 or size < 0:
                raise ShapeError(f"expand(): the expanded size of the tensor ({size}) must "
                                 f"match the existing size ({current}) at non-singleton "
                                 f"dimension {i}. Target sizes: {list(sizes)}. Tensor "
                                 f"sizes: {list(self.shape)}")
            target.append(size)
        return autograd.apply(lay.expand_forward, lay.expand_backward, self,
                              shape=tuple(target))

    def expand_as(self, other):
        return self.expand(other.shape)

    broadcast_to = expand

    def repeat(self, *sizes):
        """Tile the tensor ``sizes[i]`` times along dim i (a copy; more sizes than dims
        adds leading dims)."""
        sizes = shape_arguments(sizes, "repeat()")
        if len(sizes) < self.ndim:
            raise ShapeError("repeat(): number of dimensions of repeat dims can not be "
                             f"smaller than number of dimensions of tensor ({len(sizes)} < "
                             f"{self.ndim})")
        if any(s < 0 for s in sizes):
            raise ShapeError(f"repeat(): repeats can not be negative, got {list(sizes)}")
        return autograd.apply(lay.repeat_forward, lay.repeat_backward, self, repeats=sizes)

    def flip(self, *dims):
        """Reverse the order of elements along the given dims (a copy)."""
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        axes = normalize_dims(dims, self.ndim, "flip()") if self.ndim else ()
        return autograd.apply(lay.flip_forward, lay.flip_backward, self, dims=axes)

    def fliplr(self):
        if self.ndim < 2:
            raise ShapeError(f"fliplr(): input must be >= 2-d, got {self.ndim}-d")
        return self.flip(1)

    def flipud(self):
        if self.ndim < 1:
            raise ShapeError("flipud(): input must be >= 1-d")
        return self.flip(0)

    def roll(self, shifts, dims=None):
        """Shift elements cyclically by ``shifts`` along ``dims`` (ints or equal-length
        sequences); without dims the flattened tensor is rolled."""
        shift_seq = shifts if isinstance(shifts, (tuple, list)) else (shifts,)
        shift_seq = shape_arguments(tuple(shift_seq), "roll()")
        if dims is None:
            if len(shift_seq) != 1:
                raise ArgumentError(f"roll(): without dims, shifts must be one int, got "
                                    f"{list(shift_seq)}")
            return autograd.apply(lay.roll_forward, lay.roll_backward, self,
                                  shifts=shift_seq[0], dims=None)
        dim_seq = dims if isinstance(dims, (tuple, list)) else (dims,)
        axes = tuple(normalize_dim(d, self.ndim, "roll()") for d in dim_seq)
        if len(axes) != len(shift_seq):
            raise ArgumentError(f"roll(): shifts and dimensions must align. shifts: "
                                f"{len(shift_seq)}, dims: {len(axes)}")
        return autograd.apply(lay.roll_forward, lay.roll_backward, self,
                              shifts=shift_seq, dims=axes)

    def tril(self, diagonal=0):
        """Zero the elements above the ``diagonal``-th diagonal of the last two dims."""
        return self._triangle(lay.tril_forward, lay.tril_backward, diagonal, "tril()")

    def triu(self, diagonal=0):
        """Zero the elements below the ``diagonal``-th diagonal of the last two dims."""
        return self._triangle(lay.triu_forward, lay.triu_backward, diagonal, "triu()")

    def _triangle(self, forward, backward, diagonal, where):
        if self.ndim < 2:
            raise ShapeError(f"{where}: input tensor must have at least 2 dimensions, got "
                             f"shape {self.shape}")
        return autograd.apply(forward, backward, self, diagonal=int(diagonal))

    def tril_(self, diagonal=0):
        return self._inplace_via(lambda t: t.tril(diagonal))

    def triu_(self, diagonal=0):
        return self._inplace_via(lambda t: t.triu(diagonal))

    def clone(self, memory_format=None):
        """A copy with its own memory (differentiable); ``memory_format`` is accepted."""
        return autograd.apply(sh.clone_forward, sh.clone_backward, self)

    def contiguous(self, memory_format=None):
        return self

    # ----------------------------------------------------------------- split
    def split(self, split_size_or_sections, dim=0):
        """Pieces along ``dim``: of ``split_size`` each (the last may be smaller), or of
        the sizes in a list (which must add up to the dim's size). Views of self."""
        axis = normalize_dim(dim, self.ndim, "split()")
        if self.ndim == 0:
            raise ShapeError("split(): a 0-d tensor cannot be split")
        length = self.shape[axis]
        if isinstance(split_size_or_sections, (tuple, list)):
            sizes = shape_arguments((split_size_or_sections,), "split()")
            if sum(sizes) != length or any(s < 0 for s in sizes):
                raise ShapeError(f"split_with_sizes expects split_sizes to sum exactly to "
                                 f"{length} (input tensor's size at dimension {dim}), but "
                                 f"got split_sizes={list(sizes)}")
        else:
            size = shape_arguments((split_size_or_sections,), "split()")[0]
            if size < 0 or size == 0 and length:
                raise ShapeError(f"split(): split_size must be positive, got {size}")
            if not length:
                sizes = [0]
            else:
                sizes = [size] * (length // size) + ([length % size] if length % size else [])
        starts = np.cumsum([0] + list(sizes[:-1]))
        return tuple(self.narrow(axis, int(s), int(n)) for s, n in zip(starts, sizes))

    def chunk(self, chunks, dim=0):
        """At most ``chunks`` pieces of ``ceil(size / chunks)`` along ``dim``."""
        chunks = shape_arguments((chunks,), "chunk()")[0]
        if chunks <= 0:
            raise ArgumentError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        if self.ndim == 0:
            raise ShapeError("chunk(): a 0-d tensor cannot be chunked")
        axis = normalize_dim(dim, self.ndim, "chunk()")
        return self.split(-(-self.shape[axis] // chunks), axis)

    def unbind(self, dim=0):
        """The slices along ``dim`` as a tuple (each one dim fewer)."""
        if self.ndim == 0:
            raise ShapeError("unbind(): dimension specified as 0 but tensor has no dimensions")
        axis = normalize_dim(dim, self.ndim, "unbind()")
        return tuple(self.select(axis, i) for i in range(self.shape[axis]))
