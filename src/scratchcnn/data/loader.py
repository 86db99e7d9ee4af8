"""``DataLoader`` with PyTorch's arguments, batch at a time, reproducible and resumable.

With the default collate function the loader never touches single samples when the
data set can answer a whole batch (``get_batch``, see :func:`.dataset.batch_fetcher`):
one fancy-indexing per array of a :class:`TensorDataset`. Otherwise it does what
PyTorch does: ``collate_fn([dataset[i] for i in indices])``.

Randomness is counter-based: with the loader's own sampler, the permutation of epoch
``e`` comes from a generator seeded with ``(seed, e)``, and the transform of batch ``b``
of that epoch draws from one seeded with ``(seed, e, b)``. Which worker makes a batch
therefore never changes it, and the whole random state is three integers
(:meth:`DataLoader.state_dict`): a run resumed from them, even mid-epoch, sees the same
batches as the uninterrupted run.

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
(torch.Size([4, 1, 1, 1]), dtype('float32'), [0, 1, 2, 3])
"""

import itertools
import math
import warnings

import numpy as np

from .. import random
from ..errors import ArgumentError
from ..tensor import Tensor
from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset, TensorDataset, batch_fetcher
from .loader_checks import check_arguments, check_seed
from .samplers import BatchSampler, RandomSampler, SequentialSampler, as_rng
from .workers import IterableWorkers, MapWorkers, WorkerInfo

__all__ = ["DataLoader", "Dataset", "TensorDataset"]   # datasets.py imports Dataset here

_SEED_LIMIT = 2 ** 53   # drawn seeds stay exact in any JSON reader (doubles)
# The random streams of an epoch: the permutation, the transform of batch b, the worker
# seeds, and the transform of batch j of worker k of an iterable data set.
_PERMUTATION, _TRANSFORM, _WORKERS, _WORKER_TRANSFORM = 0, 1, 2, 3


def _as_array(value):
    return value._array if isinstance(value, Tensor) else np.asarray(value)


def _long_labels(batch):
    """Integer Tensors after the first field -> int64 (the class labels losses want)."""
    return [t if k == 0 or not isinstance(t, Tensor) or t.dtype.kind not in "iu"
            or t.dtype == np.int64 or t.requires_grad else Tensor(t._array.astype(np.int64))
            for k, t in enumerate(batch)]


class DataLoader:
    """Batches of a data set as Tensors, as ``torch.utils.data.DataLoader``.

    PyTorch's arguments, in PyTorch's order: ``batch_size`` (None: no batching),
    ``shuffle``, ``sampler``, ``batch_sampler``, ``num_workers`` (background *threads*,
    see :mod:`.workers`), ``collate_fn``, ``pin_memory`` (no effect on CPU),
    ``drop_last``, ``timeout``, ``worker_init_fn``, ``multiprocessing_context``
    (accepted, unused: threads), ``generator`` (a ``numpy.random.Generator`` for the
    shuffling), then keyword-only ``prefetch_factor``, ``persistent_workers`` (threads
    start per epoch), ``pin_memory_device``, ``in_order``. scratchcnn's own, keyword-only:

    - ``seed``: makes the order and the augmentations reproducible. ``None`` draws a seed
      from the library's generator (``sc.manual_seed``) the first time one is needed.
    - ``transform``: called as ``transform(images, rng)`` on each batch's first field
      (a NumPy array (N, C, H, W)) with a generator private to that batch; see
      :mod:`scratchcnn.data.transforms`.

    Each ``iter(loader)`` starts the next epoch (a new permutation when shuffling).
    With the default collate function, integer fields after the first (class labels)
    come out as int64, as the losses want; the images keep their dtype (uint8 images need
    ``transforms.ToFloat()``). ``state_dict()`` / ``load_state_dict()`` save and restore
    the position (epoch, batch) and the seed as JSON-ready data.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True, seed=None, transform=None):
        iterable = isinstance(dataset, IterableDataset)
        prefetch_factor = check_arguments(
            iterable, batch_size, shuffle, sampler, batch_sampler, num_workers, collate_fn,
            drop_last, timeout, worker_init_fn, multiprocessing_context, prefetch_factor,
            persistent_workers, seed, transform)
        generator = as_rng(generator, "DataLoader")
        shuffle = bool(shuffle)
        self._iterable = iterable
        self._own_order = (not iterable and sampler is None and batch_sampler is None
                           and generator is None)
        if batch_sampler is not None:
            batch_size, drop_last = None, False
        if sampler is None and not iterable:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None and not iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = shuffle
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = int(num_workers)
        self._default_collate = collate_fn is None
        self._auto_collation = batch_sampler is not None or (iterable and batch_size is not None)
        self.collate_fn = collate_fn or (default_collate if self._auto_collation
                                         else default_convert)
        self.pin_memory = bool(pin_memory)
        self.pin_memory_device = pin_memory_device
        self.drop_last = bool(drop_last)
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = bool(persistent_workers)
        self.in_order = bool(in_order)
        self.transform = transform
        self._seed = None if seed is None else int(seed)
        self._epoch = 0          # epochs started so far = index of the next one
        self._resume = None      # (epoch, batch) where the next iteration starts
        self._live = None        # [epoch, batches done] of the newest unfinished iteration

    # ------------------------------------------------------------------ sizes
    def __len__(self):
        if self._iterable or self._own_order:
            n = len(self.dataset)   # TypeError for an iterable data set without __len__
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

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
        return (self.shuffle and self._own_order) or self.transform is not None

    def _generator(self, *key):
        return np.random.default_rng(np.random.SeedSequence(self._base_seed(), spawn_key=key))

    def order(self, epoch):
        """The sample indices of ``epoch`` (0-based) in the order they are served, when
        the loader uses its own sampler (no ``sampler``, ``batch_sampler``, ``generator``)."""
        if not self._own_order:
            raise ArgumentError("DataLoader.order() is only known for the loader's own "
                                "sampler; this loader draws from the sampler it was given")
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        return self._generator(epoch, _PERMUTATION, 0).permutation(n)

    # ------------------------------------------------------------------ one batch
    def _finish(self, batch, key):
        """The default collate's label cast and the transform, on a collated batch."""
        if self._default_collate and isinstance(batch, list):
            batch = _long_labels(batch)
        if self.transform is None:
            return batch
        rng = self._generator(*key)
        if isinstance(batch, Tensor):
            return Tensor(_as_array(self.transform(batch._array, rng)))
        if isinstance(batch, (list, tuple)) and batch and isinstance(batch[0], Tensor):
            first = Tensor(_as_array(self.transform(batch[0]._array, rng)))
            return type(batch)([first, *batch[1:]]) if isinstance(batch, list) else \
                (first, *batch[1:])
        raise ArgumentError(f"DataLoader: transform applies to a batch's first Tensor, but "
                            f"the collated batch is a {type(batch).__name__}")

    def _make(self, epoch, fetch, number, indices):
        """Batch ``number`` of ``epoch`` from the sample ``indices`` (a worker's job)."""
        if not self._auto_collation:
            return self._finish(self.collate_fn(self.dataset[indices]), (epoch, _TRANSFORM,
                                                                         number))
        if fetch is not None:
            arrays = fetch(np.asarray(indices, dtype=np.int64))
            batch = ([Tensor(_as_array(a)) for a in arrays] if isinstance(arrays, (tuple, list))
                     else Tensor(_as_array(arrays)))
        else:
            indices = indices.tolist() if isinstance(indices, np.ndarray) else list(indices)
            get_items = getattr(self.dataset, "__getitems__", None)
            samples = (get_items(indices) if callable(get_items)
                       else [self.dataset[i] for i in indices])
            batch = self.collate_fn(samples)
        return self._finish(batch, (epoch, _TRANSFORM, number))

    def _tasks(self, epoch, start):
        """``(number, indices)`` of the batches of ``epoch`` from batch ``start`` on."""
        if self._own_order:
            order = self.order(epoch)
            if self.batch_size is None:
                return ((b, int(order[b])) for b in range(start, len(order)))
            size = self.batch_size
            return ((b, order[b * size:(b + 1) * size]) for b in range(start, len(self)))
        source = self.batch_sampler if self.batch_sampler is not None else self.sampler
        return itertools.islice(enumerate(source), start, None)

    def _make_iterable(self, epoch, key, stream):
        """The next batch (or sample, without batching) of an iterable data set's
        ``stream``; StopIteration at its end."""
        if not self._auto_collation:
            return self._finish(self.collate_fn(next(stream)), key)
        items = list(itertools.islice(stream, self.batch_size))
        if not items or (self.drop_last and len(items) < self.batch_size):
            raise StopIteration
        return self._finish(self.collate_fn(items), key)

    def _iterable_batches(self, epoch):
        stream = iter(self.dataset)
        for number in itertools.count():
            try:
                batch = self._make_iterable(epoch, (epoch, _TRANSFORM, number), stream)
            except StopIteration:
                return
            yield batch

    # ------------------------------------------------------------------ iteration
    def _worker_infos(self, epoch):
        base = int(np.random.SeedSequence(self._base_seed(), spawn_key=(epoch, _WORKERS))
                   .generate_state(1, np.uint64)[0] >> 2)
        return [WorkerInfo(k, self.num_workers, base + k, self.dataset)
                for k in range(self.num_workers)]

    def _batches(self, epoch, start):
        if self._iterable:
            if self.num_workers:
                batches = IterableWorkers(
                    lambda k, j, stream: self._make_iterable(
                        epoch, (epoch, _WORKER_TRANSFORM, k, j), stream),
                    self.num_workers, self.prefetch_factor, self.worker_init_fn,
                    self.timeout, self._worker_infos(epoch))
            else:
                batches = self._iterable_batches(epoch)
            return batches, itertools.islice(batches, start, None)
        fetch = batch_fetcher(self.dataset) if self._default_collate else None
        tasks = self._tasks(epoch, start)
        if not self.num_workers:
            batches = (self._make(epoch, fetch, b, indices) for b, indices in tasks)
            return batches, batches
        batches = MapWorkers(tasks, lambda b, indices: self._make(epoch, fetch, b, indices),
                             self.num_workers, self.prefetch_factor, self.worker_init_fn,
                             self.timeout, self.in_order, self._worker_infos(epoch))
        return batches, batches

    def __iter__(self):
        if self._resume is not None:
            epoch, start = self._resume
            self._resume = None
        else:
            epoch, start = self._epoch, 0
        self._epoch = epoch + 1
        if self.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", stacklevel=2)
        if self._needs_seed():
            self._base_seed()   # drawn here, in the main thread, before any worker runs
        return self._serve(epoch, start)

    def _serve(self, epoch, start):
        position = [epoch, start]
        self._live = position
        source = None
        try:
            source, batches = self._batches(epoch, start)
            for batch in batches:
                position[1] += 1
                yield batch
        finally:
            if hasattr(source, "close"):   # stop and join the worker threads
                source.close()
            if self._live is position:   # finished or abandoned: the next iter is a new epoch
                self._live = None

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self):
        """JSON-ready position and seed: after ``load_state_dict`` of this, iterating
        continues with the batches this loader would serve next. Taken inside a loop, it
        points after the batch just served; otherwise at the start of the next epoch.
        (Exact with the loader's own sampler; a given sampler is re-run and the batches
        already served are skipped.)"""
        if self._live is not None:
            epoch, batch = self._live
            if self._iterable_len_known() and batch >= len(self):
                epoch, batch = epoch + 1, 0
        elif self._resume is not None:
            epoch, batch = self._resume
        else:
            epoch, batch = self._epoch, 0
        return {"seed": self._base_seed() if self._needs_seed() else self._seed,
                "epoch": int(epoch), "batch": int(batch),
                "num_samples": self._length_or_none(len, self.dataset),
                "batch_size": self.batch_size, "shuffle": self.shuffle,
                "drop_last": self.drop_last}

    def _iterable_len_known(self):
        return self._length_or_none(len, self) is not None

    @staticmethod
    def _length_or_none(measure, thing):
        try:
            return measure(thing)
        except TypeError:
            return None

    def load_state_dict(self, state):
        """Continue from a :meth:`state_dict` (of a loader over the same data)."""
        missing = {"seed", "epoch", "batch"} - set(state)
        if missing:
            raise ArgumentError(f"DataLoader.load_state_dict: the state lacks "
                                f"{sorted(missing)}; it is not a DataLoader state_dict")
        for key, value in (("num_samples", self._length_or_none(len, self.dataset)),
                           ("batch_size", self.batch_size), ("shuffle", self.shuffle),
                           ("drop_last", self.drop_last)):
            if key in state and state[key] != value:
                raise ArgumentError(f"DataLoader.load_state_dict: the state was saved with "
                                    f"{key}={state[key]!r}, this loader has {key}={value!r}; "
                                    "the batches would differ")
        check_seed(state["seed"], "DataLoader.load_state_dict")
        epoch, batch = int(state["epoch"]), int(state["batch"])
        limit = self._length_or_none(len, self)
        if epoch < 0 or batch < 0 or (limit is not None and batch > limit):
            raise ArgumentError(f"DataLoader.load_state_dict: invalid position epoch={epoch}, "
                                f"batch={batch} ({limit} batches per epoch)")
        if state["seed"] is not None:
            self._seed = int(state["seed"])
        self._epoch = epoch
        self._live = None
        self._resume = (epoch, batch) if batch else None

    def __repr__(self):
        size = self._length_or_none(len, self.dataset)
        parts = [f"dataset={type(self.dataset).__name__}({'' if size is None else size})",
                 f"batch_size={self.batch_size}", f"shuffle={self.shuffle}"]
        if self.drop_last:
            parts.append("drop_last=True")
        if not self._own_order and not self._iterable:
            parts.append(f"sampler={type(self.sampler).__name__}")
        if self.num_workers:
            parts.append(f"num_workers={self.num_workers}")
        if self._seed is not None:
            parts.append(f"seed={self._seed}")
        if self.transform is not None:
            parts.append(f"transform={self.transform!r}")
        return f"DataLoader({', '.join(parts)})"

