"""Batch transforms on NumPy arrays (N, C, H, W): one vectorized operation per batch.

Each transform is called as ``transform(batch, rng=None)`` and returns a new array (the
input is never modified). Random transforms draw from ``rng`` (a
``numpy.random.Generator``), or from the library's generator (``sc.manual_seed``) when it
is None; a :class:`~scratchcnn.data.DataLoader` passes a generator of its own per batch.

>>> import numpy as np
>>> from scratchcnn.data import transforms as T
>>> augment = T.Compose([T.ToFloat(), T.RandomCrop(28, padding=4), T.RandomHorizontalFlip(),
...                      T.Normalize([0.286], [0.353])])
>>> batch = np.zeros((16, 1, 28, 28), dtype=np.uint8)
>>> augment(batch, np.random.default_rng(0)).shape
(16, 1, 28, 28)
>>> augment
Compose(
    ToFloat()
    RandomCrop(size=(28, 28), padding=4)
    RandomHorizontalFlip(p=0.5)
    Normalize(mean=[0.286], std=[0.353])
)
"""

import abc
import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import random
from ..errors import ArgumentError, DTypeError, ShapeError
from .resize import resize_bilinear


def _generator(rng):
    if rng is None:
        return random.generator()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise ArgumentError(f"expects rng to be a numpy.random.Generator, an int seed or None, "
                        f"got {type(rng).__name__}")


def _check_batch(batch, who):
    if not isinstance(batch, np.ndarray):
        raise DTypeError(f"expects a NumPy array (N, C, H, W), got {type(batch).__name__}", who)
    if batch.ndim != 4:
        raise ShapeError(f"expects a batch of images (N, C, H, W), got shape {batch.shape}", who)


def _pair(value, name, who, minimum):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    try:
        pair = tuple(int(v) for v in value)
        ok = len(pair) == 2 and all(isinstance(v, numbers.Integral) for v in value)
    except TypeError:
        ok = False
    if not ok or min(pair) < minimum:
        raise ArgumentError(f"expects {name} to be an int >= {minimum} or a pair of them, "
                            f"got {value!r}", who)
    return pair


class Transform(abc.ABC):
    """Base class: ``__call__(batch, rng=None)`` returns the transformed batch."""

    @abc.abstractmethod
    def __call__(self, batch, rng=None):
        """The transformed copy of ``batch`` (N, C, H, W); random ones draw from ``rng``."""

    def extra_repr(self):
        return ""

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"


class Compose(Transform):
    """Apply ``transforms`` in order; the random ones share the same generator."""

    def __init__(self, transforms):
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise ArgumentError(f"Compose expects callables, got {type(t).__name__}")

    def __call__(self, batch, rng=None):
        rng = _generator(rng) if rng is not None else None
        for t in self.transforms:
            batch = t(batch, rng)
        return batch

    def __len__(self):
        return len(self.transforms)

    def __getitem__(self, index):
        return self.transforms[index]

    def __repr__(self):
        lines = "".join(f"    {t!r}\n" for t in self.transforms)
        return f"Compose(\n{lines})"


class Lambda(Transform):
    """A plain function of the batch, ``fn(batch) -> batch``, as a transform."""

    def __init__(self, fn):
        if not callable(fn):
            raise ArgumentError(f"Lambda expects a callable, got {type(fn).__name__}")
        self.fn = fn

    def __call__(self, batch, rng=None):
        return self.fn(batch)

    def extra_repr(self):
        return getattr(self.fn, "__name__", repr(self.fn))


class ToFloat(Transform):
    """uint8 pixels 0..255 -> float32 in [0, 1] (``x / 255``); float batches -> float32
    unchanged in value."""

    def __call__(self, batch, rng=None):
        if not isinstance(batch, np.ndarray):
            raise DTypeError(f"expects a NumPy array, got {type(batch).__name__}", "ToFloat()")
        if batch.dtype == np.uint8:
            return np.divide(batch, np.float32(255), dtype=np.float32)
        if batch.dtype.kind == "f":
            return batch.astype(np.float32)   # a copy even when already float32
        raise DTypeError(f"expects uint8 or floating point images, got {batch.dtype}",
                         "ToFloat()")


class Normalize(Transform):
    """``(x - mean[c]) / std[c]`` per channel c; ``mean`` and ``std`` are sequences with one
    value per channel (or one value for all). The batch keeps its floating dtype."""

    def __init__(self, mean, std):
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        who = f"Normalize({self.extra_repr()})"
        if self.mean.ndim != 1 or self.std.ndim != 1 or len(self.mean) == 0:
            raise ArgumentError("expects mean and std to be numbers or 1-D sequences", who)
        if len(self.mean) != len(self.std) and 1 not in (len(self.mean), len(self.std)):
            raise ArgumentError(f"expects mean and std of the same length, got "
                                f"{len(self.mean)} and {len(self.std)}", who)
        if not np.all(np.isfinite(self.mean)) or not np.all(self.std > 0):
            raise ArgumentError("expects finite means and positive standard deviations", who)

    def __call__(self, batch, rng=None):
        _check_batch(batch, repr(self))
        if batch.dtype.kind != "f":
            raise DTypeError(f"expects floating point images, got {batch.dtype}; put "
                             "ToFloat() before Normalize", repr(self))
        channels = batch.shape[1]
        for name, values in (("mean", self.mean), ("std", self.std)):
            if len(values) not in (1, channels):
                raise ShapeError(f"has {len(values)} {name} values for images with {channels} "
                                 f"channels (batch shape {batch.shape})", repr(self))
        mean = self.mean.astype(batch.dtype)[None, :, None, None]
        std = self.std.astype(batch.dtype)[None, :, None, None]
        return (batch - mean) / std

    def extra_repr(self):
        def fmt(values):
            return "[" + ", ".join(f"{v:.6g}" for v in values) + "]"
        return f"mean={fmt(self.mean)}, std={fmt(self.std)}"


class RandomCrop(Transform):
    """Pad each image by ``padding`` (with ``fill``), then cut a ``size`` window at a random
    offset drawn per image: all tops first (``rng.integers(0, H_padded - h + 1, N)``),
    then all lefts. ``padding``: an int, (left/right, top/bottom) or (left, top, right,
    bottom), as torchvision.

    The whole batch is cropped by one fancy-indexing of a strided view of all windows.
    """

    def __init__(self, size, padding=0, fill=0):
        self.size = _pair(size, "size", "RandomCrop", 1)
        if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
            padding = (padding,) * 4
        try:
            padding = tuple(padding)
        except TypeError:
            padding = (padding,)
        if len(padding) == 2:
            padding = padding * 2
        if len(padding) != 4 or not all(isinstance(p, numbers.Integral) and p >= 0
                                        for p in padding):
            raise ArgumentError("expects padding to be an int >= 0, (left/right, top/bottom) or "
                                f"(left, top, right, bottom), got {padding!r}", "RandomCrop")
        self.padding = tuple(int(p) for p in padding)   # left, top, right, bottom
        self.fill = fill

    def _padded_size(self, height, width):
        left, top, right, bottom = self.padding
        padded = (height + top + bottom, width + left + right)
        if self.size[0] > padded[0] or self.size[1] > padded[1]:
            raise ShapeError(f"cannot cut a {self.size} crop out of images of {(height, width)} "
                             f"padded to {padded}", repr(self))
        return padded

    def sample(self, n, height, width, rng=None):
        """The (tops, lefts) offsets, in padded coordinates, for ``n`` images of
        ``height`` x ``width``: what ``__call__`` draws."""
        rng = _generator(rng)
        padded_h, padded_w = self._padded_size(height, width)
        tops = rng.integers(0, padded_h - self.size[0] + 1, size=n)
        lefts = rng.integers(0, padded_w - self.size[1] + 1, size=n)
        return tops, lefts

    def crop(self, batch, tops, lefts):
        """Cut image i's window at (tops[i], lefts[i]) of the padded batch."""
        _check_batch(batch, repr(self))
        self._padded_size(*batch.shape[2:])
        left, top, right, bottom = self.padding
        if any(self.padding):
            batch = np.pad(batch, ((0, 0), (0, 0), (top, bottom), (left, right)),
                           constant_values=self.fill)
        windows = sliding_window_view(batch, self.size, axis=(2, 3))  # (N, C, H', W', h, w)
        return windows[np.arange(len(batch)), :, np.asarray(tops), np.asarray(lefts)]

    def __call__(self, batch, rng=None):
        _check_batch(batch, repr(self))
        tops, lefts = self.sample(len(batch), batch.shape[2], batch.shape[3], rng)
        return self.crop(batch, tops, lefts)

    def extra_repr(self):
        padding = self.padding[0] if len(set(self.padding)) == 1 else self.padding
        fill = f", fill={self.fill}" if self.fill else ""
        return f"size={self.size}, padding={padding}{fill}"


class RandomHorizontalFlip(Transform):
    """Mirror each image left-right with probability ``p``: one draw
    ``rng.random(N) < p`` decides for the whole batch."""

    def __init__(self, p=0.5):
        if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
            raise ArgumentError(f"expects p in [0, 1], got {p!r}", "RandomHorizontalFlip")
        self.p = float(p)

    def __call__(self, batch, rng=None):
        _check_batch(batch, repr(self))
        flip = _generator(rng).random(len(batch)) < self.p
        out = batch.copy()
        out[flip] = batch[flip, :, :, ::-1]
        return out

    def extra_repr(self):
        return f"p={self.p:g}"


class Resize(Transform):
    """Resize every image of the batch to ``size`` ((height, width), or an int for both)
    with Pillow's bilinear filter (:func:`~scratchcnn.data.resize.resize_bilinear`): two
    matrix products for the whole batch. uint8 stays uint8 (Pillow's numbers to within 1
    grey level), floats become float32. Images stored at their native size (Tiny
    ImageNet's 64x64) are resized to the model's input (227x227) batch by batch this way,
    in the loader's workers."""

    def __init__(self, size):
        self.size = _pair(size, "size", "Resize", 1)

    def __call__(self, batch, rng=None):
        _check_batch(batch, repr(self))
        return resize_bilinear(batch, self.size)

    def extra_repr(self):
        return f"size={self.size}"


__all__ = ["Transform", "Compose", "Lambda", "ToFloat", "Normalize", "RandomCrop",
           "RandomHorizontalFlip", "Resize"]
