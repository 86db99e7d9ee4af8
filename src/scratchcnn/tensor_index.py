"""Tensor methods that read or write at index positions (``narrow``, ``select``,
``gather``, ``scatter``, ``index_select``, ``take``, ``masked_select``, ``nonzero``).
Mixed into :class:`~scratchcnn.Tensor` through :class:`~scratchcnn.tensor_shape.ShapeMethods`.

Index arguments are checked here (integer dtype, shape, range) so that a bad index gets
a clear error naming the method instead of a NumPy traceback from inside an op.
"""

import operator

import numpy as np

from . import autograd
from .dims import normalize_dim
from .errors import ArgumentError, DTypeError, ShapeError
from .ops import indexing as idx
from .ops import shape as sh


def _index_array(index, where, integer=True):
    """The array behind ``index`` (a Tensor, array or list), checked to be integer."""
    array = index._array if hasattr(index, "_array") else np.asarray(index)
    if integer and array.dtype.kind not in "iu":
        raise DTypeError(f"{where}: expected an integer (int64) index tensor, got dtype "
                         f"{array.dtype}")
    return array


def _check_range(index, size, where, dim, allow_negative=False):
    low = -size if allow_negative else 0
    if index.size and (index.min() < low or index.max() >= size):
        bad = index.min() if index.min() < low else index.max()
        raise ShapeError(f"{where}: index {int(bad)} is out of bounds for dimension {dim} "
                         f"with size {size}")


class IndexMethods:
    __slots__ = ()

    def _scalar_int(self, value, where, name):
        try:
            return operator.index(value)
        except TypeError:
            raise ArgumentError(f"{where}: {name} must be an int, got "
                                f"{type(value).__name__}") from None

    def narrow(self, dim, start, length):
        """The ``length`` elements from ``start`` along ``dim`` (a view; negative start
        counts from the end)."""
        if self.ndim == 0:
            raise ShapeError("narrow() cannot be applied to a 0-dim tensor")
        axis = normalize_dim(dim, self.ndim, "narrow()")
        start = self._scalar_int(start, "narrow()", "start")
        length = self._scalar_int(length, "narrow()", "length")
        size = self.shape[axis]
        if not -size <= start <= size:
            raise ShapeError(f"narrow(): start ({start}) is out of bounds for dimension {dim} "
                             f"with size {size}")
        start = start + size if start < 0 else start
        if length < 0 or start + length > size:
            raise ShapeError(f"narrow(): start ({start}) + length ({length}) exceeds "
                             f"dimension size ({size})")
        index = (slice(None),) * axis + (slice(start, start + length),)
        return autograd.apply(sh.getitem_forward, sh.getitem_backward, self, index=index)

    def select(self, dim, index):
        """The slice at ``index`` along ``dim`` (a view with one dim fewer)."""
        if self.ndim == 0:
            raise ShapeError("select() cannot be applied to a 0-dim tensor")
        axis = normalize_dim(dim, self.ndim, "select()")
        index = self._scalar_int(index, "select()", "index")
        size = self.shape[axis]
        if not -size <= index < size:
            raise ShapeError(f"select(): index {index} out of range for tensor of size "
                             f"{tuple(self.shape)} at dimension {dim}")
        key = (slice(None),) * axis + (index % size,)
        return autograd.apply(sh.getitem_forward, sh.getitem_backward, self, index=key)

    def _along_index(self, dim, index, where, other_shape=None):
        """Check a gather/scatter index: same rank as self, within self's sizes (and
        ``other_shape``'s, for scatter's src) off ``dim``, values in range along it."""
        axis = normalize_dim(dim, self.ndim, where)
        index = _index_array(index, where)
        if index.ndim != max(self.ndim, 1) and not (self.ndim == 0 and index.ndim == 0):
            raise ShapeError(f"{where}: index tensor must have the same number of dimensions "
                             f"as input tensor ({self.ndim}), got {index.ndim}")
        shape = self.shape if self.ndim else (1,)
        for d, n in enumerate(index.shape):
            if d != axis and n > shape[d] or other_shape is not None and n > other_shape[d]:
                raise ShapeError(f"{where}: size of index {tuple(index.shape)} must not exceed "
                                 f"the input's {tuple(self.shape)} at dimension {d} "
                                 f"(except dimension {axis})")
        _check_range(index, shape[axis], where, axis)
        if self.ndim == 0:
            index = index.reshape(())
        return axis, index

    def gather(self, dim, index, sparse_grad=False):
        """``out[i][j] = self[index[i][j]][j]`` for ``dim=0`` (any dim, any rank)."""
        axis, index = self._along_index(dim, index, "gather()")
        if self.ndim == 0:
            return self.reshape(()) if index.shape == () else self.reshape(index.shape)
        return autograd.apply(idx.gather_forward, idx.gather_backward, self, index=index,
                              dim=axis)

    def scatter(self, dim, index, src=None, value=None, reduce=None):
        """A copy of self with ``out[index[i][j]][j] = src[i][j]`` (dim 0), or ``value``
        written there when ``src`` is a number. ``reduce="add"`` is scatter_add."""
        if src is None:
            src = value
        if reduce not in (None, "add"):
            raise ArgumentError(f"scatter(): reduce={reduce!r} is not supported; use "
                                "None or 'add' (or scatter_reduce)")
        is_tensor = hasattr(src, "_array")
        if reduce == "add":
            if not is_tensor:
                src = autograd.constant(np.full(np.shape(index), src, self.dtype))
            return self.scatter_add(dim, index, src)
        axis, index = self._along_index(
            dim, index, "scatter()", src.shape if is_tensor else None)
        if is_tensor and src.dtype != self.dtype:
            raise DTypeError(f"scatter(): expected self.dtype to be equal to src.dtype, got "
                             f"{self.dtype} and {src.dtype}")
        if not is_tensor:
            src = np.asarray(src, dtype=self.dtype)
        if self.ndim == 0:
            return self._scatter_0d(index, src)
        return autograd.apply(idx.scatter_forward, idx.scatter_backward, self, src,
                              index=index, dim=axis)

    def scatter_add(self, dim, index, src):
        """A copy of self with ``out[index[i][j]][j] += src[i][j]`` (dim 0); repeated
        positions add up."""
        if not hasattr(src, "_array"):
            raise ArgumentError("scatter_add(): src must be a Tensor")
        axis, index = self._along_index(dim, index, "scatter_add()", src.shape)
        if src.dtype != self.dtype:
            raise DTypeError(f"scatter_add(): expected self.dtype to be equal to src.dtype, "
                             f"got {self.dtype} and {src.dtype}")
        if self.ndim == 0:
            return self + src.reshape(()) if index.size else self.clone()
        return autograd.apply(idx.scatter_add_forward, idx.scatter_add_backward, self, src,
                              index=index, dim=axis)

    def _scatter_0d(self, index, src):
        if not index.size:
            return self.clone()
        return src.reshape(()) * 1 if hasattr(src, "_array") else \
            autograd.constant(np.asarray(src, self.dtype).reshape(()).copy())

    def scatter_(self, dim, index, src=None, value=None, reduce=None):
        return self._inplace_via(lambda t: t.scatter(dim, index, src, value, reduce))

    def scatter_add_(self, dim, index, src):
        return self._inplace_via(lambda t: t.scatter_add(dim, index, src))

    def index_select(self, dim, index):
        """Whole slices along ``dim`` picked by the 1-D (or 0-d) integer ``index``."""
        axis = normalize_dim(dim, self.ndim, "index_select()")
        index = _index_array(index, "index_select()")
        if index.ndim > 1:
            raise ShapeError(f"index_select(): index must be 1-D or 0-D, got shape "
                             f"{tuple(index.shape)}")
        index = index.reshape(-1)
        if self.ndim == 0:
            _check_range(index, 1, "index_select()", 0)
            return self.reshape(()) * 1
        _check_range(index, self.shape[axis], "index_select()", axis)
        return autograd.apply(idx.index_select_forward, idx.index_select_backward, self,
                              index=index, dim=axis)

    def take(self, index):
        """The elements at flat positions ``index`` (row-major), shaped like ``index``."""
        index = _index_array(index, "take()")
        _check_range(index, self.numel(), "take()", 0, allow_negative=True)
        return autograd.apply(idx.take_forward, idx.take_backward, self, index=index)

    def masked_select(self, mask):
        """The elements where the bool ``mask`` (broadcast with self) is True, as 1-D."""
        mask = _index_array(mask, "masked_select()", integer=False)
        if mask.dtype != np.bool_:
            raise DTypeError(f"masked_select(): expected a bool mask, got dtype {mask.dtype}")
        try:
            np.broadcast_shapes(self.shape, mask.shape)
        except ValueError:
            raise ShapeError(f"masked_select(): the mask of shape {tuple(mask.shape)} does not "
                             f"broadcast with the input of shape {tuple(self.shape)}") from None
        return autograd.apply(idx.masked_select_forward, idx.masked_select_backward, self,
                              mask=mask)

    def nonzero(self, as_tuple=False):
        """Indices of the non-zero elements: an int64 ``(count, ndim)`` tensor, or with
        ``as_tuple=True`` one 1-D index tensor per dim (no gradient)."""
        if as_tuple:
            if self.ndim == 0:
                return (autograd.constant(np.nonzero(self._array.reshape(1))[0]
                                          .astype(np.int64)),)
            return tuple(autograd.constant(i.astype(np.int64))
                         for i in np.nonzero(self._array))
        return autograd.constant(np.argwhere(self._array).astype(np.int64))

    def argwhere(self):
        return self.nonzero()
