"""Compiled loop kernels (numba), loaded on first use.

Some passes are loops NumPy cannot express without many strided passes over memory (the
Winograd tile transforms). Those are written as plain loops in their own module
(:mod:`scratchcnn.kernels.winograd_loops`) and compiled by numba, the "minitorch
pattern": the loop is the readable definition, one decorator makes it fast.

- numba is a dependency of scratchcnn (the MNIST CNN's step meets PyTorch's time with it,
  not without: BENCHMARKS.md), but ``import scratchcnn`` does not import it;
  :func:`loops` does, the first time a compiled kernel runs. numba's code is cached on
  disk (``cache=True``): compiled once per dtype and layout, later processes load it in
  about a second.
- :func:`available` is True when numba is installed and ``backends.kernels.compiled`` is
  True; otherwise callers run their NumPy path, which computes the same thing.
- The kernels are compiled without numba's own thread pool (``nogil=True``, no
  ``parallel``): callers split the work into blocks on scratchcnn's one pool of threads
  (:mod:`scratchcnn.kernels.parallel`), so numba's threads never compete with it and no
  numba setting is ever changed.
"""

import importlib
import importlib.util

from .. import backends

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
