"""The np.einsum convolution, one rung of the benchmark's ladder (the naive loops are
:mod:`scratchcnn.ops.naive`).

These are the baselines of ``scratchcnn benchmark``: what you would write first, not
what scratchcnn does (that is im2col + one matrix product per pass, see
:mod:`scratchcnn.ops.conv`). Shapes: x (N, C, H, W), w (O, C, k, k), b (O,), square
kernel, the same stride and padding on both axes; y and g = dL/dy (N, O, OH, OW)::

    y[n, o, i, j] = b[o] + sum_{c,u,v} w[o, c, u, v] * xp[n, c, i*s + u, j*s + v]

* **naive loops** (CS231n style): one Python loop iteration per output value
  (n, o, i, j), each an elementwise product of one C x k x k window with one filter
  and a sum; the backward loops the same way and adds g * window into dL/dw and
  g * filter into the window's place in dL/dx.
* **np.einsum**: a strided view of all windows (N, C, OH, OW, k, k), no copy, and one
  ``einsum`` per product; dL/dx adds the window gradients back one kernel offset at
  a time. ``optimize=False`` (NumPy's default) runs einsum's own C loops;
  ``optimize=True`` lets it reorder and call BLAS (``tensordot``), which copies the
  windows first, i.e. im2col.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x, w, b = rng.random((2, 3, 6, 6)), rng.random((4, 3, 3, 3)), rng.random(4)
>>> from scratchcnn.ops import naive
>>> np.allclose(naive.conv2d_forward(x, w, b, 2, 1), einsum_conv2d(x, w, b, 2, 1))
True
>>> g = rng.random((2, 4, 3, 3))
>>> all(np.allclose(p, q) for p, q in zip(naive.conv2d_backward(g, x, w, True, 2, 1),
...                                       einsum_conv2d_backward(g, x, w, 2, 1)))
True
"""

import numpy as np


def _pad(x, p):
    return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))) if p else x


# --------------------------------------------------------------------- np.einsum
def _windows(x, k, stride, padding):
    """(N, C, OH, OW, k, k) strided view of the padded input: no copy."""
    view = np.lib.stride_tricks.sliding_window_view(_pad(x, padding), (k, k), axis=(2, 3))
    return view[:, :, ::stride, ::stride]


def einsum_conv2d(x, w, b, stride=1, padding=0, optimize=False):
    """Forward pass: ``einsum('nchwkl,ockl->nohw', windows, w) + b``."""
    y = np.einsum("nchwkl,ockl->nohw", _windows(x, w.shape[2], stride, padding), w,
                  optimize=optimize)
    return y + b.reshape(1, -1, 1, 1)


def einsum_conv2d_backward(g, x, w, stride=1, padding=0, optimize=False):
    """(dL/dx, dL/dw, dL/db): dL/dw = einsum('nohw,nchwkl->ockl', g, windows); the window
    gradients einsum('nohw,ockl->nchwkl', g, w) are added back per kernel offset."""
    k = w.shape[2]
    windows = _windows(x, k, stride, padding)
    dw = np.einsum("nohw,nchwkl->ockl", g, windows, optimize=optimize)
    dwin = np.einsum("nohw,ockl->nchwkl", g, w, optimize=optimize)
    n, c, h, wd = x.shape
    oh, ow = g.shape[2:]
    dxp = np.zeros((n, c, h + 2 * padding, wd + 2 * padding), dtype=x.dtype)
    for u in range(k):
        for v in range(k):
            dxp[:, :, u:u + stride * (oh - 1) + 1:stride,
                v:v + stride * (ow - 1) + 1:stride] += dwin[..., u, v]
    return dxp[:, :, padding:padding + h, padding:padding + wd], dw, g.sum(axis=(0, 2, 3))
