"""The training loop: ``fit`` trains, ``evaluate`` measures, checkpoints make it resumable.

>>> import numpy as np, scratchcnn as sc
>>> from scratchcnn import models
>>> from scratchcnn.data import DataLoader, TensorDataset
>>> _ = sc.manual_seed(0)
>>> x = np.random.default_rng(0).random((64, 1, 8, 8), dtype=np.float32)
>>> y = (x.mean(axis=(1, 2, 3)) > 0.5).astype(np.int64)
>>> loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, seed=0)
>>> model = models.digits_cnn(num_classes=2)
>>> history = sc.train.fit(model, loader, epochs=2, optimizer=sc.optim.Adam(
...     model.parameters(), lr=1e-2), progress=False)
>>> [row["epoch"] for row in history]
[1, 2]
"""

import copy
import csv
import io
import math
import os
import time

import numpy as np

from . import nn, optim, random
from .autograd import no_grad
from .progress import progress as show_progress
from .errors import ScratchCNNError
from .safe_write import remove_temporaries, write_bytes
from .serialization import save
from .tensor import Tensor

REPORT_SECONDS = 30    # without a progress bar, a line with img/s and the ETA this often
HISTORY_FIELDS = ("epoch", "lr", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
                  "seconds", "images_per_second")


class TrainingDivergedError(ScratchCNNError, FloatingPointError):
    """The loss became NaN or infinite; the message names where and the last good checkpoint."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl+C during :func:`fit`: ``checkpoint`` is the last complete ``last.npz`` (or
    None when no epoch finished), ``epoch`` the epoch that was interrupted."""

    def __init__(self, epoch, checkpoint):
        super().__init__(f"interrupted in epoch {epoch}")
        self.epoch, self.checkpoint = epoch, checkpoint


def non_finite_entries(model, optimizer=None):
    """Names of the parameters, buffers and optimizer state entries that hold NaN or
    infinite values (``[]`` when everything is finite): checked before a checkpoint is
    written, so a diverged run never replaces a good file."""
    bad = [name for name, value in model.state_dict().items()
           if _has_non_finite(value)]
    if optimizer is not None:
        stack = [("optimizer", optimizer.state_dict())]
        while stack:
            where, value = stack.pop()
            if isinstance(value, dict):
                stack.extend((f"{where}.{k}", v) for k, v in value.items())
            elif isinstance(value, (list, tuple)):
                stack.extend((f"{where}.{i}", v) for i, v in enumerate(value))
            elif _has_non_finite(value):
                bad.append(where)
    return bad


def _has_non_finite(value):
    if isinstance(value, Tensor):
        value = value._array
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "fc":
        return not bool(np.isfinite(value).all())
    return False


def _as_tensor(batch):
    return batch if isinstance(batch, Tensor) else Tensor(np.asarray(batch))


def evaluate(model, loader, loss_fn=None, num_classes=None):
    """Mean loss, accuracy and confusion matrix of ``model`` over ``loader`` (eval mode).

    Returns a dict: ``loss``, ``accuracy``, ``confusion`` ((K, K) int array, rows = true
    class, columns = predicted), ``per_class_accuracy``, ``count``.
    """
    if loss_fn is None:
        loss_fn = nn.CrossEntropyLoss(reduction="sum")
    was_training = model.training
    model.eval()
    total_loss, count, confusion = 0.0, 0, None
    try:
        with no_grad():
            for images, labels in loader:
                images, labels = _as_tensor(images), _as_tensor(labels)
                logits = model(images)
                k = logits.shape[1] if num_classes is None else num_classes
                if confusion is None:
                    confusion = np.zeros((k, k), dtype=np.int64)
                batch_loss = loss_fn(logits, labels).item()
                if getattr(loss_fn, "reduction", "mean") == "mean":
                    batch_loss *= len(labels)
                total_loss += batch_loss
                predicted = logits._array.argmax(axis=1)
                # one bincount over (true, predicted) pairs fills the confusion matrix
                confusion += np.bincount(labels._array * k + predicted,
                                         minlength=k * k).reshape(k, k)
                count += len(labels)
    finally:
        model.train(was_training)
    if count == 0:
        raise ScratchCNNError("evaluate(): the loader produced no data")
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.diag(confusion) / confusion.sum(axis=1)
    return {"loss": total_loss / count, "accuracy": float(np.trace(confusion) / count),
            "confusion": confusion, "per_class_accuracy": per_class, "count": count}


def _progress(iterable, total, description, enabled):
    # a bar on a terminal, tqdm's widget in a notebook, a line every few seconds in logs
    return show_progress(iterable, total, description, enabled)


def write_metrics_csv(history, path):
    """The per-epoch history as CSV (one row per epoch), written atomically through
    :mod:`scratchcnn.safe_write` (a unique temporary file, never through a link)."""
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=HISTORY_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for row in history:
        writer.writerow({k: ("" if row.get(k) is None else row[k]) for k in HISTORY_FIELDS})
    write_bytes(path, text.getvalue().encode("utf-8"))


def make_checkpoint(model, optimizer, scheduler, epoch, history, train_loader=None, meta=None):
    """Everything needed to evaluate, predict or resume: weights, optimizer and scheduler
    state, epoch, RNG states, metrics history, plus ``meta`` (model name and config, class
    names, preprocessing) for rebuilding the model from the file alone."""
    checkpoint = dict(meta or {})
    checkpoint.update({
        "epoch": epoch,
        "model_state": model.state_dict(),
        "optimizer_state": optimizer.state_dict() if optimizer is not None else None,
        "scheduler_state": scheduler.state_dict() if scheduler is not None else None,
        "rng_state": random.get_rng_state(),
        "loader_state": (train_loader.state_dict() if hasattr(train_loader, "state_dict")
                         else None),
        "history": list(history),
    })
    return checkpoint


def restore_checkpoint(checkpoint, model, optimizer=None, scheduler=None, train_loader=None):
    """Load a checkpoint's states back; returns (epoch, history) to continue from."""
    model.load_state_dict(checkpoint["model_state"])
    if optimizer is not None and checkpoint.get("optimizer_state") is not None:
        optimizer.load_state_dict(checkpoint["optimizer_state"])
    if scheduler is not None and checkpoint.get("scheduler_state") is not None:
        scheduler.load_state_dict(checkpoint["scheduler_state"])
    if checkpoint.get("rng_state") is not None:
        random.set_rng_state(checkpoint["rng_state"])
    if train_loader is not None and checkpoint.get("loader_state") is not None:
        train_loader.load_state_dict(checkpoint["loader_state"])
    return int(checkpoint["epoch"]), list(checkpoint.get("history", []))


def fit(model, train_loader, val_loader=None, epochs=10, optimizer=None, scheduler=None,
        loss_fn=None, early_stopping=None, out_dir=None, checkpoint_meta=None, resume=None,
        progress=True, log=None, distributed=None, max_steps=None):
    """Train ``model`` and return the per-epoch history (a list of dicts).

    - ``optimizer`` defaults to Adam(lr=1e-3); ``scheduler.step()`` runs after each epoch.
    - ``early_stopping``: stop after this many epochs without a better validation loss.
    - ``out_dir``: after each epoch write ``last.npz`` (and ``best.npz`` when the validation
      accuracy — or, without validation data, the training loss — improves) and
      ``metrics.csv``; checkpoints are written atomically.
    - ``resume``: a checkpoint dict (``sc.load(path)``) to continue from; the result is the
      same as an uninterrupted run.
    - ``log``: a function called with a one-line summary per epoch (e.g. ``print``) and,
      without a progress bar, every 30 seconds with the images per second and the ETA.
    - ``max_steps``: stop after this many optimizer steps of this call, then validate and
      write the checkpoints as at the end of an epoch. A checkpoint taken mid-epoch counts
      the epochs completed and the loader's position, so resuming it finishes that epoch.
    - ``distributed``: data-parallel training (a :class:`scratchcnn.distributed.DataParallel`
      of ``model``): gradients are averaged over the ranks between backward and step, and
      the epoch's loss and accuracy are totalled over all ranks. A loader whose sampler
      has ``set_epoch`` (``DistributedSampler``) gets ``set_epoch(epoch - 1)`` each epoch.
    A NaN or infinite loss, or non-finite weights, optimizer state or validation loss at
    the end of an epoch, stop training with :class:`TrainingDivergedError` before any
    checkpoint of that epoch is written. Ctrl+C raises :class:`TrainingInterrupted`
    naming the last complete checkpoint. Temporary files that killed runs left in
    ``out_dir`` are removed first.
    """
    if optimizer is None:
        optimizer = optim.Adam(model.parameters(), lr=1e-3)
    if loss_fn is None:
        loss_fn = nn.CrossEntropyLoss()
    start_epoch, history = 0, []
    if resume is not None:
        start_epoch, history = restore_checkpoint(resume, model, optimizer, scheduler,
                                                  train_loader)
        # a run stopped by max_steps mid-epoch: that epoch's row is redone
        history = [row for row in history if row["epoch"] <= start_epoch]
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        remove_temporaries(out_dir)
    last_good = None
    if out_dir is not None and os.path.exists(os.path.join(out_dir, "last.npz")):
        last_good = os.path.join(out_dir, "last.npz")
    best_val_loss, stale = math.inf, 0
    for row in history:   # on resume, the early-stopping state as the run left it
        if row.get("val_loss") is None:
            continue
        if row["val_loss"] < best_val_loss:
            best_val_loss, stale = row["val_loss"], 0
        else:
            stale += 1

    state = {"epoch": start_epoch, "last_good": last_good}
    try:
        # NumPy's overflow warnings would print before the divergence message says the
        # same thing clearly: silenced here only, for this loop.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return _epochs(model, train_loader, val_loader, epochs, optimizer, scheduler,
                           loss_fn, early_stopping, out_dir, checkpoint_meta, progress, log,
                           start_epoch, history, state, best_val_loss, stale, distributed,
                           max_steps)
    except KeyboardInterrupt:
        raise TrainingInterrupted(state["epoch"], state["last_good"]) from None


def _epochs(model, train_loader, val_loader, epochs, optimizer, scheduler, loss_fn,
            early_stopping, out_dir, checkpoint_meta, progress, log, start_epoch, history,
            state, best_val_loss, stale, distributed=None, max_steps=None):
    """The epoch loop of :func:`fit`; ``state`` tells fit where an interrupt struck."""
    last_good = state["last_good"]
    steps_done, stopped_at = 0, None   # stopped_at: the loader's position at max_steps
    best_score = _best_score(history, val_loader is not None)
    for epoch in range(start_epoch + 1, epochs + 1):
        state["epoch"] = epoch
        model.train()
        started = time.perf_counter()
        seen, correct, loss_sum = 0, 0, 0.0
        sampler = getattr(train_loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):   # DistributedSampler: the shuffle of this epoch
            sampler.set_epoch(epoch - 1)
        batches = _progress(train_loader, len(train_loader), f"epoch {epoch}/{epochs}", progress)
        planned = len(train_loader) if max_steps is None else \
            min(len(train_loader), max_steps - steps_done)
        reported = started
        for step, (images, labels) in enumerate(batches, 1):
            images, labels = _as_tensor(images), _as_tensor(labels)
            logits = model(images)
            loss = loss_fn(logits, labels)
            value = loss.item()
            if not math.isfinite(value):
                where = f"epoch {epoch}, step {step}"
                hint = (f"; the last good checkpoint is {last_good}" if last_good else
                        "; no checkpoint was written before it")
                raise TrainingDivergedError(f"training diverged: the loss is {value} at {where}"
                                            f"{hint}. Try a lower learning rate.")
            optimizer.zero_grad()
            loss.backward()
            if distributed is not None:
                distributed.all_reduce_gradients()
            optimizer.step()
            n = len(labels)
            seen += n
            loss_sum += value * n
            correct += int((logits._array.argmax(axis=1) == labels._array).sum())
            if progress and hasattr(batches, "set_postfix"):
                elapsed = time.perf_counter() - started
                batches.set_postfix(loss=f"{loss_sum / seen:.4f}",
                                    img_s=f"{seen / max(elapsed, 1e-9):.0f}")
            elif log is not None and time.perf_counter() - reported >= REPORT_SECONDS:
                reported = time.perf_counter()
                log(_step_line(epoch, epochs, step, planned, seen, reported - started))
            steps_done += 1
            if max_steps is not None and steps_done >= max_steps:
                if step < len(train_loader) and hasattr(train_loader, "state_dict"):
                    stopped_at = train_loader.state_dict()   # mid-epoch: where to resume
                break
        seconds = time.perf_counter() - started
        if distributed is not None:   # the epoch's metrics over all ranks' shards
            loss_sum, correct, seen = distributed.all_reduce_sum([loss_sum, correct, seen])
            correct, seen = int(round(correct)), int(round(seen))
        if seen == 0:
            raise ScratchCNNError(f"fit(): the training loader produced no batches in epoch "
                                  f"{epoch} (is the data set smaller than one batch with "
                                  "drop_last=True?)")
        row = {"epoch": epoch, "lr": optimizer.param_groups[0]["lr"],
               "train_loss": loss_sum / max(seen, 1), "train_accuracy": correct / max(seen, 1),
               "val_loss": None, "val_accuracy": None, "seconds": round(seconds, 3),
               "images_per_second": round(seen / max(seconds, 1e-9), 1)}
        if val_loader is not None:
            result = evaluate(model, val_loader, loss_fn=_summed(loss_fn))
            row["val_loss"], row["val_accuracy"] = result["loss"], result["accuracy"]
        if scheduler is not None:
            scheduler.step()
        _check_epoch_finite(model, optimizer, row, epoch, last_good)
        history.append(row)
        if log is not None:
            log(_epoch_line(row, epochs))

        if out_dir is not None:
            checkpoint = make_checkpoint(model, optimizer, scheduler, epoch, history,
                                         train_loader, checkpoint_meta)
            if stopped_at is not None:   # a part of this epoch: resuming finishes it
                checkpoint.update(epoch=epoch - 1, loader_state=stopped_at)
            save(checkpoint, os.path.join(out_dir, "last.npz"))
            last_good = state["last_good"] = os.path.join(out_dir, "last.npz")
            score = row["val_accuracy"] if val_loader is not None else -row["train_loss"]
            if best_score is None or score > best_score:
                best_score = score
                save(checkpoint, os.path.join(out_dir, "best.npz"))
            write_metrics_csv(history, os.path.join(out_dir, "metrics.csv"))

        if max_steps is not None and steps_done >= max_steps:
            if log is not None:
                log(f"stopped after {steps_done} steps (max_steps)")
            break
        if early_stopping and row["val_loss"] is not None:
            if row["val_loss"] < best_val_loss:
                best_val_loss, stale = row["val_loss"], 0
            else:
                stale += 1
                if stale >= early_stopping:
                    if log is not None:
                        log(f"early stopping: no better validation loss for {stale} epochs")
                    break
    return history


def _check_epoch_finite(model, optimizer, row, epoch, last_good):
    """Refuse to go on (and so to write a checkpoint) after an epoch that left NaN or inf
    in the weights, the optimizer state, or the losses."""
    bad = non_finite_entries(model, optimizer)
    losses = [key for key in ("train_loss", "val_loss")
              if row[key] is not None and not math.isfinite(row[key])]
    if not bad and not losses:
        return
    what = ([f"the {key.replace('_', ' ')} is {row[key]}" for key in losses]
            + ([f"non-finite values in {', '.join(bad[:5])}"
                + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")] if bad else []))
    kept = (f"{last_good} (from an earlier epoch) is kept unchanged" if last_good else
            "no checkpoint was written")
    raise TrainingDivergedError(f"training diverged at the end of epoch {epoch}: "
                                f"{'; '.join(what)}. No checkpoint of this epoch was "
                                f"written; {kept}. Try a lower learning rate.")


def _summed(loss_fn):
    """The same loss with reduction="sum" when it has that option (evaluate averages)."""
    if getattr(loss_fn, "reduction", None) == "mean":
        loss_fn = copy.copy(loss_fn)
        loss_fn.reduction = "sum"
    return loss_fn


def _best_score(history, has_validation):
    scores = [(row["val_accuracy"] if has_validation else -row["train_loss"])
              for row in history if (row.get("val_accuracy") is not None or not has_validation)]
    return max(scores) if scores else None


def _step_line(epoch, epochs, step, planned, seen, elapsed):
    """``epoch 1/30  step 120/2813  38.2 img/s  ETA 19m50s`` (to the end of the epoch, or
    of the steps max_steps allows)."""
    eta = elapsed / step * max(planned - step, 0)
    minutes, seconds = divmod(int(round(eta)), 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"
    return (f"epoch {epoch}/{epochs}  step {step}/{planned}  "
            f"{seen / max(elapsed, 1e-9):.1f} img/s  ETA {text}")


def _epoch_line(row, epochs):
    text = (f"epoch {row['epoch']:>{len(str(epochs))}}/{epochs}  loss {row['train_loss']:.4f}  "
            f"acc {row['train_accuracy']:.2%}")
    if row["val_loss"] is not None:
        text += f"  val loss {row['val_loss']:.4f}  val acc {row['val_accuracy']:.2%}"
    return text + f"  {row['seconds']:.1f}s ({row['images_per_second']:.0f} img/s)"
