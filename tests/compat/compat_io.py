"""What a compatibility program shares with the test that runs it, in plain NumPy.

A program runs twice, under PyTorch and under scratchcnn (its imports rewritten by
``run_program.py``). ``sync(model, torch)`` makes both runs start from the same
weights: the first run (PyTorch) saves its freshly initialised state dict as a NumPy
archive, the second loads it. ``record(name, value)`` keeps numbers to compare; they
are written to ``<backend>.npz`` when the program ends. Nothing here is pickled.
"""

import atexit
import os

import numpy as np

_DIR = os.environ.get("COMPAT_DIR", ".")
_BACKEND = os.environ.get("COMPAT_BACKEND", "torch")
_records = {}


def _as_numpy(value):
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "numpy"):
        value = value.numpy()
    return np.array(value)


def sync(model, torch, name="model"):
    """Give ``model`` the weights of the PyTorch run (saving them on that run)."""
    path = os.path.join(_DIR, f"init_{name}.npz")
    if _BACKEND == "torch":
        np.savez(path, **{key: _as_numpy(value) for key, value in model.state_dict().items()})
        return model
    with np.load(path, allow_pickle=False) as archive:
        state = {key: torch.from_numpy(archive[key].copy()) for key in archive.files}
    model.load_state_dict(state)
    return model


def record(name, value):
    """Keep ``value`` (a number, a tensor, a list of numbers) under ``name``."""
    if name in _records:
        raise KeyError(f"record({name!r}) called twice")
    _records[name] = _as_numpy(value)


def data(seed, *shape, kind="normal", high=10, dtype="float32"):
    """The same data in both runs: a NumPy array from a seeded generator."""
    rng = np.random.default_rng(seed)
    if kind == "normal":
        return rng.standard_normal(shape).astype(dtype)
    if kind == "uniform":
        return rng.random(shape).astype(dtype)
    return rng.integers(0, high, size=shape).astype("int64")


@atexit.register
def _write():
    np.savez(os.path.join(_DIR, f"{_BACKEND}.npz"), **_records)
