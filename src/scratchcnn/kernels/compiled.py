"""Compiled loop kernels (numba), loaded on first use, run on scratchcnn's thread count.

Some passes are loops NumPy cannot express without many strided passes over memory (the
Winograd tile transforms). Those are written as plain loops in their own module
(:mod:`scratchcnn.kernels.winograd_loops`) and compiled by numba, the "minitorch
pattern": the loop is the readable definition, one decorator makes it fast.

- ``import scratchcnn`` does not import numba; :func:`loops` does, the first time a compiled
  kernel runs. numba's code is cached on disk (``cache=True``): compiled once per dtype,
  later processes load it in well under a second.
- :func:`available` is True when numba is installed and ``backends.kernels.compiled`` is
  True; otherwise callers run their NumPy path, which computes the same thing.
- :func:`run` runs a kernel on :func:`scratchcnn.set_num_threads`' count of threads
  (numba's own pool) and restores numba's previous count afterwards, so no process-wide
  setting is left changed.
"""

import importlib
import importlib.util

from .. import backends, threads

_installed = None        # numba importable? asked once, without importing it


def installed():
    """True if numba can be imported (checked without importing it)."""
    global _installed
    if _installed is None:
        _installed = importlib.util.find_spec("numba") is not None
    return _installed


def available():
    """True if the compiled kernels may run: numba installed and
    ``backends.kernels.compiled`` True (and the speed layer enabled)."""
    return backends.kernels.enabled and backends.kernels.compiled and installed()


def loops(name):
    """The module of compiled loops ``scratchcnn.kernels.<name>`` (imports numba)."""
    return importlib.import_module(f"{__package__}.{name}")


def run(kernel, *args):
    """``kernel(*args)`` on scratchcnn's pass thread count (at most numba's pool size),
    restoring numba's thread count afterwards."""
    import numba            # already imported by the loops module: no import cost here

    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(threads.pass_threads(), numba.config.NUMBA_NUM_THREADS)))
    try:
        return kernel(*args)
    finally:
        numba.set_num_threads(before)
