"""Element-wise non-linearities, their derivatives, and dropout.

    ReLU(x)       = max(0, x)              d/dx = 1 if x > 0 else 0   (0 at x == 0, as PyTorch)
    LeakyReLU(x)  = x if x > 0 else a*x    d/dx = 1 if x > 0 else a
    tanh(x)                                d/dx = 1 - tanh(x)^2
    sigmoid(x)    = 1 / (1 + e^-x)         d/dx = s(x) * (1 - s(x))
    dropout(x)    = x * m / (1 - p),  m ~ Bernoulli(1 - p)    d/dx = m / (1 - p)
"""

from .array_module import array_module


def relu_forward(x):
    """(max(x, 0), the mask x > 0): the mask is all the backward pass needs. Any shape.
    Loop version: :func:`scratchcnn.ops.naive.relu_forward`; the library runs the
    threaded :mod:`scratchcnn.kernels.activation` unless ``backends.kernels.enabled``
    is False."""
    xp = array_module(x)
    return xp.maximum(x, x.dtype.type(0)), x > 0


def relu_backward(grad, positive, needs_grad):
    """dL/dx = g where x > 0, else 0 (0 at x == 0, as PyTorch)."""
    return (grad * positive,)


def leaky_relu_forward(x, negative_slope=0.01):
    xp = array_module(x)
    positive = x > 0
    slope = xp.where(positive, x.dtype.type(1), x.dtype.type(negative_slope))
    return x * slope, slope


def leaky_relu_backward(grad, slope, needs_grad):
    return (grad * slope,)


def tanh_forward(x):
    out = array_module(x).tanh(x)
    return out, out


def tanh_backward(grad, out, needs_grad):
    return (grad * (1 - out * out),)


def sigmoid_forward(x):
    xp = array_module(x)
    # Two branches so that exp never overflows: e^-x for x >= 0, e^x / (1 + e^x) otherwise.
    e = xp.exp(-xp.abs(x))
    out = xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
    return out, out


def sigmoid_backward(grad, out, needs_grad):
    return (grad * out * (1 - out),)


def dropout_forward(x, p, generator):
    """Zero each element with probability p and scale the survivors by 1/(1-p)."""
    if p == 1:
        scale = array_module(x).zeros_like(x)
    else:
        keep = generator.random(x.shape, dtype=x.dtype if x.dtype.itemsize >= 4 else None) >= p
        scale = keep * x.dtype.type(1 / (1 - p))
    return x * scale, scale


def dropout_backward(grad, scale, needs_grad):
    return (grad * scale,)
