"""Ops that move elements without changing them: reshape, permute, indexing, concatenation.

Their backward passes move the gradient back the same way: a reshape is undone by
a reshape, a permutation by the inverse permutation, and indexing scatters the
gradient into a zero array at the positions that were read.
"""

import numpy as np

from .array_module import array_module
from .elementwise import unbroadcast


def reshape_forward(x, shape):
    return x.reshape(shape), x.shape


def reshape_backward(grad, in_shape, needs_grad):
    return (grad.reshape(in_shape),)


def permute_forward(x, dims):
    return x.transpose(dims), dims


def permute_backward(grad, dims, needs_grad):
    return (grad.transpose(np.argsort(dims)),)


def _is_basic_index(index):
    """True if ``index`` selects each element at most once (slices, ints, masks)."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if part is None or part is Ellipsis or isinstance(part, (slice, int, np.integer)):
            continue
        if getattr(part, "dtype", None) == bool:
            continue
        return False
    return True


def getitem_forward(x, index):
    return x[index], (x.shape, x.dtype, index)


def getitem_backward(grad, cache, needs_grad):
    """Scatter ``grad`` back to the positions read; repeated positions add up."""
    shape, dtype, index = cache
    xp = array_module(grad)
    if _is_basic_index(index):
        dx = xp.zeros(shape, dtype=dtype)
        dx[index] = grad
        return (dx,)
    # Integer-array indexing may read one element several times. Index a grid of flat
    # positions the same way, then let bincount add the gradients per position.
    size = int(np.prod(shape))
    positions = xp.arange(size).reshape(shape)[index]
    summed = xp.bincount(positions.ravel(), weights=grad.ravel(), minlength=size)
    return (summed.reshape(shape).astype(dtype),)


def setitem_forward(x, value, index):
    """``out = x`` with ``out[index] = value`` (``value`` broadcast to the indexed shape).

    Backward: the positions written come from ``value``, so dL/dx is ``grad`` with
    them set to zero, and dL/dvalue is ``grad[index]`` summed back to value's shape."""
    out = x.copy()
    out[index] = value
    return out, (index, np.shape(value))


def setitem_backward(grad, cache, needs_grad):
    index, value_shape = cache
    dx = dvalue = None
    if needs_grad[0]:
        dx = grad.copy()
        dx[index] = 0
    if len(needs_grad) > 1 and needs_grad[1]:
        dvalue = unbroadcast(grad[index], value_shape)
    return dx, dvalue


def cat_forward(*arrays, dim=0):
    xp = array_module(arrays[0])
    sizes = [a.shape[dim] for a in arrays]
    return xp.concatenate(arrays, axis=dim), (sizes, dim)


def cat_backward(grad, cache, needs_grad):
    sizes, dim = cache
    splits = np.cumsum(sizes)[:-1]
    return tuple(array_module(grad).split(grad, splits, axis=dim))


def stack_forward(*arrays, dim=0):
    return array_module(arrays[0]).stack(arrays, axis=dim), dim


def stack_backward(grad, dim, needs_grad):
    return tuple(array_module(grad).moveaxis(grad, dim, 0))


def clone_forward(x):
    return x.copy(), None


def clone_backward(grad, cache, needs_grad):
    return (grad,)


def cast_forward(x, dtype):
    """Change the dtype; the gradient is cast back to the input's dtype."""
    return x.astype(dtype), x.dtype


def cast_backward(grad, in_dtype, needs_grad):
    return (grad.astype(in_dtype),)
