"""Background batch preparation for ``DataLoader(num_workers > 0)``: worker *threads*.

Threads, not processes: NumPy releases the GIL in its heavy work (fancy indexing,
copies, the arithmetic of the transforms), threads start in microseconds, scripts
need no ``if __name__ == "__main__"`` guard, and batches travel without pickling.

Map-style data: the main thread draws the batches' indices from the sampler and hands
batch ``b`` to worker ``b % num_workers``; at most ``prefetch_factor * num_workers``
batches are in flight; batches come back in sampler order (``in_order=True``) or as
soon as ready. Each batch's randomness is keyed by its number, not by the worker, so
the batches equal those of ``num_workers=0``.

Iterable data: every worker iterates the data set itself and builds its own batches;
the main thread takes one batch from each worker in turn (PyTorch's order).

An error in a worker is raised again in the main thread, of the same type, naming the
worker and carrying the original traceback. An iterator that is exhausted, fails, or
is dropped mid-epoch stops and joins its threads.
"""

import collections
import queue
import threading
import traceback

from ..errors import ScratchCNNError

_local = threading.local()
_POLL = 0.05        # seconds between checks of the stop flag while a queue is full
_JOIN_LIMIT = 10.0  # seconds close() waits for workers still inside a slow __getitem__


class DataLoaderTimeoutError(ScratchCNNError, RuntimeError, TimeoutError):
    """No batch arrived from the workers within the loader's ``timeout``."""


class WorkerInfo:
    """What :func:`get_worker_info` tells code running in a worker: ``id``,
    ``num_workers``, ``seed`` (distinct per worker and epoch) and ``dataset``."""

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, "
                f"seed={self.seed}, dataset={type(self.dataset).__name__})")


def get_worker_info():
    """The :class:`WorkerInfo` of the calling DataLoader worker, or None outside one."""
    return getattr(_local, "info", None)


def _failure(worker_id, error):
    return ("error", worker_id, error, traceback.format_exc())


def _reraise(worker_id, error, trace):
    message = (f"Caught {type(error).__name__} in DataLoader worker {worker_id}.\n"
               f"Original {trace}")
    try:
        wrapped = type(error)(message)
    except Exception:   # an exception type whose constructor wants other arguments
        wrapped = RuntimeError(message)
    raise wrapped from error


def _start(target, num_workers, args_of):
    threads = [threading.Thread(target=target, args=args_of(k), daemon=True,
                                name=f"DataLoader worker {k}") for k in range(num_workers)]
    for thread in threads:
        thread.start()
    return threads


def _join(threads):
    for thread in threads:
        thread.join(_JOIN_LIMIT)


def _map_worker(info, init_fn, fetch, tasks, results, stop):
    _local.info = info
    try:
        if init_fn is not None:
            init_fn(info.id)
    except BaseException as error:  # noqa: B036 - reported to the main thread
        results.put(_failure(info.id, error))
        return
    while True:
        task = tasks.get()
        if task is None or stop.is_set():
            return
        number, indices = task
        try:
            results.put(("batch", number, fetch(number, indices), None))
        except BaseException as error:  # noqa: B036
            results.put(_failure(info.id, error))


class MapWorkers:
    """Iterator over the batches of ``tasks`` (an iterator of ``(number, indices)``),
    each made by ``fetch(number, indices)`` in one of ``num_workers`` threads."""

    def __init__(self, tasks, fetch, num_workers, prefetch_factor, worker_init_fn, timeout,
                 in_order, infos):
        self._tasks, self._timeout, self._in_order = tasks, timeout, in_order
        self._limit = max(1, prefetch_factor * num_workers)
        self._stop = threading.Event()
        self._queues = [queue.SimpleQueue() for _ in range(num_workers)]
        self._results = queue.SimpleQueue()
        self._pending = collections.deque()   # numbers sent and not yet yielded
        self._ready = {}                       # number -> batch received out of order
        self._sent = 0
        self._exhausted = self._closed = False
        self._threads = _start(_map_worker, num_workers, lambda k: (
            infos[k], worker_init_fn, fetch, self._queues[k], self._results, self._stop))
        self._fill()

    def _fill(self):
        while not self._exhausted and len(self._pending) < self._limit:
            try:
                number, indices = next(self._tasks)
            except StopIteration:
                self._exhausted = True
                return
            self._queues[self._sent % len(self._queues)].put((number, indices))
            self._pending.append(number)
            self._sent += 1

    def _receive(self):
        try:
            kind, key, payload, trace = self._results.get(timeout=self._timeout or None)
        except queue.Empty:
            self.close()
            raise DataLoaderTimeoutError(f"DataLoader timed out after {self._timeout} "
                                         "seconds waiting for a batch from its workers") \
                from None
        if kind == "error":
            self.close()
            _reraise(key, payload, trace)   # key: the worker's id
        self._ready[key] = payload          # key: the batch's number

    def __iter__(self):
        return self

    def __next__(self):
        if self._closed or not self._pending:
            self.close()
            raise StopIteration
        if self._in_order:
            number = self._pending[0]
            while number not in self._ready:
                self._receive()
            self._pending.popleft()
        else:
            if not self._ready:
                self._receive()
            number = next(iter(self._ready))
            self._pending.remove(number)
        batch = self._ready.pop(number)
        self._fill()
        return batch

    def close(self):
        """Stop the workers (after the batch each is making) and join them."""
        if getattr(self, "_closed", True):
            return
        self._closed = True
        self._stop.set()
        for tasks in self._queues:
            tasks.put(None)
        _join(self._threads)

    def __del__(self):
        self.close()


def _put(out, item, stop):
    """Put ``item`` in the bounded queue ``out``; give up when ``stop`` is set."""
    while not stop.is_set():
        try:
            out.put(item, timeout=_POLL)
            return True
        except queue.Full:
            continue
    return False


def _iterable_worker(info, init_fn, make_batch, out, stop):
    _local.info = info
    try:
        if init_fn is not None:
            init_fn(info.id)
        stream = iter(info.dataset)
        number = 0
        while not stop.is_set():
            try:
                batch = make_batch(info.id, number, stream)
            except StopIteration:
                _put(out, ("end", info.id, None, None), stop)
                return
            if not _put(out, ("batch", info.id, batch, None), stop):
                return
            number += 1
    except BaseException as error:  # noqa: B036 - reported to the main thread
        _put(out, _failure(info.id, error), stop)


class IterableWorkers:
    """Iterator over the batches that ``num_workers`` threads build from their own
    iterators of the data set with ``make_batch(worker_id, number, stream)`` (raising
    StopIteration at the end), taken from each worker in turn."""

    def __init__(self, make_batch, num_workers, prefetch_factor, worker_init_fn, timeout,
                 infos):
        self._timeout = timeout
        self._stop = threading.Event()
        self._queues = [queue.Queue(maxsize=max(1, prefetch_factor))
                        for _ in range(num_workers)]
        self._active = list(range(num_workers))
        self._turn = 0   # position in _active of the worker whose batch comes next
        self._closed = False
        self._threads = _start(_iterable_worker, num_workers, lambda k: (
            infos[k], worker_init_fn, make_batch, self._queues[k], self._stop))

    def __iter__(self):
        return self

    def __next__(self):
        while not self._closed and self._active:
            worker = self._active[self._turn]
            try:
                kind, who, payload, trace = self._queues[worker].get(
                    timeout=self._timeout or None)
            except queue.Empty:
                self.close()
                raise DataLoaderTimeoutError(f"DataLoader timed out after {self._timeout} "
                                             "seconds waiting for a batch from worker "
                                             f"{worker}") from None
            if kind == "end":
                del self._active[self._turn]   # the next worker takes this turn
                if self._active:
                    self._turn %= len(self._active)
                continue
            if kind == "error":
                self.close()
                _reraise(who, payload, trace)
            self._turn = (self._turn + 1) % len(self._active)
            return payload
        self.close()
        raise StopIteration

    def close(self):
        """Stop the workers and join them."""
        if getattr(self, "_closed", True):
            return
        self._closed = True
        self._stop.set()
        _join(self._threads)

    def __del__(self):
        self.close()
