"""``Tensor``: an n-dimensional array that remembers how it was computed.

A Tensor wraps a NumPy array (``.data``). When it is the result of an op on tensors
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

import collections

import numpy as np

from . import autograd, random
from .errors import ArgumentError, DTypeError, GraphError, ShapeError
from .ops import elementwise as ew
from .ops import matmul as mm
from .ops import reduce as red
from .ops import shape as sh

float16 = np.dtype("float16")
float32 = np.dtype("float32")
float64 = np.dtype("float64")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
uint8 = np.dtype("uint8")
bool_ = np.dtype("bool")
default_float = float32

MaxResult = collections.namedtuple("MaxResult", ["values", "indices"])


def _python_data_to_array(data, dtype=None):
    """PyTorch's rules: Python floats -> float32, ints -> int64, bools -> bool;
    a NumPy array keeps its dtype unless ``dtype`` is given."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray) or np.isscalar(data) and isinstance(data, np.generic):
        array = np.asarray(data)
    else:
        array = np.asarray(data)
        if array.dtype.kind == "f":
            array = array.astype(default_float)
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


def _promote(a, b, true_divide=False):
    """PyTorch's type promotion where NumPy's differs: a floating operand decides over an
    integer or bool one (int64 * float32 -> float32; NumPy says float64), and true
    division of integers gives the default float. ``a``, ``b``: Tensors or arrays."""
    floats = [_is_float(x.data if isinstance(x, Tensor) else x) for x in (a, b)]
    if floats[0] != floats[1]:
        target = a.dtype if floats[0] else b.dtype
    elif true_divide and not floats[0]:
        target = default_float
    else:
        return a, b

    def cast(x):  # only integer/bool operands are cast: they never require grad
        if x.dtype == target:
            return x
        return x.to(target) if isinstance(x, Tensor) else x.astype(target)
    return cast(a), cast(b)


class Tensor:
    """N-dimensional array with reverse-mode autograd. Create with :func:`tensor`."""

    __slots__ = ("data", "grad", "requires_grad", "_node", "_retains_grad", "_hooks",
                 "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor calls Tensor's reflected operator

    def __init__(self, data, requires_grad=False, _node=None):
        self.data = data if isinstance(data, np.ndarray) else _python_data_to_array(data)
        self.grad = None
        self._node = _node
        self._retains_grad = False
        self._hooks = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ----------------------------------------------------------------- attributes
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def is_leaf(self):
        return self._node is None

    @property
    def grad_fn(self):
        return self._node

    @property
    def device(self):
        return "cpu"

    def size(self, dim=None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self):
        return self.data.ndim

    def numel(self):
        return int(self.data.size)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    # ----------------------------------------------------------------- conversion
    def numpy(self):
        """The underlying NumPy array (shared, not copied)."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        array = self.data if dtype is None else self.data.astype(dtype)
        return array.copy() if copy and array is self.data else array

    def item(self):
        if self.data.size != 1:
            raise ShapeError(f"a Tensor with {self.data.size} elements cannot be converted "
                             "to a Python scalar")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise ShapeError(f"the truth value of a tensor with {self.data.size} elements is "
                             "ambiguous; use .any() or .all()")
        return bool(self.data.item())

    def to(self, dtype=None, *args, **kwargs):
        """Convert to ``dtype`` (differentiable). A device string such as ``"cpu"`` is
        accepted and ignored, so PyTorch code that moves tensors keeps working."""
        if isinstance(dtype, str) and dtype.split(":")[0] in ("cpu", "cuda", "mps"):
            dtype = kwargs.get("dtype", args[0] if args else None)
        if dtype is None or np.dtype(dtype) == self.data.dtype:
            return self
        return autograd.apply(sh.cast_forward, sh.cast_backward, self, dtype=np.dtype(dtype))

    def float(self):
        return self.to(float32)

    def double(self):
        return self.to(float64)

    def long(self):
        return self.to(int64)

    def cpu(self):
        return self

    # ----------------------------------------------------------------- autograd
    def requires_grad_(self, requires_grad=True):
        if requires_grad and not _is_float(self.data):
            raise DTypeError("only tensors of floating point dtype can require gradients, "
                             f"got {self.data.dtype}")
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
        """The same data, cut from the graph."""
        return Tensor(self.data)

    def backward(self, gradient=None, retain_graph=False):
        """Compute d(self)/d(leaf) for every leaf that requires grad; add it to ``.grad``.

        ``gradient`` is dL/d(self); it may be omitted only for a one-element tensor.
        """
        if not self.requires_grad:
            raise GraphError("element 0 of tensors does not require grad and does not have "
                             "a grad_fn: nothing to differentiate")
        if gradient is None:
            if self.data.size != 1:
                raise GraphError(f"grad can be implicitly created only for scalar outputs; "
                                 f"this tensor has shape {self.shape}: pass "
                                 "backward(gradient=...) of the same shape")
            gradient = np.ones_like(self.data)
        else:
            gradient = _python_data_to_array(gradient, self.dtype)
            if gradient.shape != self.shape:
                raise ShapeError(f"backward: gradient has shape {gradient.shape}, "
                                 f"expected {self.shape}")
            gradient = gradient.copy()
        autograd.run_backward(self, gradient, retain_graph=retain_graph)

    def _accumulate_grad(self, grad):
        if grad.dtype != self.data.dtype:
            grad = grad.astype(self.data.dtype)
        if self.grad is None:
            self.grad = Tensor(grad)
        else:  # a new array: the old one may be shared with another tensor's .grad
            self.grad = Tensor(self.grad.data + grad)

    # ----------------------------------------------------------------- arithmetic
    def _operand(self, other):
        """Turn a Python number into an array of a matching dtype (float32 stays float32)."""
        if isinstance(other, Tensor) or isinstance(other, np.ndarray):
            return other
        if isinstance(other, (bool, int, float, np.number)):
            if _is_float(self.data):
                return np.asarray(other, dtype=self.data.dtype)
            return np.asarray(other, dtype=default_float if isinstance(other, float) else None)
        return Tensor(other)

    def _binary(self, forward, backward, other, reverse=False, true_divide=False):
        other = self._operand(other)
        a, b = (other, self) if reverse else (self, other)
        a, b = _promote(a, b, true_divide)
        return autograd.apply(forward, backward, a, b)

    def __add__(self, other):
        return self._binary(ew.add_forward, ew.add_backward, other)

    def __radd__(self, other):
        return self._binary(ew.add_forward, ew.add_backward, other, reverse=True)

    def __sub__(self, other):
        return self._binary(ew.sub_forward, ew.sub_backward, other)

    def __rsub__(self, other):
        return self._binary(ew.sub_forward, ew.sub_backward, other, reverse=True)

    def __mul__(self, other):
        return self._binary(ew.mul_forward, ew.mul_backward, other)

    def __rmul__(self, other):
        return self._binary(ew.mul_forward, ew.mul_backward, other, reverse=True)

    def __truediv__(self, other):
        return self._binary(ew.div_forward, ew.div_backward, other, true_divide=True)

    def __rtruediv__(self, other):
        return self._binary(ew.div_forward, ew.div_backward, other, reverse=True,
                            true_divide=True)

    def __pow__(self, other):
        return self._binary(ew.pow_forward, ew.pow_backward, other)

    def __rpow__(self, other):
        return self._binary(ew.pow_forward, ew.pow_backward, other, reverse=True)

    def __matmul__(self, other):
        return self._binary(mm.matmul_forward, mm.matmul_backward, other)

    def __rmatmul__(self, other):
        return self._binary(mm.matmul_forward, mm.matmul_backward, other, reverse=True)

    def __neg__(self):
        return autograd.apply(ew.neg_forward, ew.neg_backward, self)

    def __pos__(self):
        return self

    def exp(self):
        return autograd.apply(ew.exp_forward, ew.exp_backward, self)

    def log(self):
        return autograd.apply(ew.log_forward, ew.log_backward, self)

    def sqrt(self):
        return autograd.apply(ew.sqrt_forward, ew.sqrt_backward, self)

    def abs(self):
        return autograd.apply(ew.abs_forward, ew.abs_backward, self)

    def relu(self):
        from .nn import functional
        return functional.relu(self)

    def sigmoid(self):
        from .nn import functional
        return functional.sigmoid(self)

    def tanh(self):
        from .nn import functional
        return functional.tanh(self)

    def softmax(self, dim):
        from .nn import functional
        return functional.softmax(self, dim)

    def log_softmax(self, dim):
        from .nn import functional
        return functional.log_softmax(self, dim)

    # ----------------------------------------------------------------- comparisons (no grad)
    def _compare(self, other, op):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor(op(self.data, other))

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    __hash__ = object.__hash__  # tensors are identities, as in PyTorch

    def all(self):
        return Tensor(np.asarray(self.data.all()))

    def any(self):
        return Tensor(np.asarray(self.data.any()))

    # ----------------------------------------------------------------- reductions
    def sum(self, dim=None, keepdim=False):
        return autograd.apply(red.sum_forward, red.sum_backward, self, dim=dim, keepdim=keepdim)

    def mean(self, dim=None, keepdim=False):
        if not _is_float(self.data):
            raise DTypeError(f"mean() needs a floating point tensor, got {self.dtype}; "
                             "convert with .float()")
        return autograd.apply(red.mean_forward, red.mean_backward, self, dim=dim,
                              keepdim=keepdim)

    def max(self, dim=None, keepdim=False):
        """Largest element; with ``dim``, a ``(values, indices)`` pair along that axis."""
        if dim is None:
            return autograd.apply(red.max_all_forward, red.max_all_backward, self)
        values = autograd.apply(red.max_dim_forward, red.max_dim_backward, self, dim=dim,
                                keepdim=keepdim)
        return MaxResult(values, self.argmax(dim, keepdim=keepdim))

    def min(self, dim=None, keepdim=False):
        if dim is None:
            return -((-self).max())
        values = -((-self).max(dim, keepdim=keepdim).values)
        return MaxResult(values, self.argmin(dim, keepdim=keepdim))

    def argmax(self, dim=None, keepdim=False):
        if dim is None:
            return Tensor(np.asarray(self.data.argmax(), dtype=int64))
        axis = red.normalize_axes(dim, self.ndim)[0]
        return Tensor(self.data.argmax(axis=axis, keepdims=keepdim).astype(int64))

    def argmin(self, dim=None, keepdim=False):
        if dim is None:
            return Tensor(np.asarray(self.data.argmin(), dtype=int64))
        axis = red.normalize_axes(dim, self.ndim)[0]
        return Tensor(self.data.argmin(axis=axis, keepdims=keepdim).astype(int64))

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape):
        target = _resolve_shape(_shape_arg(shape), self.shape)
        return autograd.apply(sh.reshape_forward, sh.reshape_backward, self, shape=target)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        start, end = (red.normalize_axes(d, self.ndim)[0] for d in (start_dim, end_dim))
        if start > end:
            raise ArgumentError(f"flatten() has invalid args: start_dim {start_dim} "
                                f"cannot come after end_dim {end_dim}")
        shape = self.shape[:start] + (-1,) + self.shape[end + 1:]
        if 0 in self.shape:
            shape = self.shape[:start] + (int(np.prod(self.shape[start:end + 1])),) + \
                self.shape[end + 1:]
        return self.reshape(shape)

    def permute(self, *dims):
        dims = _shape_arg(dims)
        if len(dims) != self.ndim or any(not -self.ndim <= d < self.ndim for d in dims) or \
                sorted(d % self.ndim for d in dims) != list(range(self.ndim)):
            raise ShapeError(f"permute: dims {tuple(dims)} are not a permutation of the "
                             f"{self.ndim} dimensions of a tensor of shape {self.shape}")
        dims = tuple(d % self.ndim for d in dims)
        return autograd.apply(sh.permute_forward, sh.permute_backward, self, dims=dims)

    def transpose(self, dim0, dim1):
        dims = list(range(self.ndim))
        d0, d1 = (red.normalize_axes(d, self.ndim)[0] for d in (dim0, dim1))
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return self.permute(dims)

    @property
    def T(self):
        return self.permute(tuple(reversed(range(self.ndim))))

    def unsqueeze(self, dim):
        if not -self.ndim - 1 <= dim <= self.ndim:
            raise ShapeError(f"unsqueeze: dim {dim} is out of range for a {self.ndim}-D tensor "
                             f"(expected {-self.ndim - 1}..{self.ndim})")
        dim = dim if dim >= 0 else dim + self.ndim + 1
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim=None):
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        axis = red.normalize_axes(dim, self.ndim)[0]
        if self.shape[axis] != 1:
            return self
        return self.reshape(self.shape[:axis] + self.shape[axis + 1:])

    def contiguous(self):
        return self

    def clone(self):
        return autograd.apply(sh.clone_forward, sh.clone_backward, self)

    def __getitem__(self, index):
        if isinstance(index, Tensor):
            index = index.data
        elif isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
        try:
            return autograd.apply(sh.getitem_forward, sh.getitem_backward, self, index=index)
        except IndexError as error:  # IndexError, as in PyTorch, with the shape named
            raise IndexError(f"index {index!r} is out of range for a tensor of shape "
                             f"{self.shape}: {error}") from None

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    # ----------------------------------------------------------------- in-place, outside autograd
    def _inplace(self, ufunc, other):
        """``self <op>= other`` written into this tensor's memory (dtype kept), as PyTorch's
        in-place operators; refused on tensors that require grad while recording."""
        self._check_inplace()
        other = other.data if isinstance(other, Tensor) else other
        ufunc(self.data, other, out=self.data, casting="same_kind")
        return self

    def __iadd__(self, other):
        return self._inplace(np.add, other)

    def __isub__(self, other):
        return self._inplace(np.subtract, other)

    def __imul__(self, other):
        return self._inplace(np.multiply, other)

    def __itruediv__(self, other):
        return self._inplace(np.divide, other)

    def add_(self, other, alpha=1):
        return self._inplace(np.add, other if alpha == 1 else _scaled(other, alpha))

    def sub_(self, other, alpha=1):
        return self._inplace(np.subtract, other if alpha == 1 else _scaled(other, alpha))

    def mul_(self, other):
        return self._inplace(np.multiply, other)

    def div_(self, other):
        return self._inplace(np.divide, other)

    def zero_(self):
        self._check_inplace()
        self.data[...] = 0
        return self

    def fill_(self, value):
        self._check_inplace()
        self.data[...] = value
        return self

    def copy_(self, source):
        self._check_inplace()
        source = source.data if isinstance(source, Tensor) else np.asarray(source)
        self.data[...] = source
        return self

    def _check_inplace(self):
        if self.requires_grad and autograd.is_grad_enabled():
            raise GraphError("a leaf tensor that requires grad is used in an in-place "
                             "operation; wrap it in `with sc.no_grad():`")

    # ----------------------------------------------------------------- printing
    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(",
                               precision=4, suppress_small=False)
        extras = []
        if self.data.dtype not in (float32, int64, bool_):
            extras.append(f"dtype={self.data.dtype}")
        if self._node is not None:
            extras.append(f"grad_fn={self._node!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"


def _scaled(value, alpha):
    return (value.data if isinstance(value, Tensor) else np.asarray(value)) * alpha


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
    if isinstance(data, (np.ndarray, Tensor)) and array is (data.data if isinstance(
            data, Tensor) else data):
        array = array.copy()
    return Tensor(array, requires_grad=requires_grad)


def from_numpy(array):
    """A tensor sharing memory with ``array`` (no copy)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array)


def _resolve_shape(shape, current):
    """Replace one ``-1`` in ``shape`` so that it holds as many elements as ``current``."""
    size = int(np.prod(current))
    known = int(np.prod([d for d in shape if d != -1]))
    if shape.count(-1) > 1 or any(d < -1 for d in shape):
        raise ShapeError(f"shape {shape} is invalid: at most one -1 and no other negatives")
    if -1 in shape:
        if known == 0 or size % known:
            raise ShapeError(f"shape {shape} is invalid for input of shape {current} "
                             f"({size} elements)")
        shape = tuple(size // known if d == -1 else d for d in shape)
    elif known != size:
        raise ShapeError(f"shape {shape} is invalid for input of shape {current} "
                         f"({size} elements)")
    return tuple(int(d) for d in shape)


def _creation_dtype(dtype):
    return default_float if dtype is None else np.dtype(dtype)


def zeros(*size, dtype=None, requires_grad=False):
    return Tensor(np.zeros(_shape_arg(size), _creation_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    return Tensor(np.ones(_shape_arg(size), _creation_dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    """Like ``torch.full``: without ``dtype``, the fill value's kind decides (bool, int64,
    float32)."""
    if dtype is None:
        dtype = _python_data_to_array(fill_value).dtype
    return Tensor(np.full(_shape_arg((size,)), fill_value, _creation_dtype(dtype)), requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return Tensor(np.zeros(t.shape, dtype or t.dtype), requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return Tensor(np.ones(t.shape, dtype or t.dtype), requires_grad)


def randn(*size, dtype=None, requires_grad=False):
    """Standard normal samples from the global generator (see :func:`manual_seed`)."""
    dtype = _creation_dtype(dtype)
    return Tensor(random.generator().standard_normal(_shape_arg(size), dtype=dtype)
                  if dtype in (float32, float64) else
                  random.generator().standard_normal(_shape_arg(size)).astype(dtype),
                  requires_grad)


def rand(*size, dtype=None, requires_grad=False):
    """Uniform samples on [0, 1) from the global generator."""
    dtype = _creation_dtype(dtype)
    return Tensor(random.generator().random(_shape_arg(size)).astype(dtype), requires_grad)


def randint(low, high=None, size=(), dtype=int64):
    if high is None:
        low, high = 0, low
    return Tensor(random.generator().integers(low, high, size=size).astype(dtype))


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """Like ``torch.arange``: int64 for integer arguments, float32 if any is a float."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = int64 if is_int else default_float
    return Tensor(np.arange(start, end, step).astype(dtype), requires_grad)


def _tensor_list(tensors, who):
    tensors = [t if isinstance(t, Tensor) else tensor(t) for t in tensors]
    if not tensors:
        raise ArgumentError(f"{who} expects a non-empty sequence of tensors")
    return tensors


def cat(tensors, dim=0):
    tensors = _tensor_list(tensors, "cat()")
    axis = red.normalize_axes(dim, tensors[0].ndim)[0]
    return autograd.apply(sh.cat_forward, sh.cat_backward, *tensors, dim=axis)


def stack(tensors, dim=0):
    tensors = _tensor_list(tensors, "stack()")
    return autograd.apply(sh.stack_forward, sh.stack_backward, *tensors, dim=dim)
