"""Reductions: sum, mean, max/min, amax/amin, var/std, prod, logsumexp over some axes.

Equations: for ``y = sum_i x_i`` every ``dL/dx_i = dL/dy`` (the gradient is broadcast
back); for the mean it is additionally divided by the number of reduced elements;
for a maximum it flows to the element that was picked (:func:`max_dim_forward`), or is
shared evenly among tied maxima for a full reduction (PyTorch's convention).
"""

import numpy as np

from ..errors import ShapeError
from .array_module import array_module


def normalize_axes(dim, ndim):
    """``dim`` (None, int or sequence, negative allowed) as a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    axes = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
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


def min_all_forward(x):
    """Minimum of all elements; ties share the gradient evenly."""
    out = x.min()
    return out, (x, out)


min_all_backward = max_all_backward


def max_dim_forward(x, dim, keepdim=False):
    """Maximum along one axis; the gradient goes to the first maximal element (its index).
    Shapes: x (..., n, ...) -> values without axis ``dim`` (kept as 1 with keepdim)."""
    return _pick_along(x, dim, keepdim, x.argmax)


def min_dim_forward(x, dim, keepdim=False):
    """Minimum along one axis; the gradient goes to the first minimal element."""
    return _pick_along(x, dim, keepdim, x.argmin)


def _pick_along(x, dim, keepdim, arg_function):
    axis = normalize_axes(dim, x.ndim)[0]
    if x.ndim and x.shape[axis] == 0:
        raise ShapeError(f"cannot reduce over a zero-size dimension {dim} of shape {x.shape}")
    xp = array_module(x)
    indices = xp.expand_dims(arg_function(axis=axis), axis) if x.ndim else \
        xp.zeros((), dtype=np.int64)
    if not x.ndim:
        return x.copy(), (x.shape, x.dtype, axis, indices, True)
    values = xp.take_along_axis(x, indices, axis=axis)
    if not keepdim:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return values, (x.shape, x.dtype, axis, indices, keepdim)


def max_dim_backward(grad, cache, needs_grad):
    shape, dtype, axis, indices, keepdim = cache
    xp = array_module(grad)
    if not shape:
        return (grad.astype(dtype, copy=True),)
    if not keepdim:
        grad, indices = xp.expand_dims(grad, axis), xp.expand_dims(indices, axis)
    dx = xp.zeros(shape, dtype=dtype)
    xp.put_along_axis(dx, indices, grad, axis=axis)
    return (dx,)


min_dim_backward = max_dim_backward


def _count(shape, axes):
    return int(np.prod([shape[a] for a in axes])) if axes else 1


def amax_forward(x, dim=None, keepdim=False):
    """y = max of x over the axes ``dim`` (several allowed);  dL/dx = g / t at each of the
    t tied maxima of a slice, 0 elsewhere. Shapes: x -> x without (or with 1 at) dim."""
    axes = normalize_axes(dim, x.ndim)
    out = x.max(axis=axes, keepdims=keepdim)
    return out, (x, out, axes, keepdim)


def amin_forward(x, dim=None, keepdim=False):
    """y = min of x over the axes ``dim``; gradient as :func:`amax_forward`."""
    axes = normalize_axes(dim, x.ndim)
    out = x.min(axis=axes, keepdims=keepdim)
    return out, (x, out, axes, keepdim)


def amax_backward(grad, cache, needs_grad):
    x, out, axes, keepdim = cache
    picked = x == _expand_back(out, x.shape, axes, keepdim)
    share = _expand_back(grad, x.shape, axes, keepdim) / picked.sum(axis=axes, keepdims=True)
    return ((picked * share).astype(x.dtype, copy=False),)


amin_backward = amax_backward


def var_forward(x, dim=None, correction=1, keepdim=False):
    """y = sum((x - mean)^2) / (n - correction) over the axes ``dim``;
    dL/dx = 2 g (x - mean) / (n - correction). n - correction <= 0 gives inf/nan, as
    PyTorch. Shapes: x -> x without (or with 1 at) dim."""
    xp = array_module(x)
    axes = normalize_axes(dim, x.ndim)
    centered = x - x.mean(axis=axes, keepdims=True)
    denominator = max(_count(x.shape, axes) - correction, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = xp.asarray((centered * centered).sum(axis=axes, keepdims=keepdim) / denominator,
                         dtype=x.dtype)
    return out, (centered, axes, keepdim, denominator)


def var_backward(grad, cache, needs_grad):
    centered, axes, keepdim, denominator = cache
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = _expand_back(grad, centered.shape, axes, keepdim) * (2.0 / denominator
                                                                    if denominator else np.inf)
        return ((scale * centered).astype(centered.dtype, copy=False),)


def std_forward(x, dim=None, correction=1, keepdim=False):
    """y = sqrt(var(x));  dL/dx = g (x - mean) / ((n - correction) y), 0 where y == 0
    (PyTorch's convention)."""
    var, (centered, axes, keepdim, denominator) = var_forward(x, dim, correction, keepdim)
    out = array_module(x).sqrt(var)
    return out, (centered, axes, keepdim, denominator, out)


def std_backward(grad, cache, needs_grad):
    centered, axes, keepdim, denominator, out = cache
    xp = array_module(grad)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = xp.where(out == 0, 0, grad / (2 * out)).astype(grad.dtype, copy=False)
    return var_backward(half, (centered, axes, keepdim, denominator), needs_grad)


def prod_forward(x, dim=None, keepdim=False):
    """y = product of x over one axis (all when ``dim`` is None);
    dL/dx_i = g * product of the other elements (exact with zeros: the product of the
    elements before i times the product of those after i). Shapes: as :func:`sum_forward`."""
    axes = normalize_axes(dim, x.ndim)
    return x.prod(axis=axes, keepdims=keepdim), (x, axes, keepdim)


def prod_backward(grad, cache, needs_grad):
    x, axes, keepdim = cache
    xp = array_module(x)
    grad = _expand_back(grad, x.shape, axes, keepdim)
    if x.ndim == 0:
        return ((grad * 1).astype(x.dtype),)
    # Move the reduced axes to the end and flatten them into one: n = product of sizes.
    rest = [a for a in range(x.ndim) if a not in axes]
    flat = x.transpose(rest + list(axes)).reshape([x.shape[a] for a in rest] + [-1])
    ones = xp.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
    before = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = xp.cumprod(xp.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = (before * after).reshape([x.shape[a] for a in rest + list(axes)])
    others = others.transpose(np.argsort(rest + list(axes)))
    return ((grad * others).astype(x.dtype, copy=False),)


def logsumexp_forward(x, dim, keepdim=False):
    """y = log(sum(exp(x))) over the axes ``dim``, computed as m + log(sum(exp(x - m)))
    with m the slice's maximum (no overflow);  dL/dx = g * exp(x - y) (the softmax).
    Shapes: x -> x without (or with 1 at) dim; an empty slice gives -inf."""
    xp = array_module(x)
    axes = normalize_axes(dim, x.ndim)
    kept_shape = tuple(1 if a in axes else s for a, s in enumerate(x.shape))
    if x.size:
        top = x.max(axis=axes, keepdims=True)
        top = xp.where(xp.isfinite(top), top, 0)   # all -inf (or inf) slices: no shift
    else:
        top = xp.zeros(kept_shape, dtype=x.dtype)
    with np.errstate(divide="ignore"):
        kept = xp.log(xp.exp(x - top).sum(axis=axes, keepdims=True)) + top
    out = kept if keepdim else kept.reshape([s for a, s in enumerate(x.shape) if a not in axes])
    return out, (x, kept, axes, keepdim)


def logsumexp_backward(grad, cache, needs_grad):
    x, kept, axes, keepdim = cache
    xp = array_module(grad)
    grad = _expand_back(grad, x.shape, axes, keepdim)
    return ((grad * xp.exp(x - kept)).astype(x.dtype, copy=False),)
