"""Sorting and selecting by rank: ``sort``, ``topk``, ``kthvalue``, ``median``; running
sums and products along an axis: ``cumsum``, ``cumprod``.

The ranking itself (:func:`sort_indices`) is not differentiable; the values are picked
with :func:`sort_forward`, whose gradient goes back to the picked positions.
"""

import numpy as np

from .array_module import array_module


def sort_indices(x, axis, descending=False):
    """Indices (int64, x's shape) that sort x along ``axis``, stably (equal elements keep
    their order). NaN counts as larger than every number, as in PyTorch."""
    xp = array_module(x)
    if not x.ndim:
        return xp.zeros((), dtype=np.int64)
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable").astype(np.int64, copy=False)
    # Stable descending without negating (bool and unsigned values cannot be negated):
    # sort the reversed slice ascending, reverse the order, map positions back.
    n = x.shape[axis]
    reversed_order = xp.argsort(xp.flip(x, axis), axis=axis, kind="stable")
    return (n - 1 - xp.flip(reversed_order, axis)).astype(np.int64, copy=False)


def sort_forward(x, indices, axis):
    """y = x taken along ``axis`` at ``indices`` (distinct within each slice: a sort, or
    its first k for topk);  dL/dx = g put back at those indices, 0 elsewhere.
    Shapes: x (..., n, ...), indices and y (..., k, ...)."""
    if not x.ndim:
        return x.copy(), (x.shape, x.dtype, None, axis)
    return array_module(x).take_along_axis(x, indices, axis=axis), (x.shape, x.dtype,
                                                                   indices, axis)


def sort_backward(grad, cache, needs_grad):
    shape, dtype, indices, axis = cache
    xp = array_module(grad)
    if indices is None:
        return (grad.astype(dtype, copy=True),)
    dx = xp.zeros(shape, dtype=dtype)
    xp.put_along_axis(dx, indices, grad, axis=axis)
    return (dx,)


def topk_forward(x, indices, axis):
    """The k picked elements (see :func:`sort_forward`)."""
    return sort_forward(x, indices, axis)


def kthvalue_forward(x, indices, axis):
    """The element of rank k in each slice (see :func:`sort_forward`)."""
    return sort_forward(x, indices, axis)


def median_forward(x, indices, axis):
    """The lower median of each slice (see :func:`sort_forward`)."""
    return sort_forward(x, indices, axis)


topk_backward = kthvalue_backward = median_backward = sort_backward


def median_all_forward(x):
    """y = the lower median of all elements (rank (n - 1) // 2);  dL/dx = g / t at each
    of the t elements equal to y (PyTorch's rule for the full median)."""
    flat = x.reshape(-1)
    out = flat[sort_indices(flat, 0)[(flat.size - 1) // 2]].copy()
    return out, (x, out)


def median_all_backward(grad, cache, needs_grad):
    x, out = cache
    picked = x == out
    return ((grad * picked / picked.sum()).astype(x.dtype),)


def cumsum_forward(x, axis):
    """y_i = x_1 + ... + x_i along ``axis``;  dL/dx_i = g_i + ... + g_n (a reversed
    running sum). Shapes: y and x alike."""
    xp = array_module(x)
    if not x.ndim:
        return x.copy(), None
    return xp.cumsum(x, axis=axis, dtype=x.dtype), axis


def cumsum_backward(grad, axis, needs_grad):
    xp = array_module(grad)
    if axis is None:
        return (grad.copy(),)
    return (xp.flip(xp.cumsum(xp.flip(grad, axis), axis=axis), axis),)


def cumprod_forward(x, axis):
    """y_i = x_1 * ... * x_i along ``axis``;  dL/dx_i = sum_{k >= i} g_k * y_k / x_i,
    computed without dividing when a slice holds a zero. Shapes: y and x alike."""
    xp = array_module(x)
    if not x.ndim:
        return x.copy(), (x, None, None)
    out = xp.cumprod(x, axis=axis, dtype=x.dtype)
    return out, (x, out, axis)


def cumprod_backward(grad, cache, needs_grad):
    x, out, axis = cache
    xp = array_module(grad)
    if axis is None:
        return (grad.copy(),)
    if xp.all(x != 0):
        reversed_sum = xp.flip(xp.cumsum(xp.flip(grad * out, axis), axis=axis), axis)
        return (reversed_sum / x,)
    # With zeros: dy_k/dx_i = prod_{j <= k, j != i} x_j = before_i * prod_{i < j <= k} x_j.
    # between[..., i, k] = prod_{i < j <= k} x_j (1 for k == i), built on an n x n grid.
    xm, gm = xp.moveaxis(x, axis, -1), xp.moveaxis(grad, axis, -1)
    n = xm.shape[-1]
    upper = xp.triu(xp.ones((n, n), dtype=bool), 1)                  # j > i
    factors = xp.where(upper, xm[..., None, :], xp.ones((), dtype=x.dtype))
    between = xp.cumprod(factors, axis=-1) * xp.triu(xp.ones((n, n), dtype=x.dtype))
    ones = xp.ones(xm.shape[:-1] + (1,), dtype=x.dtype)
    before = xp.cumprod(xp.concatenate([ones, xm[..., :-1]], axis=-1), axis=-1)
    dx = before * (between * gm[..., None, :]).sum(axis=-1)
    return (xp.moveaxis(dx, -1, axis),)
