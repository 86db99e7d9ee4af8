"""Padding layers, ``torch.nn.ZeroPad2d`` and friends: ``F.pad`` as a module.
Math in :mod:`scratchcnn.ops.pad`."""

import numbers

from . import functional as F
from .module import Module


def _padding_tuple(padding, count, subject):
    """An int (same on every side) or a tuple of 2*count ints -> tuple of 2*count ints."""
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        return (int(padding),) * (2 * count)
    if isinstance(padding, (tuple, list)) and len(padding) == 2 * count and all(
            isinstance(p, numbers.Integral) and not isinstance(p, bool) for p in padding):
        return tuple(int(p) for p in padding)
    raise F.ArgumentError(f"expects padding to be an int or a tuple of {2 * count} ints, got "
                          f"{padding!r}", subject)


class _PadNd(Module):
    """Pads the last ``_count`` axes: padding = (left, right[, top, bottom[, front, back]])."""

    _count = 2
    _mode = "constant"

    def __init__(self, padding, value=0.0):
        super().__init__()
        self.padding = _padding_tuple(padding, self._count, f"{type(self).__name__}()")
        self.value = value

    def forward(self, x):
        if self._mode == "constant":
            return F.pad(x, self.padding, "constant", self.value)
        return F.pad(x, self.padding, self._mode)

    def output_shape(self, input_shape):
        shape = list(input_shape)
        for k in range(self._count):
            shape[-1 - k] += self.padding[2 * k] + self.padding[2 * k + 1]
        return tuple(shape)

    def extra_repr(self):
        if self._mode == "constant" and type(self).__name__.startswith("Constant"):
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


class ZeroPad1d(_PadNd):
    """Pads the last axis of (C, W) / (N, C, W) input with zeros."""

    _count = 1

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ZeroPad2d(_PadNd):
    """Pads the last two axes of (C, H, W) / (N, C, H, W) input with zeros;
    ``padding`` = int or (left, right, top, bottom).

    >>> import scratchcnn as sc
    >>> sc.nn.ZeroPad2d((1, 0, 0, 1))(sc.ones(1, 1, 1, 1))
    tensor([[[[0., 1.],
              [0., 0.]]]])
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ConstantPad1d(_PadNd):
    _count = 1


class ConstantPad2d(_PadNd):
    """Pads the last two axes with ``value``; ``padding`` = int or (left, right, top, bottom)."""


class ConstantPad3d(_PadNd):
    _count = 3


class ReflectionPad1d(_PadNd):
    """Mirror padding of the last axis (edge not repeated); each pad < the axis size."""

    _count, _mode = 1, "reflect"

    def __init__(self, padding):
        super().__init__(padding)


class ReflectionPad2d(ReflectionPad1d):
    """Mirror padding of the last two axes; ``padding`` = int or (left, right, top, bottom)."""

    _count = 2


class ReflectionPad3d(ReflectionPad1d):
    _count = 3


class ReplicationPad1d(_PadNd):
    """Repeats the edge value along the last axis."""

    _count, _mode = 1, "replicate"

    def __init__(self, padding):
        super().__init__(padding)


class ReplicationPad2d(ReplicationPad1d):
    """Repeats the edge values of the last two axes; (left, right, top, bottom)."""

    _count = 2


class ReplicationPad3d(ReplicationPad1d):
    _count = 3


class CircularPad1d(_PadNd):
    """Wraps the last axis around (periodic boundary)."""

    _count, _mode = 1, "circular"

    def __init__(self, padding):
        super().__init__(padding)


class CircularPad2d(CircularPad1d):
    _count = 2


class CircularPad3d(CircularPad1d):
    _count = 3


PADDING_LAYERS = ["ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
                  "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
                  "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d", "CircularPad2d",
                  "CircularPad3d"]
