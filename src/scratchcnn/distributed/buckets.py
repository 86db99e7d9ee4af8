"""Many arrays sent as a few flat buffers: one collective call per bucket, not per tensor.

A :class:`BucketPlan` lays the arrays of one dtype end to end in flat NumPy buffers of at
most ``cap_bytes`` each (an array larger than that gets a bucket of its own), allocated
once and reused at every step. The buffers go to gloo through ``torch.from_numpy``,
which shares their memory: the all-reduce writes its result straight into them.

Gradients: each bucket also carries one "has a gradient" flag per parameter, summed
with the values, so that a parameter no rank computed a gradient for keeps ``grad =
None`` everywhere, and one only some ranks reached gets the average on every rank
(the replicas stay identical either way).
"""

import numpy as np

from ..tensor import Tensor
from .group import run_collective, torch_distributed

DEFAULT_BUCKET_MB = 25      # as DistributedDataParallel's bucket_cap_mb


class BucketPlan:
    """Buckets for arrays of the given shapes and dtypes (in order).

    ``buckets``: a list of ``(buffer, entries)`` where ``entries`` lists ``(index,
    offset, size, shape)``; with ``flags=True`` each buffer ends with one slot per entry.
    """

    def __init__(self, shapes, dtypes, cap_bytes, flags=False):
        self.flags = flags
        self.buckets = []
        by_dtype = {}
        for index, (shape, dtype) in enumerate(zip(shapes, dtypes)):
            by_dtype.setdefault(np.dtype(dtype), []).append((index, tuple(shape)))
        for dtype, items in by_dtype.items():
            current, used = [], 0
            for index, shape in items:
                size = int(np.prod(shape, dtype=np.int64))
                if current and (used + size) * dtype.itemsize > cap_bytes:
                    self._close(dtype, current, used)
                    current, used = [], 0
                current.append((index, used, size, shape))
                used += size
            if current:
                self._close(dtype, current, used)

    def _close(self, dtype, entries, used):
        extra = len(entries) if self.flags else 0
        self.buckets.append((np.zeros(used + extra, dtype=dtype), entries))

    @property
    def count(self):
        """How many collective calls one exchange makes."""
        return len(self.buckets)

    @property
    def nbytes(self):
        """Bytes of one exchange (all buckets)."""
        return sum(buffer.nbytes for buffer, _ in self.buckets)


def _all_reduce_sum(buffers, what):
    """Sum each buffer over all ranks, in place, the buckets' transfers overlapping."""
    dist = torch_distributed()
    import torch   # already loaded by torch.distributed; from_numpy shares the memory

    works = [run_collective(lambda b=b: dist.all_reduce(torch.from_numpy(b), async_op=True),
                            what) for b in buffers]
    for work in works:
        run_collective(work.wait, what)


def average_gradients(params, plan, world_size, what="the gradient all-reduce"):
    """Replace each parameter's ``.grad`` by its mean over all ranks (``plan`` built with
    ``flags=True`` from the parameters' shapes and dtypes). A parameter without a
    gradient on this rank counts as zeros; without one on any rank it keeps None."""
    for buffer, entries in plan.buckets:
        flags = buffer[len(buffer) - len(entries):]
        for slot, (index, offset, size, _) in enumerate(entries):
            grad = params[index].grad
            if grad is None:
                buffer[offset:offset + size] = 0
                flags[slot] = 0
            else:
                buffer[offset:offset + size] = grad._array.reshape(-1)
                flags[slot] = 1
    _all_reduce_sum([buffer for buffer, _ in plan.buckets], what)
    scale = 1.0 / world_size
    for buffer, entries in plan.buckets:
        flags = buffer[len(buffer) - len(entries):]
        for slot, (index, offset, size, shape) in enumerate(entries):
            if flags[slot] == 0:
                continue
            mean = buffer[offset:offset + size].reshape(shape)
            param = params[index]
            grad = param.grad
            if grad is not None and grad._array.flags.writeable and grad._array.shape == shape:
                np.multiply(mean, scale, out=grad._array, casting="unsafe")
            else:
                param.grad = Tensor((mean * scale).astype(param._array.dtype))


def sum_numbers(values, what="summing the epoch's metrics"):
    """Each number summed over all ranks (a list of floats; one tiny all-reduce)."""
    buffer = np.asarray(values, dtype=np.float64).reshape(-1).copy()
    _all_reduce_sum([buffer], what)
    return buffer.tolist()


def broadcast_arrays(arrays, source=0, cap_bytes=DEFAULT_BUCKET_MB * 2 ** 20,
                     what="the broadcast of the weights"):
    """Copy rank ``source``'s ``arrays`` into every rank's (in place), as raw bytes in
    buckets, so any dtype travels (float weights, int64 counters, bools)."""
    dist = torch_distributed()
    import torch

    plan = BucketPlan([(a.nbytes,) for a in arrays], [np.uint8] * len(arrays), cap_bytes)
    for buffer, entries in plan.buckets:
        for index, offset, size, _ in entries:
            raw = np.ascontiguousarray(arrays[index]).reshape(-1).view(np.uint8)
            buffer[offset:offset + size] = raw
        run_collective(lambda b=buffer: dist.broadcast(torch.from_numpy(b), src=source), what)
        for index, offset, size, _ in entries:
            target = arrays[index]
            target[...] = buffer[offset:offset + size].view(target.dtype).reshape(target.shape)
    return arrays


def broadcast_bytes(data, source=0, what="sending the checkpoint"):
    """Rank ``source``'s ``data`` (bytes, or None when it failed to get them) on every
    rank: the length goes first (-1 for None), then the bytes. Returns bytes or None."""
    dist = torch_distributed()
    import torch

    length = np.array([-1 if data is None else len(data)], dtype=np.int64)
    run_collective(lambda: dist.broadcast(torch.from_numpy(length), src=source), what)
    if length[0] < 0:
        return None
    buffer = (np.frombuffer(data, dtype=np.uint8).copy() if dist.get_rank() == source
              else np.empty(int(length[0]), dtype=np.uint8))
    if len(buffer):
        run_collective(lambda: dist.broadcast(torch.from_numpy(buffer), src=source), what)
    return buffer.tobytes()
