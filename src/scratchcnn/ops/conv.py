"""2-D convolution (cross-correlation, as in every deep learning library).

Shapes: input ``x`` (N, C, H, W), weight ``w`` (O, C, kh, kw), bias ``b`` (O,),
output ``y`` (N, O, OH, OW) with, per spatial axis,

    OH = floor((H + 2*ph - dh*(kh - 1) - 1) / sh) + 1

Equations (``xp`` is ``x`` zero-padded by (ph, pw))::

    y[n, o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] * xp[n, c, i*sh + u*dh, j*sw + v*dw]

    dL/dw[o, c, u, v] = sum_{n, i, j} g[n, o, i, j] * xp[n, c, i*sh + u*dh, j*sw + v*dw]
    dL/db[o]          = sum_{n, i, j} g[n, o, i, j]
    dL/dxp[n, c, i*sh + u*dh, j*sw + v*dw] += sum_o g[n, o, i, j] * w[o, c, u, v]

How it is computed (im2col): a strided *view* of ``xp`` lists, for every output
position, the C*kh*kw input values under the kernel; copying that view gives the
matrix ``cols`` (C*kh*kw, N*OH*OW), one row per (channel, kernel offset) and one
column per output position, and the whole convolution is one matrix product
``w.reshape(O, -1) @ cols``. The weight gradient is the product of ``cols`` with the
output gradient transposed. The input gradient is the product of ``w`` transposed with
the output gradient (one block of gradients per kernel offset), added back into place
once per kernel offset (kh*kw loop iterations, each a whole-array operation; no loop
over pixels, batch or channels).
"""

from . import parallel
from .array_module import array_module

# The forward pass keeps ``cols`` for the weight gradient when it is at most this large;
# a larger one is dropped and rebuilt from the input in backward. ``cols`` is kh*kw/(sh*sw)
# times the input's size (25x for a 5x5 kernel), and keeping every layer's costs memory:
# 565 MB for AlexNet at batch 32, more than all its activations. Rebuilding costs one
# im2col copy (5-8% of such a layer's time); small layers (the MNIST CNN's) keep theirs.
KEEP_COLS_UP_TO_BYTES = 64 * 2**20


def output_size(size, kernel, stride, padding, dilation):
    """floor((size + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def pad_spatial(x, padding, value=0.0):
    """Pad the last two axes of (N, C, H, W) by (ph, pw) on both sides."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    xp = array_module(x)
    return xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def windows(xp_, kernel, stride, dilation):
    """Strided view (N, C, OH, OW, kh, kw) of the padded input: no copy.

    ``windows[n, c, i, j, u, v] == xp_[n, c, i*sh + u*dh, j*sw + v*dw]``.
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    view = array_module(xp_).lib.stride_tricks.sliding_window_view(
        xp_, (span_h, span_w), axis=(2, 3))
    return view[:, :, ::sh, ::sw, ::dh, ::dw]


def offset_slices(u, v, out_size, stride, dilation):
    """(rows, cols): the slices of the padded input that kernel offset (u, v) covers for all
    output positions, so that ``xp_[:, :, rows, cols] == windows(xp_, ...)[..., u, v]``."""
    (oh, ow), (sh, sw), (dh, dw) = out_size, stride, dilation
    return (slice(u * dh, u * dh + sh * (oh - 1) + 1, sh),
            slice(v * dw, v * dw + sw * (ow - 1) + 1, sw))


def scatter_windows(grad_windows, padded_shape, stride, dilation, padding):
    """Adjoint of :func:`windows`: add (N, C, OH, OW, kh, kw) values back into an
    (N, C, Hp, Wp) array, then strip the padding. One pass per kernel offset."""
    xp = array_module(grad_windows)
    n, c, oh, ow, kh, kw = grad_windows.shape
    ph, pw = padding
    out = xp.zeros(padded_shape, dtype=grad_windows.dtype)

    def scatter_channels(channels):           # disjoint channel blocks: one per thread
        for u in range(kh):
            for v in range(kw):
                rows, cols = offset_slices(u, v, (oh, ow), stride, dilation)
                out[:, channels, rows, cols] += grad_windows[:, channels, :, :, u, v]

    parallel.for_blocks(scatter_channels, c, grad_windows.size)
    return out[:, :, ph:padded_shape[2] - ph, pw:padded_shape[3] - pw]


def im2col(x, kernel, stride, padding, dilation):
    """(N, C, H, W) -> cols (C*kh*kw, N*OH*OW), plus the output size (OH, OW).

    Row (c, u, v) of ``cols`` is input channel c seen through kernel offset (u, v), for
    every output position (n, i, j). Channel-major rows, not one row per output
    position: the copy then moves whole output rows (OW values, ``stride`` apart in the
    input) at a time instead of kw values, which is 2-4x faster on 3x3 and 5x5 kernels.
    """
    view = windows(pad_spatial(x, padding), kernel, stride, dilation)
    n, c, oh, ow, kh, kw = view.shape
    cols = array_module(x).empty((c, kh, kw, n, oh, ow), dtype=x.dtype)
    parallel.copy(cols, view.transpose(1, 4, 5, 0, 2, 3))
    return cols.reshape(c * kh * kw, n * oh * ow), (oh, ow)


def conv2d_forward(x, weight, bias, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """y = conv2d(x, w) + b; see the module docstring for shapes and equations."""
    xp = array_module(x)
    n = x.shape[0]
    o, c, kh, kw = weight.shape
    cols, (oh, ow) = im2col(x, (kh, kw), stride, padding, dilation)
    out = weight.reshape(o, c * kh * kw) @ cols            # (O, N*OH*OW)
    out = out.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)  # an (N, O, OH, OW) view
    # The copy to contiguous NCHW and the bias add in one pass: each (n, o) image is one
    # contiguous block on both sides, so this copy is cheap (unlike a position-major GEMM
    # result, which would need a real transpose).
    y = xp.empty((n, o, oh, ow), dtype=out.dtype)
    if bias is not None:
        parallel.ufunc(xp.add, y, out, bias.reshape(o, 1, 1))
    else:
        parallel.copy(y, out)
    # Either cols, or the input to rebuild it from (see KEEP_COLS_UP_TO_BYTES).
    saved = cols if cols.nbytes <= KEEP_COLS_UP_TO_BYTES else x
    cache = (x.shape, saved, weight, bias is not None, stride, padding, dilation)
    return y, cache


def conv2d_backward(grad, cache, needs_grad):
    """Gradients (dL/dx, dL/dw, dL/db) from dL/dy of shape (N, O, OH, OW)."""
    x_shape, saved, weight, has_bias, stride, padding, dilation = cache
    n, c, h, w = x_shape
    o, _, kh, kw = weight.shape
    cols = saved if saved.ndim == 2 else None      # else saved is the input x
    _, _, oh, ow = grad.shape
    # G as (O, N*OH*OW): its columns follow cols' columns (n, i, j), so both products
    # below read it directly.
    grad_channels = array_module(grad).empty((o, n, oh, ow), dtype=grad.dtype)
    parallel.copy(grad_channels, grad.transpose(1, 0, 2, 3))
    grad_channels = grad_channels.reshape(o, n * oh * ow)
    dx = dw = db = None
    if needs_grad[1]:
        if cols is None:
            cols, _ = im2col(saved, (kh, kw), stride, padding, dilation)
        # cols @ G^T, transposed, rather than G @ cols^T: the same sums, but OpenBLAS's
        # AVX-512 kernels run this orientation 5-20% faster on these shapes (alone; its
        # AVX2 kernels run both alike; BENCHMARKS.md), and the (K, O) result is small
        # enough that the transposing copy costs nothing.
        dw = (cols @ grad_channels.T).T.reshape(weight.shape)
        del cols                # a rebuilt cols is freed here, before dcols is allocated
    if has_bias and needs_grad[2]:
        db = grad.sum(axis=(0, 2, 3))
    if needs_grad[0]:
        # Offset-major product: rows ordered (u, v, c), so each kernel offset's gradients
        # form one contiguous (C, N, OH, OW) block, which scatter_windows then reads in
        # order (position-major rows would make every pass stride across the whole matrix).
        w_offsets = weight.transpose(2, 3, 1, 0).reshape(kh * kw * c, o)
        dcols = (w_offsets @ grad_channels).reshape(kh, kw, c, n, oh, ow)
        grad_windows = dcols.transpose(3, 2, 4, 5, 0, 1)   # (N, C, OH, OW, kh, kw) view
        padded_shape = (n, c, h + 2 * padding[0], w + 2 * padding[1])
        dx = scatter_windows(grad_windows, padded_shape, stride, dilation, padding)
    return dx, dw, db
