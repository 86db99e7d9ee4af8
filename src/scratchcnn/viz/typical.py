"""Does an input look like the images a model was trained on? A model answers "99.9%" for
a single dot as readily as for a digit; the network explorer says when the input is far
from its test images, judged by how much of the image is ink.

>>> images = np.zeros((4, 1, 8, 8)); images[:, :, 2:6, 3:5] = 1      # 8 of 64 pixels
>>> profile = ink_profile(images)
>>> unusual(np.ones((1, 8, 8)), profile)[:53]
'The input looks nothing like the training images: ink'
>>> unusual(images[0], profile) is None
True
"""

import numpy as np

# The accepted range is the test images' range of mean ink, widened by this fraction of
# its width on each side (a drawn digit is thicker or thinner than a scanned one).
MARGIN = 0.5


def ink_profile(images):
    """``{"low", "high", "seen"}``: the range of mean ink (mean value of an image in
    [0, 1]) to accept, from ``images`` (N, C, H, W) in [0, 1], and the test images'
    own range ``seen`` = (min, max)."""
    ink = np.asarray(images, dtype=np.float64).reshape(len(images), -1).mean(axis=1)
    low, high = float(ink.min()), float(ink.max())
    width = high - low
    return {"low": max(low - MARGIN * width, 0.0), "high": min(high + MARGIN * width, 1.0),
            "seen": (low, high)}


def unusual(image, profile):
    """A sentence saying that ``image`` (C, H, W) in [0, 1] is unlike the training images,
    or None when its mean ink is within ``profile``'s range."""
    if profile is None:
        return None
    ink = float(np.mean(image))
    if profile["low"] <= ink <= profile["high"]:
        return None
    low, high = profile["seen"]
    return (f"The input looks nothing like the training images: ink covers "
            f"{100 * ink:.0f}% of it, the test images {100 * low:.0f}% to {100 * high:.0f}%. "
            f"The model still gives every class a probability, but this prediction means "
            f"little.")
