"""More element-wise non-linearities, each a forward/backward pair (shapes: any; the
output and every gradient have the input's shape and dtype). PyTorch's formulas,
including its choices at the kinks (the derivative is taken from the side PyTorch uses)::

    softplus(x)     = log(1 + e^(b x)) / b, or x where b x > threshold
                      d/dx = sigmoid(b x), or 1 where b x > threshold
    hardtanh(x)     = clip(x, lo, hi)          d/dx = 1 if lo < x < hi else 0
    relu6(x)        = hardtanh(x, 0, 6)
    hardsigmoid(x)  = relu6(x + 3) / 6         d/dx = 1/6 if -3 < x < 3 else 0
    hardswish(x)    = x relu6(x + 3) / 6       d/dx = 0 if x <= -3, x/3 + 1/2 if x < 3, else 1
    silu(x)         = x s(x), s = sigmoid      d/dx = s (1 + x (1 - s))
    mish(x)         = x tanh(softplus(x))      d/dx = t + x s(x) (1 - t^2), t = tanh(softplus(x))
    gelu(x)         = x Phi(x) = x/2 (1 + erf(x / sqrt 2))       d/dx = Phi(x) + x phi(x)
    gelu_tanh(x)    = x/2 (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3)
                      d/dx = (1 + t)/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
    elu(x)          = scale * (x if x > 0 else alpha (e^x - 1))
                      d/dx = scale * (1 if x > 0 else alpha e^x)       (selu: fixed alpha, scale)
    logsigmoid(x)   = min(x, 0) - log(1 + e^-|x|)                     d/dx = 1 - sigmoid(x)
"""

import math

import numpy as np

from .activation import sigmoid_forward


def _c(x, value):
    """A Python number as a scalar of x's dtype (keeps float32 float32)."""
    return x.dtype.type(value)


def softplus_forward(x, beta=1.0, threshold=20.0):
    bx = x * _c(x, beta)
    linear = bx > threshold
    # log1p(e^z) computed without overflow: max(z, 0) + log1p(e^-|z|).
    soft = (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / _c(x, beta)
    return np.where(linear, x, soft), (bx, linear)


def softplus_backward(grad, cache, needs_grad):
    bx, linear = cache
    s, _ = sigmoid_forward(bx)
    return (np.where(linear, grad, grad * s),)


def hardtanh_forward(x, min_val=-1.0, max_val=1.0):
    inside = (x > min_val) & (x < max_val)
    return np.clip(x, _c(x, min_val), _c(x, max_val)), inside


def hardtanh_backward(grad, inside, needs_grad):
    return (grad * inside,)


def hardsigmoid_forward(x):
    out = np.clip(x + _c(x, 3), 0, 6) / _c(x, 6)
    return out, (x > -3) & (x < 3)


# PyTorch's backward kernel multiplies by the float32 constant 1.0f / 6.0f, also for
# float64 (a 3e-8 relative difference from 1/6 that float64 parity has to reproduce).
_ONE_SIXTH_F32 = float(np.float32(1.0) / np.float32(6.0))


def hardsigmoid_backward(grad, inside, needs_grad):
    return (np.where(inside, grad * grad.dtype.type(_ONE_SIXTH_F32), grad.dtype.type(0)),)


def hardswish_forward(x):
    return x * np.clip(x + _c(x, 3), 0, 6) / _c(x, 6), x


def hardswish_backward(grad, x, needs_grad):
    slope = np.where(x <= -3, _c(x, 0), np.where(x < 3, x / _c(x, 3) + _c(x, 0.5), _c(x, 1)))
    return (grad * slope,)


def silu_forward(x):
    s, _ = sigmoid_forward(x)
    return x * s, (x, s)


def silu_backward(grad, cache, needs_grad):
    x, s = cache
    return (grad * s * (1 + x * (1 - s)),)


def mish_forward(x):
    t = np.tanh(np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))
    return x * t, (x, t)


def mish_backward(grad, cache, needs_grad):
    x, t = cache
    s, _ = sigmoid_forward(x)
    return (grad * (t + x * s * (1 - t * t)),)


def gelu_forward(x, approximate="none"):
    if approximate == "tanh":
        inner = _c(x, math.sqrt(2 / math.pi)) * (x + _c(x, 0.044715) * x * x * x)
        t = np.tanh(inner)
        return _c(x, 0.5) * x * (1 + t), (x, t, approximate)
    from scipy.special import erf   # NumPy has no erf; SciPy comes with scikit-learn
    cdf = _c(x, 0.5) * (1 + erf(x * _c(x, math.sqrt(0.5))))
    return x * cdf, (x, cdf, approximate)


def gelu_backward(grad, cache, needs_grad):
    x, value, approximate = cache
    if approximate == "tanh":
        t = value
        k = _c(x, math.sqrt(2 / math.pi))
        du = k * (1 + _c(x, 3 * 0.044715) * x * x)
        return (grad * (_c(x, 0.5) * (1 + t) + _c(x, 0.5) * x * (1 - t * t) * du),)
    pdf = np.exp(_c(x, -0.5) * x * x) * _c(x, 1 / math.sqrt(2 * math.pi))
    return (grad * (value + x * pdf),)


def elu_forward(x, alpha=1.0, scale=1.0):
    positive = x > 0
    expm1 = np.expm1(np.minimum(x, 0))   # minimum: no overflow on the unused branch
    out = np.where(positive, x, _c(x, alpha) * expm1) * _c(x, scale)
    return out, (positive, expm1, alpha, scale)


def elu_backward(grad, cache, needs_grad):
    positive, expm1, alpha, scale = cache
    dtype = grad.dtype.type
    slope = np.where(positive, dtype(1), dtype(alpha) * (expm1 + 1)) * dtype(scale)
    return (grad * slope,)


def logsigmoid_forward(x):
    out = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
    return out, x


def logsigmoid_backward(grad, x, needs_grad):
    s, _ = sigmoid_forward(-x)
    return (grad * s,)
