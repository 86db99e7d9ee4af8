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


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size, whatever the input size (PyTorch's bins).

    Equations: output row i averages input rows [floor(i*H/OH), ceil((i+1)*H/OH)),
    columns likewise; when H % OH == 0 and W % OW == 0 that is AvgPool2d with kernel and
    stride (H/OH, W/OW). Math in :mod:`scratchcnn.ops.adaptive_pool`.

    Shapes: (N, C, H, W) -> (N, C, OH, OW), or (C, H, W) -> (C, OH, OW).
    ``output_size`` is an int (square) or a pair; a None entry keeps that input size.
    No parameters.

    >>> import scratchcnn as sc
    >>> sc.nn.AdaptiveAvgPool2d((6, 6))(sc.zeros(1, 256, 13, 13)).shape
    (1, 256, 6, 6)
    >>> sc.nn.AdaptiveAvgPool2d((None, 1)).output_shape((2, 8, 5, 7))
    (2, 8, 5, 1)
    """

    def __init__(self, output_size):
        super().__init__()
        self._sizes = F.adaptive_output_size(output_size, f"AdaptiveAvgPool2d({output_size!r})")
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) not in (3, 4):
            raise F.ShapeError(f"expected input of shape (N, C, H, W) or (C, H, W), got "
                               f"{shape}", repr(self))
        *lead, h, w = shape
        return (*lead, *F.resolve_output_size(self._sizes, h, w))

    def extra_repr(self):
        return f"output_size={self.output_size!r}"
