"""Element-wise selection: ``where``, ``clamp``, ``maximum`` / ``minimum``.

Each op is a ``*_forward`` / ``*_backward`` pair on arrays (see :mod:`scratchcnn.ops`).
All operands broadcast against each other to the output's shape; each gradient is
summed back to its operand's shape with :func:`~.elementwise.unbroadcast`. The
gradient of a selection goes to the operand that was selected.
"""

from .array_module import array_module
from .elementwise import unbroadcast


def where_forward(condition, a, b):
    """y = a where condition else b;  dL/da = g where condition,  dL/db = g elsewhere.
    Shapes: condition, a, b broadcast to y. ``masked_fill`` is ``where(mask, value, x)``."""
    xp = array_module(a)
    return xp.where(condition, a, b), (condition, a.shape, b.shape)


def where_backward(grad, cache, needs_grad):
    condition, a_shape, b_shape = cache
    xp = array_module(grad)
    zero = xp.zeros((), dtype=grad.dtype)
    da = unbroadcast(xp.where(condition, grad, zero), a_shape) if needs_grad[1] else None
    db = unbroadcast(xp.where(condition, zero, grad), b_shape) if needs_grad[2] else None
    return None, da, db


def clamp_forward(x, low=None, high=None):
    """y = min(max(x, low), high) (so y = high where low > high, as PyTorch).

    dL/dx = g where low <= x <= high; dL/dlow = g where x < low < high; dL/dhigh = g
    where x > high or high < low (PyTorch's rule). ``low``/``high``: None or arrays that
    broadcast with x."""
    xp = array_module(x)
    out = x
    if low is not None:
        out = xp.maximum(out, low)
    if high is not None:
        out = xp.minimum(out, high)
    return out, (x, low, high)


def clamp_backward(grad, cache, needs_grad):
    x, low, high = cache
    xp = array_module(grad)
    zero = xp.zeros((), dtype=grad.dtype)
    inside = True
    if low is not None:
        inside = inside & (x >= low)
    if high is not None:
        inside = inside & (x <= high)
    dx = unbroadcast(xp.where(inside, grad, zero), x.shape) if needs_grad[0] else None
    dlow = dhigh = None
    if low is not None and needs_grad[1]:
        picked = (x < low) & (low < high) if high is not None else x < low
        dlow = unbroadcast(xp.where(picked, grad, zero), low.shape)
    if high is not None and needs_grad[2]:
        picked = (x > high) | (high < low) if low is not None else x > high
        dhigh = unbroadcast(xp.where(picked, grad, zero), high.shape)
    return dx, dlow, dhigh


def maximum_forward(a, b):
    """y = max(a, b) element-wise (NaN wins);  dL/da = g where a > b, g / 2 where a == b
    (ties share the gradient, as PyTorch), 0 elsewhere; dL/db likewise."""
    return array_module(a).maximum(a, b), (a, b)


def maximum_backward(grad, cache, needs_grad):
    a, b = cache
    return _share(grad, a > b, a == b, a.shape, b.shape, needs_grad)


def minimum_forward(a, b):
    """y = min(a, b) element-wise (NaN wins);  gradients as :func:`maximum_forward`."""
    return array_module(a).minimum(a, b), (a, b)


def minimum_backward(grad, cache, needs_grad):
    a, b = cache
    return _share(grad, a < b, a == b, a.shape, b.shape, needs_grad)


def _share(grad, a_wins, tie, a_shape, b_shape, needs_grad):
    """Send ``grad`` to a where it won, to b where it lost, half to each on a tie."""
    xp = array_module(grad)
    half = grad * 0.5
    zero = xp.zeros((), dtype=grad.dtype)
    da = db = None
    if needs_grad[0]:
        da = unbroadcast(xp.where(a_wins, grad, xp.where(tie, half, zero)), a_shape)
    if needs_grad[1]:
        db = unbroadcast(xp.where(a_wins, zero, xp.where(tie, half, grad)), b_shape)
    return da, db
