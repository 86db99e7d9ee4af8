"""The Winograd F(2x2, 3x3) tile transforms as plain loops, compiled by numba.

The same transforms as the NumPy functions of :mod:`scratchcnn.kernels.conv_winograd`
(read the derivation there), written the way a learner would: one loop iteration per
image and channel, then per tile. In NumPy each transform is 16-32 strided passes over
the whole tensor; here each 4x4 tile is read once, transformed in registers, written
once. ``numba.njit(parallel=True, cache=True)`` turns each function into machine code
(once: the compiled code is cached on disk) and runs the ``prange`` loop on several
threads; each iteration writes its own disjoint part of the output.

This module imports numba: only :mod:`scratchcnn.kernels.compiled` imports it, on the first
use of a compiled kernel, never ``import scratchcnn``.

Layouts: padded input ``xp`` (N, C, 2*TH + 2, 2*TW + 2); transformed tiles ``V``
(4, 4, C, N, TH, TW); products ``M`` and their gradients (4, 4, O, N, TH, TW); output
and output gradient (N, O, OH, OW), OH <= 2*TH.
"""

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def input_transform(xp, V):
    """V[:, :, c, n, a, b] = B^T d B for the 4x4 tile d = xp[n, c, 2a:2a+4, 2b:2b+4]."""
    channels, images, th, tw = V.shape[2:]
    for index in prange(images * channels):
        n, c = index // channels, index % channels
        t = np.empty((4, 4), dtype=V.dtype)
        for a in range(th):
            for b in range(tw):
                d = xp[n, c, 2 * a:2 * a + 4, 2 * b:2 * b + 4]
                for v in range(4):                       # t = B^T d (rows of B^T)
                    t[0, v] = d[0, v] - d[2, v]
                    t[1, v] = d[1, v] + d[2, v]
                    t[2, v] = d[2, v] - d[1, v]
                    t[3, v] = d[1, v] - d[3, v]
                for r in range(4):                       # V = t B
                    V[r, 0, c, n, a, b] = t[r, 0] - t[r, 2]
                    V[r, 1, c, n, a, b] = t[r, 1] + t[r, 2]
                    V[r, 2, c, n, a, b] = t[r, 2] - t[r, 1]
                    V[r, 3, c, n, a, b] = t[r, 1] - t[r, 3]


@njit(parallel=True, cache=True)
def output_transform(M, bias, y):
    """y[n, o, 2a+i, 2b+j] = (A^T m A)[i, j] + bias[o] for the 4x4 tile m = M[:, :, o, n, a, b];
    rows and columns past (OH, OW) are dropped."""
    outputs, images, th, tw = M.shape[2:]
    oh, ow = y.shape[2], y.shape[3]
    for index in prange(images * outputs):
        n, o = index // outputs, index % outputs
        t = np.empty((2, 4), dtype=y.dtype)
        for a in range(th):
            for b in range(tw):
                for s in range(4):                       # t = A^T m
                    t[0, s] = M[0, s, o, n, a, b] + M[1, s, o, n, a, b] + M[2, s, o, n, a, b]
                    t[1, s] = M[1, s, o, n, a, b] - M[2, s, o, n, a, b] - M[3, s, o, n, a, b]
                for i in range(2):                       # y = t A, plus the bias
                    row = 2 * a + i
                    if row < oh:
                        y[n, o, row, 2 * b] = t[i, 0] + t[i, 1] + t[i, 2] + bias[o]
                        if 2 * b + 1 < ow:
                            y[n, o, row, 2 * b + 1] = t[i, 1] - t[i, 2] - t[i, 3] + bias[o]


@njit(parallel=True, cache=True)
def output_gradient_transform(grad, dM, db):
    """dM[:, :, o, n, a, b] = A g A^T for the 2x2 tile g of grad[n, o] (zeros past (OH, OW)),
    and db[o] = the sum of grad[:, o] in the same pass (each iteration owns one o)."""
    outputs, images, th, tw = dM.shape[2:]
    oh, ow = grad.shape[2], grad.shape[3]
    for o in prange(outputs):
        g = np.zeros((2, 2), dtype=dM.dtype)
        t = np.empty((4, 2), dtype=dM.dtype)
        total = 0.0
        for n in range(images):
            for a in range(th):
                for b in range(tw):
                    for i in range(2):
                        for j in range(2):
                            row, col = 2 * a + i, 2 * b + j
                            g[i, j] = grad[n, o, row, col] if row < oh and col < ow else 0.0
                            total += g[i, j]
                    for j in range(2):                   # t = A g (rows of A)
                        t[0, j] = g[0, j]
                        t[1, j] = g[0, j] + g[1, j]
                        t[2, j] = g[0, j] - g[1, j]
                        t[3, j] = -g[1, j]
                    for r in range(4):                   # dM = t A^T
                        dM[r, 0, o, n, a, b] = t[r, 0]
                        dM[r, 1, o, n, a, b] = t[r, 0] + t[r, 1]
                        dM[r, 2, o, n, a, b] = t[r, 0] - t[r, 1]
                        dM[r, 3, o, n, a, b] = -t[r, 1]
        db[o] = total


@njit(parallel=True, cache=True)
def input_gradient_transform(dV, dx, top, left):
    """dx[n, c] += B dv B^T for every tile dv = dV[:, :, c, n, a, b], placed at
    (2a - top, 2b - left) (overlapping tiles add up; the padding is dropped). ``dx`` must
    be zeros on entry; each iteration owns one (n, c) image plane."""
    channels, images, th, tw = dV.shape[2:]
    height, width = dx.shape[2], dx.shape[3]
    for index in prange(images * channels):
        n, c = index // channels, index % channels
        t = np.empty((4, 4), dtype=dx.dtype)
        for a in range(th):
            for b in range(tw):
                for s in range(4):                       # t = B dv (columns of B^T)
                    t[0, s] = dV[0, s, c, n, a, b]
                    t[1, s] = dV[1, s, c, n, a, b] - dV[2, s, c, n, a, b] + dV[3, s, c, n, a, b]
                    t[2, s] = -dV[0, s, c, n, a, b] + dV[1, s, c, n, a, b] + dV[2, s, c, n, a, b]
                    t[3, s] = -dV[3, s, c, n, a, b]
                for u in range(4):                       # dd = t B^T, added into place
                    row = 2 * a + u - top
                    if 0 <= row < height:
                        dd = (t[u, 0], t[u, 1] - t[u, 2] + t[u, 3],
                              -t[u, 0] + t[u, 1] + t[u, 2], -t[u, 3])
                        for v in range(4):
                            col = 2 * b + v - left
                            if 0 <= col < width:
                                dx[n, c, row, col] += dd[v]
