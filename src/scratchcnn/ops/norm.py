"""Vector p-norms over some axes: ``torch.norm`` / ``torch.linalg.vector_norm``.

Equations, with a = |x| and y the norm of a slice (shapes: x -> x without the axes
``dim``, or with 1 there when ``keepdim``)::

    p = 2:     y = sqrt(sum x^2)              dL/dx = g x / y          (0 where y == 0)
    p = 1:     y = sum a                      dL/dx = g sign(x)
    p = inf:   y = max a                      dL/dx = g sign(x) / t at the t maxima of a
    p = -inf:  y = min a                      dL/dx = g sign(x) / t at the t minima of a
    p = 0:     y = number of nonzero x        dL/dx = 0
    other p:   y = (sum a^p)^(1/p)            dL/dx = g x a^(p-2) / y^(p-1) (0 where y == 0)
"""

import numpy as np

from .array_module import array_module
from .reduce import _expand_back, normalize_axes


def vector_norm_forward(x, ord=2, dim=None, keepdim=False):
    """The ``ord``-norm of x over the axes ``dim`` (all when None); see the module text."""
    xp = array_module(x)
    axes = normalize_axes(dim, x.ndim)
    a = xp.abs(x)
    if ord == 2:
        out = xp.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
    elif ord == 1:
        out = a.sum(axis=axes, keepdims=keepdim)
    elif ord == np.inf:
        out = a.max(axis=axes, keepdims=keepdim)
    elif ord == -np.inf:
        out = a.min(axis=axes, keepdims=keepdim)
    elif ord == 0:
        out = (x != 0).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
    else:
        out = ((a ** ord).sum(axis=axes, keepdims=keepdim)) ** (1.0 / ord)
    out = xp.asarray(out, dtype=x.dtype)
    return out, (x, out, ord, axes, keepdim)


def vector_norm_backward(grad, cache, needs_grad):
    x, out, ord, axes, keepdim = cache
    xp = array_module(grad)
    g = _expand_back(grad, x.shape, axes, keepdim)
    y = _expand_back(out, x.shape, axes, keepdim)
    zero = xp.zeros((), dtype=x.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        if ord == 2:
            dx = x * xp.where(y == 0, zero, g / y)
        elif ord == 1:
            dx = g * xp.sign(x)
        elif ord in (np.inf, -np.inf):
            picked = xp.abs(x) == y
            dx = xp.sign(x) * picked * g / picked.sum(axis=axes, keepdims=True)
        elif ord == 0:
            dx = xp.zeros(x.shape, dtype=x.dtype)
        else:
            dx = x * xp.abs(x) ** (ord - 2) * xp.where(y == 0, zero, g / y ** (ord - 1))
    return (xp.asarray(dx, dtype=x.dtype),)
