"""Split a large memory-bound array pass across threads.

Why: matrix products run on all of BLAS's threads, but every other NumPy pass (the
im2col copy, the col2im scatter, pooling) runs on one core while the others wait. NumPy
releases the GIL inside its copy and arithmetic loops, so the same pass split into
blocks along one axis and handed to a few Python threads runs the blocks at the same
time. Blocks are disjoint slices of the output, so no two threads write the same
element, and the result is bit for bit that of the one-thread pass.

The number of threads follows :func:`scratchcnn.set_num_threads` (the same count as
BLAS, kept in :mod:`scratchcnn.threads`); arrays under ``MIN_ELEMENTS`` are done in one block, where starting threads
would cost more than it saves.

>>> import numpy as np
>>> out = np.zeros((4, 6))
>>> def add_one(block): out[block] += 1
>>> for_blocks(add_one, length=4, size=10**6)   # one block per thread
>>> float(out.sum())
24.0
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

from .. import threads as thread_control

MIN_ELEMENTS = 1 << 18    # below ~1 MB of float32 one thread is faster

_executor = None
_executor_key = None      # (workers, pid) it was made for: a forked child needs its own
_executor_lock = threading.Lock()


class _WorkerFlag(threading.local):
    active = False


_inside_worker = _WorkerFlag()


def threads():
    """The number of threads a pass is split into (:func:`scratchcnn.threads.pass_threads`)."""
    return thread_control.pass_threads()


def _pool(workers):
    """The shared worker threads (at least ``workers``). A pool is never shut down: a
    thread that fetched the old one may still be submitting to it; a replaced pool's
    threads exit once it is garbage."""
    global _executor, _executor_key
    with _executor_lock:
        if _executor_key is None or _executor_key[0] < workers or _executor_key[1] != os.getpid():
            _executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scratchcnn")
            _executor_key = (workers, os.getpid())
        return _executor


def blocks(length, parts):
    """``parts`` contiguous slices covering ``range(length)``, sizes differing by <= 1."""
    parts = max(1, min(parts, length))
    bounds = [length * i // parts for i in range(parts + 1)]
    return [slice(lo, hi) for lo, hi in zip(bounds, bounds[1:])]


def for_blocks(work, length, size):
    """Call ``work(block)`` for slices ``block`` covering ``range(length)``, on several
    threads when ``size`` (the elements the pass touches) is large enough. ``work`` must
    only write the part of its output that ``block`` selects. Returns when every block
    is done, then re-raises the first error of any block."""
    parts = threads() if size >= MIN_ELEMENTS and not _inside_worker.active else 1
    slices = blocks(length, parts)
    if len(slices) == 1:
        work(slices[0])
        return
    pending = [_pool(threads() - 1).submit(_as_worker, work, block) for block in slices[1:]]
    try:
        work(slices[0])                       # this thread does the first block
    finally:
        wait(pending)                         # no block may still be writing after we return
    for future in pending:
        future.result()                       # re-raises an error from a worker


def _as_worker(work, block):
    # A for_blocks inside a worker runs in one block: waiting on the pool from one of its
    # own threads could wait forever.
    _inside_worker.active = True
    try:
        work(block)
    finally:
        _inside_worker.active = False


def copy(dst, src):
    """``dst[...] = src`` (same shapes) split along the first axis with at least two
    entries per thread."""
    if dst.ndim == 0:
        dst[...] = src
        return
    axis = next((i for i, n in enumerate(dst.shape) if n >= 2 * threads()), 0)

    def copy_block(block):
        index = (slice(None),) * axis + (block,)
        dst[index] = src[index]

    for_blocks(copy_block, dst.shape[axis], dst.size)


def ufunc(func, out, *operands):
    """``func(*operands, out=out)`` for a NumPy ufunc, split along the first axis.
    Operands with ``out``'s first axis are sliced with it; others (scalars, arrays that
    broadcast along the first axis) are passed whole. Returns ``out``."""
    if out.ndim == 0:
        func(*operands, out=out)
        return out

    def apply_block(block):
        func(*(a[block] if _along_first_axis(a, out) else a for a in operands), out=out[block])

    for_blocks(apply_block, out.shape[0], out.size)
    return out


def _along_first_axis(operand, out):
    return getattr(operand, "ndim", 0) == out.ndim and operand.shape[0] == out.shape[0]
