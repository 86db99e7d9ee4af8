"""What every data set loader shares: the data set names, the cache folder, the
:class:`LoadedDataset` a split comes as, and the uint8 -> float conversion of pixels.

The lowest module of the data sets (:mod:`.datasets`, :mod:`.images`,
:mod:`.image_cache` and :mod:`.downloads` all build on it, none of them on each other
in a circle).
"""

import os
from dataclasses import dataclass

import numpy as np

from ..errors import ArgumentError
from .errors import DatasetError
from .loader import Dataset

DATASET_NAMES = ("digits", "mnist", "fashion-mnist", "cifar10", "image-folder", "tiny-imagenet")
_ALIASES = {"fashionmnist": "fashion-mnist", "cifar-10": "cifar10", "imagefolder": "image-folder",
            "tinyimagenet": "tiny-imagenet", "tiny-imagenet-200": "tiny-imagenet"}


def cache_dir(name=None):
    """The folder where data set ``name`` is looked for and downloaded:
    ``$SCRATCHCNN_DATA/<name>``, by default ``~/.cache/scratchcnn/<name>``."""
    base = os.environ.get("SCRATCHCNN_DATA")
    if not base:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(cache, "scratchcnn")
    return os.path.join(base, name) if name else base


@dataclass(repr=False, eq=False)
class LoadedDataset(Dataset):
    """A split of a data set: ``images`` (N, C, H, W) float32 in [0, 1] (or uint8 0..255
    when loaded with ``dtype="uint8"``), ``labels`` (N,) int64, ``classes`` (names, index =
    label), ``name``, ``split``. It is a :class:`~scratchcnn.data.Dataset`: a
    :class:`~scratchcnn.data.DataLoader` batches it directly. Image files come as a
    read-only memory-mapped array (their cache on disk) or, for sets larger than memory,
    a :class:`~scratchcnn.data.image_files.FileImages` that decodes what it is indexed
    with."""

    images: np.ndarray
    labels: np.ndarray
    classes: list
    name: str
    split: str

    def __post_init__(self):
        if len(self.images) != len(self.labels):
            raise DatasetError(f"{self.name} {self.split}: {len(self.labels)} labels for "
                               f"{len(self.images)} images")

    @property
    def num_classes(self):
        return len(self.classes)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return self.images[index], self.labels[index]

    def get_batch(self, indices):
        return self.images[indices], self.labels[indices]

    def __repr__(self):
        return (f"LoadedDataset(name={self.name!r}, split={self.split!r}, "
                f"images={self.images.shape} {self.images.dtype}, "
                f"labels={self.labels.shape} {self.labels.dtype}, classes={len(self.classes)})")


def _canonical_name(name):
    if not isinstance(name, str):
        raise ArgumentError(f"load_dataset expects a data set name (str), got {name!r}")
    key = name.strip().lower().replace("_", "-")
    key = _ALIASES.get(key, _ALIASES.get(key.replace("-", ""), key))
    if key not in DATASET_NAMES:
        raise ArgumentError(f"unknown data set {name!r}; choose one of {', '.join(DATASET_NAMES)}")
    return key


def convert_pixels(pixels, dtype, out=None):
    """uint8 pixels -> ``dtype``: float32 ``x / 255`` (the same numbers as
    ``transforms.ToFloat``) or an owned uint8 copy; written into ``out`` when given."""
    if dtype == np.uint8:
        if out is None:
            return np.array(pixels, dtype=np.uint8)
        out[...] = pixels
        return out
    return np.divide(pixels, np.float32(255), out=out, dtype=np.float32)
