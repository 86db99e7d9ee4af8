"""``load_dataset``: a named data set's split as arrays, from files already on disk.

Nothing is downloaded unless asked (``download=True`` or :func:`scratchcnn.data.download`).
Files are looked for in ``root`` when given, else in the cache folder
``$SCRATCHCNN_DATA/<name>`` (default ``~/.cache/scratchcnn/<name>``), and for
Fashion-MNIST also in ``/usr/share/datasets/fashion-mnist`` (Debian's
``dataset-fashion-mnist`` package).

>>> from scratchcnn.data import load_dataset
>>> train = load_dataset("digits")
>>> train.images.shape, train.images.dtype, train.labels.dtype
((1437, 1, 8, 8), dtype('float32'), dtype('int64'))
>>> float(train.images.max()), train.classes[:3]
(1.0, ['0', '1', '2'])
"""

import os

import numpy as np

from ..errors import ArgumentError
from . import images
from .downloads import download as fetch
from .errors import DatasetError, DatasetNotFoundError
from .idx import read_idx
from .loaded import (  # noqa: F401 - cache_dir and LoadedDataset are used from here too
    DATASET_NAMES, LoadedDataset, _canonical_name, cache_dir, convert_pixels,
)

SPLITS = {"digits": ("train", "test"), "mnist": ("train", "test"),
          "fashion-mnist": ("train", "test"), "cifar10": ("train", "test"),
          "image-folder": ("train", "test", "val", "all"),
          "tiny-imagenet": ("train", "val", "test")}

MNIST_CLASSES = [str(d) for d in range(10)]
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                         "Sneaker", "Bag", "Ankle boot"]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                   "truck"]

# Folders where a system package installs a data set (searched after the cache).
SYSTEM_DIRS = {"fashion-mnist": ("/usr/share/datasets/fashion-mnist",)}
APT_PACKAGES = {"fashion-mnist": "dataset-fashion-mnist"}
# Sub-folders also searched inside root / the cache folder (common extracted layouts).
_SUBDIRS = {"mnist": ("mnist", "MNIST/raw"), "fashion-mnist": ("fashion-mnist", "FashionMNIST/raw"),
            "cifar10": ("cifar-10-batches-bin",)}


def check_labels(labels, num_classes, path, name):
    """Labels must lie in [0, num_classes); the error names the file and the first bad one."""
    bad = np.flatnonzero((labels < 0) | (labels >= num_classes))
    if bad.size:
        i = int(bad[0])
        raise DatasetError(f"{path}: label {int(labels[i])} at index {i} is out of range for "
                           f"the {num_classes} classes of {name} ({bad.size} bad label(s))")


def load_dataset(name, root=None, split="train", *, image_size=None, channels=None,
                 dtype="float32", download=False, storage="auto", progress=None):
    """Load split ``split`` of data set ``name`` (one of :data:`DATASET_NAMES`).

    - ``digits``: scikit-learn's 8x8 digits, pixels / 16, split 80/20 stratified with a fixed
      seed: 1,437 train / 360 test images. Works offline, ``root`` is ignored.
    - ``mnist``, ``fashion-mnist``: the IDX files (``train-images-idx3-ubyte[.gz]``,
      ``train-labels-idx1-ubyte[.gz]``, ``t10k-*`` for test).
    - ``cifar10``: the binary version (``data_batch_1.bin`` ... ``data_batch_5.bin``,
      ``test_batch.bin``, ``batches.meta.txt``).
    - ``image-folder``: ``root/<class>/*.png|jpg`` (or ``root/train/<class>/...`` and
      ``root/test/<class>/...``); without split folders, the images are split 80/20
      stratified like digits (``split="all"`` keeps them all). Resized to ``image_size``
      (default 64, Tiny VGG's input; ``"original"``: the first image's size),
      ``channels`` 3 (RGB, default) or 1 (grayscale).
    - ``tiny-imagenet``: Tiny ImageNet's ``tiny-imagenet-200`` folder; splits ``train`` and
      ``val`` (``test`` is an alias: the real test images have no labels). Resized to
      ``image_size`` (default 227, the guide's AlexNet; 100,000 training images then take
      62 GB as float32 - use ``image_size=64`` or ``dtype="uint8"`` to fit in less).

    ``dtype="uint8"`` keeps the raw pixels 0..255 (4x less memory; put
    ``transforms.ToFloat()`` in the loader). ``image_size="original"`` keeps image files
    at their own size (Tiny ImageNet's 64x64: 1.2 GB of uint8 for the training split;
    resize per batch with ``transforms.Resize``).

    ``storage`` (image-folder and tiny-imagenet): ``"auto"`` (default) decodes the image
    files once into a cache on disk (a memory-mapped ``.npy`` in
    ``<folder>/.scratchcnn-cache/``, reused while the files are unchanged, built on
    threads with a progress bar on a terminal - ``progress`` True/False forces it) when
    the decoded images take at most half of the machine's memory, and otherwise
    (``"files"``) decodes each batch from its files when a loader asks for it;
    ``"cache"``, ``"files"`` and ``"memory"`` (decode into memory every time) choose. ``download=True`` fetches missing MNIST,
    Fashion-MNIST or CIFAR-10 files (SHA-256 verified) first.
    Returns a :class:`LoadedDataset`; corrupt files raise :class:`DatasetError`, missing
    ones :class:`DatasetNotFoundError` saying which files to put where.
    """
    name = _canonical_name(name)
    if split not in SPLITS[name]:
        raise ArgumentError(f"{name} has no split {split!r}; choose one of "
                            f"{', '.join(SPLITS[name])}")
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.uint8)):
        raise ArgumentError(f"load_dataset expects dtype float32 or uint8, got {dtype}")
    if name not in ("image-folder", "tiny-imagenet") and (
            image_size is not None or channels is not None or storage != "auto"):
        raise ArgumentError(f"image_size, channels and storage apply to image-folder and "
                            f"tiny-imagenet, not {name}")
    if name == "digits":
        return _load_digits(split, dtype)
    if name in ("image-folder", "tiny-imagenet"):
        loader = images.load_image_folder if name == "image-folder" else images.load_tiny_imagenet
        return loader(root, split, image_size, channels, dtype, storage, progress)
    reader = _load_cifar10 if name == "cifar10" else _load_idx_dataset
    try:
        return reader(name, root, split, dtype)
    except DatasetNotFoundError:
        if not download:
            raise
    fetch(name, root)
    return reader(name, root, split, dtype)


# ---------------------------------------------------------------------- digits
def _load_digits(split, dtype):
    if dtype != np.float32:
        raise ArgumentError("digits has pixel values 0..16, not 0..255: it loads as float32 only")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)[:, None]
    labels = bunch.target.astype(np.int64)
    train, test = train_test_split(np.arange(len(labels)), test_size=0.2, stratify=labels,
                                   random_state=0)
    chosen = train if split == "train" else test
    return LoadedDataset(images[chosen], labels[chosen], list(MNIST_CLASSES), "digits", split)


# ---------------------------------------------------------------------- file lookup
def search_dirs(name, root):
    """The folders searched for data set ``name``, in order."""
    subdirs = _SUBDIRS.get(name, ())
    if root is not None:
        root = os.fspath(root)
        return [root] + [os.path.join(root, s) for s in subdirs]
    cache = cache_dir(name)
    return [cache] + [os.path.join(cache, s) for s in subdirs] + list(SYSTEM_DIRS.get(name, ()))


def _how_to_get(name, root):
    target = os.fspath(root) if root is not None else cache_dir(name)
    hints = [f"put them in {target}"]
    if root is None:
        hints[0] += " (or set $SCRATCHCNN_DATA, or pass root= / --data-dir)"
    if name in APT_PACKAGES:
        hints.append(f"install Debian's package: sudo apt-get install {APT_PACKAGES[name]} "
                     f"(it puts them in {SYSTEM_DIRS[name][0]})")
    hints.append(f"on a machine that is online, run scratchcnn.data.download({name!r}"
                 f"{'' if root is None else ', root=' + repr(target)}) (SHA-256 verified)")
    return "; or ".join(hints)


# ---------------------------------------------------------------------- MNIST, Fashion-MNIST
def idx_file_names(split):
    """The (images, labels) IDX file names of a split, without ``.gz``."""
    prefix = "train" if split == "train" else "t10k"
    return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


def _find_file(folder, base):
    dotted = base.replace("-idx", ".idx", 1)   # train-images.idx3-ubyte, as some mirrors name it
    for candidate in (base + ".gz", base, dotted + ".gz", dotted):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return path
    return None


def find_idx_files(name, root, split):
    """(images path, labels path) of a split: the first searched folder holding both."""
    bases = idx_file_names(split)
    notes = []
    for folder in search_dirs(name, root):
        found = [_find_file(folder, base) for base in bases]
        if all(found):
            return found
        if any(found):
            present = [os.path.basename(p) for p in found if p]
            absent = [b + "[.gz]" for b, p in zip(bases, found) if not p]
            notes.append(f"  {folder}: has {', '.join(present)} but not {', '.join(absent)}")
        else:
            state = "not there" if os.path.isdir(folder) else "no such folder"
            notes.append(f"  {folder}: {state}")
    every = [b + ".gz" for s in ("train", "test") for b in idx_file_names(s)]
    raise DatasetNotFoundError(
        f"{name} ({split} split) needs {bases[0]} and {bases[1]} (gzipped .gz or not) in one "
        f"folder. Looked in:\n" + "\n".join(notes) + f"\nTo get {name}, the four files "
        f"{', '.join(every)}: " + _how_to_get(name, root) + ".")


def _load_idx_dataset(name, root, split, dtype):
    images_path, labels_path = find_idx_files(name, root, split)
    labels = read_idx(labels_path, ndim=1)
    images = read_idx(images_path, ndim=3)
    if len(labels) != len(images):
        raise DatasetError(f"label count {len(labels)} != image count {len(images)}: "
                           f"{labels_path} and {images_path} do not belong together")
    if images.dtype != np.uint8 or labels.dtype != np.uint8:
        raise DatasetError(f"{images_path}, {labels_path}: {name} stores uint8 values, these "
                           f"hold {images.dtype} and {labels.dtype}")
    classes = FASHION_MNIST_CLASSES if name == "fashion-mnist" else MNIST_CLASSES
    check_labels(labels, len(classes), labels_path, name)
    pixels = convert_pixels(images, dtype)[:, None]      # (N, 1, H, W)
    return LoadedDataset(pixels, labels.astype(np.int64), list(classes), name, split)


# ---------------------------------------------------------------------- CIFAR-10 (binary)
CIFAR10_RECORD = 1 + 3 * 32 * 32     # label byte, then 1024 red, 1024 green, 1024 blue bytes


def cifar10_file_names(split):
    if split == "train":
        return [f"data_batch_{i}.bin" for i in range(1, 6)]
    return ["test_batch.bin"]


def _cifar10_classes(folder):
    meta = os.path.join(folder, "batches.meta.txt")
    if not os.path.isfile(meta):
        return list(CIFAR10_CLASSES), None
    try:
        with open(meta, encoding="utf-8") as f:
            names = [line.strip() for line in f if line.strip()]
    except (OSError, UnicodeDecodeError) as error:
        raise DatasetError(f"{meta}: unreadable class names ({error})") from None
    if not names:
        raise DatasetError(f"{meta}: no class names (expected one per line)")
    return names, meta


def _load_cifar10(name, root, split, dtype):
    files = cifar10_file_names(split)
    notes, folder = [], None
    for candidate in search_dirs(name, root):
        missing = [f for f in files if not os.path.isfile(os.path.join(candidate, f))]
        if not missing:
            folder = candidate
            break
        notes.append(f"  {candidate}: " + ("no such folder" if not os.path.isdir(candidate) else
                                           f"missing {', '.join(missing)}"))
    if folder is None:
        raise DatasetNotFoundError(
            f"cifar10 ({split} split) needs {', '.join(files)} (CIFAR-10's binary version, not "
            "the Python pickles) in one folder. Looked in:\n" + "\n".join(notes) +
            "\nTo get them: extract cifar-10-binary.tar.gz (https://www.cs.toronto.edu/~kriz/"
            "cifar-10-binary.tar.gz, it creates cifar-10-batches-bin/) and "
            + _how_to_get(name, root) + ".")
    paths = [os.path.join(folder, f) for f in files]
    sizes = [os.path.getsize(p) for p in paths]
    for path, size in zip(paths, sizes):
        if size == 0 or size % CIFAR10_RECORD:
            raise DatasetError(
                f"{path}: size mismatch: {size} bytes is not a whole number of "
                f"{CIFAR10_RECORD}-byte records (1 label byte + 3072 pixel bytes)"
                + (" - the file is truncated or not CIFAR-10's binary version" if size else
                   " - the file is empty"))
    classes, meta = _cifar10_classes(folder)
    total = sum(sizes) // CIFAR10_RECORD
    images = np.empty((total, 3, 32, 32), dtype=dtype)
    labels = np.empty(total, dtype=np.int64)
    start = 0
    for path in paths:
        records = np.fromfile(path, dtype=np.uint8).reshape(-1, CIFAR10_RECORD)
        batch_labels = records[:, 0]
        bad = np.flatnonzero(batch_labels >= len(classes))
        if bad.size:
            i = int(bad[0])
            where = f"the {len(classes)} names in {meta}" if meta else "CIFAR-10's 10 classes"
            raise DatasetError(
                f"{path}: record {i} has label {int(batch_labels[i])}, out of range for {where} "
                "(CIFAR-100's binary files, with 2 label bytes per record, are not supported)")
        end = start + len(records)
        convert_pixels(records[:, 1:].reshape(-1, 3, 32, 32), dtype, out=images[start:end])
        labels[start:end] = batch_labels
        start = end
    return LoadedDataset(images, labels, classes, name, split)
