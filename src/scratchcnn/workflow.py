"""What the ``train``, ``evaluate`` and ``predict`` commands do, as plain functions.

The pieces live by concept: :mod:`scratchcnn.runs` (checkpoints, options, resuming),
:mod:`scratchcnn.run_data` (data sets, validation split, normalisation),
:mod:`scratchcnn.inference` (evaluate, predict); this module runs training and keeps
every name importable from ``scratchcnn.workflow``.
"""

import os

import numpy as np

from . import models, optim, random
from .errors import ArgumentError
from .safe_write import remove_temporaries
from .serialization import load
from .train import evaluate, fit

# Every name at its former address, scratchcnn.workflow:
from .inference import evaluate_checkpoint, predict, read_image  # noqa: F401
from .run_data import (  # noqa: F401
    BACKGROUND_DATA, DATA_DEFAULTS, EVAL_BATCH, LOADER_WORKERS, NATIVE_SIZE_DATA,
    _eval_batch_size, _load, _resize_to, channel_stats, default_out_dir, normalize,
    preprocess, split_validation, split_validation_indices,
)
from .runs import (  # noqa: F401
    MAX_EPOCHS, MAX_SEED, RESUMED_OPTIONS, RUN_FILES, _check_train_checkpoint, _is_int,
    _is_real, _pick, _resume_conflicts, build_model, check_options, check_out_dir, load_model,
    model_config,
)

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

