"""A user's picture brought to the distribution a model was trained on.

The zoo's gray data sets are light on dark, cropped and centred: a digit drawn in
black ink on white paper, or a shoe photographed on a white table, is neither, and a
model trained on them is then confidently wrong. :func:`prepare_picture` redoes what
the makers of each data set did to their images:

- **polarity**: the picture's border is its background; when the border is mostly
  light (median above 0.5), the gray levels are inverted so that the background is
  dark, as in the training images.
- **background and contrast**: the border's median becomes 0 and the brightest pixel 1.
- **crop** to the content (pixels above 10% of the brightest one).
- **scale and centre**, per data set:

  ================  ==========================  ================================
  data set          longest side scaled to      centred in the input by
  ================  ==========================  ================================
  ``mnist``         20 of 28 pixels (LeCun's)   its centre of mass (as MNIST was)
  ``fashion-mnist`` 28 of 28 (Zalando's)        its bounding box
  ``digits``        8 of 8 (UCI's 32x32 box)    its bounding box
  ================  ==========================  ================================

Colour pictures (CIFAR-10, image folders, Tiny ImageNet) and gray data sets without a
known recipe are only resized to the input, never inverted. Each call returns what it
did in words, e.g. ``inverted; cropped 412x380 -> 20x18, centred in 28x28``.

>>> import numpy as np
>>> from PIL import Image
>>> paper = np.full((60, 80), 255, np.uint8)
>>> paper[10:40, 50:62] = 0                     # a dark bar, off-centre, on white
>>> array, done = prepare_picture(Image.fromarray(paper), (1, 28, 28), "mnist")
>>> array.shape, done
((1, 28, 28), 'inverted; cropped 12x30 -> 8x20, centred in 28x28')
>>> [int(v) for v in np.argwhere(array[0] > 0.5).mean(axis=0).round()]  # mass at the centre
[14, 14]
"""

import numpy as np

from ..errors import ArgumentError

# data set -> (longest side of the content / input side, how the content is centred)
RECIPES = {
    "mnist": (20 / 28, "mass"),
    "fashion-mnist": (1.0, "box"),
    "digits": (1.0, "box"),
}
CONTENT_LEVEL = 0.1   # share of the brightest level above which a pixel is content
BORDER_SHARE = 0.05   # the border ring's width, as a share of the shorter side


def _size(width, height):
    return f"{width}x{height}"


def border_pixels(gray):
    """The pixels of the ring along the edges of a (H, W) array, ``BORDER_SHARE`` of the
    shorter side wide (at least 1 pixel): what is taken for the background."""
    ring = max(1, int(round(BORDER_SHARE * min(gray.shape))))
    return np.concatenate([gray[:ring].ravel(), gray[-ring:].ravel(),
                           gray[ring:-ring, :ring].ravel(), gray[ring:-ring, -ring:].ravel()])


def is_dark_on_light(gray):
    """True when the border of a (H, W) array in [0, 1] is mostly light."""
    return bool(np.median(border_pixels(gray)) > 0.5)


def _content(gray):
    """(H, W) in [0, 1] with the border's level at 0 and the brightest pixel at 1."""
    background = float(np.median(border_pixels(gray)))
    top = float(gray.max())
    if top - background < 1e-6:
        return np.zeros_like(gray)
    return np.clip((gray - background) / (top - background), 0, 1)


def _resize(array, width, height):
    """A (H, W) float32 array resized by Pillow's antialiasing Lanczos filter, clipped to
    [0, 1] (the filter overshoots a little at sharp edges)."""
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(array, dtype=np.float32))   # mode F
    resized = np.asarray(image.resize((width, height), Image.Resampling.LANCZOS))
    return np.clip(resized, 0, 1)


def _place(patch, height, width, centring):
    """``patch`` (h, w) pasted on a (height, width) zero canvas, its centre of mass
    (``"mass"``) or its middle (``"box"``) on the canvas' centre; what falls outside is cut."""
    h, w = patch.shape
    if centring == "mass" and patch.sum() > 0:
        rows, cols = np.indices(patch.shape)
        mass = patch.sum()
        top = int(round((height - 1) / 2 - (rows * patch).sum() / mass))
        left = int(round((width - 1) / 2 - (cols * patch).sum() / mass))
    else:
        # an odd margin goes left and up by one more pixel, as in the digits' 8x8 images
        top, left = (height - h + 1) // 2, (width - w + 1) // 2
    canvas = np.zeros((height, width), np.float32)
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + h, height), min(left + w, width)
    if y1 > y0 and x1 > x0:
        canvas[y0:y1, x0:x1] = patch[y0 - top:y1 - top, x0 - left:x1 - left]
    return canvas


def _crop_scale_centre(gray, height, width, recipe):
    """The content of a light-on-dark (H, W) array cropped, scaled into the recipe's box
    and centred; returns (array, words)."""
    share, centring = recipe
    content = _content(gray)
    mask = content > CONTENT_LEVEL
    if not mask.any():
        return _resize(content, width, height), (f"no content found; resized "
                                                 f"{_size(*gray.shape[::-1])} -> "
                                                 f"{_size(width, height)}")
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    crop = content[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    box_h, box_w = max(1, round(share * height)), max(1, round(share * width))
    scale = min(box_h / h, box_w / w)
    new_h, new_w = max(1, min(box_h, round(h * scale))), max(1, min(box_w, round(w * scale)))
    patch = _resize(crop, new_w, new_h)
    return (_place(patch, height, width, centring),
            f"cropped {_size(w, h)} -> {_size(new_w, new_h)}, centred in "
            f"{_size(width, height)}")


def recipe_for(data, channels):
    """The (box share, centring) recipe of data set ``data`` for ``channels``-channel
    input, or None (resize only): colour data and unknown data sets have none."""
    return RECIPES.get(data) if channels == 1 else None


def prepare_picture(image, input_size, data=None, invert=None, preprocess=True):
    """A Pillow image as the model's input: ((C, H, W) float32 array in [0, 1], what was
    done in words).

    ``input_size``: the model's (C, H, W), C 1 (gray) or 3 (RGB). ``data``: the data set
    the model was trained on (its recipe, see the module's table). ``invert``: None
    detects the polarity from the border (gray pictures only); True or False forces it.
    ``preprocess=False``: only convert and resize (inverting only when ``invert``).
    """
    channels, height, width = (int(v) for v in input_size)
    if channels not in (1, 3):
        raise ArgumentError(f"a picture becomes 1 (gray) or 3 (RGB) channels; the model "
                            f"takes {channels}")
    original = _size(*image.size)
    image = image.convert("L" if channels == 1 else "RGB")
    array = np.asarray(image, dtype=np.float32) / 255.0
    recipe = recipe_for(data, channels) if preprocess else None
    if invert is None:
        invert = recipe is not None and is_dark_on_light(array)
    words = ["inverted"] if invert else []
    if invert:
        array = 1.0 - array
    if recipe is not None:
        array, done = _crop_scale_centre(array, height, width, recipe)
        array = array[None]
    else:
        planes = array[None] if channels == 1 else array.transpose(2, 0, 1)
        array = np.stack([_resize(plane, width, height) for plane in planes])
        done = f"resized {original} -> {_size(width, height)}" + (
            "" if preprocess else " (no preprocessing)")
    return array.astype(np.float32), "; ".join(words + [done])


def load_picture(path, input_size, data=None, invert=None, preprocess=True):
    """:func:`prepare_picture` of an image file; a file Pillow cannot read raises
    :class:`ArgumentError`, one too large to decode (a decompression bomb) is refused
    before decoding."""
    from PIL import Image

    from ..errors import ScratchCNNError
    from .images import check_pixels

    try:
        with Image.open(path) as image:
            check_pixels(image, path)
            return prepare_picture(image, input_size, data, invert, preprocess)
    except (FileNotFoundError, IsADirectoryError, PermissionError, ScratchCNNError):
        raise
    except Exception as error:   # Pillow raises OSError, ValueError, SyntaxError, ...
        raise ArgumentError(f"cannot read image {path}: {type(error).__name__}: "
                            f"{error}") from None
