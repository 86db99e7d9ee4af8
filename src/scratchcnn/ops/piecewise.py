"""Piecewise-linear activations with a parameter: PReLU (a learned slope per channel)
and Threshold.

PReLU. Shapes: input ``x`` (N, C, *) (or any shape when the weight has one element),
weight ``a`` (C,) or (1,), broadcast along axis 1 (``shape`` = (1, C, 1, ...))::

    y      = x            if x > 0 else a_c * x
    dL/dx  = g            if x > 0 else a_c * g        (at x == 0: a_c * g, as PyTorch)
    dL/da_c = sum over every axis but 1 of (g * x where x <= 0)

Threshold::

    y     = x if x > threshold else value
    dL/dx = g if x > threshold else 0
"""

from .array_module import array_module


def prelu_forward(x, weight, shape):
    """PReLU of ``x`` with ``weight`` reshaped to ``shape`` (broadcastable to x)."""
    xp = array_module(x)
    a = weight.reshape(shape)
    positive = x > 0
    out = xp.where(positive, x, a * x).astype(x.dtype, copy=False)
    return out, (x, a, positive, weight.shape)


def prelu_backward(grad, cache, needs_grad):
    """(dL/dx, dL/dweight)."""
    x, a, positive, weight_shape = cache
    xp = array_module(grad)
    dx = dw = None
    if needs_grad[0]:
        dx = xp.where(positive, grad, a * grad).astype(grad.dtype, copy=False)
    if needs_grad[1]:
        contribution = xp.where(positive, 0, grad * x)
        axes = tuple(i for i, size in enumerate(a.shape) if size == 1)   # all but C
        dw = contribution.sum(axis=axes).reshape(weight_shape).astype(grad.dtype, copy=False)
    return dx, dw


def threshold_forward(x, threshold, value):
    """x where x > threshold, else ``value``."""
    xp = array_module(x)
    keep = x > threshold
    return xp.where(keep, x, x.dtype.type(value)).astype(x.dtype, copy=False), keep


def threshold_backward(grad, keep, needs_grad):
    """dL/dx = g where the input was kept, 0 elsewhere."""
    return (array_module(grad).where(keep, grad, 0).astype(grad.dtype, copy=False),)
