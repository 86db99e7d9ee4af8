"""Pick the array library from the data, so kernels run unchanged on a NumPy-compatible GPU library."""

import sys

import numpy


def array_module(array):
    """NumPy for NumPy arrays and scalars; the defining package (e.g. CuPy) otherwise."""
    package = type(array).__module__.partition(".")[0]
    if package == "numpy":
        return numpy
    return sys.modules.get(package, numpy)
