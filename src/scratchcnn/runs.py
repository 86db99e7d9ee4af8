"""A training run's checkpoints: which model a checkpoint rebuilds (:func:`load_model`,
:func:`build_model`), every field ``scratchcnn train`` writes checked before anything
is built from it, the options a run accepts, and what ``--resume`` and ``--out`` allow.

A checkpoint written by ``scratchcnn train`` is self-describing: it names the zoo
model and its arguments, the class names, the preprocessing (per-channel mean and std)
and the input size, so :func:`load_model` rebuilds a ready-to-use model from the file.
"""

import inspect
import math
import numbers
import os

import numpy as np

from . import models
from .cost import MAX_CLASSES, check_input_size, check_model_cost
from .errors import ArgumentError, ScratchCNNError
from .serialization import CheckpointError, load
from .train import non_finite_entries

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
