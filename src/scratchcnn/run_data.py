"""The data side of a training run: the defaults per data set, loading, the validation
split, per-channel statistics and the normalisation a checkpoint records."""

import datetime
import os

import numpy as np

from .errors import ArgumentError


# Defaults per data set: the model that suits its images and hyper-parameters that
# reach the README's accuracies.
DATA_DEFAULTS = {
    "digits": dict(model="digits_cnn", epochs=20, batch_size=32, lr=3e-3),
    "mnist": dict(model="mnist_cnn", epochs=5, batch_size=64, lr=1e-3),
    "fashion-mnist": dict(model="mnist_cnn", epochs=10, batch_size=64, lr=1e-3),
    "cifar10": dict(model="tiny_vgg", epochs=20, batch_size=64, lr=1e-3),
    "image-folder": dict(model="tiny_vgg", epochs=20, batch_size=32, lr=1e-3),
    "tiny-imagenet": dict(model="alexnet_tiny_imagenet", epochs=30, batch_size=32, lr=1e-3),
}


# Data sets whose files hold 8-bit pixels: they stay uint8 in memory (a quarter of the
# float32 size; Tiny ImageNet at 227x227 would need 62 GB as float32) and are converted
# batch by batch in the loader.
UINT8_DATA = ("mnist", "fashion-mnist", "cifar10", "image-folder", "tiny-imagenet")
# Data sets kept at their files' own size (Tiny ImageNet: 64x64) and resized to the
# model's input batch by batch in the loader (to 227x227 they would take 15 GB).
NATIVE_SIZE_DATA = ("tiny-imagenet",)
# Data sets whose batches are prepared by background threads of the DataLoader (reading
# the cache or the files, resizing), overlapping the training step.
BACKGROUND_DATA = ("image-folder", "tiny-imagenet")
LOADER_WORKERS = 2
EVAL_BATCH = 256              # evaluation batch for images up to 64x64


def channel_stats(images, chunk=None, indices=None):
    """Per-channel mean and std of (N, C, H, W) images (uint8 scaled to [0, 1]), as lists
    (JSON-ready); computed in chunks so no float copy of the whole set is made (default:
    4096 images, fewer when they are large: at most 2^24 values, 128 MB as float64).
    ``indices``: only these images (of a memory-mapped or file-backed set)."""
    scale = 1 / 255 if images.dtype == np.uint8 else 1.0
    total = np.zeros(images.shape[1])
    squares = np.zeros(images.shape[1])
    size = len(images) if indices is None else len(indices)
    if chunk is None:
        chunk = max(1, min(4096, 2 ** 24 // max(1, int(np.prod(images.shape[1:])))))
    for start in range(0, size, chunk):
        rows = (slice(start, start + chunk) if indices is None
                else indices[start:start + chunk])
        part = np.asarray(images[rows]).astype(np.float64) * scale
        total += part.sum(axis=(0, 2, 3))
        squares += (part * part).sum(axis=(0, 2, 3))
    count = size * images.shape[2] * images.shape[3]
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - mean * mean, 0))
    return [float(m) for m in mean], [float(max(s, 1e-8)) for s in std]


def preprocess(preprocessing, resize_to=None):
    """The batch transform every split goes through: to float in [0, 1], then normalise;
    ``resize_to`` (H, W): first resize (bilinear, as Pillow) images kept at another size."""
    from .data import transforms as T

    steps = [] if resize_to is None else [T.Resize(tuple(resize_to))]
    return T.Compose(steps + [T.ToFloat(),
                              T.Normalize(preprocessing["mean"], preprocessing["std"])])


def normalize(images, preprocessing):
    """:func:`preprocess` applied to one array of images."""
    return preprocess(preprocessing)(images)


def _load(data, data_dir, split, progress=None):
    """A split; image files are decoded once into their cache (or, larger than memory,
    per batch), Tiny ImageNet at its own 64x64."""
    from .data import load_dataset

    dtype = "uint8" if data in UINT8_DATA else "float32"
    extra = {"progress": progress} if data in BACKGROUND_DATA else {}
    if data in NATIVE_SIZE_DATA:
        extra["image_size"] = "original"
    return load_dataset(data, root=data_dir, split=split, dtype=dtype, **extra)


def split_validation_indices(labels, fraction, seed):
    """(train positions, validation positions or None) into ``labels``: ``fraction`` held
    out, stratified, in the order :func:`split_validation` returns the images."""
    if not 0 <= fraction < 1:
        raise ArgumentError(f"the validation fraction must be in [0, 1), got {fraction}")
    if not fraction:
        return np.arange(len(labels)), None
    from sklearn.model_selection import train_test_split
    classes = len(np.unique(labels))
    held_out = int(np.ceil(fraction * len(labels)))
    if held_out < classes or len(labels) - held_out < classes:
        raise ArgumentError(
            f"cannot hold out {fraction:.0%} of {len(labels)} images for validation with "
            f"every one of the {classes} classes on both sides; use more images (--limit) "
            "or another --val-fraction (0 disables validation)")
    train, held = train_test_split(np.arange(len(labels)), test_size=fraction,
                                   stratify=labels, random_state=seed)
    return train, held


def split_validation(images, labels, fraction, seed):
    """Hold out ``fraction`` of the training images (stratified) for validation."""
    train, held = split_validation_indices(labels, fraction, seed)
    if held is None:
        return (images, labels), None
    return (images[train], labels[train]), (images[held], labels[held])


def _eval_batch_size(input_size, batch_size):
    """256 for images up to 64x64; the training batch for larger ones (AlexNet's 227x227
    at 256 per batch would need gigabytes of activations)."""
    return EVAL_BATCH if input_size[-1] * input_size[-2] <= 64 * 64 else batch_size


def _resize_to(data, data_shape, input_size):
    """The (H, W) to resize a data set's images to, or None when they fit the model."""
    if data in NATIVE_SIZE_DATA and list(data_shape[-2:]) != list(input_size[-2:]):
        return tuple(input_size[-2:])
    return None


def default_out_dir():
    return os.path.join("runs", datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))

