"""Data sets in PyTorch's shape: ``Dataset``, ``IterableDataset``, ``TensorDataset``,
``Subset``, ``ConcatDataset`` and ``random_split``.

Besides ``dataset[i]``, a map-style data set may answer a whole batch at once with
``get_batch(indices) -> tuple of arrays`` (one fancy-indexing per array for a
:class:`TensorDataset`); :func:`batch_fetcher` finds that fast path, through
``Subset`` and ``ConcatDataset`` too, and the DataLoader uses it with the default
collate function instead of touching samples one by one.

>>> import numpy as np
>>> ds = TensorDataset(np.zeros((5, 1, 2, 2), np.float32), np.arange(5))
>>> image, label = ds[3]
>>> type(label).__name__, label.item(), image.shape
('Tensor', 3, torch.Size([1, 2, 2]))
>>> train, test = random_split(ds, [0.6, 0.4], generator=np.random.default_rng(0))
>>> len(train), len(test)
(3, 2)
"""

import bisect
import itertools
import math
import warnings

import numpy as np

from .. import random
from ..errors import ArgumentError, ShapeError
from ..tensor import Tensor
from .collate import collate
from .samplers import as_rng


class Dataset:
    """A map-style data set: ``dataset[i]`` is a sample; ``len(dataset)`` its size.

    Subclasses define ``__getitem__`` (and usually ``__len__``), and may define
    ``get_batch(indices)`` returning a tuple of batch arrays (one per field) for a whole
    index array; the default stacks ``dataset[i]`` one by one. ``a + b`` concatenates.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])

    def get_batch(self, indices):
        """A tuple of arrays, one per field, for the samples at ``indices`` (an int array)."""
        return collate([self[int(i)] for i in indices])


class IterableDataset(Dataset):
    """A data set read as a stream: subclasses define ``__iter__``. With
    ``num_workers > 0`` every worker iterates it: split the work with
    :func:`~scratchcnn.data.get_worker_info`, as in PyTorch."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other):
        raise ArgumentError("an IterableDataset cannot be concatenated with +; chain the "
                            "iterators in a new IterableDataset instead")


class TensorDataset(Dataset):
    """Tensors (or NumPy arrays) that share their first dimension, e.g.
    ``TensorDataset(images, labels)``: ``dataset[i]`` is a tuple of Tensors; a batch is
    one fancy-indexing per array (uint8 images stay uint8).

    ``tensors`` are Tensors and ``arrays`` the same memory as NumPy arrays.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ArgumentError("TensorDataset needs at least one tensor")
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(np.asarray(t))
                             for t in tensors)
        self.arrays = tuple(t._array for t in self.tensors)
        for k, array in enumerate(self.arrays):
            if array.ndim == 0:
                raise ShapeError(f"TensorDataset: tensor {k} is a scalar; every tensor needs "
                                 "a first dimension indexing the samples")
        sizes = [len(a) for a in self.arrays]
        if len(set(sizes)) > 1:
            raise ShapeError(f"TensorDataset: Size mismatch between tensors (first "
                             f"dimensions {sizes}); they must all be equal")

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def get_batch(self, indices):
        """A tuple of arrays (one fancy-indexing each) for the samples at ``indices``."""
        return tuple(a[indices] for a in self.arrays)

    def __repr__(self):
        shapes = ", ".join(f"{a.shape} {a.dtype}" for a in self.arrays)
        return f"TensorDataset({shapes})"


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, renumbered ``0 .. len(indices) - 1``."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        """The samples at ``indices`` (a list), as PyTorch's ``Subset.__getitems__``."""
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self):
        return len(self.indices)

    def get_batch(self, indices):
        """A tuple of arrays for the samples at ``indices`` (through the inner data set's
        ``get_batch`` when it has one)."""
        fetch = batch_fetcher(self)
        return fetch(np.asarray(indices)) if fetch else collate(self.__getitems__(
            np.asarray(indices).tolist()))


class ConcatDataset(Dataset):
    """Several map-style data sets one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ArgumentError("ConcatDataset: datasets should not be an empty iterable")
        for k, d in enumerate(self.datasets):
            if isinstance(d, IterableDataset):
                raise ArgumentError(f"ConcatDataset does not support IterableDataset "
                                    f"(datasets[{k}] is {type(d).__name__})")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise IndexError(f"ConcatDataset: index {idx} is out of range for "
                                 f"length {len(self)}")
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        if which == len(self.datasets):
            raise IndexError(f"ConcatDataset: index {idx} is out of range for length "
                             f"{len(self)}")
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]

    def get_batch(self, indices):
        """A tuple of arrays for the samples at ``indices``."""
        fetch = batch_fetcher(self)
        return fetch(np.asarray(indices)) if fetch else collate(
            [self[int(i)] for i in indices])


def _own_get_batch(dataset):
    method = getattr(type(dataset), "get_batch", None)
    return None if method is None or method is Dataset.get_batch else dataset.get_batch


def batch_fetcher(dataset):
    """A function ``indices (int array) -> tuple of batch arrays`` answering whole batches
    without per-sample calls, or None when ``dataset`` has no such fast path."""
    if isinstance(dataset, Subset):
        inner = batch_fetcher(dataset.dataset)
        if inner is None:
            return None
        mapping = np.asarray(getattr(dataset.indices, "_array", dataset.indices), np.int64)
        return lambda indices: inner(mapping[indices])
    if isinstance(dataset, ConcatDataset):
        inners = [batch_fetcher(d) for d in dataset.datasets]
        if any(f is None for f in inners):
            return None
        return lambda indices: _concat_batch(dataset, inners, np.asarray(indices))
    return _own_get_batch(dataset)


def _concat_batch(dataset, inners, indices):
    """Fetch each part from its own data set, then restore the requested order."""
    ends = np.asarray(dataset.cumulative_sizes)
    starts = np.concatenate([[0], ends[:-1]])
    which = np.searchsorted(ends, indices, side="right")
    parts, positions = [], []
    for d in np.unique(which):
        rows = np.flatnonzero(which == d)
        parts.append(inners[d](indices[rows] - starts[d]))
        positions.append(rows)
    back = np.argsort(np.concatenate(positions), kind="stable")
    return tuple(np.concatenate(field)[back] for field in zip(*parts))


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random :class:`Subset` s of the given
    ``lengths`` (ints summing to ``len(dataset)``, or fractions summing to 1: each gets
    ``floor(n * fraction)`` and the remainder goes round-robin from the first)."""
    rng = as_rng(generator, "random_split")
    lengths = list(lengths)
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = []
        for i, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ArgumentError(f"random_split: fraction at index {i} is not between "
                                    f"0 and 1 (got {fraction})")
            sizes.append(int(math.floor(n * fraction)))
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0; this "
                              "might result in an empty dataset", stacklevel=2)
        lengths = sizes
    if any(not isinstance(k, (int, np.integer)) or k < 0 for k in lengths):
        raise ArgumentError(f"random_split: lengths must be non-negative ints or fractions "
                            f"summing to 1, got {lengths}")
    if sum(lengths) != n:
        raise ArgumentError(f"random_split: sum of input lengths ({sum(lengths)}) does not "
                            f"equal the length of the input dataset ({n})")
    order = (rng if rng is not None else random.generator()).permutation(n).tolist()
    return [Subset(dataset, order[end - size:end])
            for end, size in zip(itertools.accumulate(lengths), lengths)]
