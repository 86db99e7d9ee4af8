"""``Tensor``: an n-dimensional array that remembers how it was computed.

A Tensor wraps a NumPy array (``.numpy()``). When it is the result of an op on tensors
that require gradients, it also holds the graph node of that op, so that
``loss.backward()`` can apply the chain rule backwards through every op
(see :mod:`scratchcnn.autograd`) and leave ``dloss/dparam`` in each leaf's ``.grad``.

>>> import scratchcnn as sc
>>> x = sc.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x * x).sum()          # y = x1^2 + x2^2 + x3^2
>>> y.backward()
>>> x.grad                     # dy/dx = 2x
tensor([2., 4., 6.])
"""

import numpy as np

from . import autograd
from .device import CPU
from .dtypes import bool_, float32, get_default_dtype, int64
from .errors import ArgumentError, DimensionError, DTypeError, GraphError, ShapeError
from .ops import reduce as red
from .ops import shape as sh
from .size import Size
from .tensor_convert import ConvertMethods
from .tensor_inplace import InplaceMethods
from .tensor_math import MathMethods
from .tensor_new import NewMethods
from .tensor_operators import OperatorMethods
from .tensor_reduce import ReduceMethods
from .tensor_shape import ShapeMethods


def _legacy_array(data, sizes):
    """``torch.Tensor(*sizes)`` (zeros; PyTorch leaves them uninitialised) or
    ``torch.Tensor(data)`` (the default float dtype, whatever the numbers)."""
    if data is None and not sizes:
        return np.zeros((0,), get_default_dtype())
    dims = (data,) + sizes
    if all(type(d) is int for d in dims):
        if any(d < 0 for d in dims):
            raise ShapeError(f"Tensor(): negative dimension in size {dims}")
        return np.zeros(dims, get_default_dtype())
    if sizes:
        raise ArgumentError(f"Tensor() takes sizes (ints) or one sequence of numbers, got "
                            f"{dims!r}")
    array = _python_data_to_array(data)
    return array.astype(get_default_dtype()) if array.dtype.kind in "iubf" else array


def _python_data_to_array(data, dtype=None):
    """PyTorch's rules: Python floats -> float32, ints -> int64, bools -> bool;
    a NumPy array keeps its dtype unless ``dtype`` is given."""
    if isinstance(data, Tensor):
        data = data._array
    if isinstance(data, np.ndarray) or np.isscalar(data) and isinstance(data, np.generic):
        array = np.asarray(data)
    else:
        array = np.asarray(data)
        if array.dtype.kind == "f":  # with a dtype: cast once below, no float32 rounding
            array = array.astype(get_default_dtype()) if dtype is None else array
        elif array.dtype.kind in "iu":
            array = array.astype(int64)
        elif array.dtype.kind not in "b":
            raise TypeError(f"cannot make a tensor from {type(data).__name__} "
                            f"(array dtype {array.dtype}); use numbers or NumPy arrays")
    if dtype is not None:
        array = array.astype(np.dtype(dtype), copy=False)
    return array


def _is_float(array):
    return array.dtype.kind == "f"


class Tensor(OperatorMethods, ConvertMethods, InplaceMethods, MathMethods, ReduceMethods,
             ShapeMethods, NewMethods):
    """N-dimensional array with reverse-mode autograd. Create with :func:`tensor`.

    The methods are grouped by kind in mixins: arithmetic in :mod:`.tensor_math`,
    reductions and sorting in :mod:`.tensor_reduce`, shapes and indexing in
    :mod:`.tensor_shape`; this class holds the array, autograd and in-place machinery."""

    # _array: the NumPy array; _vc: the version counter, a one-element list shared with
    # views and detach()ed tensors and bumped by every in-place change.
    __slots__ = ("_array", "grad", "requires_grad", "_node", "_retains_grad", "_hooks",
                 "_vc", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor calls Tensor's reflected operator

    def __init__(self, data=None, *sizes, requires_grad=False, _node=None):
        if isinstance(data, np.ndarray):     # the library's own calls: the array as it is
            self._array = data
        elif isinstance(data, np.generic):   # a NumPy scalar (x[0] of an array) keeps its dtype
            self._array = np.asarray(data)
        elif isinstance(data, Tensor):
            self._array = data._array
        else:   # PyTorch's legacy constructor: Tensor(2, 3) or Tensor([1, 2]), default float
            self._array = _legacy_array(data, sizes)
        self.grad = None
        self._node = _node
        self._retains_grad = False
        self._hooks = None
        self._vc = [0]
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ----------------------------------------------------------------- attributes
    @property
    def data(self):
        """This tensor's values as a new Tensor that shares the memory and is cut from the
        graph (PyTorch's ``.data``): ``w.data.normal_(0, 0.01)`` changes ``w``."""
        return Tensor(self._array)

    @data.setter
    def data(self, value):
        self._array = value._array if isinstance(value, Tensor) else \
            _python_data_to_array(value)

    @property
    def _version(self):
        """How many in-place changes this tensor's memory has seen."""
        return self._vc[0]

    @property
    def shape(self):
        """The sizes of the dimensions, a :class:`~scratchcnn.size.Size` (a tuple)."""
        return tuple.__new__(Size, self._array.shape)

    @property
    def dtype(self):
        return self._array.dtype

    @property
    def ndim(self):
        return self._array.ndim

    @property
    def is_leaf(self):
        return self._node is None

    @property
    def grad_fn(self):
        return self._node

    @property
    def device(self):
        return CPU

    @property
    def is_cuda(self):
        return False

    def size(self, dim=None):
        """``size()``: the shape; ``size(dim)``: one dimension's size (negative counts
        from the end)."""
        if dim is None:
            return tuple.__new__(Size, self._array.shape)
        ndim = self._array.ndim
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"size(): dim must be an int, got {type(dim).__name__}")
        if not -max(ndim, 1) <= dim < max(ndim, 1) or ndim == 0:
            raise DimensionError(f"Dimension out of range (expected to be in range of "
                                 f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {dim}) for a "
                                 f"tensor of shape {tuple(self._array.shape)}")
        return self._array.shape[dim]

    def dim(self):
        return self._array.ndim

    def numel(self):
        return int(self._array.size)

    def __len__(self):
        if self._array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._array.shape[0]

    # ----------------------------------------------------------------- conversion
    def numpy(self):
        """The underlying NumPy array (shared, not copied)."""
        return self._array

    def __array__(self, dtype=None, copy=None):
        array = self._array if dtype is None else self._array.astype(dtype)
        return array.copy() if copy and array is self._array else array

    def item(self):
        if self._array.size != 1:
            raise ShapeError(f"a Tensor with {self._array.size} elements cannot be converted "
                             "to a Python scalar")
        return self._array.item()

    def tolist(self):
        return self._array.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self._array.size != 1:
            raise ShapeError(f"the truth value of a tensor with {self._array.size} elements is "
                             "ambiguous; use .any() or .all()")
        return bool(self._array.item())

    # ----------------------------------------------------------------- autograd
    def requires_grad_(self, requires_grad=True):
        if requires_grad and not _is_float(self._array):
            raise DTypeError("only tensors of floating point dtype can require gradients, "
                             f"got {self._array.dtype}")
        if not requires_grad and self._node is not None:
            raise GraphError("requires_grad can only be turned off on leaf tensors; "
                             "use .detach() instead")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward (for inspection)."""
        self._retains_grad = True
        return self

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned
        tensor replaces the gradient."""
        if not self.requires_grad:
            raise GraphError("cannot register a hook on a tensor that does not require grad")
        self._hooks = (self._hooks or []) + [hook]
        return hook

    def detach(self):
        """The same memory, cut from the graph (in-place changes are seen by both)."""
        out = Tensor(self._array)
        out._vc = self._vc
        return out

    def detach_(self):
        """Cut this tensor from the graph, in place."""
        self._node = None
        self.requires_grad = False
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute d(self)/d(leaf) for every leaf that requires grad; add it to ``.grad``.

        ``gradient`` is dL/d(self); it may be omitted only for a one-element tensor.
        With ``inputs``, only those tensors' ``.grad`` are accumulated.
        """
        if create_graph:
            raise ArgumentError("backward(create_graph=True) (gradients of gradients) is not "
                                "supported: scratchcnn's backward passes are NumPy code")
        if not self.requires_grad:
            raise GraphError("element 0 of tensors does not require grad and does not have "
                             "a grad_fn: nothing to differentiate")
        if gradient is None:
            if self._array.size != 1:
                raise GraphError(f"grad can be implicitly created only for scalar outputs; "
                                 f"this tensor has shape {self.shape}: pass "
                                 "backward(gradient=...) of the same shape")
            gradient = np.ones_like(self._array)
        else:
            gradient = _python_data_to_array(gradient, self.dtype)
            if gradient.shape != self.shape:
                raise ShapeError(f"backward: gradient has shape {gradient.shape}, "
                                 f"expected {self.shape}")
            gradient = gradient.copy()
        if inputs is not None:
            targets = [inputs] if isinstance(inputs, Tensor) else list(inputs)
            grads = autograd.grad(self, targets, gradient, retain_graph=retain_graph,
                                  allow_unused=True)
            for target, grad in zip(targets, grads):
                if grad is not None:
                    target._accumulate_grad(grad._array)
            return
        autograd.run_backward(self, gradient, retain_graph=bool(retain_graph))

    def _accumulate_grad(self, grad):
        if grad.dtype != self._array.dtype:
            grad = grad.astype(self._array.dtype)
        if self.grad is None:
            self.grad = Tensor(grad)
        else:  # a new array: the old one may be shared with another tensor's .grad
            self.grad = Tensor(self.grad._array + grad)

    # ----------------------------------------------------------------- reductions
    # sum, mean, max, min, argmax, argmin, var, std, sort, topk ... live in
    # tensor_reduce.py (ReduceMethods).

    # ----------------------------------------------------------------- shape
    # reshape, view, permute, squeeze, clone ... live in tensor_shape.py (ShapeMethods).
    def __getitem__(self, index):
        if isinstance(index, Tensor):
            index = index._array
        elif isinstance(index, tuple):
            index = tuple(i._array if isinstance(i, Tensor) else i for i in index)
        try:
            return autograd.apply(sh.getitem_forward, sh.getitem_backward, self, index=index)
        except IndexError as error:  # IndexError, as in PyTorch, with the shape named
            raise IndexError(f"index {index!r} is out of range for a tensor of shape "
                             f"{self.shape}: {error}") from None

    def __setitem__(self, index, value):
        """``x[index] = value`` in place (differentiable for ``x`` and ``value``)."""
        if isinstance(index, Tensor):
            index = index._array
        elif isinstance(index, tuple):
            index = tuple(i._array if isinstance(i, Tensor) else i for i in index)
        if not (autograd.is_grad_enabled() and (self.requires_grad or (
                isinstance(value, Tensor) and value.requires_grad))):
            self._check_inplace()
            self._array[index] = value._array if isinstance(value, Tensor) else value
            self._vc[0] += 1
            return
        if not isinstance(value, Tensor):
            value = np.asarray(value, dtype=self.dtype)
        elif value.dtype != self.dtype:
            value = value.to(self.dtype)
        self._inplace_via(lambda t: autograd.apply(sh.setitem_forward, sh.setitem_backward,
                                                   t, value, index=index))

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    # ----------------------------------------------------------------- printing
    def __repr__(self):
        body = np.array2string(self._array, separator=", ", prefix="tensor(",
                               precision=4, suppress_small=False)
        extras = []
        if self._array.dtype not in (float32, int64, bool_):
            extras.append(f"dtype={self._array.dtype}")
        if self._node is not None:
            extras.append(f"grad_fn={self._node!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"


def _shape_arg(shape):
    """Accept both ``reshape(2, 3)`` and ``reshape((2, 3))``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


# --------------------------------------------------------------------- creation
def tensor(data, dtype=None, requires_grad=False):
    """A new tensor holding a copy of ``data``.

    Python floats become float32, ints int64, bools bool; a NumPy array keeps its dtype.

    >>> import scratchcnn as sc
    >>> sc.tensor([1, 2]).dtype, sc.tensor([1.5]).dtype
    (dtype('int64'), dtype('float32'))
    """
    array = _python_data_to_array(data, dtype)
    if isinstance(data, (np.ndarray, Tensor)) and array is (data._array if isinstance(
            data, Tensor) else data):
        array = array.copy()
    return Tensor(array, requires_grad=requires_grad)


def from_numpy(array):
    """A tensor sharing memory with ``array`` (no copy)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array)


def _tensor_list(tensors, who):
    tensors = [t if isinstance(t, Tensor) else tensor(t) for t in tensors]
    if not tensors:
        raise ArgumentError(f"{who} expects a non-empty sequence of tensors")
    return tensors


def common_dtype(tensors):
    """The dtype PyTorch gives a result of ``tensors`` (all at least 1-D): the widest
    floating dtype among them if there is one, else the widest integer/bool dtype."""
    floats = [t.dtype for t in tensors if t.dtype.kind in "fc"]
    result = None
    for dtype in floats or [t.dtype for t in tensors]:
        result = dtype if result is None else np.promote_types(result, dtype)
    return result


def cat(tensors, dim=0):
    """Join tensors along the existing dim ``dim``; dtypes are promoted as in PyTorch
    and 1-D empty tensors are skipped (PyTorch's legacy rule)."""
    tensors = _tensor_list(tensors, "cat()")
    kept = [t for t in tensors if t.shape != (0,)] or tensors[:1]
    ndim = kept[0].ndim
    if ndim == 0:
        raise ShapeError("zero-dimensional tensor cannot be concatenated")
    axis = red.normalize_axes(dim, ndim)[0]
    for position, t in enumerate(kept):
        if t.ndim != ndim:
            raise ShapeError(f"Tensors must have same number of dimensions: got {ndim} and "
                             f"{t.ndim}")
        if t.shape[:axis] + t.shape[axis + 1:] != kept[0].shape[:axis] + kept[0].shape[axis + 1:]:
            raise ShapeError(f"Sizes of tensors must match except in dimension {axis}: "
                             f"tensor 0 has shape {tuple(kept[0].shape)}, tensor {position} "
                             f"has shape {tuple(t.shape)}")
    target = common_dtype(tensors)
    kept = [t if t.dtype == target else t.to(target) for t in kept]
    return autograd.apply(sh.cat_forward, sh.cat_backward, *kept, dim=axis)


def stack(tensors, dim=0):
    """Join same-shaped tensors along a new dim ``dim`` (-1 appends it last)."""
    tensors = _tensor_list(tensors, "stack()")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ShapeError(f"stack expects each tensor to be equal size, but got "
                         f"{[tuple(t.shape) for t in tensors]}")
    axis = red.normalize_axes(dim, tensors[0].ndim + 1)[0]
    return autograd.apply(sh.stack_forward, sh.stack_backward, *tensors, dim=axis)


autograd.register_tensor_type(Tensor)
