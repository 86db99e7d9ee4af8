"""2-D adaptive average pooling: (N, C, H, W) -> (N, C, OH, OW) for any requested size.

Output row ``i`` averages input rows ``[s_i, e_i)`` and column ``j`` input columns
``[t_j, f_j)``, with PyTorch's bin edges (neighbouring bins may overlap by one row)::

    s_i = floor(i * H / OH),   e_i = ceil((i + 1) * H / OH)
    t_j = floor(j * W / OW),   f_j = ceil((j + 1) * W / OW)

Equations::

    y[n, c, i, j] = 1 / |bin_ij| * sum_{s_i <= u < e_i} sum_{t_j <= v < f_j} x[n, c, u, v]
    dL/dx[n, c, u, v] = sum over the bins (i, j) containing (u, v) of g[n, c, i, j] / |bin_ij|

with ``|bin_ij| = (e_i - s_i) * (f_j - t_j)``.

How it is computed. When ``H % OH == 0`` and ``W % OW == 0`` all bins have the same
size ``(H/OH, W/OW)`` and do not overlap: it is a plain average pool, done as a
reshape to (N, C, OH, H/OH, OW, W/OW) and a mean (backward: broadcast back).

Otherwise bins differ in size, so they cannot be one strided view. The pooling is
separable, though: with the 0/1 membership matrices ``Bh`` (OH, H),
``Bh[i, u] = [s_i <= u < e_i]``, and ``Bw`` (OW, W) likewise, each image is

    y = (Bh x Bw^T) / counts,        dL/dx = Bh^T (g / counts) Bw,

two matrix products over the whole batch at once (no loop over bins, pixels, batch
items or channels), and the backward is the same computation with the transposed
matrices. Unlike a cumulative-sum (integral image) formulation, whose bin sums are
differences of large running totals, this adds exactly the bin's values, so float32
results carry no cancellation error. Cost per channel: O(H*W*OW + H*OW*OH) — small
for the usual small outputs (1x1, 6x6, 7x7).
"""

import numpy as np

from .array_module import array_module


def bin_edges(size, out_size):
    """PyTorch's adaptive bins along one axis: (start, end) integer arrays of length out."""
    i = np.arange(out_size)
    start = (i * size) // out_size
    end = -((-(i + 1) * size) // out_size)                       # ceil((i + 1) * size / out)
    return start, end


def _membership(size, out_size, xp, dtype):
    """(out, size) 0/1 matrix of which inputs fall in each bin, and the bin sizes (out,)."""
    start, end = bin_edges(size, out_size)
    positions = np.arange(size)
    member = (positions >= start[:, None]) & (positions < end[:, None])
    return xp.asarray(member.astype(dtype)), xp.asarray((end - start).astype(dtype))


def _contract(x, left, right):
    """left @ x @ right.T for every (N, C) image of x, as two large matrix products.

    x (N, C, P, Q), left (R, P), right (S, Q) -> (N, C, R, S)."""
    xp = array_module(x)
    n, c, p, q = x.shape
    r, s = left.shape[0], right.shape[0]
    cols = x.reshape(n * c * p, q) @ right.T                           # (N*C*P, S)
    cols = cols.reshape(n, c, p, s).transpose(0, 1, 3, 2).reshape(n * c * s, p)
    rows = cols @ left.T                                               # (N*C*S, R)
    return xp.ascontiguousarray(rows.reshape(n, c, s, r).transpose(0, 1, 3, 2))


def _uniform(shape, output_size):
    _, _, h, w = shape
    oh, ow = output_size
    return oh > 0 and ow > 0 and h % oh == 0 and w % ow == 0


def adaptive_avg_pool2d_forward(x, output_size):
    """Mean over each adaptive bin; see the module docstring."""
    n, c, h, w = x.shape
    oh, ow = output_size
    if _uniform(x.shape, output_size):
        out = x.reshape(n, c, oh, h // oh, ow, w // ow).mean(axis=(3, 5))
        return out.astype(x.dtype, copy=False), (x.shape, output_size, None)
    xp = array_module(x)
    rows, row_counts = _membership(h, oh, xp, x.dtype)
    cols, col_counts = _membership(w, ow, xp, x.dtype)
    counts = row_counts[:, None] * col_counts[None, :]                 # (OH, OW)
    out = _contract(x, rows, cols) / counts
    return out.astype(x.dtype, copy=False), (x.shape, output_size, (rows, cols, counts))


def adaptive_avg_pool2d_backward(grad, cache, needs_grad):
    x_shape, (oh, ow), matrices = cache
    n, c, h, w = x_shape
    xp = array_module(grad)
    if matrices is None:
        kh, kw = h // oh, w // ow
        share = (grad / grad.dtype.type(kh * kw))[:, :, :, None, :, None]
        spread = xp.broadcast_to(share, (n, c, oh, kh, ow, kw))
        return (spread.reshape(x_shape),)
    rows, cols, counts = matrices
    return (_contract(grad / counts, rows.T, cols.T),)
