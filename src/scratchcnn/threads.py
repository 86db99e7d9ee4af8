"""How many threads NumPy's BLAS may use: ``set_num_threads(n)`` / ``get_num_threads()``.

scratchcnn's heavy lifting is matrix products (``@``), which NumPy hands to its BLAS
library (OpenBLAS in the wheels from PyPI, MKL or Accelerate in other builds). That
library keeps a pool of worker threads, one per core by default. These two functions
read and change the size of that pool while the program runs, through
`threadpoolctl <https://github.com/joblib/threadpoolctl>`_; the names follow
``torch.set_num_threads`` / ``torch.get_num_threads``.

What they limit: every BLAS and OpenMP thread pool that is loaded in the process
when ``set_num_threads`` is called (NumPy's BLAS, and any OpenMP runtime: that
includes the one a PyTorch imported earlier runs its intra-op pool on, so its thread
count changes too, as ``torch.get_num_threads()`` then shows), and scratchcnn's own
passes that it splits across threads (:mod:`scratchcnn.kernels.parallel`) follow the
same count: this module is the one place that count is kept (:func:`pass_threads`). What they do not: everything else in NumPy is single-threaded
anyway (copies, ``+``, ``maximum``, reductions); a PyTorch built without OpenMP, or
imported after the call, keeps its own count (``torch.set_num_threads`` sets it). A
library loaded *after* the call starts with its own default; to fix the count before
anything is loaded, set ``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` /
``MKL_NUM_THREADS`` in the environment instead.

>>> import scratchcnn as sc
>>> before = sc.get_num_threads()
>>> sc.set_num_threads(1)
>>> sc.get_num_threads()
1
>>> sc.set_num_threads(before)
>>> sc.set_num_threads(0)
Traceback (most recent call last):
...
scratchcnn.errors.ArgumentError: set_num_threads() expects a positive int, got 0
"""

import numbers
import os
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy

from .errors import ArgumentError

_SUBJECT = "set_num_threads()"

_pass_threads = None      # scratchcnn's own split; None: not set yet, ask BLAS the first time
_UNSET = object()
_blas_pool = _UNSET       # NumPy's BLAS controller, found once (see one_thread_blas)
_blas_lock = threading.Lock()
_blas_users = 0           # one_thread_blas blocks running now
_blas_before = 1          # BLAS's count when the first of them started


def _controller():
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - a runtime dependency, but be clear if missing
        raise ImportError("scratchcnn.set_num_threads needs threadpoolctl: "
                          "pip install threadpoolctl") from None
    return ThreadpoolController()


def _numpy_blas(controller):
    """The BLAS pool NumPy uses: the one shipped inside NumPy's folder if there is one
    (PyPI wheels), else the first BLAS loaded (a system OpenBLAS/MKL), else None."""
    pools = controller.select(user_api="blas").lib_controllers
    numpy_root = Path(numpy.__file__).resolve().parent.parent
    for pool in pools:
        path = Path(pool.filepath).resolve()
        if path.is_relative_to(numpy_root) and \
                path.relative_to(numpy_root).parts[0].lower().startswith("numpy"):
            return pool
    return pools[0] if pools else None


def set_num_threads(n):
    """Let NumPy's BLAS (and any loaded OpenMP runtime) use at most ``n`` threads, from now
    on, for the whole process, and split scratchcnn's own passes into ``n`` blocks.
    ``n`` must be a positive int."""
    global _pass_threads
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ArgumentError(f"expects a positive int, got {n!r}", _SUBJECT)
    _controller().limit(limits=int(n))
    _pass_threads = int(n)


def get_num_threads():
    """The number of threads NumPy's BLAS currently may use (1 if NumPy has no threaded BLAS)."""
    pool = _numpy_blas(_controller())
    return 1 if pool is None else int(pool.num_threads)


def pass_threads():
    """The number of threads scratchcnn's own array passes are split into
    (:mod:`scratchcnn.kernels.parallel`): the last :func:`set_num_threads`, else BLAS's
    count when first asked (one per usable CPU where threadpoolctl is missing)."""
    global _pass_threads
    if _pass_threads is None:
        try:
            _pass_threads = get_num_threads()
        except ImportError:      # threadpoolctl missing: one per usable CPU, as BLAS does
            _pass_threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
                else os.cpu_count() or 1
    return _pass_threads


def _cached_numpy_blas():
    """NumPy's BLAS controller (None without threadpoolctl or a threaded BLAS), found
    once per process: finding it scans the loaded libraries (milliseconds); using it is a
    function call (microseconds)."""
    global _blas_pool
    if _blas_pool is _UNSET:
        try:
            _blas_pool = _numpy_blas(_controller())
        except ImportError:
            _blas_pool = None
    return _blas_pool


@contextmanager
def one_thread_blas():
    """Run the block inside with NumPy's BLAS on one thread, then give it back the count it
    had. For a pass that splits its own work across scratchcnn's threads and calls BLAS
    from each of them: two pools of busy-waiting threads (BLAS's and the pass's) on the
    same cores slow each other down several times over (BENCHMARKS.md, "Conv algorithms
    per shape"). Nested or concurrent uses are counted: the count comes back when the
    last one leaves."""
    global _blas_users, _blas_before
    pool = _cached_numpy_blas()
    if pool is None:
        yield
        return
    with _blas_lock:
        if _blas_users == 0:
            _blas_before = pool.get_num_threads()
            if _blas_before != 1:
                pool.set_num_threads(1)
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0 and _blas_before != 1:
                pool.set_num_threads(_blas_before)

