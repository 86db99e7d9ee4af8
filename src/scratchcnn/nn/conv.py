"""``Conv2d`` (a bank of learned filters slid over the image, optionally in groups) and
``ConvTranspose2d`` (its transpose, which upsamples). Math in :mod:`scratchcnn.ops.conv`
and :mod:`scratchcnn.ops.conv_transpose`."""

import numpy as np

from ..dtypes import float_or_default
from ..device import check_device
from ..shapes import conv_output_length, conv_transpose_output_length
from . import checks, functional as F
from .init import default_layer_init_
from .module import Module, Parameter


class _ConvBase(Module):
    """What Conv2d and ConvTranspose2d share: argument checks, parameters, repr."""

    transposed = False

    def _configure(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                   groups, padding_mode, device, subject):
        """Check and store the hyper-parameters (``in_channels`` None: not known yet, for
        the lazy layers)."""
        check_device(device, subject)
        self.kernel_size = checks.pair(kernel_size, "kernel_size", subject)
        self.stride = checks.pair(stride, "stride", subject)
        self.dilation = checks.pair(dilation, "dilation", subject)
        checks.check_positive(self.kernel_size, "kernel_size", subject)
        checks.check_positive(self.stride, "stride", subject)
        checks.check_positive(self.dilation, "dilation", subject)
        self.groups = checks.check_groups(groups, subject)
        channels = (("out_channels", out_channels),) + (
            (("in_channels", in_channels),) if in_channels is not None else ())
        for name, value in channels:
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"{subject} expects {name} to be an int, got {value!r}")
            checks.check_positive((value,), name, subject)
            checks.check_divisible(value, self.groups, name, subject)
        if padding_mode != "zeros":
            raise F.ArgumentError(f"padding_mode={padding_mode!r} is not supported "
                                  "(only 'zeros')", subject)
        self.padding_mode = padding_mode
        self.in_channels = None if in_channels is None else int(in_channels)
        self.out_channels = int(out_channels)

    def _weight_shape(self):
        first, second = ((self.in_channels, self.out_channels) if self.transposed else
                         (self.out_channels, self.in_channels))
        return (first, second // self.groups) + self.kernel_size

    def _make_parameters(self, bias, dtype):
        dtype = float_or_default(dtype)
        self.weight = Parameter(np.empty(self._weight_shape(), dtype))
        self.register_parameter("bias", Parameter(np.empty(self.out_channels, dtype))
                                if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's init: kaiming_uniform(a=sqrt(5)) weights, U(+-1/sqrt(fan_in)) bias,
        fan_in from the weight's shape (C_in/G*kh*kw, or C_out/G*kh*kw when transposed)."""
        default_layer_init_(self.weight, self.bias)

    def _check_channels(self, input_shape):
        channels = input_shape[-3] if len(input_shape) >= 3 else None
        if channels != self.in_channels:
            raise F.ShapeError(f"expected input with {self.in_channels} channels, (N, "
                               f"{self.in_channels}, H, W) or ({self.in_channels}, H, W), got "
                               f"shape {tuple(input_shape)}", repr(self))

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if getattr(self, "output_padding", (0, 0)) != (0, 0):
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv2d(_ConvBase):
    """2-D convolution, ``torch.nn.Conv2d``'s arguments and parameter shapes.

    Shapes: input (N, C_in, H, W) -> output (N, C_out, OH, OW), with
    ``OH = floor((H + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1``;
    ``weight`` (C_out, C_in/groups, kh, kw), ``bias`` (C_out,).

    ``groups`` splits the channels into that many independent convolutions (each sees
    C_in/groups input channels and makes C_out/groups outputs); ``groups=C_in`` is a
    depthwise convolution. ``padding`` may be 'valid' (none) or 'same' (output as large
    as the input, stride 1 only); ``self.padding`` then holds the pair it resolves to,
    or stays 'same' when the two sides differ (an even dilated kernel: the extra
    row/column goes bottom/right, as in PyTorch).

    Parameters: C_out * C_in/groups * kh * kw weights + C_out biases, shared across every
    position of the image (the count does not grow with the image).

    >>> import scratchcnn as sc
    >>> conv = sc.nn.Conv2d(3, 96, 11, stride=4)
    >>> conv(sc.zeros(1, 3, 227, 227)).shape
    torch.Size([1, 96, 55, 55])
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        subject = f"Conv2d({in_channels}, {out_channels})"
        self._configure(in_channels, out_channels, kernel_size, stride, padding, dilation,
                        groups, padding_mode, device, subject)
        self._set_padding(padding, subject)
        self._make_parameters(bias, dtype)

    def _set_padding(self, padding, subject):
        # Resolved once ('same' depends only on kernel and dilation), so that code reading
        # .padding (summary, visualizer) gets numbers; only per-side padding stays 'same'.
        resolved = checks.conv_padding(padding, self.kernel_size, self.stride, self.dilation,
                                  subject)
        self.padding = resolved if not isinstance(resolved[0], tuple) else "same"

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)

    def output_shape(self, input_shape):
        self._check_channels(input_shape)
        *batch, channels, h, w = input_shape
        if self.padding == "same":
            return (*batch, self.out_channels, h, w)
        checks.check_window_fits((None, None, h, w), self.kernel_size, self.padding, self.dilation,
                            repr(self))
        sizes = (conv_output_length(s, k, st, p, d) for s, k, st, p, d in
                 zip((h, w), self.kernel_size, self.stride, self.padding, self.dilation))
        return (*batch, self.out_channels, *sizes)


class ConvTranspose2d(_ConvBase):
    """2-D transposed convolution, ``torch.nn.ConvTranspose2d``'s arguments and shapes.

    Shapes: input (N, C_in, H, W) -> output (N, C_out, OH, OW), with
    ``OH = (H - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1``;
    ``weight`` (C_in, C_out/groups, kh, kw) (input channels first), ``bias`` (C_out,).

    The same arguments as the Conv2d it undoes the shape of: ``Conv2d(C_out, C_in, ...)``
    maps (OH, OW) back to (H, W); ``output_padding`` (< stride or dilation) picks among
    the output sizes that such a strided Conv2d maps to the same (H, W), as does
    ``forward(x, output_size=...)``.

    >>> import scratchcnn as sc
    >>> up = sc.nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)
    >>> up(sc.zeros(1, 16, 14, 14)).shape
    torch.Size([1, 8, 28, 28])
    """

    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__()
        subject = f"ConvTranspose2d({in_channels}, {out_channels})"
        self._configure(in_channels, out_channels, kernel_size, stride, padding, dilation,
                        groups, padding_mode, device, subject)
        self.padding = checks.pair(padding, "padding", subject)
        self.output_padding = checks.pair(output_padding, "output_padding", subject)
        checks.check_non_negative(self.padding, "padding", subject)
        checks.check_non_negative(self.output_padding, "output_padding", subject)
        if any(op >= max(s, d) for op, s, d in zip(self.output_padding, self.stride,
                                                   self.dilation)):
            raise F.ArgumentError(f"output_padding must be smaller than stride or dilation, "
                                  f"got output_padding={self.output_padding}, stride="
                                  f"{self.stride}, dilation={self.dilation}", subject)
        self._make_parameters(bias, dtype)

    def _sizes(self, hw, output_padding):
        return tuple(conv_transpose_output_length(s, k, st, p, d, op) for s, k, st, p, d, op in
                     zip(hw, self.kernel_size, self.stride, self.padding, self.dilation,
                         output_padding))

    def _output_padding(self, input_shape, output_size):
        """PyTorch's rule: ``output_size`` (the last two entries count) must lie within
        [smallest, smallest + stride - 1] per axis; the difference is the output_padding."""
        if output_size is None:
            return self.output_padding
        wanted = tuple(int(v) for v in tuple(output_size)[-2:])
        smallest = self._sizes(input_shape[-2:], (0, 0))
        padding = tuple(want - low for want, low in zip(wanted, smallest))
        if len(wanted) != 2 or any(not 0 <= p < max(s, d) for p, s, d in
                                   zip(padding, self.stride, self.dilation)):
            largest = tuple(low + max(s, d) - 1 for low, s, d in
                            zip(smallest, self.stride, self.dilation))
            raise F.ShapeError(f"requested output_size {tuple(output_size)}, but valid sizes "
                               f"range from {smallest} to {largest} (for an input of shape "
                               f"{tuple(input_shape)})", repr(self))
        return padding

    def forward(self, x, output_size=None):
        output_padding = self._output_padding(tuple(x.shape), output_size)
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)

    def output_shape(self, input_shape):
        self._check_channels(input_shape)
        *batch, channels, h, w = input_shape
        sizes = self._sizes((h, w), self.output_padding)
        if min(sizes) <= 0:
            raise F.ShapeError(f"output size {sizes} is not positive for input "
                               f"{tuple(input_shape)}: padding is too large", repr(self))
        return (*batch, self.out_channels, *sizes)
