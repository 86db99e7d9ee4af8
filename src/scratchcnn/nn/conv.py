"""``Conv2d``: a bank of learned filters slid over the image. Math in :mod:`scratchcnn.ops.conv`."""

import numpy as np

from ..ops.conv import output_size
from . import functional as F
from .init import default_layer_init_
from .module import Module, Parameter


class Conv2d(Module):
    """2-D convolution, ``torch.nn.Conv2d``'s arguments and parameter shapes.

    Shapes: input (N, C_in, H, W) -> output (N, C_out, OH, OW), with
    ``OH = floor((H + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1``;
    ``weight`` (C_out, C_in, kh, kw), ``bias`` (C_out,).

    Parameters: C_out * C_in * kh * kw weights + C_out biases, shared across every
    position of the image (the count does not grow with the image).

    >>> import scratchcnn as sc
    >>> conv = sc.nn.Conv2d(3, 96, 11, stride=4)
    >>> conv(sc.zeros(1, 3, 227, 227)).shape
    (1, 96, 55, 55)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", dtype=None):
        super().__init__()
        subject = f"Conv2d({in_channels}, {out_channels})"
        self.kernel_size = F.pair(kernel_size, "kernel_size", subject)
        self.stride = F.pair(stride, "stride", subject)
        self.padding = F.pair(padding, "padding", subject)
        self.dilation = F.pair(dilation, "dilation", subject)
        for value, name in ((in_channels, "in_channels"), (out_channels, "out_channels")):
            F.check_positive((value,), name, subject)
        F.check_positive(self.kernel_size, "kernel_size", subject)
        F.check_positive(self.stride, "stride", subject)
        F.check_positive(self.dilation, "dilation", subject)
        F.check_non_negative(self.padding, "padding", subject)
        if groups != 1:
            raise F.ArgumentError(f"groups={groups} is not supported (only groups=1)", subject)
        if padding_mode != "zeros":
            raise F.ArgumentError(f"padding_mode={padding_mode!r} is not supported "
                                  "(only 'zeros')", subject)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        dtype = np.dtype(dtype or np.float32)
        self.weight = Parameter(np.empty((out_channels, in_channels) + self.kernel_size, dtype))
        self.register_parameter("bias", Parameter(np.empty(out_channels, dtype)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        default_layer_init_(self.weight, self.bias)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def output_shape(self, input_shape):
        *batch, channels, h, w = input_shape
        if channels != self.in_channels:
            raise F.ShapeError(f"expected input with {self.in_channels} channels, got shape "
                               f"{tuple(input_shape)}", repr(self))
        F.check_window_fits((None, None, h, w), self.kernel_size, self.padding, self.dilation,
                            repr(self))
        sizes = (output_size(s, k, st, p, d) for s, k, st, p, d in
                 zip((h, w), self.kernel_size, self.stride, self.padding, self.dilation))
        return (*batch, self.out_channels, *sizes)

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.bias is None:
            text += ", bias=False"
        return text
