"""2-D adaptive max pooling: (N, C, H, W) -> (N, C, OH, OW) for any requested size.

The bins are PyTorch's adaptive bins (those of :mod:`.adaptive_pool`)::

    s_i = floor(i * H / OH),   e_i = ceil((i + 1) * H / OH)     (rows of output row i)
    t_j = floor(j * W / OW),   f_j = ceil((j + 1) * W / OW)     (columns of output column j)

Equations::

    y[n, c, i, j]   = max_{s_i <= u < e_i, t_j <= v < f_j} x[n, c, u, v]
    idx[n, c, i, j] = u * W + v of the first maximal element (row-major order; a NaN
                      counts as the maximum), PyTorch's ``return_indices`` value
    dL/dx[n, c, u, v] = sum over the bins (i, j) whose idx is u * W + v of g[n, c, i, j]

How it is computed. A max is not a sum, so the membership-matrix products of
:mod:`.adaptive_pool` do not apply; instead every bin is padded to the largest bin
size (KH, KW) by repeating its last row / column (a repeat cannot change a maximum,
and it comes after the original, so the first maximum is still the original). Two
small index arrays, rows (OH, KH) and cols (OW, KW), then gather every bin in one
fancy-indexing step: an (N, C, OH, OW, KH*KW) array, whose max and argmax over the
last axis are the output and the winning offsets. KH <= ceil(H / OH) + 1, so the
gathered array is at most about (1 + OH/H)(1 + OW/W) times the input: no Python loop
over bins, pixels, batch items or channels. The backward pass adds each output's
gradient at its winning input with one ``bincount`` over flat indices (neighbouring
bins can share an input, so a plain store would lose gradient).
"""

import numpy as np

from .adaptive_pool import bin_edges
from .array_module import array_module


def _bin_index(size, out_size):
    """(out, K) input positions of each bin, the last one repeated up to the largest K."""
    start, end = bin_edges(size, out_size)
    k = int((end - start).max()) if out_size else 0
    return np.minimum(start[:, None] + np.arange(k)[None, :], end[:, None] - 1)


def adaptive_max_pool2d_forward(x, output_size):
    """Max over each adaptive bin of (N, C, H, W) -> (N, C, OH, OW); see the module
    docstring. The cache holds the flat (u * W + v) index of each winner."""
    xp = array_module(x)
    n, c, h, w = x.shape
    oh, ow = output_size
    rows, cols = _bin_index(h, oh), _bin_index(w, ow)            # (OH, KH), (OW, KW)
    kh, kw = rows.shape[1], cols.shape[1]
    # gathered[n, c, i, a, j, b] = x[n, c, rows[i, a], cols[j, b]]
    gathered = x[:, :, xp.asarray(rows)[:, :, None, None], xp.asarray(cols)[None, None]]
    gathered = gathered.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, oh, ow, kh * kw)
    offset = gathered.argmax(axis=-1)                             # first max; NaN wins
    out = xp.take_along_axis(gathered, offset[..., None], axis=-1)[..., 0]
    # The winner's input position, from its offset (a, b) within the padded bin.
    a, b = offset // kw, offset % kw
    flat = (xp.asarray(rows)[xp.arange(oh)[:, None], a] * w
            + xp.asarray(cols)[xp.arange(ow)[None, :], b]).astype(np.int64)
    return xp.ascontiguousarray(out), (x.shape, flat)


def adaptive_max_pool2d_backward(grad, cache, needs_grad):
    """dL/dx (N, C, H, W): each g[n, c, i, j] added at its bin's winner."""
    (n, c, h, w), flat = cache
    xp = array_module(grad)
    plane = (xp.arange(n * c, dtype=np.int64) * (h * w)).reshape(n, c, 1, 1)
    # bincount sums in float64: exact for float64, and one rounding for float32.
    summed = xp.bincount((flat + plane).ravel(), weights=grad.ravel(), minlength=n * c * h * w)
    return (summed.astype(grad.dtype, copy=False).reshape(n, c, h, w),)
