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
matrix ``cols`` (N*OH*OW, C*kh*kw), and the whole convolution is one matrix product
``cols @ w.reshape(O, -1).T``. The weight gradient is the product the other way round.
The input gradient is the same product with ``w`` (giving one column of gradients
per kernel offset), added back into place once per kernel offset (kh*kw loop
iterations, each a whole-array operation; no loop over pixels, batch or channels).
"""

from .array_module import array_module


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


def scatter_windows(grad_windows, padded_shape, stride, dilation, padding):
    """Adjoint of :func:`windows`: add (N, C, OH, OW, kh, kw) values back into an
    (N, C, Hp, Wp) array, then strip the padding. One pass per kernel offset."""
    xp = array_module(grad_windows)
    n, c, oh, ow, kh, kw = grad_windows.shape
    (sh, sw), (dh, dw), (ph, pw) = stride, dilation, padding
    out = xp.zeros(padded_shape, dtype=grad_windows.dtype)
    for u in range(kh):
        for v in range(kw):
            rows = slice(u * dh, u * dh + sh * (oh - 1) + 1, sh)
            cols = slice(v * dw, v * dw + sw * (ow - 1) + 1, sw)
            out[:, :, rows, cols] += grad_windows[:, :, :, :, u, v]
    return out[:, :, ph:padded_shape[2] - ph, pw:padded_shape[3] - pw]


def im2col(x, kernel, stride, padding, dilation):
    """(N, C, H, W) -> cols (N*OH*OW, C*kh*kw), plus the output size (OH, OW)."""
    view = windows(pad_spatial(x, padding), kernel, stride, dilation)
    n, c, oh, ow, kh, kw = view.shape
    cols = view.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw)
    return cols, (oh, ow)


def conv2d_forward(x, weight, bias, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """y = conv2d(x, w) + b; see the module docstring for shapes and equations."""
    xp = array_module(x)
    n = x.shape[0]
    o, c, kh, kw = weight.shape
    cols, (oh, ow) = im2col(x, (kh, kw), stride, padding, dilation)
    out = cols @ weight.reshape(o, c * kh * kw).T          # (N*OH*OW, O)
    if bias is not None:
        out += bias
    y = xp.ascontiguousarray(out.reshape(n, oh, ow, o).transpose(0, 3, 1, 2))
    cache = (x.shape, cols, weight, bias is not None, stride, padding, dilation)
    return y, cache


def conv2d_backward(grad, cache, needs_grad):
    """Gradients (dL/dx, dL/dw, dL/db) from dL/dy of shape (N, O, OH, OW)."""
    x_shape, cols, weight, has_bias, stride, padding, dilation = cache
    n, c, h, w = x_shape
    o, _, kh, kw = weight.shape
    _, _, oh, ow = grad.shape
    # G as (O, N*OH*OW): its columns follow cols' rows (n, i, j), so both products below
    # read it directly.
    grad_channels = grad.transpose(1, 0, 2, 3).reshape(o, n * oh * ow)
    dx = dw = db = None
    if needs_grad[1]:
        dw = (grad_channels @ cols).reshape(weight.shape)
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
