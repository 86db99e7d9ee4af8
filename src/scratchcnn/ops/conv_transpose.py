"""2-D transposed convolution ("deconvolution", fractionally strided convolution).

Shapes: input ``x`` (N, C_in, H, W), weight ``w`` (C_in, C_out/G, kh, kw) (PyTorch's
layout: *input* channels first), bias ``b`` (C_out,), output ``y`` (N, C_out, OH, OW):

    OH = (H - 1)*sh - 2*ph + dh*(kh - 1) + output_padding_h + 1      (scratchcnn.shapes)

Derivation. Let ``conv`` be the convolution with the same weight, stride, padding,
dilation and groups, read as a convolution from C_out to C_in channels (its weight
(C_in, C_out/G, kh, kw) is exactly a conv2d weight): it maps (N, C_out, OH, OW) to
(N, C_in, H, W). It is linear in its input, ``conv(z) = A z``, and the transposed
convolution is its transpose, ``y = A^T x`` (+ b): every input value x[n, c, i, j] is
spread, weighted by the kernel, over the output window that conv would have read
to produce position (i, j)::

    yp[n, o, i*sh + u*dh, j*sw + v*dw] += sum_{c in group of o} x[n, c, i, j] * w[c, o', u, v]
    y = yp with the padding stripped (+ b[o]),          o = g*C_out/G + o'

which is, term for term, the input gradient of conv (see :mod:`scratchcnn.ops.conv`) with
``x`` in the place of the output gradient: the forward pass here is conv's backward-data
pass (``w^T @ x``, then col2im), and the same helpers compute it.

Its gradients follow from ``y = A^T x``:

    dL/dx = A gy          = conv(gy)        (a plain convolution of the output gradient)
    dL/dw = d<gy, A^T x>/dw = d<A gy, x>/dw (conv's weight gradient, input gy, output grad x)
    dL/db = sum_{n, i, j} gy[n, o, i, j]

So the backward of a convolution is a transposed convolution and the backward of a
transposed convolution is a convolution. ``output_padding`` only adds rows/columns at
the bottom/right that no input value reaches (they hold the bias), to pick one of the
``stride`` output sizes that a stride-s convolution maps to the same H; in backward the
convolution of gy keeps only the first (H, W) windows.

The library runs the same computation through the threaded helpers of
:mod:`scratchcnn.kernels.conv_transpose` unless ``scratchcnn.backends.kernels.enabled``
is False (see :mod:`scratchcnn.dispatch`).
"""

from ..shapes import conv_transpose_output_length
from .conv import channel_rows, cols_product, im2col, input_gradient, weight_gradient
from .array_module import array_module


def output_shape(x_shape, weight_shape, stride, padding, output_padding, dilation, groups):
    """(N, C_out, OH, OW) of the transposed convolution of an (N, C_in, H, W) input."""
    n, _, h, w = x_shape
    c_in, cg_out, kh, kw = weight_shape
    sizes = (conv_transpose_output_length(size, k, s, p, d, op) for size, k, s, p, d, op in
             zip((h, w), (kh, kw), stride, padding, dilation, output_padding))
    return (n, cg_out * groups, *sizes)


def conv_transpose2d_forward(x, weight, bias, stride=(1, 1), padding=(0, 0),
                             output_padding=(0, 0), dilation=(1, 1), groups=1):
    """y = conv_transpose2d(x, w) + b: conv's input gradient with x as the output gradient."""
    xp = array_module(x)
    y_shape = output_shape(x.shape, weight.shape, stride, padding, output_padding, dilation,
                           groups)
    spread = input_gradient(channel_rows(x), weight, y_shape, x.shape[2:], stride, padding,
                            dilation, groups)          # a view into the padded result
    y = xp.empty(y_shape, dtype=spread.dtype)          # contiguous
    y[...] = spread
    if bias is not None:
        y += bias.reshape(-1, 1, 1)
    cache = (x, weight, bias is not None, stride, padding, dilation, groups)
    return y, cache


def conv_transpose2d_backward(grad, cache, needs_grad):
    """Gradients (dL/dx, dL/dw, dL/db) from dL/dy (N, C_out, OH, OW): a convolution of
    the output gradient, and conv's weight gradient with the roles of x and gy swapped."""
    x, weight, has_bias, stride, padding, dilation, groups = cache
    n, _, h, w = x.shape
    dx = dw = db = None
    if needs_grad[0] or needs_grad[1]:
        cols, _ = im2col(grad, weight.shape[2:], stride, padding, dilation, out_size=(h, w))
        if needs_grad[0]:
            dx = cols_product(weight, cols, n, (h, w), None, groups)
        if needs_grad[1]:
            dw = weight_gradient(cols, channel_rows(x), weight.shape, groups)
    if has_bias and needs_grad[2]:
        db = grad.sum(axis=(0, 2, 3))
    return dx, dw, db
