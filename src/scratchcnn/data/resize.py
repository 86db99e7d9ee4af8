"""Bilinear resizing of a whole batch (N, C, H, W) at once, with Pillow's numbers.

Pillow's ``Image.resize(size, Image.Resampling.BILINEAR)`` is separable: each output
column is a weighted sum of a few input columns (a triangle filter, widened by the
scale factor when shrinking, so shrinking averages instead of skipping pixels), and
likewise for rows. The weights of one axis form a matrix ``(out, in)``, so resizing a
batch is two matrix products - one BLAS call per axis for the whole batch, no loop over
images or channels.

For uint8 images Pillow works in fixed point: the weights are rounded to multiples of
2^-22, the horizontal pass comes first and is rounded back to uint8, then the vertical
pass. :func:`resize_bilinear` does the same with float32 products: a result differs
from Pillow's by at most 1 grey level (about 1 value in 10,000 does, where a float32
sum lands next to a .5 that Pillow's exact integer sum rounds the other way; more when
a Pillow build runs the vertical pass first, as some do when the height shrinks, but
never more than 1). Float images are resized with the exact weights and no rounding.

>>> import numpy as np
>>> from scratchcnn.data.resize import resize_bilinear
>>> batch = np.arange(2 * 3 * 4 * 4, dtype=np.uint8).reshape(2, 3, 4, 4)
>>> resize_bilinear(batch, (8, 6)).shape
(2, 3, 8, 6)
"""

import functools

import numpy as np

from ..errors import ArgumentError, DTypeError, ShapeError

PRECISION_BITS = 32 - 8 - 2        # Pillow's fixed-point weights for 8-bit images


def _triangle(x):
    """Pillow's bilinear filter: 1 - |x| inside [-1, 1], 0 outside."""
    return np.maximum(1.0 - np.abs(x), 0.0)


@functools.lru_cache(maxsize=64)
def bilinear_weights(in_size, out_size, fixed_point=False):
    """The (out_size, in_size) float64 matrix of Pillow's bilinear weights along one axis
    (Resample.c ``precompute_coeffs``); each row sums to 1. ``fixed_point``: rounded to
    multiples of 2^-22 as Pillow does for 8-bit images. Read-only (cached)."""
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = 1.0 * filterscale
    centers = (np.arange(out_size) + 0.5) * scale
    # Pillow's (int)(v + 0.5) truncates toward zero; the clip below makes that floor.
    first = np.clip(np.trunc(centers - support + 0.5), 0, None).astype(np.int64)
    last = np.minimum(np.trunc(centers + support + 0.5).astype(np.int64), in_size)
    taps = np.arange(in_size)
    inside = (taps >= first[:, None]) & (taps < last[:, None])
    weights = np.where(inside, _triangle((taps - centers[:, None] + 0.5) / filterscale), 0.0)
    totals = weights.sum(axis=1, keepdims=True)
    weights = np.divide(weights, totals, out=np.zeros_like(weights), where=totals != 0)
    if fixed_point:
        # C's (int)(0.5 + w * 2^22) for w >= 0, (int)(-0.5 + w * 2^22) for w < 0
        one = float(1 << PRECISION_BITS)
        weights = np.trunc(weights * one + np.copysign(0.5, weights)) / one
    weights.setflags(write=False)
    return weights


@functools.lru_cache(maxsize=64)
def _weights(in_size, out_size, fixed_point, float_type):
    weights = bilinear_weights(in_size, out_size, fixed_point).astype(float_type)
    weights.setflags(write=False)
    return weights


def _check_size(size):
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (size, size)
    try:
        pair = tuple(int(s) for s in size)
        ok = len(pair) == 2 and all(isinstance(s, (int, np.integer)) and not isinstance(s, bool)
                                    for s in size)
    except TypeError:
        ok = False
    if not ok or min(pair) < 1:
        raise ArgumentError(f"expects size to be a positive int or (height, width), got "
                            f"{size!r}", "Resize")
    return pair


def _round(work):
    """Pillow's fixed-point rounding back to 0..255 after a pass: floor(x + 0.5), clipped."""
    work += 0.5
    np.floor(work, out=work)
    return np.clip(work, 0, 255, out=work)


def _apply(batch, weights_h, weights_w, rounding, float_type):
    """Both passes as two large matrix products over the whole batch, horizontal first
    as Pillow does. The images are laid out rows-first, (H, N*C, W), so that the vertical
    pass is one (H', H) @ (H, N*C*W) product too; one copy at the end puts them back."""
    n, c, h, w = batch.shape
    work = batch.reshape(n * c, h, w).transpose(1, 0, 2).astype(float_type)   # (h, NC, w)
    if weights_w is not None:
        work = work.reshape(h * n * c, w) @ weights_w.T
        w = weights_w.shape[0]
        if rounding:
            _round(work)
    if weights_h is not None:
        work = weights_h @ work.reshape(h, n * c * w)
        h = weights_h.shape[0]
        if rounding:
            _round(work)
    out = np.empty((n * c, h, w), dtype=np.uint8 if rounding else float_type)
    np.copyto(out, work.reshape(h, n * c, w).transpose(1, 0, 2), casting="unsafe")
    return out.reshape(n, c, h, w)


def resize_bilinear(batch, size):
    """Resize images ``batch`` (N, C, H, W) to ``size`` = (H', W') (or an int for both) as
    Pillow's bilinear resize does, image by image and channel by channel.

    uint8 in, uint8 out (Pillow's ``Image.resize(..., BILINEAR)`` to within 1 grey
    level); floating point in, float32 out (float64 stays float64). Returns a new array (N, C, H', W');
    the same size returns a copy."""
    if not isinstance(batch, np.ndarray):
        raise DTypeError(f"expects a NumPy array (N, C, H, W), got {type(batch).__name__}",
                         "Resize")
    if batch.ndim != 4:
        raise ShapeError(f"expects a batch of images (N, C, H, W), got shape {batch.shape}",
                         "Resize")
    height, width = _check_size(size)
    integer = batch.dtype == np.uint8
    if not integer and batch.dtype.kind != "f":
        raise DTypeError(f"expects uint8 or floating point images, got {batch.dtype}", "Resize")
    n, c, h, w = batch.shape
    if 0 in batch.shape[2:]:
        raise ShapeError(f"cannot resize images of size {(h, w)}", "Resize")
    float_type = np.float64 if batch.dtype == np.float64 else np.float32
    weights_w = None if w == width else _weights(w, width, integer, float_type)
    weights_h = None if h == height else _weights(h, height, integer, float_type)
    if weights_w is None and weights_h is None:
        return batch.copy() if integer else batch.astype(float_type)
    return _apply(batch, weights_h, weights_w, integer, float_type)

