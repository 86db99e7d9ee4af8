"""Tensor methods that compare or test values (``eq``, ``gt``, ``logical_and``,
``isnan``, ``allclose``, ``equal``...). None of them is differentiable: the results are
bool tensors (or Python bools) outside any graph. Part of :mod:`.tensor_math`'s mixin."""

import numpy as np

from . import autograd
from .errors import ShapeError


def _array(value):
    return value._array if isinstance(value, CompareMethods) else value


def _bool_result(array):
    return autograd.constant(np.asarray(array, dtype=bool))


class CompareMethods:
    __slots__ = ()

    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge

    def logical_and(self, other):
        return _bool_result(np.logical_and(self._array, _array(other)))

    def logical_or(self, other):
        return _bool_result(np.logical_or(self._array, _array(other)))

    def logical_xor(self, other):
        return _bool_result(np.logical_xor(self._array, _array(other)))

    def logical_not(self):
        return _bool_result(np.logical_not(self._array))

    def isnan(self):
        return _bool_result(np.isnan(self._array))

    def isinf(self):
        return _bool_result(np.isinf(self._array))

    def isposinf(self):
        return _bool_result(np.isposinf(self._array))

    def isneginf(self):
        return _bool_result(np.isneginf(self._array))

    def isfinite(self):
        return _bool_result(np.isfinite(self._array))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """|self - other| <= atol + rtol * |other|, element-wise (a bool tensor)."""
        return _bool_result(np.isclose(self._array, _array(other), rtol=rtol, atol=atol,
                                       equal_nan=equal_nan))

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """True if every element is close (see :meth:`isclose`); shapes must broadcast."""
        try:
            np.broadcast_shapes(self.shape, np.shape(_array(other)))
        except ValueError:
            raise ShapeError(f"allclose: shapes {tuple(self.shape)} and "
                             f"{np.shape(_array(other))} do not broadcast") from None
        return bool(np.allclose(self._array, _array(other), rtol=rtol, atol=atol,
                                equal_nan=equal_nan))

    def equal(self, other):
        """True if both have the same shape and the same values (a Python bool)."""
        other = _array(other)
        return bool(self.shape == np.shape(other) and np.array_equal(self._array, other))
