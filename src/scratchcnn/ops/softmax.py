"""Softmax and log-softmax along one axis, computed stably.

    softmax(z)_i     = e^(z_i - m) / sum_j e^(z_j - m)        (m = max_j z_j: no overflow)
    log_softmax(z)_i = z_i - m - log sum_j e^(z_j - m)

    d softmax:     dL/dz = y * (g - sum_j g_j y_j)
    d log_softmax: dL/dz = g - softmax(z) * sum_j g_j
"""

from .array_module import array_module


def softmax_forward(x, dim):
    xp = array_module(x)
    shifted = x - x.max(axis=dim, keepdims=True)
    e = xp.exp(shifted)
    out = e / e.sum(axis=dim, keepdims=True)
    return out, (out, dim)


def softmax_backward(grad, cache, needs_grad):
    out, dim = cache
    return (out * (grad - (grad * out).sum(axis=dim, keepdims=True)),)


def log_softmax_forward(x, dim):
    xp = array_module(x)
    shifted = x - x.max(axis=dim, keepdims=True)
    out = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
    return out, (out, dim)


def log_softmax_backward(grad, cache, needs_grad):
    out, dim = cache
    return (grad - array_module(out).exp(out) * grad.sum(axis=dim, keepdims=True),)
