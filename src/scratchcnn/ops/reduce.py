"""Reductions: sum, mean and max over some axes.

Equations: for ``y = sum_i x_i`` every ``dL/dx_i = dL/dy`` (the gradient is broadcast
back); for the mean it is additionally divided by the number of reduced elements;
for a maximum it flows to the element that was picked (:func:`max_dim_forward`), or is
shared evenly among tied maxima for a full reduction (PyTorch's convention).
"""

import numpy as np

from .array_module import array_module


def normalize_axes(dim, ndim):
    """``dim`` (None, int or sequence, negative allowed) as a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    axes = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            from ..errors import ShapeError
            raise ShapeError(f"dimension out of range (expected to be in range of "
                             f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {d})")
        axes.append(d % max(ndim, 1))
    return tuple(sorted(set(axes))) if ndim else ()


def _expand_back(grad, in_shape, axes, keepdim):
    """Re-insert reduced axes (size 1) so ``grad`` broadcasts against the input."""
    if not keepdim:
        for axis in axes:
            grad = array_module(grad).expand_dims(grad, axis)
    return grad


def sum_forward(x, dim=None, keepdim=False):
    axes = normalize_axes(dim, x.ndim)
    return x.sum(axis=axes, keepdims=keepdim), (x.shape, axes, keepdim)


def sum_backward(grad, cache, needs_grad):
    shape, axes, keepdim = cache
    grad = _expand_back(grad, shape, axes, keepdim)
    return (array_module(grad).broadcast_to(grad, shape).copy(),)


def mean_forward(x, dim=None, keepdim=False):
    axes = normalize_axes(dim, x.ndim)
    count = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    return x.mean(axis=axes, keepdims=keepdim), (x.shape, axes, keepdim, count)


def mean_backward(grad, cache, needs_grad):
    shape, axes, keepdim, count = cache
    grad = _expand_back(grad, shape, axes, keepdim) / count
    return (array_module(grad).broadcast_to(grad, shape).astype(grad.dtype, copy=True),)


def max_all_forward(x):
    """Maximum of all elements; ties share the gradient evenly (PyTorch's ``amax`` rule)."""
    out = x.max()
    return out, (x, out)


def max_all_backward(grad, cache, needs_grad):
    x, out = cache
    is_max = x == out
    return ((grad * is_max / is_max.sum()).astype(x.dtype),)


def max_dim_forward(x, dim, keepdim=False):
    """Maximum along one axis; the gradient goes to the first maximal element (its index)."""
    axis = normalize_axes(dim, x.ndim)[0]
    xp = array_module(x)
    indices = xp.expand_dims(x.argmax(axis=axis), axis)
    values = xp.take_along_axis(x, indices, axis=axis)
    if not keepdim:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return values, (x.shape, x.dtype, axis, indices, keepdim)


def max_dim_backward(grad, cache, needs_grad):
    shape, dtype, axis, indices, keepdim = cache
    xp = array_module(grad)
    if not keepdim:
        grad, indices = xp.expand_dims(grad, axis), xp.expand_dims(indices, axis)
    dx = xp.zeros(shape, dtype=dtype)
    xp.put_along_axis(dx, indices, grad, axis=axis)
    return (dx,)
