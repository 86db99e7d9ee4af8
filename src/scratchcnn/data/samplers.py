"""Samplers: which sample indices a :class:`~scratchcnn.data.DataLoader` visits, and in
which order, as ``torch.utils.data``'s samplers (the same names, arguments and lengths).

Random samplers draw from ``generator`` (a ``numpy.random.Generator``) when given, else
from a generator seeded afresh each epoch from the library's generator
(``scratchcnn.manual_seed``), as PyTorch seeds from its default generator. The numbers
differ from PyTorch's (different generator algorithms); the rules are the same.

>>> import numpy as np
>>> list(BatchSampler(SequentialSampler(range(10)), batch_size=4, drop_last=False))
[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
>>> sorted(RandomSampler(range(5), generator=np.random.default_rng(0)))
[0, 1, 2, 3, 4]
"""

import itertools
import math

import numpy as np

from .. import random
from ..errors import ArgumentError, ShapeError


def as_rng(generator, where):
    """``generator`` (a :class:`scratchcnn.Generator`, as ``torch.Generator``, or a
    ``numpy.random.Generator``) as a ``numpy.random.Generator`` (or None), checked."""
    if generator is None or isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, random.Generator):
        return generator.numpy_generator
    raise ArgumentError(f"{where} expects generator to be None, a scratchcnn.Generator or a "
                        f"numpy.random.Generator, got {type(generator).__name__}")


def epoch_rng(generator):
    """The generator an epoch draws from: ``generator`` itself, or one seeded from the
    library's generator (so ``manual_seed`` makes unseeded shuffling reproducible)."""
    if generator is not None:
        return generator
    return np.random.default_rng(int(random.generator().integers(2 ** 63)))


def _check_positive_int(value, name, where):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ArgumentError(f"{where}: {name} should be a positive integer value, "
                            f"but got {name}={value!r}")


def _check_bool(value, name, where):
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentError(f"{where}: {name} should be a boolean value, "
                            f"but got {name}={value!r}")


class Sampler:
    """Base of all samplers: ``__iter__`` yields indices (or lists of indices, for a
    batch sampler); ``__len__`` is optional, as in PyTorch."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation each epoch; with ``replacement=True``, ``num_samples`` draws
    with replacement. ``num_samples`` (default ``len(data_source)``) larger than the data
    without replacement gives whole permutations followed by part of one."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        _check_bool(replacement, "replacement", "RandomSampler")
        if num_samples is not None:
            _check_positive_int(num_samples, "num_samples", "RandomSampler")
        self.data_source = data_source
        self.replacement = bool(replacement)
        self._num_samples = None if num_samples is None else int(num_samples)
        self.generator = as_rng(generator, "RandomSampler")

    @property
    def num_samples(self):
        """How many indices one epoch yields."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, count = len(self.data_source), self.num_samples
        rng = epoch_rng(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, size=count).tolist())
        if n == 0:
            return iter(())
        parts = [rng.permutation(n) for _ in range(count // n)]
        parts.append(rng.permutation(n)[:count % n])
        return iter(np.concatenate(parts).tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order, a new one each epoch."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = as_rng(generator, "SubsetRandomSampler")

    def __iter__(self):
        order = epoch_rng(self.generator).permutation(len(self.indices))
        return (self.indices[i] for i in order.tolist())

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices in ``[0, len(weights))`` drawn with probability
    proportional to ``weights`` (with or without replacement)."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _check_positive_int(num_samples, "num_samples", "WeightedRandomSampler")
        _check_bool(replacement, "replacement", "WeightedRandomSampler")
        weights = np.asarray(getattr(weights, "_array", weights), dtype=np.float64)
        if weights.ndim != 1:
            raise ShapeError(f"WeightedRandomSampler: weights should be a 1d sequence, "
                             f"got shape {weights.shape}")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
            raise ArgumentError("WeightedRandomSampler: weights must be finite, non-negative "
                                "and not all zero")
        if not replacement and num_samples > np.count_nonzero(weights):
            raise ArgumentError(f"WeightedRandomSampler: cannot draw num_samples="
                                f"{num_samples} without replacement from "
                                f"{np.count_nonzero(weights)} non-zero weights")
        self.weights = weights
        self.num_samples = int(num_samples)
        self.replacement = bool(replacement)
        self.generator = as_rng(generator, "WeightedRandomSampler")

    def __iter__(self):
        drawn = epoch_rng(self.generator).choice(
            len(self.weights), size=self.num_samples, replace=self.replacement,
            p=self.weights / self.weights.sum())
        return iter(drawn.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices from ``sampler``; the last one shorter, or
    dropped with ``drop_last=True``."""

    def __init__(self, sampler, batch_size, drop_last):
        _check_positive_int(batch_size, "batch_size", "BatchSampler")
        _check_bool(drop_last, "drop_last", "BatchSampler")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = bool(drop_last)

    def __iter__(self):
        indices = iter(self.sampler)
        while True:
            batch = list(itertools.islice(indices, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
