"""The fast transposed convolution: :mod:`scratchcnn.ops.conv_transpose` computed with the
threaded helpers of :mod:`scratchcnn.kernels.conv`.

Same signatures, cache and math (read ``ops/conv_transpose.py`` for the derivation): the
forward pass is conv's input gradient with ``x`` as the output gradient, the backward
pass a convolution of the output gradient and conv's weight gradient. Shapes: x
(N, C_in, H, W), w (C_in, C_out/G, kh, kw), b (C_out,), y (N, C_out, OH, OW).
"""

from ..ops.array_module import array_module
from ..ops.conv_transpose import output_shape
from . import parallel
from .conv import channel_rows, cols_product, im2col, input_gradient, weight_gradient


def conv_transpose2d_forward(x, weight, bias, stride=(1, 1), padding=(0, 0),
                             output_padding=(0, 0), dilation=(1, 1), groups=1):
    """y = conv_transpose2d(x, w) + b, as
    :func:`scratchcnn.ops.conv_transpose.conv_transpose2d_forward`."""
    xp = array_module(x)
    y_shape = output_shape(x.shape, weight.shape, stride, padding, output_padding, dilation,
                           groups)
    spread = input_gradient(channel_rows(x), weight, y_shape, x.shape[2:], stride, padding,
                            dilation, groups)          # a view into the padded result
    y = xp.empty(y_shape, dtype=spread.dtype)          # contiguous, bias added in the copy
    if bias is not None:
        parallel.ufunc(xp.add, y, spread, bias.reshape(-1, 1, 1))
    else:
        parallel.copy(y, spread)
    cache = (x, weight, bias is not None, stride, padding, dilation, groups)
    return y, cache


def conv_transpose2d_backward(grad, cache, needs_grad):
    """(dL/dx, dL/dw, dL/db) from dL/dy (N, C_out, OH, OW), as
    :func:`scratchcnn.ops.conv_transpose.conv_transpose2d_backward`."""
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
