"""Which algorithm computes a conv2d, chosen per layer shape (``backends.conv.algorithm``).

==============  =================================================  ==============================
algorithm       file                                               "auto" picks it for
==============  =================================================  ==============================
``im2col_fast`` :mod:`scratchcnn.kernels.conv` (threaded im2col)   every other layer
``ones_row``    :mod:`scratchcnn.kernels.conv_ones_row`            ``C*kh*kw <= ONES_ROW_MAX_K``,
                                                                   groups 1
``winograd``    :mod:`scratchcnn.kernels.conv_winograd`            3x3, stride 1, dilation 1,
                                                                   groups 1, compiled kernels
                                                                   available, C and O >=
                                                                   ``WINOGRAD_MIN_CHANNELS``,
                                                                   C*O <=
                                                                   ``WINOGRAD_MAX_CHANNELS``
``im2col``      :mod:`scratchcnn.ops.conv` (the plain op)          never (set it to run the
                                                                   plain op)
==============  =================================================  ==============================

The thresholds are measurements (BENCHMARKS.md, "Conv algorithms per shape"), forward +
backward on the project's 2-core AMD EPYC:

- ones row: 4x less time than ``im2col_fast`` on the MNIST CNN's conv1 (K = 9) and 2.5x on
  an RGB 3x3 layer (K = 27); mixed results from K = 75 on (the per-image products get
  less efficient than one large GEMM as K grows), so the cut is at 27.
- Winograd (compiled transforms, image blocks on scratchcnn's threads): 21 ms against
  ``im2col_fast``'s 32-40 ms on the MNIST CNN's conv2 at 2 threads, 36 against 55 ms at
  one; also ahead on 64x64 and 128x128 channel layers. With NumPy transforms it loses
  on small layers. On AlexNet's conv3-5 (C*O of 98,304 and more) it is 20-30% faster
  than ``im2col_fast`` but raises the step's peak memory by 150-300 MB (numba's own
  ~140 MB, plus per-thread blocks), past the issue's bound of 1.3x PyTorch's, so
  "auto" leaves layers above C*O = 128*128 on ``im2col_fast``; set
  ``backends.conv.algorithm = "winograd"`` to trade the memory for the time.

:func:`conv2d_forward` / :func:`conv2d_backward` are what :mod:`scratchcnn.dispatch` hands
to autograd under ``"auto"`` (and the forced names): the forward pass picks an algorithm,
and its cache carries that algorithm's backward, so a backward pass always matches its
forward pass.
"""

from .. import backends
from ..ops import conv as plain_conv
from . import compiled, conv as im2col_fast, conv_ones_row, conv_winograd

ONES_ROW_MAX_K = 27          # C*kh*kw: 1 channel up to 5x5, RGB 3x3
WINOGRAD_MIN_CHANNELS = 16   # below, the transforms cost more than the GEMMs save
WINOGRAD_MAX_CHANNELS = conv_winograd.BLOCKED_MAX_CHANNELS   # C*O; above, see choose()

MODULES = {
    "im2col": plain_conv,
    "im2col_fast": im2col_fast,
    "ones_row": conv_ones_row,
    "winograd": conv_winograd,
}


def winograd_fits(weight_shape, stride, dilation, groups):
    """True if F(2x2, 3x3) can compute this layer: 3x3 kernel, stride 1, dilation 1, groups 1."""
    return (tuple(weight_shape[2:]) == (3, 3) and tuple(stride) == (1, 1)
            and tuple(dilation) == (1, 1) and groups == 1)


def choose(x_shape, weight_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
           setting=None):
    """The algorithm name for a conv2d of input (N, C, H, W) and weight (O, C/G, kh, kw)
    under ``setting`` (default: ``backends.conv.algorithm``; ``kernels.enabled = False``
    means the plain op). A forced algorithm that cannot compute the layer (Winograd on a
    5x5 kernel, the ones row with groups) falls back to "auto"'s choice."""
    setting = backends.conv.algorithm if setting is None else setting
    if not backends.kernels.enabled or setting == "im2col":
        return "im2col"
    o, cg, kh, kw = weight_shape
    if setting == "winograd" and winograd_fits(weight_shape, stride, dilation, groups):
        return "winograd"
    if setting == "ones_row" and groups == 1:
        return "ones_row"
    if setting == "im2col_fast":
        return "im2col_fast"
    # "auto", or a forced algorithm that does not fit this layer
    if groups == 1 and cg * kh * kw <= ONES_ROW_MAX_K:
        return "ones_row"
    if (winograd_fits(weight_shape, stride, dilation, groups) and compiled.available()
            and WINOGRAD_MIN_CHANNELS <= min(cg, o) and cg * o <= WINOGRAD_MAX_CHANNELS):
        return "winograd"
    return "im2col_fast"


def conv2d_forward(x, weight, bias, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """y = conv2d(x, w) + b by the algorithm :func:`choose` picks; the cache records it."""
    name = choose(x.shape, weight.shape, stride, padding, dilation, groups)
    y, cache = MODULES[name].conv2d_forward(x, weight, bias, stride, padding, dilation, groups)
    return y, (name, cache)


def conv2d_backward(grad, cache, needs_grad):
    """(dL/dx, dL/dw, dL/db) by the backward of the algorithm that ran forward."""
    name, inner = cache
    return MODULES[name].conv2d_backward(grad, inner, needs_grad)
