"""Element-wise arithmetic with broadcasting.

Each op is a ``*_forward(...) -> (out, cache)`` / ``*_backward(grad, cache, needs_grad)``
pair on plain arrays. When an input was broadcast in the forward pass, its gradient
is summed back over the broadcast axes (:func:`unbroadcast`): an input that was used
many times receives the sum of the gradients of every use.
"""

from ..errors import GraphError
from .array_module import array_module


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting.

    Equations: if ``y = x`` broadcast from ``shape`` to ``grad.shape``, then
    ``dL/dx = sum of dL/dy over the axes that broadcasting added or stretched``.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and grad.shape[extra + i] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def add_forward(a, b):
    return a + b, (a.shape, b.shape)


def add_backward(grad, shapes, needs_grad):
    return unbroadcast(grad, shapes[0]), unbroadcast(grad, shapes[1])


def sub_forward(a, b):
    return a - b, (a.shape, b.shape)


def sub_backward(grad, shapes, needs_grad):
    return unbroadcast(grad, shapes[0]), unbroadcast(-grad, shapes[1])


def mul_forward(a, b):
    """y = a * b;  dL/da = g * b,  dL/db = g * a."""
    return a * b, (a, b)


def mul_backward(grad, cache, needs_grad):
    a, b = cache
    da = unbroadcast(grad * b, a.shape) if needs_grad[0] else None
    db = unbroadcast(grad * a, b.shape) if needs_grad[1] else None
    return da, db


def div_forward(a, b):
    """y = a / b;  dL/da = g / b,  dL/db = -g * a / b**2."""
    return a / b, (a, b)


def div_backward(grad, cache, needs_grad):
    a, b = cache
    da = unbroadcast(grad / b, a.shape) if needs_grad[0] else None
    db = unbroadcast(-grad * a / (b * b), b.shape) if needs_grad[1] else None
    return da, db


def pow_forward(a, b):
    """y = a ** b;  dL/da = g * b * a**(b-1),  dL/db = g * y * log(a)."""
    out = a ** b
    return out, (a, b, out)


def pow_backward(grad, cache, needs_grad):
    a, b, out = cache
    xp = array_module(a)
    da = unbroadcast(grad * b * a ** (b - 1), a.shape) if needs_grad[0] else None
    db = None
    if needs_grad[1]:
        # log(a) is -inf/nan for a <= 0; PyTorch defines the term as 0 where a == 0.
        with xp.errstate(divide="ignore", invalid="ignore"):
            log_a = xp.where(a > 0, xp.log(xp.where(a > 0, a, 1)), xp.where(a == 0, 0, xp.nan))
        db = unbroadcast(grad * out * log_a, b.shape)
    return da, db


def neg_forward(a):
    return -a, None


def neg_backward(grad, cache, needs_grad):
    return (-grad,)


def exp_forward(a):
    """y = e**a;  dL/da = g * y."""
    out = array_module(a).exp(a)
    return out, out


def exp_backward(grad, out, needs_grad):
    return (grad * out,)


def log_forward(a):
    """y = ln a;  dL/da = g / a."""
    return array_module(a).log(a), a


def log_backward(grad, a, needs_grad):
    return (grad / a,)


def sqrt_forward(a):
    """y = sqrt(a);  dL/da = g / (2 y)."""
    out = array_module(a).sqrt(a)
    return out, out


def sqrt_backward(grad, out, needs_grad):
    return (grad / (2 * out),)


def abs_forward(a):
    """y = |a|;  dL/da = g * sign(a) (0 at a == 0, as PyTorch)."""
    xp = array_module(a)
    return xp.abs(a), xp.sign(a)


def abs_backward(grad, sign, needs_grad):
    return (grad * sign,)



def remainder_forward(a, b):
    """y = a - floor(a / b) * b (the sign of b, Python's ``%``);
    dL/da = g,  dL/db = -g * floor(a / b). Shapes: a, b broadcast to y."""
    xp = array_module(a)
    return xp.remainder(a, b), (a, b)


def remainder_backward(grad, cache, needs_grad):
    a, b = cache
    xp = array_module(grad)
    da = unbroadcast(grad, a.shape) if needs_grad[0] else None
    db = unbroadcast(-grad * xp.floor_divide(a, b), b.shape) if needs_grad[1] else None
    return da, db


def fmod_forward(a, b):
    """y = a - trunc(a / b) * b (the sign of a, C's ``fmod``);
    dL/da = g,  dL/db = -g * trunc(a / b). Shapes: a, b broadcast to y."""
    return array_module(a).fmod(a, b), (a, b)


def fmod_backward(grad, cache, needs_grad):
    a, b = cache
    xp = array_module(grad)
    da = unbroadcast(grad, a.shape) if needs_grad[0] else None
    db = unbroadcast(-grad * xp.trunc(a / b), b.shape) if needs_grad[1] else None
    return da, db


def rounded_div_forward(a, b, rounding_mode):
    """y = floor(a / b) (``"floor"``) or trunc(a / b) (``"trunc"``), exact for integers;
    dL/da = dL/db = 0 (piecewise constant, PyTorch's convention). Shapes: broadcast."""
    xp = array_module(a)
    if rounding_mode == "floor":
        out = xp.floor_divide(a, b)
    elif a.dtype.kind == "f" or b.dtype.kind == "f":
        out = xp.trunc(a / b)
    else:   # integer truncation without a trip through float (exact for big values)
        out = xp.sign(a) * xp.sign(b) * (xp.abs(a) // xp.abs(b))
    return out, (a.shape, b.shape, out.dtype)


def rounded_div_backward(grad, cache, needs_grad):
    a_shape, b_shape, dtype = cache
    xp = array_module(grad)
    return xp.zeros(a_shape, dtype=dtype), xp.zeros(b_shape, dtype=dtype)


def floor_divide_forward(a, b):
    """y = floor(a / b) (``a // b``); PyTorch defines no derivative: backward raises."""
    return array_module(a).floor_divide(a, b), None


def floor_divide_backward(grad, cache, needs_grad):
    raise GraphError("the derivative for floor_divide (a // b) is not implemented, as in "
                     "PyTorch; use torch.div(a, b, rounding_mode='floor') (gradient 0)")
