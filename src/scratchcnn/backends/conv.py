"""``scratchcnn.backends.conv``: which algorithm computes conv2d and conv_transpose2d.

``algorithm`` is one of:

``"auto"`` (default)
    the speed layer picks an algorithm per layer shape
    (:func:`scratchcnn.kernels.conv_algorithms.choose`, thresholds measured): the ones-row
    GEMM for few input channels, Winograd F(2x2, 3x3) for 3x3 stride-1 layers where it
    wins, the threaded im2col otherwise;
``"im2col"``
    the plain op, ``src/scratchcnn/ops/conv.py`` exactly as written there: im2col, one
    matrix product, col2im;
``"im2col_fast"``
    the speed layer's im2col (:mod:`scratchcnn.kernels.conv`): copies and the col2im
    scatter split across threads, the matrix products in the orientation that suits
    BLAS, ``cols`` rebuilt in backward for large layers (less memory);
``"ones_row"``
    :mod:`scratchcnn.kernels.conv_ones_row`: output and bias in one GEMM per image;
``"winograd"``
    :mod:`scratchcnn.kernels.conv_winograd`: F(2x2, 3x3), 2.25x fewer multiplications.

A forced algorithm that cannot compute a layer (Winograd on a 5x5 kernel, the ones row
with groups) runs "auto"'s choice for that layer. All compute the same convolution;
results agree to float rounding (Winograd rounds a little more in float32: see its
module). ``scratchcnn.backends.kernels.enabled = False`` selects the plain op for every
op. The setting is read when a layer runs forward; its backward pass uses the same
algorithm. ``scratchcnn.summary(model, size, algorithms=True)`` shows each layer's.

>>> import scratchcnn as sc
>>> sc.backends.conv.algorithm
'auto'
>>> with sc.backends.conv.flags(algorithm="im2col"):
...     print(sc.backends.conv.algorithm)
im2col
>>> sc.backends.conv.algorithm = "fft"
Traceback (most recent call last):
...
scratchcnn.errors.ArgumentError: backends.conv.algorithm expects one of 'auto', 'im2col', 'im2col_fast', 'ones_row', 'winograd', got 'fft'
"""

import contextlib
import sys
import types

from ..errors import ArgumentError

ALGORITHMS = ("auto", "im2col", "im2col_fast", "ones_row", "winograd")

_algorithm = "auto"


def _checked(value):
    if not isinstance(value, str) or value not in ALGORITHMS:
        raise ArgumentError(f"expects one of {', '.join(map(repr, ALGORITHMS))}, got {value!r}",
                            "backends.conv.algorithm")
    return value


@contextlib.contextmanager
def flags(algorithm=None):
    """``with backends.conv.flags(algorithm="im2col"): ...`` sets ``algorithm`` for the
    block and restores the previous value after it (None: leave it as it is)."""
    global _algorithm
    before = _algorithm
    if algorithm is not None:
        _algorithm = _checked(algorithm)
    try:
        yield
    finally:
        _algorithm = before


class _ConvBackend(types.ModuleType):
    """This module, with ``algorithm`` checked when it is set."""

    @property
    def algorithm(self):
        return _algorithm

    @algorithm.setter
    def algorithm(self, value):
        global _algorithm
        _algorithm = _checked(value)


sys.modules[__name__].__class__ = _ConvBackend
