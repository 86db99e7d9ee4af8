"""2-D max and average pooling over (N, C, H, W), through the same strided windows as conv.

Output size per spatial axis: ``floor((H + 2*p - d*(k - 1) - 1) / s) + 1``.

Max pooling::

    y[n, c, i, j] = max_{u, v} xp[n, c, i*sh + u*dh, j*sw + v*dw]      (xp padded with -inf)
    dL/dx = g routed to the element that was the maximum; with ties, the first one
            in row-major window order (PyTorch's rule), so exactly one input per window
            receives each output's gradient.

Average pooling::

    y[n, c, i, j] = (1 / D) * sum_{u, v} xp[n, c, i*sh + u, j*sw + v]    (xp padded with 0)
    dL/dx = g / D spread evenly over the window,

where ``D = kh*kw`` if ``count_include_pad`` else the number of non-padding elements
in that window.

Loop versions: :func:`scratchcnn.ops.naive.max_pool2d_forward` and the other pooling
functions of :mod:`scratchcnn.ops.naive`. The library runs these through
:mod:`scratchcnn.kernels.pool` (a running maximum over kernel offsets, threaded, with
its own NaN routing; the same results) unless ``scratchcnn.backends.kernels.enabled``
is False.
"""

from .array_module import array_module
from .conv import pad_spatial, scatter_windows, windows


def max_pool2d_forward(x, kernel_size, stride, padding=(0, 0), dilation=(1, 1)):
    """y (N, C, OH, OW) = the maximum of each window of x (N, C, H, W); the cache keeps
    the kernel offset u*kw + v of each window's first maximum (argmax counts NaN as
    the maximum, so a window with a NaN gives NaN, as in PyTorch)."""
    xp = array_module(x)
    view = windows(pad_spatial(x, padding, value=-xp.inf), kernel_size, stride, dilation)
    n, c, oh, ow, kh, kw = view.shape
    flat = view.reshape(n, c, oh, ow, kh * kw)                 # a copy: one row per window
    argmax = flat.argmax(axis=-1)                              # (N, C, OH, OW)
    out = xp.take_along_axis(flat, argmax[..., None], axis=-1)[..., 0]
    cache = (x.shape, argmax, kernel_size, stride, padding, dilation)
    return out, cache


def max_pool2d_backward(grad, cache, needs_grad):
    """dL/dx (N, C, H, W): each window's gradient g (N, C, OH, OW) goes to its argmax,
    then the windows are added back into place (col2im)."""
    x_shape, argmax, (kh, kw), stride, padding, dilation = cache
    xp = array_module(grad)
    n, c, h, w = x_shape
    offsets = xp.arange(kh * kw).reshape(kh, kw)
    is_max = argmax[..., None, None] == offsets                # (N, C, OH, OW, kh, kw)
    grad_windows = grad[..., None, None] * is_max
    (ph, pw) = padding
    padded_shape = (n, c, h + 2 * ph, w + 2 * pw)
    return (scatter_windows(grad_windows, padded_shape, stride, dilation, padding),)


def avg_pool2d_forward(x, kernel_size, stride, padding=(0, 0), count_include_pad=True):
    """y (N, C, OH, OW) = the sum of each window of x (N, C, H, W) divided by D."""
    xp = array_module(x)
    view = windows(pad_spatial(x, padding), kernel_size, stride, (1, 1))
    divisor = average_divisor(x.shape, kernel_size, stride, padding, count_include_pad, x.dtype, xp)
    out = view.sum(axis=(4, 5)) / divisor
    cache = (x.shape, kernel_size, stride, padding, divisor)
    return out.astype(x.dtype, copy=False), cache


def avg_pool2d_backward(grad, cache, needs_grad):
    """dL/dx (N, C, H, W): g / D spread over each window, added back into place (col2im)."""
    x_shape, (kh, kw), stride, padding, divisor = cache
    xp = array_module(grad)
    share = grad / divisor                                           # (N, C, OH, OW)
    spread = xp.broadcast_to(share[..., None, None], share.shape + (kh, kw))
    n, c, h, w = x_shape
    padded_shape = (n, c, h + 2 * padding[0], w + 2 * padding[1])
    return (scatter_windows(spread, padded_shape, stride, (1, 1), padding),)


def average_divisor(x_shape, kernel_size, stride, padding, count_include_pad, dtype, xp):
    """kh*kw, or per output position the number of real (non-padding) inputs: (OH, OW)."""
    kh, kw = kernel_size
    if count_include_pad or padding == (0, 0):
        return dtype.type(kh * kw)
    ones = xp.ones((1, 1) + tuple(x_shape[2:]), dtype=dtype)
    counts = windows(pad_spatial(ones, padding), kernel_size, stride, (1, 1)).sum(axis=(4, 5))
    return counts[0, 0]
