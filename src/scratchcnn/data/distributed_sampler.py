"""``DistributedSampler``: each rank of a data-parallel job visits its own shard of the
data, as ``torch.utils.data.distributed.DistributedSampler`` (same arguments, lengths,
padding and striding).

Every rank draws the same permutation of the whole data set (seeded with
``seed + epoch``, so all ranks agree without talking), pads it by repeating its start
until its length divides by ``num_replicas`` (or, with ``drop_last=True``, cuts the
tail), and keeps every ``num_replicas``-th index from position ``rank``. The shards are
disjoint (apart from the padding), of equal length, and together they are the padded
permutation, so step ``k`` of all ranks together sees batch ``k`` of one process with
the ranks' batches put together. Call :meth:`set_epoch` before each epoch for a new
shuffle (``scratchcnn.train.fit`` does). The numbers of the permutation differ from
PyTorch's (NumPy's generator, not torch's); the rules are the same.

>>> shards = [list(DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False))
...           for r in range(3)]
>>> shards
[[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
>>> len(DistributedSampler(range(10), num_replicas=3, rank=0, drop_last=True))
3
"""

import math
import sys

import numpy as np

from ..errors import ArgumentError
from .samplers import Sampler, _check_bool

_WHERE = "DistributedSampler"


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _process_group(what):
    """The world size or rank of the process group that torch.distributed runs, when one
    is initialized. torch is looked up only if something already imported it (as
    :func:`scratchcnn.distributed.init_process_group` does): the data layer never
    imports it, and sits below :mod:`scratchcnn.distributed`."""
    dist = sys.modules.get("torch.distributed")
    if dist is None or not dist.is_available() or not dist.is_initialized():
        raise ArgumentError(
            f"{_WHERE}: {what} defaults to the process group's, but no process group is "
            "initialized: call scratchcnn.distributed.init_process_group() first, or pass "
            "num_replicas= and rank=")
    return dist.get_world_size() if what == "num_replicas" else dist.get_rank()


class DistributedSampler(Sampler):
    """The shard of ``dataset`` that replica ``rank`` of ``num_replicas`` visits.

    ``num_replicas`` and ``rank`` default to the initialized process group's world size
    and rank. ``shuffle``: a new permutation each epoch, drawn from ``seed + epoch``
    (the same on every rank). ``drop_last``: cut the tail so that the data divides
    evenly, instead of padding with the first indices again. ``len()`` is the number of
    indices of one rank per epoch.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None:
            num_replicas = _process_group("num_replicas")
        if rank is None:
            rank = _process_group("rank")
        if not _is_int(num_replicas) or num_replicas < 1:
            raise ArgumentError(f"{_WHERE}: num_replicas should be a positive integer, got "
                                f"num_replicas={num_replicas!r}")
        if not _is_int(rank) or not 0 <= rank < num_replicas:
            raise ArgumentError(f"{_WHERE}: invalid rank {rank!r}, rank should be in the "
                                f"interval [0, {num_replicas - 1}]")
        _check_bool(shuffle, "shuffle", _WHERE)
        _check_bool(drop_last, "drop_last", _WHERE)
        if not _is_int(seed) or seed < 0:
            raise ArgumentError(f"{_WHERE}: seed should be a non-negative integer, got "
                                f"seed={seed!r}")
        try:
            size = len(dataset)
        except TypeError:
            raise ArgumentError(f"{_WHERE}: the data set must have a length (a map-style "
                                f"Dataset), got {type(dataset).__name__}") from None
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        self.epoch = 0
        if self.drop_last and size % self.num_replicas:
            # PyTorch's formula: the largest length every replica can fill.
            self.num_samples = math.ceil((size - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(size / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def order(self):
        """All ranks' indices of the current epoch as one array (padded or cut to
        ``total_size``): rank ``r`` visits ``order()[r::num_replicas]``."""
        n = len(self.dataset)
        if self.shuffle:
            indices = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            indices = np.arange(n)
        if self.total_size <= n:
            return indices[:self.total_size]
        # Pad by repeating the start (the whole order again if it is shorter than the pad).
        return np.resize(indices, self.total_size) if n else indices

    def __iter__(self):
        return iter(self.order()[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Use the permutation of ``epoch`` from the next ``iter`` on (all ranks must give
        the same epoch)."""
        if not _is_int(epoch) or epoch < 0:
            raise ArgumentError(f"{_WHERE}.set_epoch: epoch should be a non-negative "
                                f"integer, got {epoch!r}")
        self.epoch = int(epoch)
