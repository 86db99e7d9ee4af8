"""``scratchcnn.backends.kernels``: whether the library runs its speed layer.

``enabled = True`` (default): conv, transposed conv, pooling, ReLU and the optimizer
updates run through :mod:`scratchcnn.kernels` (threaded passes, chunked updates, buffer
policies). ``enabled = False``: every op runs the plain NumPy function of
``src/scratchcnn/ops/`` as written there, and the optimizers apply their formulas to
whole arrays. The results are the same: bit for bit where the speed layer only splits
the work across threads (pooling, ReLU, the optimizers), to float rounding where it
also reorders a sum (the matrix products of a convolution).

>>> import scratchcnn as sc
>>> sc.backends.kernels.enabled
True
>>> with sc.backends.kernels.flags(enabled=False):
...     print(sc.backends.kernels.enabled)
False
>>> sc.backends.kernels.enabled = "no"
Traceback (most recent call last):
...
scratchcnn.errors.ArgumentError: backends.kernels.enabled expects True or False, got 'no'
"""

import contextlib
import sys
import types

from ..errors import ArgumentError

_enabled = True


def _checked(value):
    if not isinstance(value, bool):
        raise ArgumentError(f"expects True or False, got {value!r}", "backends.kernels.enabled")
    return value


@contextlib.contextmanager
def flags(enabled=None):
    """``with backends.kernels.flags(enabled=False): ...`` runs the block on the plain
    ops and restores the previous setting after it (None: leave it as it is)."""
    global _enabled
    before = _enabled
    if enabled is not None:
        _enabled = _checked(enabled)
    try:
        yield
    finally:
        _enabled = before


class _KernelsBackend(types.ModuleType):
    """This module, with ``enabled`` checked when it is set."""

    @property
    def enabled(self):
        return _enabled

    @enabled.setter
    def enabled(self, value):
        global _enabled
        _enabled = _checked(value)


sys.modules[__name__].__class__ = _KernelsBackend
