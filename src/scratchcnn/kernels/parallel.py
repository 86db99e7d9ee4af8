"""Split a large memory-bound array pass across threads.

Why: matrix products run on all of BLAS's threads, but every other NumPy pass (the
im2col copy, the col2im scatter, pooling) runs on one core while the others wait. NumPy
releases the GIL inside its copy and arithmetic loops, so the same pass split into
blocks along one axis and handed to a few Python threads runs the blocks at the same
time. Blocks are disjoint slices of the output, so no two threads write the same
element, and the result is bit for bit that of the one-thread pass.

Matrix products (:func:`matmul`) are split the same way, with BLAS on one thread while
they run: one pool of threads does all of the speed layer's work, as PyTorch's intra-op
pool does. Two pools on the same cores (BLAS's, whose idle threads keep spinning for a
while after each product, and this one) slowed the MNIST CNN's step down by half
(BENCHMARKS.md, "Conv algorithms per shape").

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

import numpy as np

from .. import threads as thread_control

MIN_ELEMENTS = 1 << 18    # below ~1 MB of float32 one thread is faster
MIN_PRODUCT_FLOPS = 1 << 21   # multiply-adds below which a product runs on one thread

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
        _as_worker(work, slices[0])           # this thread does the first block
    finally:
        wait(pending)                         # no block may still be writing after we return
    for future in pending:
        future.result()                       # re-raises an error from a worker


def _as_worker(work, block):
    # A for_blocks (or matmul) inside a block runs in one block: waiting on the pool from
    # one of its own threads could wait forever, and the other threads are busy anyway.
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


def matmul(a, b, out=None):
    """``np.matmul(a, b, out=out)`` split across threads, each block's product on one BLAS
    thread (:func:`scratchcnn.threads.one_thread_blas`). Stacks of matrices are split along
    their first axis; a single product along the longer of ``a``'s rows and ``b``'s
    columns, so that each thread reads half of the other operand's work but all of it
    only once per block. Each output element is the same dot product as in one call."""
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
        return a @ b if out is None else np.matmul(a, b, out=out)   # another array library
    if a.ndim < 2 or b.ndim < 2:                                  # a vector: one small product
        with thread_control.one_thread_blas():
            return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)
    if out is None:
        shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
        out = np.empty(shape, dtype=np.result_type(a, b))
    flops = out.size * a.shape[-1]
    with thread_control.one_thread_blas():
        if flops < MIN_PRODUCT_FLOPS or threads() == 1 or _inside_worker.active:
            return np.matmul(a, b, out=out)
        if out.ndim > 2 and out.shape[0] >= threads():
            def stack_block(block):
                np.matmul(a[block] if a.ndim == out.ndim else a,
                          b[block] if b.ndim == out.ndim else b, out=out[block])
            for_blocks(stack_block, out.shape[0], flops)
        elif out.shape[-2] >= out.shape[-1]:
            def row_block(block):
                np.matmul(a[..., block, :], b, out=out[..., block, :])
            for_blocks(row_block, out.shape[-2], flops)
        else:
            def column_block(block):
                np.matmul(a, b[..., block], out=out[..., block])
            for_blocks(column_block, out.shape[-1], flops)
    return out
