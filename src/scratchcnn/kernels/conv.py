"""The fast conv2d: the same computation as :mod:`scratchcnn.ops.conv`, arranged for speed.

Same signatures and the same math (im2col, one matrix product per pass, col2im); read
``ops/conv.py`` for the equations. What differs, and why:

- The large memory-bound passes (the im2col copy, the copy of the output gradient to
  rows, the copy back to NCHW with the bias add, the col2im scatter) are split across
  threads (:mod:`scratchcnn.kernels.parallel`); each thread writes a disjoint block with
  the same operations, so these are bit for bit the one-thread pass.
- The weight gradient is computed as ``(cols @ G^T)^T`` and the input gradient with the
  weight's rows ordered by kernel offset: the same sums in the orientation that suits
  BLAS and the scatter (see the comments), so results agree with ``ops/conv.py`` to
  float rounding, not bit for bit.
- Large layers do not keep ``cols`` from forward to backward (``KEEP_COLS_UP_TO_BYTES``):
  they keep the input and rebuild ``cols`` in backward.

Shapes: x (N, C, H, W), w (O, C/G, kh, kw), b (O,), y (N, O, OH, OW).
"""

from ..ops.conv import offset_slices, pad_spatial, padding_sides, windows
from ..ops.array_module import array_module
from . import parallel

# The forward pass keeps ``cols`` for the weight gradient when it is at most this large;
# a larger one is dropped and rebuilt from the input in backward. ``cols`` is kh*kw/(sh*sw)
# times the input's size (25x for a 5x5 kernel), and keeping every layer's costs memory:
# 565 MB for AlexNet at batch 32, more than all its activations. Rebuilding costs one
# im2col copy (5-8% of such a layer's time); small layers (the MNIST CNN's) keep theirs.
KEEP_COLS_UP_TO_BYTES = 64 * 2**20


def scatter_windows(grad_windows, padded_shape, stride, dilation, padding):
    """Adjoint of :func:`scratchcnn.ops.conv.windows`: add (N, C, OH, OW, kh, kw) values back into an
    (N, C, Hp, Wp) array, then strip the padding. One pass per kernel offset."""
    xp = array_module(grad_windows)
    n, c, oh, ow, kh, kw = grad_windows.shape
    (top, bottom), (left, right) = padding_sides(padding)
    out = xp.zeros(padded_shape, dtype=grad_windows.dtype)

    def scatter_channels(channels):           # disjoint channel blocks: one per thread
        for u in range(kh):
            for v in range(kw):
                rows, cols = offset_slices(u, v, (oh, ow), stride, dilation)
                out[:, channels, rows, cols] += grad_windows[:, channels, :, :, u, v]

    parallel.for_blocks(scatter_channels, c, grad_windows.size)
    return out[:, :, top:padded_shape[2] - bottom, left:padded_shape[3] - right]


def im2col(x, kernel, stride, padding, dilation, out_size=None):
    """(N, C, H, W) -> cols (C*kh*kw, N*OH*OW), plus the output size (OH, OW).

    Row (c, u, v) of ``cols`` is input channel c seen through kernel offset (u, v), for
    every output position (n, i, j). Channel-major rows, not one row per output
    position: the copy then moves whole output rows (OW values, ``stride`` apart in the
    input) at a time instead of kw values, which is 2-4x faster on 3x3 and 5x5 kernels.
    ``out_size`` keeps only the first (OH, OW) positions (a transposed convolution's
    backward, whose output_padding rows no window of the forward pass started in).
    """
    view = windows(pad_spatial(x, padding), kernel, stride, dilation)
    if out_size is not None:
        view = view[:, :, :out_size[0], :out_size[1]]
    n, c, oh, ow, kh, kw = view.shape
    cols = array_module(x).empty((c, kh, kw, n, oh, ow), dtype=x.dtype)
    parallel.copy(cols, view.transpose(1, 4, 5, 0, 2, 3))
    return cols.reshape(c * kh * kw, n * oh * ow), (oh, ow)


def channel_rows(grad):
    """(N, O, OH, OW) -> a contiguous (O, N*OH*OW) copy: its columns follow the columns
    (n, i, j) of ``cols``, so every product below reads it directly."""
    n, o, oh, ow = grad.shape
    rows = array_module(grad).empty((o, n, oh, ow), dtype=grad.dtype)
    parallel.copy(rows, grad.transpose(1, 0, 2, 3))
    return rows.reshape(o, n * oh * ow)


def cols_product(weight, cols, n, out_size, bias, groups=1):
    """y (N, O, OH, OW) = w @ cols (+ b): per group, (O/G, K) @ (K, N*OH*OW) with
    K = C/G*kh*kw; one batched matmul over the group axis when G > 1."""
    xp = array_module(cols)
    o = weight.shape[0]
    oh, ow = out_size
    if groups == 1:
        out = parallel.matmul(weight.reshape(o, -1), cols)          # (O, N*OH*OW)
    else:
        out = parallel.matmul(weight.reshape(groups, o // groups, -1),
                              cols.reshape(groups, -1, cols.shape[1]))   # (G, O/G, N*OH*OW)
    out = out.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)  # an (N, O, OH, OW) view
    # The copy to contiguous NCHW and the bias add in one pass: each (n, o) image is one
    # contiguous block on both sides, so this copy is cheap (unlike a position-major GEMM
    # result, which would need a real transpose).
    y = xp.empty((n, o, oh, ow), dtype=out.dtype)
    if bias is not None:
        parallel.ufunc(xp.add, y, out, bias.reshape(o, 1, 1))
    else:
        parallel.copy(y, out)
    return y


def weight_gradient(cols, grad_rows, weight_shape, groups=1):
    """dL/dw (O, C/G, kh, kw) from cols (C*kh*kw, P) and G rows (O, P): cols @ G^T per
    group, transposed."""
    if groups == 1:
        # cols @ G^T, transposed, rather than G @ cols^T: the same sums, but OpenBLAS's
        # AVX-512 kernels run this orientation 5-20% faster on these shapes (alone; its
        # AVX2 kernels run both alike; BENCHMARKS.md), and the (K, O) result is small
        # enough that the transposing copy costs nothing.
        return parallel.matmul(cols, grad_rows.T).T.reshape(weight_shape)
    o, p = grad_rows.shape
    per_group = parallel.matmul(
        cols.reshape(groups, -1, p), grad_rows.reshape(groups, o // groups, p).transpose(0, 2, 1))
    return per_group.transpose(0, 2, 1).reshape(weight_shape)     # (G, O/G, K) -> weight


def input_gradient(grad_rows, weight, x_shape, out_size, stride, padding, dilation, groups=1):
    """dL/dx (N, C, H, W) from G rows (O, N*OH*OW): w^T @ G, then col2im (this is the
    transposed convolution of the output gradient)."""
    n, c, h, w = x_shape
    o, cg, kh, kw = weight.shape
    oh, ow = out_size
    # Offset-major product: rows ordered (u, v, c), so each kernel offset's gradients
    # form one contiguous (C, N, OH, OW) block, which scatter_windows then reads in
    # order (position-major rows would make every pass stride across the whole matrix).
    if groups == 1:
        w_offsets = weight.transpose(2, 3, 1, 0).reshape(kh * kw * c, o)
        dcols = parallel.matmul(w_offsets, grad_rows)
    else:
        # (kh, kw, G, C/G, O/G) @ (G, O/G, P) -> (kh, kw, G, C/G, P): batched over offsets
        # and groups, already in the (u, v, c) row order that scatter_windows reads.
        w_offsets = weight.reshape(groups, o // groups, cg, kh, kw).transpose(3, 4, 0, 2, 1)
        dcols = parallel.matmul(w_offsets, grad_rows.reshape(groups, o // groups, -1))
    grad_windows = dcols.reshape(kh, kw, c, n, oh, ow).transpose(3, 2, 4, 5, 0, 1)
    (top, bottom), (left, right) = padding_sides(padding)
    padded_shape = (n, c, h + top + bottom, w + left + right)
    return scatter_windows(grad_windows, padded_shape, stride, dilation, padding)


def conv2d_forward(x, weight, bias, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """y = conv2d(x, w) + b, as :func:`scratchcnn.ops.conv.conv2d_forward`; the cache keeps
    ``cols``, or for a large layer the input ``x`` to rebuild it from."""
    kernel = weight.shape[2:]
    cols, out_size = im2col(x, kernel, stride, padding, dilation)
    y = cols_product(weight, cols, x.shape[0], out_size, bias, groups)
    # Either cols, or the input to rebuild it from (see KEEP_COLS_UP_TO_BYTES).
    saved = cols if cols.nbytes <= KEEP_COLS_UP_TO_BYTES else x
    cache = (x.shape, saved, weight, bias is not None, stride, padding, dilation, groups)
    return y, cache


def conv2d_backward(grad, cache, needs_grad):
    """Gradients (dL/dx, dL/dw, dL/db) from dL/dy of shape (N, O, OH, OW), as
    :func:`scratchcnn.ops.conv.conv2d_backward`."""
    x_shape, saved, weight, has_bias, stride, padding, dilation, groups = cache
    cols = saved if saved.ndim == 2 else None      # else saved is the input x
    grad_rows = channel_rows(grad)
    dx = dw = db = None
    if needs_grad[1]:
        if cols is None:
            cols, _ = im2col(saved, weight.shape[2:], stride, padding, dilation)
        dw = weight_gradient(cols, grad_rows, weight.shape, groups)
        del cols                # a rebuilt cols is freed here, before dcols is allocated
    if has_bias and needs_grad[2]:
        db = grad.sum(axis=(0, 2, 3))
    if needs_grad[0]:
        dx = input_gradient(grad_rows, weight, x_shape, grad.shape[2:], stride, padding,
                            dilation, groups)
    return dx, dw, db
