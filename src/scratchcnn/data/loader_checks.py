"""The argument checks of :class:`~scratchcnn.data.DataLoader`: PyTorch's rules (the
same combinations are refused, as ``ValueError`` s), with messages that say what was
given and what is expected."""

import numpy as np

from ..errors import ArgumentError

_START_METHODS = ("fork", "spawn", "forkserver")


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_seed(seed, what):
    """``seed`` must be None or a non-negative int."""
    if seed is not None and (not _is_int(seed) or seed < 0):
        raise ArgumentError(f"{what} expects seed to be None or a non-negative int, "
                            f"got {seed!r}")


def _check_callable(value, name):
    if value is not None and not callable(value):
        raise ArgumentError(f"DataLoader expects {name} to be None or callable, got "
                            f"{type(value).__name__}")


def check_arguments(iterable, batch_size, shuffle, sampler, batch_sampler, num_workers,
                    collate_fn, drop_last, timeout, worker_init_fn, multiprocessing_context,
                    prefetch_factor, persistent_workers, seed, transform):
    """Raise ArgumentError for any argument (or combination) PyTorch refuses; returns
    the effective ``prefetch_factor`` (2 with workers when not given, as PyTorch)."""
    if not _is_int(num_workers) or num_workers < 0:
        raise ArgumentError(f"DataLoader: num_workers option should be a non-negative int "
                            f"(use num_workers=0 to load in the main thread), got "
                            f"{num_workers!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float, np.number)) \
            or timeout < 0:
        raise ArgumentError(f"DataLoader: timeout option should be a non-negative number "
                            f"of seconds, got {timeout!r}")
    if num_workers == 0 and prefetch_factor is not None:
        raise ArgumentError("DataLoader: prefetch_factor option could only be specified with "
                            "num_workers > 0; set num_workers > 0 or leave prefetch_factor "
                            f"None (got prefetch_factor={prefetch_factor!r})")
    if num_workers > 0 and prefetch_factor is None:
        prefetch_factor = 2
    elif prefetch_factor is not None and (not _is_int(prefetch_factor) or prefetch_factor < 0):
        raise ArgumentError(f"DataLoader: prefetch_factor option should be a non-negative "
                            f"int, got {prefetch_factor!r}")
    if persistent_workers and num_workers == 0:
        raise ArgumentError("DataLoader: persistent_workers option needs num_workers > 0")
    if multiprocessing_context is not None:
        if num_workers == 0:
            raise ArgumentError("DataLoader: multiprocessing_context can only be used with "
                                "multi-worker loading (num_workers > 0), but got "
                                "num_workers=0")
        if isinstance(multiprocessing_context, str) and \
                multiprocessing_context not in _START_METHODS:
            raise ArgumentError(f"DataLoader: multiprocessing_context option should specify "
                                f"a valid start method in {list(_START_METHODS)}, but got "
                                f"multiprocessing_context={multiprocessing_context!r}")
    if iterable:
        if shuffle not in (False, None):
            raise ArgumentError(f"DataLoader with IterableDataset: expected unspecified "
                                f"shuffle option, but got shuffle={shuffle!r}")
        if sampler is not None:
            raise ArgumentError(f"DataLoader with IterableDataset: expected unspecified "
                                f"sampler option, but got sampler={sampler!r}")
        if batch_sampler is not None:
            raise ArgumentError(f"DataLoader with IterableDataset: expected unspecified "
                                f"batch_sampler option, but got batch_sampler="
                                f"{batch_sampler!r}")
    if sampler is not None and shuffle:
        raise ArgumentError("DataLoader: sampler option is mutually exclusive with shuffle")
    for name, value in (("sampler", sampler), ("batch_sampler", batch_sampler)):
        if value is not None and not hasattr(value, "__iter__"):
            raise ArgumentError(f"DataLoader expects {name} to be iterable (a Sampler), got "
                                f"{type(value).__name__}")
    if batch_sampler is not None:
        if batch_size != 1 or shuffle or sampler is not None or drop_last:
            raise ArgumentError("DataLoader: batch_sampler option is mutually exclusive with "
                                "batch_size, shuffle, sampler, and drop_last")
    elif batch_size is None:
        if drop_last:
            raise ArgumentError("DataLoader: batch_size=None option disables auto-batching "
                                "and is mutually exclusive with drop_last")
    elif not _is_int(batch_size) or batch_size <= 0:
        raise ArgumentError(f"DataLoader: batch_size should be a positive integer value or "
                            f"None, but got batch_size={batch_size!r}")
    _check_callable(collate_fn, "collate_fn")
    _check_callable(worker_init_fn, "worker_init_fn")
    check_seed(seed, "DataLoader")
    if transform is not None and not callable(transform):
        raise ArgumentError(f"DataLoader expects transform to be callable, got "
                            f"{type(transform).__name__}")
    if transform is not None and batch_size is None and batch_sampler is None:
        raise ArgumentError("DataLoader: transform works on batches; it cannot be used with "
                            "batch_size=None (no batching)")
    return prefetch_factor
