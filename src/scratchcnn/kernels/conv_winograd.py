"""conv2d for 3x3, stride-1 layers by Winograd's minimal filtering, F(2x2, 3x3).

Idea (Lavin & Gray 2015). In one dimension, two outputs of a 3-tap filter g over four
inputs d, ``y0 = d0 g0 + d1 g1 + d2 g2`` and ``y1 = d1 g0 + d2 g1 + d3 g2``, take 6
multiplications directly but 4 as

    y = A^T [(G g) * (B^T d)]      (* elementwise)

    B^T = [[1, 0, -1, 0],     G = [[1,    0,   0  ],     A^T = [[1, 1,  1,  0],
           [0, 1,  1, 0],          [1/2,  1/2, 1/2],            [0, 1, -1, -1]]
           [0, -1, 1, 0],          [1/2, -1/2, 1/2],
           [0, 1,  0, -1]]         [0,    0,   1  ]]

(expand the four products and collect terms). Nested in two dimensions, a 2x2 output
tile from a 4x4 input tile d and a 3x3 filter g is ``Y = A^T [(G g G^T) * (B^T d B)] A``:
16 multiplications instead of 36. Summed over input channels c, with tiles t = (n, a, b)
taking input rows/columns 2a..2a+3 / 2b..2b+3 of the padded input::

    U[xi, o, c] = (G w[o, c] G^T)[xi]              16 x (O, C), once per call
    V[xi, c, t] = (B^T d[n, c, tile] B)[xi]          16 x (C, T)
    M[xi]       = U[xi] @ V[xi]                      16 GEMMs (O, C) @ (C, T)
    y[n, o, tile] = A^T M[:, o, t] A + b[o]

The 16 GEMMs do 16*O*C*T multiply-adds against im2col's 36*O*C*T (T = N*OH*OW/4): 2.25x
fewer (a little less where OH or OW is odd: the last tile is half outside). Backward,
each step is linear, so its gradient is its transpose::

    dM[:, o, t] = A g_tile A^T                       (g_tile: 2x2 of dL/dy, zeros outside)
    db[o]       = sum of dL/dy[:, o]
    dU[xi]      = dM[xi] @ V[xi]^T  ->  dw[o, c] = G^T dU[:, o, c] G
    dV[xi]      = U[xi]^T @ dM[xi]  ->  dx tiles  = B dV B^T, overlapping tiles added

Rounding: the transforms add and subtract inputs before multiplying (and G has halves),
which costs float32 a few ulps per transform; on the other hand each GEMM sums over C
terms instead of 9C. Measured against the float64 result on the MNIST CNN's conv2 shape
(batch 16), the largest error of y relative to its largest value is 2.5e-7 for Winograd
and 6.3e-7 for im2col: no worse here (tests/test_conv_algorithms.py checks it stays
within 10x im2col's, and rtol 1e-4, atol 1e-5 against PyTorch). In float64 it agrees
with the naive loops to 1e-10.

Speed. The tile transforms are where NumPy hits its floor: each is 16-32 strided passes
over the tensor. With numba (and ``backends.kernels.compiled`` True) they run as compiled
loops (:mod:`scratchcnn.kernels.winograd_loops`), each tile read and written once; the
NumPy functions below are the same transforms and the reference for them. The batch is
cut into blocks of images of about ``BLOCK_BYTES`` of tiles and products, and each of
scratchcnn's threads runs whole blocks (transform, 16 products, inverse transform) with
BLAS on one thread: a block's V and M are still in the cache when the next step reads
them, and only one pool of threads is busy. On the MNIST CNN's conv2 this took forward
+ backward from 48 ms (whole-batch steps, BLAS and numba each on their own threads) to
21 ms at 2 threads (BENCHMARKS.md). Layers with C*O above ``BLOCKED_MAX_CHANNELS`` have
products large enough to want bigger blocks: one block per thread.

Shapes: x (N, C, H, W), w (O, C, 3, 3), b (O,) or None, y (N, O, OH, OW); stride 1,
dilation 1, groups 1; any padding.
"""

import numpy as np

from .. import threads
from ..ops.conv import padding_sides
from . import compiled, parallel

# Bytes per block of images: a block's transformed tiles and products, 16 x (C + O)
# floats per tile, stay in the CPU's caches between the steps that write and read them.
BLOCK_BYTES = 1 << 20
# The forward pass keeps the transformed tiles for the weight gradient up to this size
# (the MNIST CNN's conv2: 12.8 MB); larger ones are rebuilt from the input in backward,
# which costs one input transform (a few percent of such a layer's time) and keeps an
# AlexNet step's peak memory near PyTorch's (BENCHMARKS.md).
KEEP_TILES_UP_TO_BYTES = 16 * 2**20
# Layers with C*O above this run as one block on BLAS's threads: their products are large
# enough for BLAS to use every thread well, and cache-sized blocks would make them thin.
BLOCKED_MAX_CHANNELS = 128 * 128

G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


def _bt(d0, d1, d2, d3):
    """B^T @ (d0, d1, d2, d3) along one tile axis."""
    return d0 - d2, d1 + d2, d2 - d1, d1 - d3


def _b(v0, v1, v2, v3):
    """B @ (v0, v1, v2, v3): the adjoint of :func:`_bt`."""
    return v0, v1 - v2 + v3, -v0 + v1 + v2, -v3


def _at(m0, m1, m2, m3):
    """A^T @ (m0, m1, m2, m3): four tile values to two outputs."""
    return m0 + m1 + m2, m1 - m2 - m3


def _a(g0, g1):
    """A @ (g0, g1): the adjoint of :func:`_at`."""
    return g0, g0 + g1, g0 - g1, -g1


def tiles(out_size):
    """(TH, TW): the 2x2 output tiles covering (OH, OW)."""
    return (out_size[0] + 1) // 2, (out_size[1] + 1) // 2


def pad_to_tiles(x, padding, tile_counts):
    """x (N, C, H, W) zero-padded to (N, C, 2*TH + 2, 2*TW + 2): the given padding at the
    top and left, as much as the last tile needs at the bottom and right."""
    (top, _), (left, _) = padding_sides(padding)
    n, c, h, w = x.shape
    th, tw = tile_counts
    out = np.zeros((n, c, 2 * th + 2, 2 * tw + 2), dtype=x.dtype)
    rows, cols = min(h, 2 * th + 2 - top), min(w, 2 * tw + 2 - left)
    out[:, :, top:top + rows, left:left + cols] = x[:, :, :rows, :cols]
    return out


def weight_transform(weight):
    """U (16, O, C) = G w G^T per (o, c)."""
    o, c = weight.shape[:2]
    g = G.astype(weight.dtype)
    return np.einsum("ru,ocuv,sv->rsoc", g, weight, g, optimize=True).reshape(16, o, c)


def input_transform(x, padding, tile_counts):
    """V (4, 4, C, N, TH, TW) = B^T d B for every 4x4 tile d of the input x (N, C, H, W)
    zero-padded as :func:`pad_to_tiles` pads it."""
    n, c = x.shape[:2]
    th, tw = tile_counts
    V = np.empty((4, 4, c, n, th, tw), dtype=x.dtype)
    if compiled.available():
        (top, _), (left, _) = padding_sides(padding)
        compiled.loops("winograd_loops").input_transform(x, V, top, left)
        return V
    xp = pad_to_tiles(x, padding, tile_counts)
    d = [[xp[:, :, u:u + 2 * th:2, v:v + 2 * tw:2] for v in range(4)] for u in range(4)]
    rows = [_bt(d[0][v], d[1][v], d[2][v], d[3][v]) for v in range(4)]      # rows[v][r]
    for r in range(4):
        for s, value in enumerate(_bt(*(rows[v][r] for v in range(4)))):
            V[r, s] = value.transpose(1, 0, 2, 3)
    return V


def output_transform(M, bias, y):
    """y (N, O, OH, OW) = A^T m A (+ b) for every tile m of M (4, 4, O, N, TH, TW),
    written into ``y``."""
    o, n, th, tw = M.shape[2:]
    oh, ow = y.shape[2:]
    if compiled.available():
        b = bias if bias is not None else np.zeros(o, dtype=M.dtype)
        compiled.loops("winograd_loops").output_transform(M, b, y)
        return y
    full = np.empty((n, o, 2 * th, 2 * tw), dtype=M.dtype)
    rows = [_at(M[0, s], M[1, s], M[2, s], M[3, s]) for s in range(4)]       # rows[s][i]
    for i in range(2):
        for j, value in enumerate(_at(*(rows[s][i] for s in range(4)))):
            full[:, :, i::2, j::2] = value.transpose(1, 0, 2, 3)
    if bias is not None:
        np.add(full[:, :, :oh, :ow], bias.reshape(o, 1, 1), out=y)
    else:
        y[...] = full[:, :, :oh, :ow]
    return y


def output_gradient_transform(grad, tile_counts):
    """dM (4, 4, O, N, TH, TW) = A g A^T per 2x2 tile g of dL/dy (N, O, OH, OW)."""
    n, o, oh, ow = grad.shape
    th, tw = tile_counts
    dM = np.empty((4, 4, o, n, th, tw), dtype=grad.dtype)
    if compiled.available():
        compiled.loops("winograd_loops").output_gradient_transform(grad, dM)
        return dM
    full = np.zeros((n, o, 2 * th, 2 * tw), dtype=grad.dtype)
    full[:, :, :oh, :ow] = grad
    g = [[full[:, :, i::2, j::2] for j in range(2)] for i in range(2)]
    rows = [_a(g[0][j], g[1][j]) for j in range(2)]                           # rows[j][r]
    for r in range(4):
        for s, value in enumerate(_a(rows[0][r], rows[1][r])):
            dM[r, s] = value.transpose(1, 0, 2, 3)
    return dM


def input_gradient_transform(dV, padding, dx):
    """dL/dx (N, C, H, W), written into ``dx``: B dv B^T for every tile dv of dV
    (4, 4, C, N, TH, TW), added into place (tiles overlap by two rows and columns), the
    padding dropped."""
    c, n, th, tw = dV.shape[2:]
    (top, _), (left, _) = padding_sides(padding)
    if compiled.available():
        compiled.loops("winograd_loops").input_gradient_transform(dV, dx, top, left)
        return dx
    dxp = np.zeros((n, c, 2 * th + 2, 2 * tw + 2), dtype=dV.dtype)
    rows = [_b(dV[0, s], dV[1, s], dV[2, s], dV[3, s]) for s in range(4)]    # rows[s][u]
    for u in range(4):
        for v, value in enumerate(_b(*(rows[s][u] for s in range(4)))):
            dxp[:, :, u:u + 2 * th:2, v:v + 2 * tw:2] += value.transpose(1, 0, 2, 3)
    h, w = dx.shape[2:]           # 2*TH + 2 >= top + H: the padded tiles cover the input
    dx[...] = dxp[:, :, top:top + h, left:left + w]
    return dx


def image_blocks(x_shape, outputs, tile_counts, itemsize):
    """The batch split into blocks of images, as slices: about ``BLOCK_BYTES`` of tiles and
    products each (at least one image), or one block per thread for a layer with C*O
    above ``BLOCKED_MAX_CHANNELS``."""
    n, c = x_shape[:2]
    if c * outputs > BLOCKED_MAX_CHANNELS:
        return parallel.blocks(n, parallel.threads())
    per_image = 16 * (c + outputs) * tile_counts[0] * tile_counts[1] * itemsize
    return parallel.blocks(n, -(-n // max(1, BLOCK_BYTES // per_image)))


def conv2d_forward(x, weight, bias, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """y = conv2d(x, w) + b by F(2x2, 3x3): transform, 16 GEMMs, inverse transform, one
    block of images at a time (see the module docstring, "Speed").
    x (N, C, H, W), w (O, C, 3, 3), b (O,) or None -> y (N, O, OH, OW)."""
    if weight.shape[2:] != (3, 3) or tuple(stride) != (1, 1) or tuple(dilation) != (1, 1) \
            or groups != 1:
        raise ValueError("Winograd F(2x2, 3x3) needs a 3x3 kernel, stride 1, dilation 1, groups 1")
    (top, bottom), (left, right) = padding_sides(padding)
    n, c, h, w = x.shape
    o = weight.shape[0]
    out_size = (h + top + bottom - 2, w + left + right - 2)
    tile_counts = tiles(out_size)
    with threads.one_thread_blas():
        U = weight_transform(weight)                                   # (16, O, C)
    y = np.empty((n, o) + out_size, dtype=x.dtype)
    blocks = image_blocks(x.shape, o, tile_counts, x.itemsize)
    # Each block's tiles V are kept for the weight gradient if they are small; large ones
    # (4x the input or more) are rebuilt from the input in backward, one block at a time.
    keep = 16 * c * n * tile_counts[0] * tile_counts[1] * x.itemsize <= KEEP_TILES_UP_TO_BYTES
    V = [None] * len(blocks)

    def forward(block_indices):
        for k in range(block_indices.start, block_indices.stop):
            images = blocks[k]
            tiles_k = input_transform(x[images], padding, tile_counts)  # (4, 4, C, n_k, TH, TW)
            M = parallel.matmul(U, tiles_k.reshape(16, c, -1))          # (16, O, T_k)
            output_transform(M.reshape(4, 4, o, -1, *tile_counts), bias, y[images])
            if keep:
                V[k] = tiles_k

    _over_blocks(forward, len(blocks), y.size)
    saved = V if keep else x
    cache = (x.shape, saved, blocks, U, weight.shape, bias is not None, padding, tile_counts)
    return y, cache


def conv2d_backward(grad, cache, needs_grad):
    """(dL/dx, dL/dw, dL/db) from dL/dy (N, O, OH, OW), each the transpose of its forward
    step (see the module docstring); dL/dx only when ``needs_grad[0]``."""
    x_shape, saved, blocks, U, weight_shape, has_bias, padding, tile_counts = cache
    o, c = weight_shape[:2]
    dx = np.empty(x_shape, dtype=grad.dtype) if needs_grad[0] else None
    dU = [None] * len(blocks)        # each block's share of the weight gradient

    def backward(block_indices):
        for k in range(block_indices.start, block_indices.stop):
            images = blocks[k]
            dM = output_gradient_transform(grad[images], tile_counts).reshape(16, o, -1)
            if needs_grad[1]:
                tiles_k = saved[k] if isinstance(saved, list) else \
                    input_transform(saved[images], padding, tile_counts)
                dU[k] = parallel.matmul(dM, tiles_k.reshape(16, c, -1).transpose(0, 2, 1))  # (16, O, C)
            if needs_grad[0]:
                dV = parallel.matmul(U.transpose(0, 2, 1), dM)                        # (16, C, T_k)
                input_gradient_transform(dV.reshape(4, 4, c, -1, *tile_counts), padding, dx[images])

    _over_blocks(backward, len(blocks), grad.size)
    dw = None
    if needs_grad[1]:
        g = G.astype(grad.dtype)
        with threads.one_thread_blas():
            dw = np.einsum("ru,rsoc,sv->ocuv", g, sum(dU).reshape(4, 4, o, c), g, optimize=True)
        dw = np.ascontiguousarray(dw)
    db = grad.sum(axis=(0, 2, 3)) if has_bias and needs_grad[2] else None
    return dx, dw, db


def _over_blocks(work, count, size):
    """``work(range of block indices)`` over ``count`` blocks, split across scratchcnn's
    threads, with BLAS on one thread meanwhile: each thread runs its blocks' transforms
    and products itself, so only one pool of threads is busy (see "Speed")."""
    with threads.one_thread_blas():
        parallel.for_blocks(lambda part: work(range(part.start, part.stop)), count, size)
