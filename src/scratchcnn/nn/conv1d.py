"""``Conv1d``: learned filters slid along a sequence (audio, text, time series).
The 2-d convolution with a unit height axis; see :func:`scratchcnn.nn.functional.conv1d`."""

import numbers

import numpy as np

from ..dtypes import float_or_default
from ..device import check_device
from . import checks, functional as F
from .init import default_layer_init_
from .module import Module, Parameter

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _single(value, name, subject, minimum):
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise F.ArgumentError(f"expects {name} to be an int >= {minimum} (or a 1-tuple), got "
                              f"{value!r}", subject)
    return (int(value),)


class Conv1d(Module):
    """1-D convolution, ``torch.nn.Conv1d``'s arguments, parameter shapes and repr.

    Shapes: input (N, C_in, L) or (C_in, L) -> (N, C_out, OL) with
    ``OL = floor((L + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1``;
    ``weight`` (C_out, C_in/groups, k), ``bias`` (C_out,). ``padding`` is an int,
    'valid' or 'same' (stride 1); ``padding_mode`` 'zeros', 'reflect', 'replicate' or
    'circular' (the input is padded with :func:`~scratchcnn.nn.functional.pad` first,
    as PyTorch does). Initialised as PyTorch: kaiming_uniform(a=sqrt(5)) weights,
    U(+-1/sqrt(fan_in)) biases, fan_in = C_in/groups * k.

    >>> import scratchcnn as sc
    >>> conv = sc.nn.Conv1d(16, 33, 3, stride=2)
    >>> conv
    Conv1d(16, 33, kernel_size=(3,), stride=(2,))
    >>> tuple(conv(sc.zeros(20, 16, 50)).shape)
    (20, 33, 24)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__()
        subject = f"Conv1d({in_channels}, {out_channels})"
        check_device(device, subject)
        self.kernel_size = _single(kernel_size, "kernel_size", subject, 1)
        self.stride = _single(stride, "stride", subject, 1)
        self.dilation = _single(dilation, "dilation", subject, 1)
        self.groups = checks.check_groups(groups, subject)
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"{subject} expects {name} to be an int, got {value!r}")
            checks.check_positive((value,), name, subject)
            checks.check_divisible(value, self.groups, name, subject)
        if padding_mode not in PADDING_MODES:
            raise F.ArgumentError(f"padding_mode must be one of {PADDING_MODES}, got "
                                  f"{padding_mode!r}", subject)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise F.ArgumentError(f"expects padding to be 'same', 'valid' or an int, got "
                                      f"{padding!r}", subject)
            if padding == "same" and self.stride != (1,):
                raise F.ArgumentError("padding='same' is not supported for strided "
                                      "convolutions", subject)
            self.padding = padding
        else:
            self.padding = _single(padding, "padding", subject, 0)
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.padding_mode = padding_mode
        dtype = float_or_default(dtype)
        self.weight = Parameter(np.empty((self.out_channels, self.in_channels // self.groups)
                                         + self.kernel_size, dtype))
        self.register_parameter("bias", Parameter(np.empty(self.out_channels, dtype))
                                if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        default_layer_init_(self.weight, self.bias)

    def _side_padding(self):
        """(left, right) zeros or mode padding of the input."""
        if self.padding == "valid":
            return 0, 0
        if self.padding == "same":
            total = self.dilation[0] * (self.kernel_size[0] - 1)
            return total // 2, total - total // 2
        return self.padding[0], self.padding[0]

    def forward(self, x):
        if self.padding_mode == "zeros":
            return F.conv1d(x, self.weight, self.bias, self.stride, self.padding,
                            self.dilation, self.groups)
        x = F.pad(x, self._side_padding(), mode=self.padding_mode)
        return F.conv1d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) not in (2, 3) or shape[-2] != self.in_channels:
            raise F.ShapeError(f"expected input of shape (N, {self.in_channels}, L) or "
                               f"({self.in_channels}, L), got {shape}", repr(self))
        left, right = self._side_padding()
        span = self.dilation[0] * (self.kernel_size[0] - 1) + 1
        length = (shape[-1] + left + right - span) // self.stride[0] + 1
        if length < 1:
            raise F.ShapeError(f"kernel of extent {span} is larger than the padded input "
                               f"length {shape[-1]} + {left + right}", repr(self))
        return shape[:-2] + (self.out_channels, length)

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,):
            text += f", padding={self.padding}"
        if self.dilation != (1,):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text
