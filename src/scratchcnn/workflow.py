"""What the ``train``, ``evaluate`` and ``predict`` commands do, as plain functions.

A checkpoint written here is self-describing: it names the zoo model and its
arguments, the class names, the preprocessing (per-channel mean and std) and the
input size, so :func:`load_model` rebuilds a ready-to-use model from the file alone.
"""

import datetime
import inspect
import math
import numbers
import os

import numpy as np

from . import models, optim, random
from .cost import MAX_CLASSES, check_input_size, check_model_cost
from .errors import ArgumentError, ScratchCNNError
from .safe_write import remove_temporaries
from .serialization import CheckpointError, load
from .train import evaluate, fit, non_finite_entries

# What a run writes into its folder: a folder holding any of these holds a run.
RUN_FILES = ("last.npz", "best.npz", "metrics.csv", "curves.png", "confusion.png",
             "filters.png", "feature_maps.png")
MAX_EPOCHS = 1_000_000
MAX_SEED = 2 ** 32 - 1        # scikit-learn's random_state range (the validation split)
# Options a resumed run takes from its checkpoint; given again, they must agree.
RESUMED_OPTIONS = ("model", "data", "optimizer", "lr", "batch_size", "seed", "val_fraction",
                   "limit")

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


def model_config(name, num_classes, input_size):
    """The constructor arguments of zoo model ``name`` for this data (saved in checkpoints
    as ``model_config``): the class count, and the image size where the model takes one
    (``tiny_vgg`` on CIFAR-10's 32x32)."""
    config = {"num_classes": num_classes}
    constructor = getattr(models, name.replace("-", "_").lower())
    height, width = tuple(input_size)[-2:]
    if "image_size" in inspect.signature(constructor).parameters and height == width and \
            (height, width) != tuple(models.input_size(name))[-2:]:
        config["image_size"] = int(height)
    return config


def build_model(name, num_classes, input_size, data=None):
    """A zoo model for ``num_classes``, checked against the data's image size; one that
    does not fit raises ArgumentError saying in one line what to pass instead."""
    model = models.get(name, **model_config(name, num_classes, input_size))
    try:
        model.output_shape((1,) + tuple(input_size))   # a clear error now, not mid-epoch
    except ScratchCNNError:
        if data is None:
            raise
        size = "x".join(map(str, input_size))
        own = "x".join(map(str, models.input_size(name)))
        fitting = [m for m in models.names() if list(models.input_size(m)) == list(input_size)]
        instead = f", or a model made for {size}: {', '.join(fitting)}" if fitting else ""
        raise ArgumentError(f"{name} takes {own} images and {data} images are {size}: pass "
                            f"--data {models.natural_data(name)}{instead}") from None
    return model


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and \
        math.isfinite(value)


def _check_train_checkpoint(checkpoint, path="this checkpoint"):
    """Every field ``scratchcnn train`` writes and its readers use, checked for type and
    range before anything is built from it; CheckpointError names the field."""
    def bad(message):
        raise CheckpointError(f"{path}: {message}")

    if not isinstance(checkpoint, dict):
        bad(f"expected a dict of a training run, got {type(checkpoint).__name__}")
    for key in ("model_name", "model_config", "model_state"):
        if key not in checkpoint:
            bad(f"no {key!r}: it was not written by `scratchcnn train` (load it with sc.load "
                "and your own model)")
    name, config = checkpoint["model_name"], checkpoint["model_config"]
    if not isinstance(name, str) or name.replace("-", "_").lower() not in models.names():
        bad(f"unknown model_name {str(name)[:60]!r}; known: {', '.join(models.names())}")
    constructor = getattr(models, name.replace("-", "_").lower())
    accepted = {p.name for p in inspect.signature(constructor).parameters.values()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    if not isinstance(config, dict) or not set(config) <= accepted:
        bad(f"model_config must be a dict with keys among {sorted(accepted)}, got "
            f"{str(config)[:80]}")
    for key, value in config.items():   # e.g. in_channels: bounded before allocation
        if not isinstance(value, (str, int, float)) or (
                _is_int(value) and not 1 <= value <= MAX_CLASSES):
            bad(f"model_config {key} must be a string or a number in 1..{MAX_CLASSES}, got "
                f"{str(value)[:40]}")
    if not isinstance(checkpoint.get("data", ""), str):
        bad(f"data must be a data set name, got {str(checkpoint['data'])[:40]}")
    classes = config.get("num_classes")
    if classes is not None and (not _is_int(classes) or not 1 <= classes <= MAX_CLASSES):
        bad(f"model_config num_classes must be an integer in 1..{MAX_CLASSES}, got "
            f"{str(classes)[:40]}")
    names = checkpoint.get("classes")
    if names is not None and (not isinstance(names, list) or not all(
            isinstance(c, (str, int)) and not isinstance(c, bool) for c in names)
            or (classes is not None and len(names) != classes)):
        bad(f"classes must be a list of {classes} class names, got {str(names)[:80]}")
    size = checkpoint.get("input_size")
    if size is not None:
        check_input_size(size, f"{path}: input_size", refuse=bad)
    prep = checkpoint.get("preprocessing")
    if prep is not None:
        channels = size[0] if size is not None else None
        if not isinstance(prep, dict) or not all(
                isinstance(prep.get(k), list) and all(_is_real(x) for x in prep[k])
                and (channels is None or len(prep[k]) == channels) for k in ("mean", "std")) \
                or not all(x > 0 for x in prep["std"]):
            bad(f"preprocessing must hold 'mean' and 'std' lists of {channels or 'C'} finite "
                f"numbers (std > 0), got {str(prep)[:80]}")
    state = checkpoint["model_state"]
    if not isinstance(state, dict):
        bad(f"model_state must be a dict of arrays, got {type(state).__name__}")
    for key, value in state.items():
        array = getattr(value, "_array", value)
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
            kind = array.dtype if isinstance(array, np.ndarray) else type(value).__name__
            bad(f"model_state[{str(key)[:60]!r}] must be an array of real numbers, got {kind}")


def load_model(checkpoint):
    """(model in eval mode, checkpoint dict) from a checkpoint path or dict.

    A damaged, forged or diverged checkpoint raises :class:`CheckpointError` naming what
    is wrong: missing or mistyped fields, weights that are not real numbers or do not fit
    the model, sizes too large to allocate, NaN or infinite weights."""
    path = "this checkpoint"
    if not isinstance(checkpoint, dict):
        path, checkpoint = checkpoint, load(checkpoint)
    _check_train_checkpoint(checkpoint, path)
    try:
        model = models.get(checkpoint["model_name"], **checkpoint["model_config"])
        if checkpoint.get("input_size") is not None:
            check_model_cost(model, checkpoint["input_size"], f"{path}")
            model.output_shape((1, *checkpoint["input_size"]))
        model.load_state_dict(checkpoint["model_state"])
    except CheckpointError:
        raise
    except (ScratchCNNError, TypeError, ValueError, KeyError) as error:
        raise CheckpointError(f"{path} does not fit its model: {error}") from None
    bad = non_finite_entries(model)
    if bad:
        raise CheckpointError(f"{path} holds NaN or infinite weights in "
                              f"{', '.join(bad[:5])}{' and more' if len(bad) > 5 else ''}: "
                              "the run that wrote it diverged; use an earlier checkpoint")
    return model.eval(), checkpoint


def check_options(epochs=None, batch_size=None, lr=None, seed=None, limit=None,
                  val_fraction=None):
    """Each given training option in its range (ArgumentError naming it otherwise)."""
    for name, value, low, high in (("epochs", epochs, 1, MAX_EPOCHS),
                                   ("batch_size", batch_size, 1, 2 ** 31 - 1),
                                   ("seed", seed, 0, MAX_SEED), ("limit", limit, 2, 2 ** 63)):
        if value is not None and (not _is_int(value) or not low <= value <= high):
            raise ArgumentError(f"{name} must be an integer in {low}..{high}, got {value!r}")
    if lr is not None and (not _is_real(lr) or lr <= 0):
        raise ArgumentError(f"lr must be a positive finite number, got {lr!r}")
    if val_fraction is not None and (not _is_real(val_fraction) or not 0 <= val_fraction < 1):
        raise ArgumentError(f"val_fraction must be in [0, 1), got {val_fraction!r}")


def _resume_conflicts(checkpoint, given):
    """``--name value (the checkpoint has other)`` for each given option that differs."""
    conflicts = []
    for name in RESUMED_OPTIONS:
        value, stored = given.get(name), checkpoint.get(name if name != "model"
                                                        else "model_name")
        if value is None or stored is None:
            continue
        same = (math.isclose(value, stored, rel_tol=1e-12) if name in ("lr", "val_fraction")
                and _is_real(stored) else value == stored)
        if not same:
            conflicts.append(f"--{name.replace('_', '-')} {value} (the run used {stored})")
    return conflicts


def check_out_dir(out_dir, resume=None, overwrite=False):
    """Refuse to write a run into a folder that holds another run, unless it is the run
    being resumed or ``overwrite``; with ``overwrite``, the old run's files are removed."""
    if not os.path.isdir(out_dir):
        return
    found = [name for name in RUN_FILES if os.path.lexists(os.path.join(out_dir, name))]
    same = resume is not None and os.path.samefile(os.path.dirname(os.path.abspath(resume)),
                                                   out_dir)
    if not found or same:
        return
    if not overwrite:
        raise ArgumentError(f"{out_dir} already holds a run ({', '.join(found)}): resume it "
                            f"with --resume {os.path.join(out_dir, 'last.npz')}, choose "
                            "another --out, or pass --overwrite to replace it")
    for name in found:
        os.unlink(os.path.join(out_dir, name))


def _pick(value, stored, default):
    """The given value, else the checkpoint's, else the default (0 stays 0)."""
    if value is not None:
        return value
    return stored if stored is not None else default


def train(data=None, model=None, data_dir=None, epochs=None, batch_size=None, lr=None,
          optimizer=None, seed=None, out_dir=None, resume=None, val_fraction=None,
          progress=True, log=print, plots=True, limit=None, overwrite=False,
          distributed=False, timeout=None, max_steps=None, num_workers=None):
    """Train a zoo model on a data set; returns (model, history, test result, out_dir).

    ``limit``: train on a random subset of at most this many training images (quick runs).
    ``max_steps``: stop after this many optimizer steps of this call (then validate,
    evaluate and write checkpoints and plots as at the end of any run).
    ``num_workers``: background threads preparing batches (default 2 for image folders
    and Tiny ImageNet, whose batches are read from disk and resized, else 0).
    ``out_dir`` must not hold another run unless ``overwrite`` (or it is the run that
    ``resume`` continues). On resume, options given again must agree with the checkpoint
    (each conflict is named); ``epochs`` is the new total and must exceed the epochs done.
    Defaults (None): digits, adam, seed 0, val_fraction 0.1, and the data set's model,
    epochs, batch size and lr.
    ``distributed``: this process is one rank of a torchrun job (docs/distributed.md):
    ``batch_size`` is the global batch, split over the ranks; rank 0 alone reads
    ``resume`` (sent to the others), logs and writes files; ``timeout``: seconds a rank
    waits for the others (default 300).
    """
    from .data import DataLoader, Subset
    from .data.image_cache import release_pages

    check_options(epochs, batch_size, lr, seed, limit, val_fraction)
    if max_steps is not None and (not _is_int(max_steps) or max_steps < 1):
        raise ArgumentError(f"max_steps must be a positive integer, got {max_steps!r}")
    if num_workers is not None and (not _is_int(num_workers) or num_workers < 0):
        raise ArgumentError(f"num_workers must be an integer >= 0, got {num_workers!r}")
    group = None
    if distributed:
        from .distributed.training import TrainingGroup
        group = TrainingGroup(timeout)
        if group.rank:   # only rank 0 prints and writes
            log, progress, plots = None, False, False
    writer = group is None or group.rank == 0
    checkpoint = None
    if resume:
        checkpoint = group.load_checkpoint(resume) if group else load(resume)
    if checkpoint is not None:
        _check_train_checkpoint(checkpoint, resume)
        conflicts = _resume_conflicts(checkpoint, dict(
            model=model, data=data, optimizer=optimizer, lr=lr, batch_size=batch_size,
            seed=seed, val_fraction=val_fraction, limit=limit))
        if conflicts:
            raise ArgumentError(f"--resume {resume} continues a run with its own settings; "
                                f"these options contradict it: {'; '.join(conflicts)}. Drop "
                                "them, or start a new run with --out")
        # A resumed run is the same run: its data, model, seed and subset come from the file.
        model = checkpoint["model_name"]
        done = checkpoint.get("epoch")
        if epochs is not None and _is_int(done) and epochs <= done:
            raise ArgumentError(f"{resume} has already trained {done} epochs; give --epochs "
                                f"greater than {done} to train more")
    stored = checkpoint or {}
    # without --data a zoo model trains on the data set it is made for (digits_cnn: digits)
    data = _pick(data, stored.get("data"), models.natural_data(model) if model else "digits")
    seed = _pick(seed, stored.get("seed"), 0)
    val_fraction = _pick(val_fraction, stored.get("val_fraction"), 0.1)
    optimizer = _pick(optimizer, stored.get("optimizer"), "adam")
    defaults = DATA_DEFAULTS.get(data, DATA_DEFAULTS["digits"])
    model_name = _pick(model, None, defaults["model"])
    epochs = _pick(epochs, stored.get("epochs"), defaults["epochs"])
    batch_size = _pick(batch_size, stored.get("batch_size"), defaults["batch_size"])
    lr = _pick(lr, stored.get("lr"), defaults["lr"])
    limit = _pick(limit, stored.get("limit"), None)
    check_options(epochs, batch_size, lr, seed, limit, val_fraction)   # the stored ones too
    if optimizer not in ("sgd", "adam"):
        raise ArgumentError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    if out_dir is None:
        out_dir = (os.path.dirname(os.path.abspath(resume)) if resume else
                   default_out_dir())
    if writer:
        check_out_dir(out_dir, resume, overwrite)
        remove_temporaries(out_dir)

    random.manual_seed(seed)
    train_set = _load(data, data_dir, "train", progress=progress)
    test_set = _load(data, data_dir, "test", progress=progress)
    # The splits are index lists into the data set (never copies of its images, which
    # may be a memory-mapped cache or files read per batch).
    keep = np.arange(len(train_set.labels))
    if limit is not None:
        keep = np.sort(np.random.default_rng(seed).permutation(len(keep))[:limit])
    train_rows, val_rows = split_validation_indices(train_set.labels[keep], val_fraction, seed)
    train_rows = keep[train_rows]
    preprocessing = (checkpoint or {}).get("preprocessing")
    if preprocessing is None:
        mean, std = channel_stats(train_set.images, indices=train_rows)
        preprocessing = {"mean": mean, "std": std}
        release_pages(train_set.images)   # that pass read every cached image: hand them back
    data_shape = list(train_set.images.shape[1:])
    input_size = list((checkpoint or {}).get("input_size") or data_shape)
    if data in NATIVE_SIZE_DATA and checkpoint is None:
        input_size = data_shape[:1] + list(models.input_size(model_name)[1:])
    classes = list(train_set.classes)
    network = build_model(model_name, len(classes), input_size, data)

    transform = preprocess(preprocessing, _resize_to(data, data_shape, input_size))
    workers = (LOADER_WORKERS if data in BACKGROUND_DATA else 0) if num_workers is None \
        else num_workers
    eval_batch = _eval_batch_size(input_size, batch_size)
    x_train = Subset(train_set, train_rows)
    if group is not None:   # this rank's shard of each epoch
        train_loader = group.train_loader(x_train, batch_size, seed, transform)
    else:
        train_loader = DataLoader(x_train, batch_size=batch_size, shuffle=True, seed=seed,
                                  transform=transform, num_workers=workers)
    val_loader = None
    if val_rows is not None:
        val_loader = DataLoader(Subset(train_set, keep[val_rows]), batch_size=eval_batch,
                                transform=transform, num_workers=workers)
    test_loader = DataLoader(test_set, batch_size=eval_batch, transform=transform,
                             num_workers=workers)
    parameters = list(network.parameters())
    opt = (optim.Adam(parameters, lr=lr) if optimizer == "adam" else
           optim.SGD(parameters, lr=lr, momentum=0.9))
    meta = {"model_name": model_name,
            "model_config": model_config(model_name, len(classes), input_size),
            "data": data, "classes": classes, "preprocessing": preprocessing,
            "input_size": input_size, "epochs": epochs, "batch_size": batch_size, "lr": lr,
            "optimizer": optimizer, "seed": seed, "limit": limit, "val_fraction": val_fraction}
    if log:
        resized = "" if data_shape == input_size else \
            f" (stored at {'x'.join(map(str, data_shape))}, resized per batch)"
        log(f"{model_name} on {data}: {len(train_rows)} train / "
            f"{0 if val_rows is None else len(val_rows)} validation / "
            f"{len(test_set.labels)} test images of {'x'.join(map(str, input_size))}"
            f"{resized}; writing to {out_dir}")
    history = fit(network, train_loader, val_loader, epochs=epochs, optimizer=opt,
                  out_dir=out_dir if writer else None, checkpoint_meta=meta,
                  resume=checkpoint, progress=progress, log=log,
                  distributed=group.data_parallel(network) if group else None,
                  max_steps=max_steps)
    result = evaluate(network, test_loader, num_classes=len(classes))
    if group is not None:
        group.close()
    if plots:
        write_plots(network, history, result["confusion"], classes,
                    transform(np.asarray(test_set.images[:1]))[0], out_dir)
    return network, history, result, out_dir


def write_plots(model, history, confusion, classes, example, out_dir):
    from . import plots

    plots.plot_history(history, os.path.join(out_dir, "curves.png"))
    plots.plot_confusion(confusion, classes, os.path.join(out_dir, "confusion.png"))
    plots.plot_filters(model, os.path.join(out_dir, "filters.png"))
    plots.plot_feature_maps(model, example, os.path.join(out_dir, "feature_maps.png"))


def evaluate_checkpoint(path, data=None, data_dir=None, split="test"):
    """(result dict, checkpoint) of a saved model on a data set's split."""
    from .data import DataLoader

    model, checkpoint = load_model(path)
    if checkpoint.get("preprocessing") is None:
        raise CheckpointError(f"{path} has no preprocessing: it was not written by "
                              "`scratchcnn train`")
    if data is None:
        data = checkpoint.get("data", "digits")
    dataset = _load(data, data_dir, split)
    data_shape = list(dataset.images.shape[1:])
    input_size = list(checkpoint.get("input_size") or data_shape)
    resize_to = _resize_to(data, data_shape, input_size)
    if data_shape[:1] + list(resize_to or data_shape[1:]) != input_size:
        raise ArgumentError(f"{data} images are {tuple(data_shape)}, the model was "
                            f"trained on {tuple(checkpoint['input_size'])}")
    workers = LOADER_WORKERS if data in BACKGROUND_DATA else 0
    loader = DataLoader(dataset, batch_size=_eval_batch_size(input_size, 256),
                        transform=preprocess(checkpoint["preprocessing"], resize_to),
                        num_workers=workers)
    classes = checkpoint.get("classes")
    if classes is None:
        classes = list(dataset.classes)
    return evaluate(model, loader, num_classes=len(classes)), checkpoint


def read_image(path, input_size, invert=False):
    """An image file as a (C, H, W) float32 array in [0, 1], converted to the model's
    channels and resized to its input size."""
    from PIL import Image

    from .data.images import check_pixels

    channels, height, width = input_size
    try:
        with Image.open(path) as image:
            check_pixels(image, path)     # a decompression bomb is refused before decoding
            image = image.convert("L" if channels == 1 else "RGB").resize((width, height))
            array = np.asarray(image, dtype=np.float32) / 255.0
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except ScratchCNNError:
        raise
    except Exception as error:   # Pillow raises OSError, ValueError, SyntaxError, ...
        raise ArgumentError(f"cannot read image {path}: {type(error).__name__}: "
                            f"{error}") from None
    array = array[None] if channels == 1 else array.transpose(2, 0, 1)
    return 1.0 - array if invert else array


def predict(path, images, topk=3, invert=None, preprocess=True, report=None):
    """For each image file: [(class name, probability)] of the ``topk`` likeliest classes.

    Each picture is first brought to the training images' form by
    :func:`scratchcnn.data.picture.prepare_picture` (polarity from the border, cropped,
    scaled and centred as the checkpoint's data set was); ``invert`` True/False forces
    the polarity, ``preprocess=False`` only resizes. ``report(path, words)`` is called
    with what was done to each picture."""
    from .autograd import no_grad
    from .data.picture import load_picture
    from .nn import functional as F
    from .tensor import Tensor

    if not _is_int(topk) or topk < 1:
        raise ArgumentError(f"topk must be a positive integer, got {topk!r}")
    model, checkpoint = load_model(path)
    if checkpoint.get("input_size") is None or checkpoint.get("classes") is None \
            or checkpoint.get("preprocessing") is None:
        raise CheckpointError(f"{path} lacks input_size, classes or preprocessing: it was "
                              "not written by `scratchcnn train`")
    arrays = []
    for image in images:
        array, words = load_picture(image, checkpoint["input_size"], checkpoint.get("data"),
                                    invert, preprocess)
        arrays.append(array)
        if report is not None:
            report(image, words)
    batch = np.stack(arrays)
    with no_grad():
        probabilities = F.softmax(model(Tensor(normalize(batch, checkpoint["preprocessing"]))),
                                  dim=1).numpy()
    classes = checkpoint["classes"]
    order = np.argsort(-probabilities, axis=1)[:, :topk]
    return [[(classes[k], float(row[k])) for k in ranks]
            for row, ranks in zip(probabilities, order)]
