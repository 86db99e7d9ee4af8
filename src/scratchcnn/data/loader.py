"""``Dataset``, ``TensorDataset`` and ``DataLoader`` in PyTorch's shape, batch at a time.

The loader never touches single samples in its hot path: for each batch it hands the
whole index array to ``dataset.get_batch(indices)``, which a :class:`TensorDataset`
answers with one fancy-indexing operation per array, and it applies the transform to
the whole batch (see :mod:`scratchcnn.data.transforms`).

Randomness is counter-based: the permutation of epoch ``e`` comes from a generator
seeded with ``(seed, e)``, and the transform of batch ``b`` of that epoch draws from
one seeded with ``(seed, e, b)``. The loader's whole random state is therefore three
integers (:meth:`DataLoader.state_dict`), and a run resumed from them, even in the
middle of an epoch, sees the same batches as the uninterrupted run.

>>> import numpy as np
>>> from scratchcnn.data import DataLoader, TensorDataset
>>> x = np.arange(10, dtype=np.float32).reshape(10, 1, 1, 1)
>>> loader = DataLoader(TensorDataset(x, np.arange(10)), batch_size=4, shuffle=True, seed=0)
>>> epoch_1 = [labels.tolist() for _, labels in loader]
>>> epoch_2 = [labels.tolist() for _, labels in loader]
>>> len(loader), sorted(sum(epoch_1, [])) == list(range(10)), epoch_1 != epoch_2
(3, True, True)
>>> images, labels = next(iter(DataLoader(TensorDataset(x, np.arange(10)), batch_size=4)))
>>> images.shape, images.dtype, labels.tolist()
((4, 1, 1, 1), dtype('float32'), [0, 1, 2, 3])
"""

import abc
import math

import numpy as np

from .. import random
from ..errors import ArgumentError, ShapeError
from ..tensor import Tensor

_SEED_LIMIT = 2 ** 53   # drawn seeds stay exact in any JSON reader (doubles)
_PERMUTATION, _TRANSFORM = 0, 1  # the two random streams of an epoch


def _as_array(value):
    return value._array if isinstance(value, Tensor) else np.asarray(value)


def collate(samples):
    """Stack a list of samples (tuples of arrays / numbers, or single arrays) into a
    tuple of batch arrays: the fallback for datasets without ``get_batch``."""
    if not samples:
        raise ArgumentError("cannot collate an empty list of samples")
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(np.stack([_as_array(sample[k]) for sample in samples])
                     for k in range(len(first)))
    return (np.stack([_as_array(sample) for sample in samples]),)


class Dataset(abc.ABC):
    """A map-style data set: ``len(dataset)`` and ``dataset[i] -> (image, label)``.

    Subclasses define both, and may define ``get_batch(indices)`` returning a tuple of
    batch arrays (one per field) for a whole index array; the default stacks
    ``dataset[i]`` one by one.
    """

    @abc.abstractmethod
    def __getitem__(self, index):
        """The sample at ``index`` as a tuple of arrays or numbers."""

    @abc.abstractmethod
    def __len__(self):
        """The number of samples."""

    def get_batch(self, indices):
        """A tuple of arrays, one per field, for the samples at ``indices`` (an int array)."""
        return collate([self[int(i)] for i in indices])


class TensorDataset(Dataset):
    """Arrays (NumPy arrays or Tensors) that share their first dimension, e.g.
    ``TensorDataset(images, labels)``; a batch is one fancy-indexing per array.

    >>> import numpy as np
    >>> ds = TensorDataset(np.zeros((5, 1, 2, 2), np.float32), np.arange(5))
    >>> len(ds), ds[3][1]
    (5, np.int64(3))
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ArgumentError("TensorDataset needs at least one array")
        self.arrays = tuple(_as_array(a) for a in arrays)
        for k, array in enumerate(self.arrays):
            if array.ndim == 0:
                raise ShapeError(f"TensorDataset: array {k} is a scalar; every array needs "
                                 "a first dimension indexing the samples")
        sizes = [len(a) for a in self.arrays]
        if len(set(sizes)) > 1:
            raise ShapeError(f"TensorDataset: the arrays have different numbers of samples "
                             f"(first dimensions {sizes}); they must all be equal")

    @property
    def tensors(self):
        """The arrays (PyTorch's name)."""
        return self.arrays

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)

    def get_batch(self, indices):
        return tuple(a[indices] for a in self.arrays)

    def __repr__(self):
        shapes = ", ".join(f"{a.shape} {a.dtype}" for a in self.arrays)
        return f"TensorDataset({shapes})"


def _check_seed(seed, what):
    if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)
                             or seed < 0):
        raise ArgumentError(f"{what} expects seed to be None or a non-negative int, "
                            f"got {seed!r}")


class DataLoader:
    """Batches of a data set as ``(images, labels)`` Tensors, optionally shuffled.

    - ``batch_size``, ``drop_last``: as PyTorch; ``len(loader)`` is the number of batches.
    - ``shuffle``: a new permutation each epoch; each ``iter(loader)`` starts the next epoch
      (no ``set_epoch``).
    - ``seed``: makes the order and the augmentations reproducible. ``None`` draws a seed
      from the library's generator (``sc.manual_seed``) the first time one is needed.
    - ``transform``: called as ``transform(images, rng)`` on each batch's first array
      (a NumPy array (N, C, H, W)) with a generator private to that batch; see
      :mod:`scratchcnn.data.transforms`.

    Integer arrays after the first (class labels) come out as int64, as the losses want;
    the images keep their dtype (uint8 images need ``transforms.ToFloat()``).
    ``state_dict()`` / ``load_state_dict()`` save and restore the position (epoch, batch)
    and the seed as JSON-ready data.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None,
                 transform=None):
        if (not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool)
                or batch_size < 1):
            raise ArgumentError(f"DataLoader expects batch_size to be a positive int, "
                                f"got {batch_size!r}")
        _check_seed(seed, "DataLoader")
        if transform is not None and not callable(transform):
            raise ArgumentError(f"DataLoader expects transform to be callable, got "
                                f"{type(transform).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.transform = transform
        self._seed = None if seed is None else int(seed)
        self._epoch = 0          # epochs started so far = index of the next one
        self._resume = None      # (epoch, batch) where the next iteration starts
        self._live = None        # [epoch, batches done] of the newest unfinished iteration

    # ------------------------------------------------------------------ sizes
    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    @property
    def epoch(self):
        """How many epochs have been started (the next ``iter`` starts this one)."""
        return self._epoch

    @property
    def seed(self):
        """The seed of the order and the augmentations (drawn now if it was None)."""
        return self._base_seed()

    def _base_seed(self):
        if self._seed is None:
            self._seed = int(random.generator().integers(_SEED_LIMIT))
        return self._seed

    def _needs_seed(self):
        return self.shuffle or self.transform is not None

    def _generator(self, *key):
        return np.random.default_rng(np.random.SeedSequence(self._base_seed(), spawn_key=key))

    def order(self, epoch):
        """The sample indices of ``epoch`` (0-based) in the order they are served."""
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        return self._generator(epoch, _PERMUTATION, 0).permutation(n)

    # ------------------------------------------------------------------ iteration
    def __iter__(self):
        if self._resume is not None:
            epoch, start = self._resume
            self._resume = None
        else:
            epoch, start = self._epoch, 0
        self._epoch = epoch + 1
        return self._batches(epoch, start)

    def _fetch(self, indices):
        get_batch = getattr(self.dataset, "get_batch", None)
        if get_batch is not None:
            arrays = get_batch(indices)
        else:
            arrays = collate([self.dataset[int(i)] for i in indices])
        if not isinstance(arrays, (tuple, list)):
            arrays = (arrays,)
        return [_as_array(a) for a in arrays]

    def _batches(self, epoch, start):
        order = self.order(epoch)
        count = len(self)
        position = [epoch, start]
        self._live = position
        try:
            for b in range(start, count):
                indices = order[b * self.batch_size:(b + 1) * self.batch_size]
                arrays = self._fetch(indices)
                if self.transform is not None:
                    arrays[0] = _as_array(self.transform(
                        arrays[0], self._generator(epoch, _TRANSFORM, b)))
                arrays[1:] = [a.astype(np.int64) if a.dtype.kind in "iu" and a.dtype != np.int64
                              else a for a in arrays[1:]]
                position[1] = b + 1
                yield tuple(Tensor(a) for a in arrays)
        finally:
            if self._live is position:   # finished or abandoned: the next iter is a new epoch
                self._live = None

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self):
        """JSON-ready position and seed: after ``load_state_dict`` of this, iterating
        continues with the batches this loader would serve next. Taken inside a loop, it
        points after the batch just served; otherwise at the start of the next epoch."""
        if self._live is not None:
            epoch, batch = self._live
            if batch >= len(self):
                epoch, batch = epoch + 1, 0
        elif self._resume is not None:
            epoch, batch = self._resume
        else:
            epoch, batch = self._epoch, 0
        return {"seed": self._base_seed() if self._needs_seed() else self._seed,
                "epoch": int(epoch), "batch": int(batch), "num_samples": len(self.dataset),
                "batch_size": self.batch_size, "shuffle": self.shuffle,
                "drop_last": self.drop_last}

    def load_state_dict(self, state):
        """Continue from a :meth:`state_dict` (of a loader over the same data)."""
        missing = {"seed", "epoch", "batch"} - set(state)
        if missing:
            raise ArgumentError(f"DataLoader.load_state_dict: the state lacks "
                                f"{sorted(missing)}; it is not a DataLoader state_dict")
        for key, value in (("num_samples", len(self.dataset)), ("batch_size", self.batch_size),
                           ("shuffle", self.shuffle), ("drop_last", self.drop_last)):
            if key in state and state[key] != value:
                raise ArgumentError(f"DataLoader.load_state_dict: the state was saved with "
                                    f"{key}={state[key]!r}, this loader has {key}={value!r}; "
                                    "the batches would differ")
        _check_seed(state["seed"], "DataLoader.load_state_dict")
        epoch, batch = int(state["epoch"]), int(state["batch"])
        if epoch < 0 or not 0 <= batch <= len(self):
            raise ArgumentError(f"DataLoader.load_state_dict: invalid position epoch={epoch}, "
                                f"batch={batch} ({len(self)} batches per epoch)")
        if state["seed"] is not None:
            self._seed = int(state["seed"])
        self._epoch = epoch
        self._live = None
        self._resume = (epoch, batch) if batch else None

    def __repr__(self):
        parts = [f"dataset={type(self.dataset).__name__}({len(self.dataset)})",
                 f"batch_size={self.batch_size}", f"shuffle={self.shuffle}"]
        if self.drop_last:
            parts.append("drop_last=True")
        if self._seed is not None:
            parts.append(f"seed={self._seed}")
        if self.transform is not None:
            parts.append(f"transform={self.transform!r}")
        return f"DataLoader({', '.join(parts)})"
