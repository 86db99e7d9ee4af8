"""Tensor methods for arithmetic in PyTorch's method and keyword forms (``x.add(y,
alpha=2)``, ``x.clamp(min=0)``, ``x.matmul(y)``...). Mixed into :class:`~scratchcnn.Tensor`.

Each method records a forward/backward pair of :mod:`scratchcnn.ops` through
:func:`scratchcnn.autograd.apply`; results that take no part in a graph are made
with :func:`scratchcnn.autograd.constant`. Comparisons and logical tests are in
:mod:`.tensor_compare`.
"""

import functools

import numpy as np

from . import autograd
from .dtypes import get_default_dtype
from .errors import ArgumentError, ShapeError
from .ops import elementwise as ew
from .ops import math as um
from .ops import select as sel
from .tensor_compare import CompareMethods



def is_tensor(value):
    """True for a scratchcnn Tensor (or a subclass such as ``nn.Parameter``)."""
    return isinstance(value, MathMethods)


def _array(value):
    return value._array if is_tensor(value) else value


def promote(a, b, true_divide=False):
    """PyTorch's promotion of two operands (Tensors or arrays), the one rule of the library:
    a floating operand decides over an integer/bool one; true division of integers
    gives the default float. Only non-float operands are cast (they never need grad)."""
    a_float, b_float = (_array(x).dtype.kind == "f" for x in (a, b))
    if a_float != b_float:
        target = _array(a).dtype if a_float else _array(b).dtype
    elif true_divide and not a_float:
        target = get_default_dtype()
    else:
        return a, b

    def cast(x):
        if _array(x).dtype == target:
            return x
        return x.to(target) if is_tensor(x) else x.astype(target)
    return cast(a), cast(b)


def _named(forward, **params):
    """``forward`` with ``params`` bound, keeping its name (the graph node's name)."""
    bound = functools.partial(forward, **params)
    bound.__name__ = forward.__name__
    return bound


def where(condition, x, y):
    """``torch.where(condition, x, y)``: x where condition holds, else y (differentiable in
    x and y; they and the condition broadcast). One of x, y must be a Tensor."""
    base = x if is_tensor(x) else y
    x, y = (base._operand(v) if not is_tensor(v) else v for v in (x, y))
    x, y = promote(x, y)
    if _array(x).dtype != _array(y).dtype:   # both float or both integer: the wider one
        target = np.result_type(_array(x), _array(y))
        x, y = (v.to(target) if is_tensor(v) else v.astype(target) for v in (x, y))
    condition = _array(condition)
    if np.asarray(condition).dtype != np.bool_:
        condition = np.asarray(condition).astype(bool)
    return autograd.apply(sel.where_forward, sel.where_backward, condition, x, y)


def _bound_dtype(dtype, bound):
    """The dtype of ``clamp(tensor of dtype, bound)``: a float decides over an integer;
    a Python number does not widen a tensor of its own kind (PyTorch's scalar rule)."""
    if bound is None:
        return dtype
    if is_tensor(bound):
        other = bound.dtype
        if (dtype.kind == "f") != (other.kind == "f"):
            return dtype if dtype.kind == "f" else other
        return np.result_type(dtype, other)
    if isinstance(bound, (float, np.floating)) and dtype.kind != "f":
        return get_default_dtype()
    return dtype


def _as_bound(bound, dtype):
    if bound is None:
        return None
    if is_tensor(bound):
        return bound if bound.dtype == dtype else bound.to(dtype)
    return np.asarray(bound, dtype=dtype)


def _check_matmul(a, b, who, ranks):
    for name, t in (("self", a), ("other", b)):
        if ranks is not None and t.ndim != ranks:
            raise ShapeError(f"{who}: {name} must be a {ranks}-D tensor, got shape "
                             f"{tuple(t.shape)}")
    if a.ndim and b.ndim:
        inner_a = a.shape[-1]
        inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if inner_a != inner_b:
            raise ShapeError(f"{who}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                             f"multiplied ({inner_a} != {inner_b})")
    elif ranks is None:
        raise ShapeError(f"{who}: both arguments need at least 1 dimension, got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    if ranks == 3 and a.shape[0] != b.shape[0]:
        raise ShapeError(f"{who}: batch sizes differ: {a.shape[0]} and {b.shape[0]}")


class MathMethods(CompareMethods):
    __slots__ = ()

    # ------------------------------------------------------------- binary arithmetic
    def _binary_op(self, forward, backward, other, reverse=False, true_divide=False,
                   **params):
        other = self._operand(other)
        a, b = (other, self) if reverse else (self, other)
        a, b = promote(a, b, true_divide)
        return autograd.apply(_named(forward, **params) if params else forward, backward, a, b)

    def add(self, other, *, alpha=1):
        """self + alpha * other."""
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        """self - alpha * other."""
        return self - (other if alpha == 1 else other * alpha)

    subtract = sub

    def mul(self, other):
        return self * other

    multiply = mul

    def div(self, other, *, rounding_mode=None):
        """True division, or rounded: ``rounding_mode="floor"`` or ``"trunc"`` (integer
        tensors stay integer then; the gradient of a rounded quotient is 0)."""
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("floor", "trunc"):
            raise ArgumentError(f"div expected rounding_mode to be one of None, 'trunc', or "
                                f"'floor' but found {rounding_mode!r}")
        return self._binary_op(ew.rounded_div_forward, ew.rounded_div_backward, other,
                               rounding_mode=rounding_mode)

    divide = div

    def true_divide(self, other):
        return self / other

    def floor_divide(self, other):
        """floor(self / other), as ``//`` (PyTorch defines no gradient for it)."""
        return self._binary_op(ew.floor_divide_forward, ew.floor_divide_backward, other)

    def __floordiv__(self, other):
        return self.floor_divide(other)

    def __rfloordiv__(self, other):
        return self._binary_op(ew.floor_divide_forward, ew.floor_divide_backward, other,
                               reverse=True)

    def remainder(self, other):
        """self - floor(self / other) * other: the sign of ``other`` (Python's ``%``)."""
        return self._binary_op(ew.remainder_forward, ew.remainder_backward, other)

    def __mod__(self, other):
        return self.remainder(other)

    def __rmod__(self, other):
        return self._binary_op(ew.remainder_forward, ew.remainder_backward, other,
                               reverse=True)

    def fmod(self, other):
        """self - trunc(self / other) * other: the sign of ``self`` (C's fmod)."""
        return self._binary_op(ew.fmod_forward, ew.fmod_backward, other)

    def pow(self, exponent):
        return self ** exponent

    def float_power(self, exponent):
        """``self ** exponent`` computed in float64, as PyTorch."""
        return self.to(np.float64) ** (exponent.to(np.float64) if is_tensor(exponent)
                                       else exponent)

    def maximum(self, other):
        """Element-wise maximum (ties share the gradient evenly)."""
        return self._binary_op(sel.maximum_forward, sel.maximum_backward, other)

    def minimum(self, other):
        """Element-wise minimum (ties share the gradient evenly)."""
        return self._binary_op(sel.minimum_forward, sel.minimum_backward, other)

    # ------------------------------------------------------------- unary
    def _unary(self, forward, backward, **params):
        target = self
        if self._array.dtype.kind != "f" and forward not in _KEEPS_INTEGERS:
            target = self.to(get_default_dtype())   # sin(int tensor) is float, as in PyTorch
        return autograd.apply(_named(forward, **params) if params else forward, backward,
                              target)

    def neg(self):
        return -self

    negative = neg

    def absolute(self):
        return self.abs()

    def rsqrt(self):
        return self._unary(um.rsqrt_forward, um.rsqrt_backward)

    def sin(self):
        return self._unary(um.sin_forward, um.sin_backward)

    def cos(self):
        return self._unary(um.cos_forward, um.cos_backward)

    def tan(self):
        return self._unary(um.tan_forward, um.tan_backward)

    def log2(self):
        return self._unary(um.log2_forward, um.log2_backward)

    def log10(self):
        return self._unary(um.log10_forward, um.log10_backward)

    def log1p(self):
        return self._unary(um.log1p_forward, um.log1p_backward)

    def expm1(self):
        return self._unary(um.expm1_forward, um.expm1_backward)

    def square(self):
        return self._unary(um.square_forward, um.square_backward)

    def reciprocal(self):
        return self._unary(um.reciprocal_forward, um.reciprocal_backward)

    def floor(self):
        return self._unary(um.floor_forward, um.floor_backward)

    def ceil(self):
        return self._unary(um.ceil_forward, um.ceil_backward)

    def trunc(self):
        return self._unary(um.trunc_forward, um.trunc_backward)

    fix = trunc

    def round(self, *, decimals=0):
        return self._unary(um.round_forward, um.round_backward, decimals=decimals)

    def sign(self):
        return self._unary(um.sign_forward, um.sign_backward)

    # ------------------------------------------------------------- matrix products
    def matmul(self, other):
        """Matrix product with broadcasting batch axes (``self @ other``)."""
        other = other if is_tensor(other) else self._operand(other)
        _check_matmul(self, other, "matmul", None)
        return self @ other

    def mm(self, mat2):
        """(n, k) @ (k, m) -> (n, m); both must be 2-D."""
        _check_matmul(self, mat2, "mm", 2)
        return self @ mat2

    def bmm(self, mat2):
        """(b, n, k) @ (b, k, m) -> (b, n, m); both 3-D with the same batch size."""
        _check_matmul(self, mat2, "bmm", 3)
        return self @ mat2

    def dot(self, other):
        """Inner product of two 1-D tensors of the same length (a 0-d tensor)."""
        _check_matmul(self, other, "dot", 1)
        return self @ other

    inner = dot

    def mv(self, vec):
        """(n, m) @ (m,) -> (n,)."""
        if self.ndim != 2 or vec.ndim != 1:
            raise ShapeError(f"mv: expected a 2-D matrix and a 1-D vector, got shapes "
                             f"{tuple(self.shape)} and {tuple(vec.shape)}")
        _check_matmul(self, vec, "mv", None)
        return self @ vec

    def outer(self, vec2):
        """(n,) x (m,) -> (n, m): ``self[i] * vec2[j]``."""
        if self.ndim != 1 or vec2.ndim != 1:
            raise ShapeError(f"outer: expected two 1-D tensors, got shapes "
                             f"{tuple(self.shape)} and {tuple(vec2.shape)}")
        return self.reshape(-1, 1) * vec2.reshape(1, -1)

    # ------------------------------------------------------------- selection
    def clamp(self, min=None, max=None):
        """Limit every element to [min, max]; ``min``/``max`` numbers or tensors (then
        differentiable too). With min > max every element becomes max, as PyTorch."""
        if min is None and max is None:
            raise ArgumentError("clamp: at least one of 'min' or 'max' must not be None")
        target = self.dtype
        for bound in (min, max):
            target = _bound_dtype(target, bound)
        x = self if self.dtype == target else self.to(target)
        low, high = (_as_bound(b, target) for b in (min, max))
        shapes = [np.shape(_array(b)) for b in (low, high) if b is not None]
        try:
            grows = np.broadcast_shapes(self.shape, *shapes) != tuple(self.shape)
        except ValueError:
            grows = True
        if grows:
            raise ShapeError(f"clamp: bounds of shape(s) {shapes} do not broadcast to the "
                             f"tensor's shape {tuple(self.shape)}")
        return autograd.apply(sel.clamp_forward, sel.clamp_backward, x, low, high)

    clip = clamp

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    def where(self, condition, other):
        """``torch.where(condition, self, other)``."""
        return where(condition, self, other)

    def masked_fill(self, mask, value):
        """A copy with ``value`` where ``mask`` is True (``mask`` broadcasts to self;
        ``value`` a number or a 0-d tensor, cast to self's dtype)."""
        mask = _array(mask)
        if np.asarray(mask).dtype != np.bool_:
            raise ArgumentError(f"masked_fill only supports boolean masks, but got mask with "
                                f"dtype {np.asarray(mask).dtype}")
        try:
            np.broadcast_shapes(np.shape(mask), self.shape)
        except ValueError:
            raise ShapeError(f"masked_fill: a mask of shape {np.shape(mask)} does not "
                             f"broadcast to the tensor's shape {tuple(self.shape)}") from None
        if is_tensor(value):
            if value.ndim:
                raise ShapeError(f"masked_fill only supports a 0-dimensional value tensor, "
                                 f"but got one with {value.ndim} dimension(s)")
            value = value if value.dtype == self.dtype else value.to(self.dtype)
        else:
            value = np.asarray(value).astype(self.dtype)
        out = autograd.apply(sel.where_forward, sel.where_backward, mask, value, self)
        if out.shape != self.shape:
            raise ShapeError(f"masked_fill: a mask of shape {np.shape(mask)} would grow the "
                             f"tensor of shape {tuple(self.shape)}")
        return out

    # ------------------------------------------------------------- in place
    def pow_(self, exponent):
        return self._inplace_via(lambda t: t.pow(exponent))

    def neg_(self):
        return self._inplace_via(lambda t: -t)

    negative_ = neg_

    def abs_(self):
        return self._inplace_via(lambda t: t.abs())

    def sqrt_(self):
        return self._inplace_via(lambda t: t.sqrt())

    def exp_(self):
        return self._inplace_via(lambda t: t.exp())

    def log_(self):
        return self._inplace_via(lambda t: t.log())

    def sign_(self):
        return self._inplace_via(lambda t: t.sign())

    def floor_(self):
        return self._inplace_via(lambda t: t.floor())

    def reciprocal_(self):
        return self._inplace_via(lambda t: t.reciprocal())

    def clamp_(self, min=None, max=None):
        return self._inplace_via(lambda t: t.clamp(min, max))

    clip_ = clamp_

    def masked_fill_(self, mask, value):
        return self._inplace_via(lambda t: t.masked_fill(mask, value))


# Rounding functions keep integer dtypes (floor of an int tensor is itself, as PyTorch).
_KEEPS_INTEGERS = (um.floor_forward, um.ceil_forward, um.trunc_forward, um.sign_forward,
                   um.round_forward, um.square_forward)
