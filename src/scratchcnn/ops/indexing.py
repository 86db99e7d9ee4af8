"""Ops that read or write elements at positions given by integer arrays or masks:
gather, scatter, scatter_add, index_select, take, masked_select.

A read of ``x`` at positions ``p`` has the backward pass "add the gradient into a zero
array at ``p``": positions read several times receive the sum of their gradients
(``bincount`` over flat positions does that in one vectorized pass). A write of
``src`` at ``p`` has the backward pass "read the gradient at ``p``".

Index arrays are checked (range, shape) by the Tensor methods before they get here.
"""

import numpy as np

from .array_module import array_module
from .elementwise import unbroadcast


def _along(index, dim):
    """Positions addressed by ``gather``/``scatter``: ``index`` along ``dim``, the
    element's own coordinate along every other axis (sparse grids that broadcast)."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


def _add_at(shape, dtype, positions, values):
    """A zero array of ``shape`` with ``values`` added at ``positions`` (a tuple of
    broadcastable integer arrays); repeated positions add up."""
    xp = array_module(values)
    size = int(np.prod(shape))
    flat = np.ravel_multi_index(np.broadcast_arrays(*positions), shape) if size else \
        np.zeros(np.shape(values), dtype=np.int64)
    summed = xp.bincount(xp.asarray(flat).ravel(), weights=values.ravel(), minlength=size)
    return summed.reshape(shape).astype(dtype, copy=False)


def _head(src, shape):
    """The leading ``shape`` block of ``src`` (scatter reads only that much of src)."""
    return src[tuple(slice(0, n) for n in shape)]


def gather_forward(x, index, dim):
    """``y[i][j][k] = x[index[i][j][k]][j][k]`` for ``dim=0`` (likewise for other dims).

    Shapes: x ``(s_0, ..., s_{n-1})``; index and y ``(t_0, ..., t_{n-1})`` with
    ``t_d <= s_d`` for ``d != dim``. Backward: dL/dx adds dL/dy at the read positions."""
    positions = _along(index, dim)
    return x[positions], (x.shape, x.dtype, positions)


def gather_backward(grad, cache, needs_grad):
    shape, dtype, positions = cache
    return (_add_at(shape, dtype, positions, grad),)


def scatter_forward(x, src, index, dim):
    """``y = x`` with ``y[index[i][j]][j] = src[i][j]`` (dim 0); ``src`` may be a scalar.

    Shapes: x and y ``(s_0, ...)``; index ``(t_0, ...)``; src at least as large as
    index. Where index repeats a position one of the writes wins, as in PyTorch.
    Backward: dL/dx is dL/dy with the written positions zeroed; dL/dsrc reads dL/dy at
    them (zero for the part of src that was not read)."""
    positions = _along(index, dim)
    out = x.copy()
    out[positions] = _head(src, index.shape) if np.ndim(src) else src
    return out, (positions, np.shape(src), index.shape)


def scatter_backward(grad, cache, needs_grad):
    positions, src_shape, index_shape = cache
    dx = dsrc = None
    if needs_grad[0]:
        dx = grad.copy()
        dx[positions] = 0
    if len(needs_grad) > 1 and needs_grad[1]:
        dsrc = array_module(grad).zeros(src_shape, dtype=grad.dtype)
        dsrc[tuple(slice(0, n) for n in index_shape)] = grad[positions]
    return dx, dsrc


def scatter_add_forward(x, src, index, dim):
    """``y = x`` plus ``y[index[i][j]][j] += src[i][j]`` (dim 0); repeats add up.

    Shapes as :func:`scatter_forward`. Backward: dL/dx = dL/dy; dL/dsrc reads dL/dy at
    the positions each src element was added to."""
    positions = _along(index, dim)
    out = x + _add_at(x.shape, x.dtype, positions, _head(src, index.shape))
    return out, (positions, src.shape, index.shape)


def scatter_add_backward(grad, cache, needs_grad):
    positions, src_shape, index_shape = cache
    dsrc = None
    if needs_grad[1]:
        dsrc = array_module(grad).zeros(src_shape, dtype=grad.dtype)
        dsrc[tuple(slice(0, n) for n in index_shape)] = grad[positions]
    return (grad if needs_grad[0] else None), dsrc


def index_select_forward(x, index, dim):
    """Whole slices of ``x`` along ``dim`` in the order of the 1-D ``index``:
    ``y[..., i, ...] = x[..., index[i], ...]``.

    Shapes: x ``(s_0, ..., s_dim, ...)``, index ``(k,)``, y ``(s_0, ..., k, ...)``.
    Backward: slice i of dL/dy is added to slice ``index[i]`` of dL/dx."""
    return array_module(x).take(x, index, axis=dim), (x.shape, x.dtype, index, dim)


def index_select_backward(grad, cache, needs_grad):
    shape, dtype, index, dim = cache
    positions = [np.arange(n).reshape((-1,) + (1,) * (len(shape) - d - 1))
                 for d, n in enumerate(grad.shape)]
    positions[dim] = index.reshape((-1,) + (1,) * (len(shape) - dim - 1))
    return (_add_at(shape, dtype, tuple(positions), grad),)


def take_forward(x, index):
    """``y = x.flatten()[index]`` (negative indices count from the end).

    Shapes: x any, index any, y index's shape. Backward: dL/dy added at the flat
    positions read, then reshaped to x's shape."""
    flat = index % max(x.size, 1)
    return x.reshape(-1)[flat], (x.shape, x.dtype, flat)


def take_backward(grad, cache, needs_grad):
    shape, dtype, flat = cache
    return (_add_at((int(np.prod(shape)),), dtype, (flat,), grad).reshape(shape),)


def masked_select_forward(x, mask):
    """The elements of ``x`` where ``mask`` is True, as a 1-D array (row-major order).

    Shapes: x and mask broadcast to a common shape B; y ``(mask.sum(),)`` counted in B.
    Backward: dL/dy is placed into zeros of shape B and summed back to x's shape."""
    xp = array_module(x)
    shape = np.broadcast_shapes(x.shape, mask.shape)
    full_mask = xp.broadcast_to(mask, shape)
    return xp.broadcast_to(x, shape)[full_mask], (x.shape, full_mask)


def masked_select_backward(grad, cache, needs_grad):
    in_shape, full_mask = cache
    dx = array_module(grad).zeros(full_mask.shape, dtype=grad.dtype)
    dx[full_mask] = grad
    return (unbroadcast(dx, in_shape),)
