"""Top-level arithmetic functions (``torch.add``, ``torch.clamp``, ``torch.where``,
``torch.matmul``, ``torch.eq``, ``torch.relu``...). Each is a front for the Tensor method
of the same name (see :mod:`scratchcnn.tensor_math`), with PyTorch's argument names.
A Python number is accepted in place of either operand of a binary function.
"""

import numpy as np

from ..errors import ArgumentError
from ..tensor import Tensor, tensor
from ..tensor_math import where as _where


def _as_tensor(value, who, like=None):
    """``value`` as a Tensor; a number next to a tensor ``like`` takes its dtype kind."""
    if isinstance(value, Tensor):
        return value
    if like is not None and isinstance(value, (bool, int, float, np.number)):
        return Tensor(like._operand(value))
    if isinstance(value, (np.ndarray, list, tuple, int, float, bool, np.number)):
        return tensor(value)
    raise ArgumentError(f"{who} expects a Tensor or a number, got {type(value).__name__}")


def _pair(input, other, who):   # noqa: A002 - PyTorch's parameter name
    like = other if isinstance(other, Tensor) else None
    return _as_tensor(input, who, like), other


def is_tensor(obj):
    """True if ``obj`` is a scratchcnn Tensor."""
    return isinstance(obj, Tensor)


def numel(input):  # noqa: A002
    """Number of elements of ``input``."""
    return _as_tensor(input, "numel()").numel()


def is_floating_point(input):  # noqa: A002
    """True for a floating point tensor."""
    return _as_tensor(input, "is_floating_point()").is_floating_point()


def add(input, other, *, alpha=1):  # noqa: A002
    """input + alpha * other."""
    a, b = _pair(input, other, "add()")
    return a.add(b, alpha=alpha)


def sub(input, other, *, alpha=1):  # noqa: A002
    """input - alpha * other."""
    a, b = _pair(input, other, "sub()")
    return a.sub(b, alpha=alpha)


def div(input, other, *, rounding_mode=None):  # noqa: A002
    """input / other, or rounded with ``rounding_mode="floor"`` / ``"trunc"``."""
    a, b = _pair(input, other, "div()")
    return a.div(b, rounding_mode=rounding_mode)


subtract, divide = sub, div


def clamp(input, min=None, max=None):  # noqa: A002 - PyTorch's parameter names
    """Every element limited to [min, max] (numbers or tensors)."""
    return _as_tensor(input, "clamp()").clamp(min, max)


clip = clamp


def clamp_min(input, min):  # noqa: A002
    return _as_tensor(input, "clamp_min()").clamp(min=min)


def clamp_max(input, max):  # noqa: A002
    return _as_tensor(input, "clamp_max()").clamp(max=max)


def where(condition, input=None, other=None):  # noqa: A002
    """``where(condition, input, other)``: input where condition holds, else other
    (broadcast; numbers allowed). ``where(condition)`` alone: the indices of the true
    elements, one int64 tensor per axis (as ``nonzero(as_tuple=True)``)."""
    condition = _as_tensor(condition, "where()")
    if input is None and other is None:
        return tuple(Tensor(index.astype(np.int64)) for index in np.nonzero(condition._array))
    if input is None or other is None:
        raise ArgumentError("where() needs both input and other (or neither)")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = tensor(input)
    return _where(condition, input, other)


def masked_fill(input, mask, value):  # noqa: A002
    """A copy of ``input`` with ``value`` where ``mask`` is True."""
    return _as_tensor(input, "masked_fill()").masked_fill(mask, value)


def round(input, *, decimals=0):  # noqa: A001,A002 - PyTorch's name
    """Round half to even (at ``decimals`` places)."""
    return _as_tensor(input, "round()").round(decimals=decimals)


def softmax(input, dim, dtype=None):  # noqa: A002
    """exp(x) / sum(exp(x)) along ``dim``."""
    return _as_tensor(input, "softmax()").softmax(dim, dtype=dtype)


def log_softmax(input, dim, dtype=None):  # noqa: A002
    """log(softmax(x)) along ``dim``, computed stably."""
    return _as_tensor(input, "log_softmax()").log_softmax(dim, dtype=dtype)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    """|input - other| <= atol + rtol * |other| element-wise."""
    return _as_tensor(input, "isclose()").isclose(other, rtol, atol, equal_nan)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    """True if every element of input is close to other (see :func:`isclose`)."""
    return _as_tensor(input, "allclose()").allclose(other, rtol, atol, equal_nan)


def equal(input, other):  # noqa: A002
    """True if both have the same shape and values."""
    return _as_tensor(input, "equal()").equal(other)


def _binary(name):
    def function(input, other):  # noqa: A002
        a, b = _pair(input, other, f"{name}()")
        return getattr(a, name)(b)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``input.{name}(other)`` (a number is accepted for either)."
    return function


def _unary(name):
    def function(input):  # noqa: A002
        return getattr(_as_tensor(input, f"{name}()"), name)()
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``input.{name}()``, element-wise."
    return function


_BINARY = ["mul", "multiply", "true_divide", "floor_divide", "remainder", "fmod", "pow",
           "float_power", "maximum", "minimum", "matmul", "mm", "bmm", "dot", "inner", "mv",
           "outer", "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
           "less_equal", "not_equal", "logical_and", "logical_or", "logical_xor"]
_UNARY = ["neg", "negative", "abs", "absolute", "sqrt", "rsqrt", "exp", "log", "sin", "cos",
          "tan", "log2", "log10", "log1p", "expm1", "square", "reciprocal", "floor", "ceil",
          "trunc", "fix", "sign", "logical_not", "isnan", "isinf", "isfinite", "isposinf",
          "isneginf", "relu", "sigmoid", "tanh"]
globals().update({name: _binary(name) for name in _BINARY})
globals().update({name: _unary(name) for name in _UNARY})

__all__ = ["is_tensor", "numel", "is_floating_point", "add", "sub", "subtract", "div",
           "divide", "clamp", "clip", "clamp_min", "clamp_max", "where", "masked_fill",
           "round", "softmax", "log_softmax", "isclose", "allclose", "equal",
           *_BINARY, *_UNARY]
