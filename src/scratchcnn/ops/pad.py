"""Padding (and cropping) of the trailing axes: ``F.pad``'s constant, reflect,
replicate and circular modes.

Shapes: input ``x`` (*lead, n_1, ..., n_k); ``pads`` is a tuple of (before, after)
per padded axis, listed from the *first* padded axis to the last (the functional layer
turns PyTorch's last-axis-first list around). Output (*lead, n_1 + b_1 + a_1, ...).
A negative pad crops that many elements instead.

Every mode is a gather along each padded axis with an index map ``src`` from output
position ``j`` to input position, ``p = j - before``::

    constant:   src(j) = p if 0 <= p < n else (filled with ``value``)
    reflect:    src(j) = |p|, or 2(n - 1) - p past the end      (edge not repeated)
    replicate:  src(j) = clip(p, 0, n - 1)
    circular:   src(j) = p mod n

    y = x[..., src(j), ...]           dL/dx_i = sum_{j : src(j) = i} dL/dy_j

The backward pass adds the contiguous centre (src(j) = j - before) as one slice and
loops only over the border positions (as many as the pad is wide, like kernel
offsets), never over batch items, channels or pixels.
"""

import numpy as np

from .array_module import array_module


def source_index(n, before, after, mode):
    """Index map (out,) int64 of one axis; -1 marks positions filled with the constant."""
    p = np.arange(-before, n + after, dtype=np.int64)
    if mode == "constant":
        return np.where((p >= 0) & (p < n), p, -1)
    if mode == "reflect":
        p = np.abs(p)
        return np.where(p > n - 1, 2 * (n - 1) - p, p)
    if mode == "replicate":
        return np.clip(p, 0, n - 1)
    return p % n   # circular


def pad_forward(x, pads, mode="constant", value=0.0):
    """y = x gathered through each padded axis's index map; (*lead, n...) -> (*lead, m...)."""
    xp = array_module(x)
    first = x.ndim - len(pads)
    maps = []
    out = x
    for offset, (before, after) in enumerate(pads):
        axis = first + offset
        src = source_index(x.shape[axis], before, after, mode)
        maps.append(src)
        if (before, after) == (0, 0):
            continue   # nothing padded or cropped on this axis
        out = xp.take(out, xp.maximum(src, 0), axis=axis)
        if mode == "constant" and (src < 0).any():
            index = [slice(None)] * x.ndim
            index[axis] = src < 0
            out[tuple(index)] = value
    if out is x:
        out = x.copy()   # never hand back the input's own memory
    return out, (x.shape, first, tuple(pads), maps)


def _axis_backward(grad, axis, src, before, n):
    """dL/dx along one axis: sum of grad over the output positions that read each input."""
    xp = array_module(grad)
    shape = list(grad.shape)
    shape[axis] = n
    dx = xp.zeros(shape, dtype=grad.dtype)

    def at(position):
        index = [slice(None)] * grad.ndim
        index[axis] = position
        return tuple(index)

    positions = xp.arange(src.size)
    inside = src >= 0
    centre = inside & (src == positions - before)   # the unpadded run, contiguous
    if centre.any():
        j0, j1 = int(positions[centre][0]), int(positions[centre][-1]) + 1
        i0 = int(src[j0])
        dx[at(slice(i0, i0 + j1 - j0))] += grad[at(slice(j0, j1))]
    # The borders: one slice per reflected / replicated / wrapped output position.
    for j in positions[inside & ~centre]:
        dx[at(int(src[j]))] += grad[at(int(j))]
    return dx


def pad_backward(grad, cache, needs_grad):
    """dL/dx: the per-axis scatters in reverse order; (*lead, m...) -> (*lead, n...)."""
    shape, first, pads, maps = cache
    for offset in reversed(range(len(maps))):
        axis = first + offset
        if pads[offset] == (0, 0):
            continue
        grad = _axis_backward(grad, axis, maps[offset], pads[offset][0], shape[axis])
    return (grad,)
