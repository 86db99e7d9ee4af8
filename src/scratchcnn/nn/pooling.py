"""Pooling layers: summarise each window by its maximum or mean. Math in :mod:`scratchcnn.ops.pool`."""

from ..ops.conv import output_size
from . import checks, functional as F
from .functional_more import _adaptive_size_1d, _pool1d_args, _pool_length
from .module import Module


class _Pool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__()
        subject = f"{type(self).__name__}({kernel_size})"
        self.kernel_size, self.stride, self.padding, self.dilation = F._pool_args(
            kernel_size, stride, padding, dilation, subject)

    def output_shape(self, input_shape):
        *lead, h, w = input_shape
        checks.check_window_fits((None, None, h, w), self.kernel_size, self.padding, self.dilation,
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
    >>> tuple(sc.nn.MaxPool2d(3, stride=2)(sc.zeros(1, 96, 55, 55)).shape)
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
    >>> tuple(sc.nn.AdaptiveAvgPool2d((6, 6))(sc.zeros(1, 256, 13, 13)).shape)
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


# --------------------------------------------------------------------- 1-d and adaptive max
# Math in :mod:`scratchcnn.nn.functional_more` (the 1-d ones run the 2-d ops on a unit
# height axis) and :mod:`scratchcnn.ops.adaptive_max_pool`.
def _signal_shape(shape, subject):
    shape = tuple(shape)
    if len(shape) not in (2, 3):
        raise F.ShapeError(f"expected input of shape (N, C, L) or (C, L), got {shape}", subject)
    return shape


class MaxPool1d(Module):
    """Maximum over each window of (N, C, L) or (C, L); ``stride`` defaults to
    ``kernel_size``; ``return_indices`` also returns the position of each maximum.

    >>> import scratchcnn as sc
    >>> tuple(sc.nn.MaxPool1d(3, stride=2)(sc.zeros(1, 4, 50)).shape)
    (1, 4, 24)
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        _pool1d_args(kernel_size, stride, padding, dilation, f"MaxPool1d({kernel_size!r})")
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x):
        return F.max_pool1d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def output_shape(self, input_shape):
        shape = _signal_shape(input_shape, repr(self))
        k, s, p, d = _pool1d_args(self.kernel_size, self.stride, self.padding, self.dilation,
                                  repr(self))
        return shape[:-1] + (_pool_length(shape[-1], k, s, p, d, self.ceil_mode, repr(self),
                                          shape),)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool1d(Module):
    """Mean over each window of (N, C, L) or (C, L); ``stride`` defaults to
    ``kernel_size``; ``count_include_pad=False`` divides by the real inputs only."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        k, s, p, _ = _pool1d_args(kernel_size, stride, padding, 1,
                                  f"AvgPool1d({kernel_size!r})")
        self.kernel_size, self.stride, self.padding = (k,), (s,), (p,)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, x):
        return F.avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def output_shape(self, input_shape):
        shape = _signal_shape(input_shape, repr(self))
        return shape[:-1] + (_pool_length(shape[-1], self.kernel_size[0], self.stride[0],
                                          self.padding[0], 1, self.ceil_mode, repr(self),
                                          shape),)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePool1d(Module):
    def __init__(self, output_size):
        super().__init__()
        self._size = _adaptive_size_1d(output_size, f"{type(self).__name__}({output_size!r})")
        self.output_size = output_size

    def output_shape(self, input_shape):
        return _signal_shape(input_shape, repr(self))[:-1] + (self._size,)

    def extra_repr(self):
        return f"output_size={self.output_size!r}"


class AdaptiveAvgPool1d(_AdaptivePool1d):
    """Average pooling of (N, C, L) or (C, L) to a fixed length (PyTorch's bins)."""

    def forward(self, x):
        return F.adaptive_avg_pool1d(x, self.output_size)


class AdaptiveMaxPool1d(_AdaptivePool1d):
    """Max pooling of (N, C, L) or (C, L) to a fixed length (PyTorch's bins)."""

    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, x):
        return F.adaptive_max_pool1d(x, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed output size, whatever the input size: output (i, j) is the
    maximum of PyTorch's adaptive bin (rows [floor(i*H/OH), ceil((i+1)*H/OH)), columns
    likewise). ``output_size`` an int or a pair (None keeps that input size);
    ``return_indices`` also returns the flat index u * W + v of each maximum.

    >>> import scratchcnn as sc
    >>> tuple(sc.nn.AdaptiveMaxPool2d((5, 7))(sc.zeros(1, 64, 8, 9)).shape)
    (1, 64, 5, 7)
    """

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self._sizes = F.adaptive_output_size(output_size, f"AdaptiveMaxPool2d({output_size!r})")
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, x):
        return F.adaptive_max_pool2d(x, self.output_size, self.return_indices)

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) not in (3, 4):
            raise F.ShapeError(f"expected input of shape (N, C, H, W) or (C, H, W), got "
                               f"{shape}", repr(self))
        *lead, h, w = shape
        return (*lead, *F.resolve_output_size(self._sizes, h, w))

    def extra_repr(self):
        return f"output_size={self.output_size!r}"
