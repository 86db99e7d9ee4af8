"""Pooling layers: summarise each window by its maximum or mean. Math in :mod:`scratchcnn.ops.pool`."""

from ..ops.conv import output_size
from . import functional as F
from .module import Module


class _Pool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__()
        subject = f"{type(self).__name__}({kernel_size})"
        self.kernel_size, self.stride, self.padding, self.dilation = F._pool_args(
            kernel_size, stride, padding, dilation, subject)

    def output_shape(self, input_shape):
        *lead, h, w = input_shape
        F.check_window_fits((None, None, h, w), self.kernel_size, self.padding, self.dilation,
                            repr(self))
        return (*lead, *(output_size(s, k, st, p, d) for s, k, st, p, d in zip(
            (h, w), self.kernel_size, self.stride, self.padding, self.dilation)))

    def extra_repr(self):
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        return text


class MaxPool2d(_Pool2d):
    """Maximum over each kernel_size window; ``stride`` defaults to ``kernel_size``.

    Shapes: (N, C, H, W) -> (N, C, OH, OW), ``OH = floor((H + 2p - d(k-1) - 1) / s) + 1``.
    No parameters. The gradient of each output goes to the first maximal input of its window.

    >>> import scratchcnn as sc
    >>> sc.nn.MaxPool2d(3, stride=2)(sc.zeros(1, 96, 55, 55)).shape
    (1, 96, 27, 27)
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        if return_indices or ceil_mode:
            raise F.ArgumentError("return_indices=True and ceil_mode=True are not supported",
                                  f"MaxPool2d({kernel_size})")
        super().__init__(kernel_size, stride, padding, dilation)

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation)


class AvgPool2d(_Pool2d):
    """Mean over each kernel_size window; ``stride`` defaults to ``kernel_size``.

    With ``count_include_pad=False`` windows that overlap the padding divide by the
    number of real inputs only.
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        if ceil_mode or divisor_override is not None:
            raise F.ArgumentError("ceil_mode=True and divisor_override are not supported",
                                  f"AvgPool2d({kernel_size})")
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = count_include_pad

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding,
                            count_include_pad=self.count_include_pad)

    def extra_repr(self):
        return super().extra_repr() + ("" if self.count_include_pad else
                                       ", count_include_pad=False")
