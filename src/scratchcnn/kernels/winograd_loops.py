"""The Winograd F(2x2, 3x3) tile transforms as plain loops, compiled by numba.

The same transforms as the NumPy functions of :mod:`scratchcnn.kernels.conv_winograd`
(read the derivation there), written the way a learner would: one loop iteration per
image plane (an image and a channel), then one per tile. The one-dimensional transforms
B^T, B, A^T, A are *the same Python functions* that the NumPy path applies to whole
arrays (``conv_winograd._bt`` and friends); numba compiles them for scalars and inlines
them here, so the matrices are written down once. ``numba.njit(parallel=True,
cache=True)`` turns each loop into machine code (once: the compiled code is cached on
disk) and runs the ``prange`` loop over image planes on several threads; each iteration
writes its own disjoint part of the output.

Why the small per-plane buffers: a plane's transformed tiles go to 16 arrays far apart
in memory (one per tile element). Stored tile by tile, that is 16 scattered writes per
tile, and measured 2.5-5x slower than computing one plane's 16 rows into a buffer that
stays in the L1 cache and then copying each row out whole (BENCHMARKS.md). Likewise the
zero padding is done in a plane buffer, not as a padded copy of the whole input.

This module imports numba: only :mod:`scratchcnn.kernels.compiled` imports it, on the first
use of a compiled kernel, never ``import scratchcnn``.

Layouts: input and input gradient (N, C, H, W); transformed tiles ``V`` and their
gradients (4, 4, C, N, TH, TW); products ``M`` and their gradients (4, 4, O, N, TH, TW);
output and output gradient (N, O, OH, OW), OH <= 2*TH, OW <= 2*TW. Tile (i, j) reads
rows 2i..2i+3 and columns 2j..2j+3 of the input padded by (top, left).
"""

import numpy as np
from numba import njit

from . import conv_winograd

# The 1-D transforms along one tile axis, compiled for scalars and inlined.
bt = njit(inline="always")(conv_winograd._bt)    # B^T: 4 inputs -> 4 tile values
b = njit(inline="always")(conv_winograd._b)      # B: its adjoint
at = njit(inline="always")(conv_winograd._at)    # A^T: 4 tile values -> 2 outputs
a = njit(inline="always")(conv_winograd._a)      # A: its adjoint


@njit(nogil=True, cache=True)
def input_transform(x, V, top, left):
    """V[:, :, c, n, i, j] = B^T d B for the 4x4 tile d at rows 2i.., columns 2j.. of
    x[n, c] zero-padded by (top, left)."""
    channels, images, th, tw = V.shape[2:]
    height, width = x.shape[2], x.shape[3]      # 2*TH + 2 >= top + H: the plane holds it all
    V_rows = V.reshape(16, channels, images, th * tw)
    for plane in range(images * channels):
        n, c = plane // channels, plane % channels
        d = np.zeros((2 * th + 2, 2 * tw + 2), dtype=V.dtype)       # the padded plane
        d[top:top + height, left:left + width] = x[n, c]
        out = np.empty((16, th * tw), dtype=V.dtype)                 # this plane's V rows
        for i in range(th):
            for j in range(tw):
                y, x0 = 2 * i, 2 * j
                # t = B^T d, one column of the tile at a time
                t0 = bt(d[y, x0], d[y + 1, x0], d[y + 2, x0], d[y + 3, x0])
                t1 = bt(d[y, x0 + 1], d[y + 1, x0 + 1], d[y + 2, x0 + 1], d[y + 3, x0 + 1])
                t2 = bt(d[y, x0 + 2], d[y + 1, x0 + 2], d[y + 2, x0 + 2], d[y + 3, x0 + 2])
                t3 = bt(d[y, x0 + 3], d[y + 1, x0 + 3], d[y + 2, x0 + 3], d[y + 3, x0 + 3])
                for r in range(4):                                   # V = t B, row r
                    v = bt(t0[r], t1[r], t2[r], t3[r])
                    for s in range(4):
                        out[4 * r + s, i * tw + j] = v[s]
        for k in range(16):
            V_rows[k, c, n, :] = out[k, :]


@njit(nogil=True, cache=True)
def output_transform(M, bias, y):
    """y[n, o, 2i+u, 2j+v] = (A^T m A)[u, v] + bias[o] for the 4x4 tile m = M[:, :, o, n, i, j];
    rows and columns past (OH, OW) are dropped."""
    outputs, images, th, tw = M.shape[2:]
    oh, ow = y.shape[2], y.shape[3]
    for plane in range(images * outputs):
        n, o = plane // outputs, plane % outputs
        full = np.empty((2 * th, 2 * tw), dtype=y.dtype)            # all tiles, uncropped
        for i in range(th):
            for j in range(tw):
                # t = A^T m, one column of the tile at a time
                t0 = at(M[0, 0, o, n, i, j], M[1, 0, o, n, i, j], M[2, 0, o, n, i, j], M[3, 0, o, n, i, j])
                t1 = at(M[0, 1, o, n, i, j], M[1, 1, o, n, i, j], M[2, 1, o, n, i, j], M[3, 1, o, n, i, j])
                t2 = at(M[0, 2, o, n, i, j], M[1, 2, o, n, i, j], M[2, 2, o, n, i, j], M[3, 2, o, n, i, j])
                t3 = at(M[0, 3, o, n, i, j], M[1, 3, o, n, i, j], M[2, 3, o, n, i, j], M[3, 3, o, n, i, j])
                for u in range(2):                                   # y = t A, row u
                    v = at(t0[u], t1[u], t2[u], t3[u])
                    full[2 * i + u, 2 * j] = v[0]
                    full[2 * i + u, 2 * j + 1] = v[1]
        for row in range(oh):
            for col in range(ow):
                y[n, o, row, col] = full[row, col] + bias[o]


@njit(nogil=True, cache=True)
def output_gradient_transform(grad, dM):
    """dM[:, :, o, n, i, j] = A g A^T for the 2x2 tile g at rows 2i.., columns 2j.. of
    grad[n, o] (zeros past (OH, OW))."""
    outputs, images, th, tw = dM.shape[2:]
    oh, ow = grad.shape[2], grad.shape[3]
    dM_rows = dM.reshape(16, outputs, images, th * tw)
    for plane in range(images * outputs):
        n, o = plane // outputs, plane % outputs
        g = np.zeros((2 * th, 2 * tw), dtype=dM.dtype)              # the plane, tile-sized
        g[:oh, :ow] = grad[n, o]
        out = np.empty((16, th * tw), dtype=dM.dtype)                # this plane's dM rows
        for i in range(th):
            for j in range(tw):
                y, x0 = 2 * i, 2 * j
                t0 = a(g[y, x0], g[y + 1, x0])                       # t = A g, column 0
                t1 = a(g[y, x0 + 1], g[y + 1, x0 + 1])               # column 1
                for r in range(4):                                   # dM = t A^T, row r
                    v = a(t0[r], t1[r])
                    for s in range(4):
                        out[4 * r + s, i * tw + j] = v[s]
        for k in range(16):
            dM_rows[k, o, n, :] = out[k, :]


@njit(nogil=True, cache=True)
def input_gradient_transform(dV, dx, top, left):
    """dx[n, c] = the sum of B dv B^T over the tiles dv = dV[:, :, c, n, i, j], each placed
    at (2i - top, 2j - left) (tiles overlap by two rows and columns); the padding is dropped.
    Every element of ``dx`` is written (it may start uninitialised)."""
    channels, images, th, tw = dV.shape[2:]
    height, width = dx.shape[2], dx.shape[3]    # 2*TH + 2 >= top + H: the plane holds it all
    for plane in range(images * channels):
        n, c = plane // channels, plane % channels
        d = np.zeros((2 * th + 2, 2 * tw + 2), dtype=dx.dtype)      # the padded plane
        for i in range(th):
            for j in range(tw):
                # t = B dv, one column of the tile at a time
                t0 = b(dV[0, 0, c, n, i, j], dV[1, 0, c, n, i, j], dV[2, 0, c, n, i, j], dV[3, 0, c, n, i, j])
                t1 = b(dV[0, 1, c, n, i, j], dV[1, 1, c, n, i, j], dV[2, 1, c, n, i, j], dV[3, 1, c, n, i, j])
                t2 = b(dV[0, 2, c, n, i, j], dV[1, 2, c, n, i, j], dV[2, 2, c, n, i, j], dV[3, 2, c, n, i, j])
                t3 = b(dV[0, 3, c, n, i, j], dV[1, 3, c, n, i, j], dV[2, 3, c, n, i, j], dV[3, 3, c, n, i, j])
                for u in range(4):                                   # dd = t B^T, row u, added
                    v = b(t0[u], t1[u], t2[u], t3[u])
                    for s in range(4):
                        d[2 * i + u, 2 * j + s] += v[s]
        dx[n, c] = d[top:top + height, left:left + width]
