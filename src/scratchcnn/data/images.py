"""Data sets of image files (Pillow): a folder per class, and Tiny ImageNet.

Images are decoded, converted to RGB or grayscale and resized (bicubic, as
``scratchcnn predict`` does) straight into preallocated arrays, on a few threads
(Pillow releases the GIL while decoding). Where the decoded pixels are kept is the
``storage`` of :func:`~scratchcnn.data.load_dataset`:

- ``"cache"``: decoded once into a memory-mapped uint8 ``.npy`` that later runs reuse
  (:mod:`.image_cache`);
- ``"files"``: nothing is decoded up front; each batch is decoded from its files when
  the loader asks for it (:mod:`.image_files`), for folders larger than memory;
- ``"memory"``: decoded into one array in memory, every time;
- ``"auto"`` (default): ``"cache"`` when the decoded images take at most half of the
  machine's memory, else ``"files"``.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..errors import ArgumentError
from .errors import DatasetError, DatasetNotFoundError
from .image_cache import cached_images
from .image_files import FileImages
from .loaded import LoadedDataset, cache_dir, convert_pixels

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm",
                    ".pgm")
IMAGE_FOLDER_SIZE = 64       # Tiny VGG's input, the default model for image folders
TINY_IMAGENET_SIZE = 227     # the guide's AlexNet
TINY_IMAGENET_URL = "http://cs231n.stanford.edu/tiny-imagenet-200.zip"
STORAGES = ("auto", "cache", "files", "memory")
_SPLIT_FOLDERS = {"train": ("train",), "test": ("test", "val", "valid", "validation"),
                  "val": ("val", "valid", "validation", "test")}


# Decoded pixels an image file may have (Pillow's own default limit): a small file that
# declares a huge image (a decompression bomb) is refused before it is decoded.
MAX_PIXELS = 89_478_485


def check_pixels(image, path):
    """Refuse an opened (not yet decoded) Pillow image with more than :data:`MAX_PIXELS`."""
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise DatasetError(f"{path}: the image declares {width} x {height} = {width * height:,} "
                           f"pixels, more than {MAX_PIXELS:,}: refused as a possible "
                           "decompression bomb")


def _open_failed(path, error):
    return DatasetError(f"{path}: unreadable image ({type(error).__name__}: {error})")


def image_size_of(path):
    """(height, width) of an image file."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            width, height = image.size
    except Exception as error:   # Pillow raises OSError, ValueError, SyntaxError, ...
        raise _open_failed(path, error) from None
    return height, width


def read_images(paths, size, channels=3, dtype=np.float32, workers=None):
    """The image files ``paths`` as one (N, channels, H, W) array: RGB (channels 3) or
    grayscale (1), resized to ``size`` = (H, W), float32 in [0, 1] or uint8."""
    from PIL import Image

    height, width = size
    mode = "L" if channels == 1 else "RGB"
    out = np.empty((len(paths), channels, height, width), dtype=dtype)

    def load(i):
        path = paths[i]
        try:
            with Image.open(path) as image:
                check_pixels(image, path)
                image = image.convert(mode)
                if image.size != (width, height):
                    image = image.resize((width, height), Image.Resampling.BICUBIC)
                pixels = np.asarray(image)
        except DatasetError:
            raise
        except Exception as error:   # corrupt, truncated, not an image at all
            raise _open_failed(path, error) from None
        convert_pixels(pixels[None] if channels == 1 else pixels.transpose(2, 0, 1), dtype,
                       out=out[i])

    workers = workers or min(8, os.cpu_count() or 1)
    if len(paths) < 64 or workers == 1:
        for i in range(len(paths)):
            load(i)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(load, range(len(paths)), chunksize=64))   # re-raises the first error
    return out


def memory_bytes():
    """The machine's physical memory in bytes (a large number where unknown)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return 1 << 40


def _decoder(size, channels):
    def decode(paths, dtype=np.uint8):
        return read_images(paths, size, channels, dtype, workers=1)
    return decode


def load_images(folder, key, paths, size, channels, dtype, storage="auto", progress=None):
    """The images ``paths`` decoded to (N, channels, *size) ``dtype`` as ``storage`` says
    (see the module docstring); ``key`` names the cache (e.g. ``tiny-imagenet-train``)."""
    if storage not in STORAGES:
        raise ArgumentError(f"storage must be one of {', '.join(STORAGES)}, got {storage!r}")
    shape = (len(paths), channels, *size)
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if storage == "auto":
        storage = "cache" if nbytes <= memory_bytes() // 2 else "files"
    if storage == "memory":
        return read_images(paths, size, channels, dtype)
    decode = _decoder(size, channels)
    if storage == "files":
        return FileImages(paths, shape[1:], dtype, decode)
    pixels = cached_images(folder, f"{key}-{size[0]}x{size[1]}x{channels}", paths, shape,
                           decode, progress=progress)
    return pixels if np.dtype(dtype) == np.uint8 else convert_pixels(pixels, dtype)


def _resolve_size(image_size, default, first_path):
    if image_size is None:
        image_size = default
    if isinstance(image_size, str) and image_size == "original":
        if first_path is None:
            return (1, 1)
        return image_size_of(first_path)
    if isinstance(image_size, (int, np.integer)) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    try:
        size = tuple(int(s) for s in image_size)
    except (TypeError, ValueError):
        size = ()
    if len(size) != 2 or min(size) < 1:
        raise ArgumentError(f"image_size must be a positive int, (height, width) or "
                            f"'original', got {image_size!r}")
    return size


def _resolve_channels(channels):
    channels = 3 if channels is None else channels
    if channels not in (1, 3):
        raise ArgumentError(f"channels must be 1 (grayscale) or 3 (RGB), got {channels!r}")
    return channels


def _is_image(filename):
    return not filename.startswith(".") and filename.lower().endswith(IMAGE_EXTENSIONS)


def _image_files(folder):
    """Image files under ``folder`` (recursively), sorted."""
    found = []
    for directory, subdirs, files in os.walk(folder):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        found.extend(os.path.join(directory, f) for f in sorted(files) if _is_image(f))
    return found


def _class_folders(folder, at_least=2):
    names = sorted(d for d in os.listdir(folder)
                   if not d.startswith(".") and os.path.isdir(os.path.join(folder, d)))
    if not names:
        raise DatasetError(f"{folder}: no class folders; image-folder expects one subfolder of "
                           "images per class (e.g. cats/, dogs/)")
    if len(names) < at_least:
        raise DatasetError(f"{folder}: only one class folder ({names[0]}/); a classifier needs "
                           "at least two classes, one subfolder of images each")
    return names


def _scan(folder, classes):
    paths, labels = [], []
    for index, name in enumerate(classes):
        files = _image_files(os.path.join(folder, name)) if os.path.isdir(
            os.path.join(folder, name)) else []
        if not files and os.path.isdir(os.path.join(folder, name)):
            raise DatasetError(f"{os.path.join(folder, name)}: empty class folder (no image "
                               f"files {', '.join(IMAGE_EXTENSIONS)}); add images or remove it")
        paths.extend(files)
        labels.extend([index] * len(files))
    return paths, np.asarray(labels, dtype=np.int64)


def load_image_folder(root, split, image_size, channels, dtype, storage="auto", progress=None):
    if root is None:
        raise ArgumentError("image-folder needs root (--data-dir): a folder with one subfolder "
                            "of images per class, or train/ and test/ folders of those")
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise DatasetNotFoundError(f"{root}: no such folder (image-folder expects "
                                   "root/<class>/*.png|jpg, or root/train/<class>/... and "
                                   "root/test/<class>/...)")
    present = {s: os.path.join(root, s) for names in _SPLIT_FOLDERS.values() for s in names
               if os.path.isdir(os.path.join(root, s))}
    if present:
        if split == "all":
            raise ArgumentError(f"{root} has split folders ({', '.join(sorted(present))}); "
                                "choose split 'train' or 'test'")
        folder = next((present[s] for s in _SPLIT_FOLDERS[split] if s in present), None)
        if folder is None:
            wanted = " or ".join(_SPLIT_FOLDERS[split])
            raise DatasetNotFoundError(f"{root} has {', '.join(sorted(present))}/ but no folder "
                                       f"for split {split!r} ({wanted})")
        classes = _class_folders(present.get("train", folder))
        extra = sorted(set(_class_folders(folder, at_least=1)) - set(classes))
        if extra:
            raise DatasetError(f"{folder}: class folder(s) {extra} are not among the training "
                               f"classes in {present['train']}")
        paths, labels = _scan(folder, classes)
    else:
        folder = root
        classes = _class_folders(root)
        paths, labels = _scan(root, classes)
        if split != "all" and paths:
            paths, labels = _split_80_20(root, paths, labels, split)
    if not paths:
        raise DatasetError(f"{folder}: no image files ({', '.join(IMAGE_EXTENSIONS)}) in the "
                           f"class folders {classes}")
    size = _resolve_size(image_size, IMAGE_FOLDER_SIZE, paths[0])
    images = load_images(root, f"image-folder-{split}", paths, size,
                         _resolve_channels(channels), dtype, storage, progress)
    return LoadedDataset(images, labels, classes, "image-folder", split)


def _split_80_20(root, paths, labels, split):
    """The digits' split: stratified 80/20 with random_state=0."""
    from sklearn.model_selection import train_test_split

    if split == "val":
        split = "test"
    try:
        train, test = train_test_split(np.arange(len(labels)), test_size=0.2, stratify=labels,
                                       random_state=0)
    except ValueError as error:
        raise DatasetError(f"{root}: cannot split the images 80/20 stratified ({error}); add "
                           "images, or make train/ and test/ folders") from None
    chosen = train if split == "train" else test
    return [paths[i] for i in chosen], labels[chosen]


# ---------------------------------------------------------------------- Tiny ImageNet
def _tiny_imagenet_folder(root):
    if root is not None:
        candidates = [os.fspath(root), os.path.join(os.fspath(root), "tiny-imagenet-200")]
    else:
        base = cache_dir("tiny-imagenet")
        candidates = [base, os.path.join(base, "tiny-imagenet-200")]
    for folder in candidates:
        if os.path.isfile(os.path.join(folder, "wnids.txt")):
            return folder
    target = candidates[0]
    raise DatasetNotFoundError(
        "tiny-imagenet needs the extracted tiny-imagenet-200 folder (wnids.txt, words.txt, "
        "train/<wnid>/images/*.JPEG, val/images/*.JPEG, val/val_annotations.txt); no wnids.txt "
        f"in {' or '.join(candidates)}. Get {TINY_IMAGENET_URL}, extract it in {target}"
        + (" (or set $SCRATCHCNN_DATA, or pass root= / --data-dir)" if root is None else "")
        + ".")


def _read_lines(path):
    try:
        with open(path, encoding="utf-8") as f:
            return [line.rstrip("\r\n") for line in f]
    except (OSError, UnicodeDecodeError) as error:
        raise DatasetError(f"{path}: unreadable ({error})") from None


def _tiny_imagenet_classes(folder, wnids):
    path = os.path.join(folder, "words.txt")
    if not os.path.isfile(path):
        return list(wnids)
    wanted, words = set(wnids), {}
    for line in _read_lines(path):
        wnid, _, text = line.partition("\t")
        if wnid in wanted:
            words[wnid] = text.strip()
    first = {w: words[w].split(",")[0].strip() for w in wnids if words.get(w)}
    counts = {}
    for name in first.values():
        counts[name] = counts.get(name, 0) + 1
    # the first synonym, unless two classes share it: then the whole entry
    return [(first[w] if counts[first[w]] == 1 else words[w]) if w in first else w
            for w in wnids]


def load_tiny_imagenet(root, split, image_size, channels, dtype, storage="auto", progress=None):
    folder = _tiny_imagenet_folder(root)
    wnids_path = os.path.join(folder, "wnids.txt")
    wnids = [line.strip() for line in _read_lines(wnids_path) if line.strip()]
    if not wnids:
        raise DatasetError(f"{wnids_path}: no class ids (expected one wnid per line)")
    if len(set(wnids)) != len(wnids):
        raise DatasetError(f"{wnids_path}: duplicate class ids")
    index = {w: i for i, w in enumerate(wnids)}
    paths, labels = [], []
    if split == "train":
        for wnid in wnids:
            images = os.path.join(folder, "train", wnid, "images")
            if not os.path.isdir(images):
                raise DatasetError(f"{images}: missing: {wnids_path} lists {wnid} but there is "
                                   f"no train/{wnid}/images folder")
            files = [os.path.join(images, f) for f in sorted(os.listdir(images)) if _is_image(f)]
            paths.extend(files)
            labels.extend([index[wnid]] * len(files))
    else:   # "val", and "test" as its alias: Tiny ImageNet's test images have no labels
        annotations = os.path.join(folder, "val", "val_annotations.txt")
        if not os.path.isfile(annotations):
            raise DatasetNotFoundError(f"{annotations}: missing; it maps each file of "
                                       "val/images to its class (file<TAB>wnid<TAB>box)")
        for number, line in enumerate(_read_lines(annotations), 1):
            if not line.strip():
                continue
            fields = line.split("\t") if "\t" in line else line.split()
            if len(fields) < 2 or not fields[0] or not fields[1]:
                raise DatasetError(f"{annotations}, line {number}: expected "
                                   f"'file<TAB>wnid<TAB>x0<TAB>y0<TAB>x1<TAB>y1', got {line!r}")
            filename, wnid = fields[0].strip(), fields[1].strip()
            if wnid not in index:
                raise DatasetError(f"{annotations}, line {number}: class {wnid!r} of {filename} "
                                   f"is not in {wnids_path}")
            path = os.path.join(folder, "val", "images", filename)
            if not os.path.isfile(path):
                raise DatasetError(f"{path}: missing (listed in {annotations}, line {number})")
            paths.append(path)
            labels.append(index[wnid])
    if not paths:
        raise DatasetError(f"{folder}: no {split} images")
    size = _resolve_size(image_size, TINY_IMAGENET_SIZE, paths[0])
    # val and its alias test share one cache
    images = load_images(folder, f"tiny-imagenet-{'train' if split == 'train' else 'val'}",
                         paths, size, _resolve_channels(channels), dtype, storage, progress)
    return LoadedDataset(images, np.asarray(labels, dtype=np.int64),
                         _tiny_imagenet_classes(folder, wnids), "tiny-imagenet", split)
