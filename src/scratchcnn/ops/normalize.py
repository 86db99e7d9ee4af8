"""``F.normalize``: divide by the p-norm along one axis, floored at ``eps``.

Shapes: x (any), ``dim`` one axis; output of x's shape. With
n = (sum_dim |x|^p)^(1/p) (kept as a size-1 axis) and d = max(n, eps)::

    y = x / d
    dL/dx = g / d - [n >= eps] * (sum_dim g x / d^2) * dn/dx
    dn/dx = sign(x) |x|^(p-1) / n^(p-1)          (p = 2: x / n; p = inf: the arg-max)

The norm's gradient at n = 0 is taken as 0, as PyTorch does.
"""

import numpy as np


def _norm(x, p, dim):
    if p == np.inf:
        return np.abs(x).max(axis=dim, keepdims=True)
    if p == 2:
        return np.sqrt((x * x).sum(axis=dim, keepdims=True))
    if p == 1:
        return np.abs(x).sum(axis=dim, keepdims=True)
    return (np.abs(x) ** x.dtype.type(p)).sum(axis=dim, keepdims=True) ** x.dtype.type(1 / p)


def normalize_forward(x, p=2.0, dim=1, eps=1e-12):
    norm = _norm(x, p, dim)
    denom = np.maximum(norm, x.dtype.type(eps))
    return x / denom, (x, norm, denom, p, dim, eps)


def normalize_backward(grad, cache, needs_grad):
    x, norm, denom, p, dim, eps = cache
    dx = grad / denom
    # Through the norm, only where the clamp at eps let it through (PyTorch: n >= eps).
    dnorm = -(grad * x).sum(axis=dim, keepdims=True) / (denom * denom) * (norm >= eps)
    safe = np.where(norm == 0, 1, norm)
    if p == 2:
        dn_dx = x / safe
    elif p == 1:
        dn_dx = np.sign(x)
    elif p == np.inf:
        # PyTorch splits the gradient evenly between tied maxima.
        hit = (np.abs(x) == norm) & (norm > 0)
        dn_dx = np.sign(x) * hit / np.maximum(hit.sum(axis=dim, keepdims=True), 1)
    else:
        dn_dx = np.sign(x) * np.abs(x) ** x.dtype.type(p - 1) / safe ** x.dtype.type(p - 1)
    dx = dx + dnorm * np.where(norm == 0, 0, dn_dx)
    return (dx.astype(grad.dtype, copy=False),)
