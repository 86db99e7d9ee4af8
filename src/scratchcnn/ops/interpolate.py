"""Resizing of the trailing (spatial) axes: nearest and (bi)linear interpolation, with
PyTorch's source-index rules.

Shapes: x (N, C, *in) -> y (N, C, *out), one entry of ``plans`` per spatial axis. Both
modes are separable: they resample one spatial axis at a time, so the same per-axis
code serves 1-D, 2-D and 3-D inputs.

Nearest, per axis (``scale`` = 1 / scale_factor when given, else in / out, in float32)::

    src(j) = min(floor(j * scale), in - 1)          y_j = x_{src(j)}

Linear, per axis, with r the ratio (align_corners: (in - 1) / (out - 1); otherwise
1 / scale_factor or in / out)::

    s    = r * j                    (align_corners)
    s    = max(r * (j + 0.5) - 0.5, 0)  (otherwise)
    i0   = min(floor(s), in - 1),  i1 = i0 + (1 if i0 < in - 1 else 0)
    l1   = clip(s - i0, 0, 1),     l0 = 1 - l1
    y_j  = l0 x_{i0} + l1 x_{i1}

Backward, per axis in reverse order: dL/dx_i = sum over j of (weight of x_i in y_j) g_j.
The index maps are non-decreasing, so each scatter is one ``np.add.reduceat`` over runs
of equal indices (no loop over pixels).
"""

import numpy as np


def nearest_index(in_size, out_size, scale_factor=None):
    """src (out,) int64 of one axis, PyTorch's ``nearest_idx``."""
    if out_size == in_size:
        return np.arange(out_size, dtype=np.int64)
    if out_size == 2 * in_size:
        return np.arange(out_size, dtype=np.int64) >> 1
    scale = np.float32(1.0 / scale_factor if scale_factor else np.float32(in_size) / out_size)
    src = np.floor(np.arange(out_size, dtype=np.float32) * scale).astype(np.int64)
    return np.minimum(src, in_size - 1)


def linear_weights(in_size, out_size, align_corners, scale_factor, dtype):
    """(i0, i1, l0, l1), each (out,), of one axis, PyTorch's ``compute_source_index_and_lambda``."""
    j = np.arange(out_size)
    if out_size == in_size:
        i = j.astype(np.int64)
        return i, i, np.ones(out_size, dtype), np.zeros(out_size, dtype)
    t = np.dtype(dtype).type
    if align_corners:
        ratio = t((in_size - 1) / (out_size - 1)) if out_size > 1 else t(0)
        src = ratio * j.astype(dtype)
    else:
        ratio = t(1.0 / scale_factor) if scale_factor else t(in_size / out_size)
        src = np.maximum(ratio * (j.astype(dtype) + t(0.5)) - t(0.5), t(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    l1 = np.clip(src - i0.astype(dtype), t(0), t(1)).astype(dtype)
    i1 = i0 + (i0 < in_size - 1)
    return i0, i1, (t(1) - l1).astype(dtype), l1


def _along(vector, axis, ndim):
    shape = [1] * ndim
    shape[axis] = -1
    return vector.reshape(shape)


def _scatter(grad, index, axis, size):
    """sum of grad over positions j with index[j] = i, for a non-decreasing index."""
    shape = list(grad.shape)
    shape[axis] = size
    out = np.zeros(shape, dtype=grad.dtype)
    unique, starts = np.unique(index, return_index=True)
    sums = np.add.reduceat(grad, starts, axis=axis)
    where = [slice(None)] * grad.ndim
    where[axis] = unique
    out[tuple(where)] = sums
    return out


def interpolate_forward(x, plans, mode="nearest"):
    """y (N, C, *out) from x (N, C, *in); ``plans`` holds one index map per spatial axis."""
    out = x
    for k, plan in enumerate(plans):
        axis = 2 + k
        if mode == "nearest":
            out = np.take(out, plan, axis=axis)
        else:
            i0, i1, l0, l1 = plan
            out = (np.take(out, i0, axis=axis) * _along(l0, axis, x.ndim)
                   + np.take(out, i1, axis=axis) * _along(l1, axis, x.ndim))
    if out is x:
        out = x.copy()
    return out, (x.shape, plans, mode)


def interpolate_backward(grad, cache, needs_grad):
    shape, plans, mode = cache
    for k in reversed(range(len(plans))):
        axis, plan = 2 + k, plans[k]
        if mode == "nearest":
            grad = _scatter(grad, plan, axis, shape[axis])
        else:
            i0, i1, l0, l1 = plan
            grad = (_scatter(grad * _along(l0, axis, grad.ndim), i0, axis, shape[axis])
                    + _scatter(grad * _along(l1, axis, grad.ndim), i1, axis, shape[axis]))
    return (grad,)
