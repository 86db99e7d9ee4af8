"""2-D convolution (cross-correlation, as in every deep learning library), grouped or not.

Shapes: input ``x`` (N, C, H, W), weight ``w`` (O, C/G, kh, kw), bias ``b`` (O,),
output ``y`` (N, O, OH, OW), ``G`` groups (G divides C and O), with, per spatial axis,

    OH = floor((H + 2*ph - dh*(kh - 1) - 1) / sh) + 1      (scratchcnn.shapes)

Equations (``xp`` is ``x`` zero-padded by (ph, pw); output channel o belongs to group
g = o // (O/G) and sees only that group's input channels c = g*C/G + c', c' < C/G)::

    y[n, o, i, j] = b[o] + sum_{c', u, v} w[o, c', u, v] * xp[n, c, i*sh + u*dh, j*sw + v*dw]

    dL/dw[o, c', u, v] = sum_{n, i, j} g[n, o, i, j] * xp[n, c, i*sh + u*dh, j*sw + v*dw]
    dL/db[o]           = sum_{n, i, j} g[n, o, i, j]
    dL/dxp[n, c, i*sh + u*dh, j*sw + v*dw] += sum_{o in group of c} g[n, o, i, j] * w[o, c', u, v]

G = 1 is the ordinary convolution; G = C ("depthwise") filters each channel on its own.

How it is computed (im2col, one matrix product, col2im): a strided *view* of ``xp``
lists, for every output position, the C*kh*kw input values under the kernel; copying
that view gives the matrix ``cols`` (C*kh*kw, N*OH*OW), one row per (channel, kernel
offset) and one column per output position, and the whole convolution is one matrix product
``w.reshape(O, -1) @ cols``. With groups, each group's rows of ``cols`` are one
contiguous block, so the product is a *batched* one over a group axis:
``w.reshape(G, O/G, -1) @ cols.reshape(G, -1, N*OH*OW)`` (one GEMM per group inside
NumPy's matmul; no Python loop over groups or channels). With G the output gradient
as an (O, N*OH*OW) matrix::

    dL/dw = G @ cols^T        (O, N*OH*OW)(N*OH*OW, C*kh*kw) -> (O, C*kh*kw)
    dL/db = G summed over its columns
    dcols = w^T @ G           (C*kh*kw, O)(O, N*OH*OW)      -> (C*kh*kw, N*OH*OW)

and ``dcols`` is added back into place once per kernel offset (kh*kw loop iterations,
each a whole-array operation; no loop over pixels, batch or channels): "col2im", the
adjoint of the im2col copy.

That last step, ``x -> w^T`` applied and scattered back, *is* a transposed convolution
(:mod:`scratchcnn.ops.conv_transpose`): the backward pass of a convolution with respect
to its input is the forward pass of the transposed convolution with the same weight.

Padding is (ph, pw), the same on both sides, or ((top, bottom), (left, right)) where
they differ (``padding='same'`` with an even kernel: PyTorch puts the extra row and
column at the bottom and right).

Loop version (the definition, term by term): :func:`scratchcnn.ops.naive.conv2d_forward`
and :func:`scratchcnn.ops.naive.conv2d_backward`. The library runs the same computation
faster through :mod:`scratchcnn.kernels.conv` (threaded copies, the GEMM orientations
that suit BLAS, and no ``cols`` kept for large layers) unless
``scratchcnn.backends.conv.algorithm = "im2col"`` or ``backends.kernels.enabled = False``
selects this file (see :mod:`scratchcnn.dispatch`).
"""

from ..shapes import conv_output_length as output_size  # noqa: F401 (layers import it here)
from .array_module import array_module


def padding_sides(padding):
    """(ph, pw) or ((top, bottom), (left, right)) -> ((top, bottom), (left, right))."""
    return tuple((p, p) if not isinstance(p, (tuple, list)) else (p[0], p[1]) for p in padding)


def pad_spatial(x, padding, value=0.0):
    """Pad the last two axes of (N, C, H, W) by (ph, pw) on both sides, or by
    ((top, bottom), (left, right))."""
    (top, bottom), (left, right) = padding_sides(padding)
    if top == bottom == left == right == 0:
        return x
    xp = array_module(x)
    return xp.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)


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
    """Adjoint of :func:`windows` (col2im): add (N, C, OH, OW, kh, kw) values back into an
    (N, C, Hp, Wp) array, then strip the padding. One whole-array pass per kernel offset::

        out[n, c, i*sh + u*dh, j*sw + v*dw] += grad_windows[n, c, i, j, u, v]
    """
    xp = array_module(grad_windows)
    n, c, oh, ow, kh, kw = grad_windows.shape
    (top, bottom), (left, right) = padding_sides(padding)
    out = xp.zeros(padded_shape, dtype=grad_windows.dtype)
    for u in range(kh):
        for v in range(kw):
            rows, cols = offset_slices(u, v, (oh, ow), stride, dilation)
            out[:, :, rows, cols] += grad_windows[:, :, :, :, u, v]
    return out[:, :, top:padded_shape[2] - bottom, left:padded_shape[3] - right]


def im2col(x, kernel, stride, padding, dilation, out_size=None):
    """(N, C, H, W) -> cols (C*kh*kw, N*OH*OW), plus the output size (OH, OW).

    ``cols[(c, u, v), (n, i, j)] = xp[n, c, i*sh + u*dh, j*sw + v*dw]``: row (c, u, v) is
    input channel c seen through kernel offset (u, v), for every output position.
    ``out_size`` keeps only the first (OH, OW) positions (a transposed convolution's
    backward, whose output_padding rows no window of the forward pass started in).
    """
    view = windows(pad_spatial(x, padding), kernel, stride, dilation)
    if out_size is not None:
        view = view[:, :, :out_size[0], :out_size[1]]
    n, c, oh, ow, kh, kw = view.shape
    cols = view.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, n * oh * ow)   # the copy
    return cols, (oh, ow)


def channel_rows(grad):
    """(N, O, OH, OW) -> (O, N*OH*OW): its columns follow the columns (n, i, j) of ``cols``."""
    n, o, oh, ow = grad.shape
    return grad.transpose(1, 0, 2, 3).reshape(o, n * oh * ow)


def cols_product(weight, cols, n, out_size, bias, groups=1):
    """y (N, O, OH, OW) = w @ cols (+ b): per group, (O/G, K) @ (K, N*OH*OW) with
    K = C/G*kh*kw; one batched matmul over the group axis when G > 1."""
    xp = array_module(cols)
    o = weight.shape[0]
    oh, ow = out_size
    if groups == 1:
        out = weight.reshape(o, -1) @ cols                                   # (O, N*OH*OW)
    else:
        out = xp.matmul(weight.reshape(groups, o // groups, -1),
                        cols.reshape(groups, -1, cols.shape[1]))             # (G, O/G, N*OH*OW)
    y = xp.empty((n, o, oh, ow), dtype=out.dtype)
    y[...] = out.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)     # back to (N, O, OH, OW)
    if bias is not None:
        y += bias.reshape(o, 1, 1)
    return y


def weight_gradient(cols, grad_rows, weight_shape, groups=1):
    """dL/dw (O, C/G, kh, kw) = G @ cols^T per group, from cols (C*kh*kw, P) and
    G (O, P)."""
    if groups == 1:
        return (grad_rows @ cols.T).reshape(weight_shape)
    o, p = grad_rows.shape
    per_group = array_module(cols).matmul(
        grad_rows.reshape(groups, o // groups, p), cols.reshape(groups, -1, p).transpose(0, 2, 1))
    return per_group.reshape(weight_shape)                          # (G, O/G, K) -> weight


def input_gradient(grad_rows, weight, x_shape, out_size, stride, padding, dilation, groups=1):
    """dL/dx (N, C, H, W) from G (O, N*OH*OW): dcols = w^T @ G per group, then col2im
    (this is the transposed convolution of the output gradient)."""
    xp = array_module(grad_rows)
    n, c, h, w = x_shape
    o, cg, kh, kw = weight.shape
    oh, ow = out_size
    if groups == 1:
        dcols = weight.reshape(o, -1).T @ grad_rows                        # (C*kh*kw, P)
    else:
        dcols = xp.matmul(weight.reshape(groups, o // groups, -1).transpose(0, 2, 1),
                          grad_rows.reshape(groups, o // groups, -1))      # (G, C/G*kh*kw, P)
    grad_windows = dcols.reshape(c, kh, kw, n, oh, ow).transpose(3, 0, 4, 5, 1, 2)
    (top, bottom), (left, right) = padding_sides(padding)
    padded_shape = (n, c, h + top + bottom, w + left + right)
    return scatter_windows(grad_windows, padded_shape, stride, dilation, padding)


def conv2d_forward(x, weight, bias, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """y = conv2d(x, w) + b: im2col, one matrix product, the bias. x (N, C, H, W),
    w (O, C/G, kh, kw), b (O,) or None -> y (N, O, OH, OW); the cache keeps ``cols``."""
    cols, out_size = im2col(x, weight.shape[2:], stride, padding, dilation)
    y = cols_product(weight, cols, x.shape[0], out_size, bias, groups)
    cache = (x.shape, cols, weight, bias is not None, stride, padding, dilation, groups)
    return y, cache


def conv2d_backward(grad, cache, needs_grad):
    """(dL/dx, dL/dw, dL/db) from dL/dy (N, O, OH, OW): G @ cols^T, the sum of G, and
    col2im of w^T @ G (see the module docstring)."""
    x_shape, cols, weight, has_bias, stride, padding, dilation, groups = cache
    grad_rows = channel_rows(grad)
    dx = dw = db = None
    if needs_grad[1]:
        dw = weight_gradient(cols, grad_rows, weight.shape, groups)
    if has_bias and needs_grad[2]:
        db = grad.sum(axis=(0, 2, 3))
    if needs_grad[0]:
        dx = input_gradient(grad_rows, weight, x_shape, grad.shape[2:], stride, padding,
                            dilation, groups)
    return dx, dw, db
