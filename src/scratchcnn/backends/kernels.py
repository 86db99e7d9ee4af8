"""``scratchcnn.backends.kernels``: whether the library runs its speed layer.

``enabled = True`` (default): conv, transposed conv, pooling, ReLU and the optimizer
updates run through :mod:`scratchcnn.kernels` (threaded passes, chunked updates, buffer
policies). ``enabled = False``: every op runs the plain NumPy function of
``src/scratchcnn/ops/`` as written there, and the optimizers apply their formulas to
whole arrays. The results are the same: bit for bit where the speed layer only splits
the work across threads (pooling, ReLU, the optimizers), to float rounding where it
also reorders a sum (the matrix products of a convolution).

``compiled = True`` (default): where numba is installed, the loops NumPy cannot run fast
(the Winograd tile transforms, :mod:`scratchcnn.kernels.compiled`) run compiled;
``compiled = False`` runs their NumPy versions, which compute the same values. Without
numba the NumPy versions run either way, and ``backends.conv.algorithm = "auto"`` does
not pick Winograd (its NumPy transforms cost more than its smaller GEMMs save).

>>> import scratchcnn as sc
>>> sc.backends.kernels.enabled
True
>>> with sc.backends.kernels.flags(enabled=False):
...     print(sc.backends.kernels.enabled)
False
>>> with sc.backends.kernels.flags(compiled=False):
...     print(sc.backends.kernels.compiled)
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
_compiled = True


def _checked(value, name="enabled"):
    if not isinstance(value, bool):
        raise ArgumentError(f"expects True or False, got {value!r}", f"backends.kernels.{name}")
    return value


@contextlib.contextmanager
def flags(enabled=None, compiled=None):
    """``with backends.kernels.flags(enabled=False): ...`` runs the block on the plain
    ops (``compiled=False``: on the NumPy versions of the compiled loops) and restores
    the previous settings after it (None: leave a setting as it is)."""
    global _enabled, _compiled
    before = _enabled, _compiled
    if enabled is not None:
        _enabled = _checked(enabled)
    if compiled is not None:
        _compiled = _checked(compiled, "compiled")
    try:
        yield
    finally:
        _enabled, _compiled = before


class _KernelsBackend(types.ModuleType):
    """This module, with ``enabled`` checked when it is set."""

    @property
    def enabled(self):
        return _enabled

    @enabled.setter
    def enabled(self, value):
        global _enabled
        _enabled = _checked(value)

    @property
    def compiled(self):
        return _compiled

    @compiled.setter
    def compiled(self, value):
        global _compiled
        _compiled = _checked(value, "compiled")


sys.modules[__name__].__class__ = _KernelsBackend
