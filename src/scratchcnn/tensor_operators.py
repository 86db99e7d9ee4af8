"""Tensor operators and the methods that mirror them: ``+ - * / ** @`` (and their
reflected forms), ``exp``/``log``/``sqrt``/``abs``, the activations as methods
(``relu``, ``sigmoid``, ``tanh``, ``softmax``, ``log_softmax``), and the comparisons
``== != < <= > >=`` (no gradient). Mixed into :class:`~scratchcnn.Tensor`.

Python numbers take the tensor's dtype (``x * 0.5`` stays float32); mixed operands
follow PyTorch's promotion (:func:`scratchcnn.tensor_math.promote`).
"""

import numpy as np

from . import autograd, dispatch
from .dtypes import get_default_dtype
from .errors import DTypeError
from .ops import activation as act
from .ops import elementwise as ew
from .ops import matmul as mm
from .ops import reduce as red
from .ops import softmax as softmax_op
from .tensor_math import promote


def _is_tensor(value):
    return isinstance(value, autograd.engine.tensor_type())


def _is_float(array):
    return array.dtype.kind == "f"


class OperatorMethods:
    __slots__ = ()

    # ----------------------------------------------------------------- arithmetic
    def _operand(self, other):
        """Turn a Python number into an array of a matching dtype (float32 stays float32)."""
        if _is_tensor(other) or isinstance(other, np.ndarray):
            return other
        if isinstance(other, (bool, int, float, np.number)):
            if _is_float(self._array):
                return np.asarray(other, dtype=self._array.dtype)
            return np.asarray(other, dtype=get_default_dtype() if isinstance(other, float) else None)
        return autograd.engine.tensor_type()(other)

    def _binary(self, forward, backward, other, reverse=False, true_divide=False):
        other = self._operand(other)
        a, b = (other, self) if reverse else (self, other)
        a, b = promote(a, b, true_divide)
        return autograd.apply(forward, backward, a, b)

    def __add__(self, other):
        return self._binary(ew.add_forward, ew.add_backward, other)

    def __radd__(self, other):
        return self._binary(ew.add_forward, ew.add_backward, other, reverse=True)

    def __sub__(self, other):
        return self._binary(ew.sub_forward, ew.sub_backward, other)

    def __rsub__(self, other):
        return self._binary(ew.sub_forward, ew.sub_backward, other, reverse=True)

    def __mul__(self, other):
        return self._binary(ew.mul_forward, ew.mul_backward, other)

    def __rmul__(self, other):
        return self._binary(ew.mul_forward, ew.mul_backward, other, reverse=True)

    def __truediv__(self, other):
        return self._binary(ew.div_forward, ew.div_backward, other, true_divide=True)

    def __rtruediv__(self, other):
        return self._binary(ew.div_forward, ew.div_backward, other, reverse=True,
                            true_divide=True)

    def __pow__(self, other):
        return self._binary(ew.pow_forward, ew.pow_backward, other)

    def __rpow__(self, other):
        return self._binary(ew.pow_forward, ew.pow_backward, other, reverse=True)

    def __matmul__(self, other):
        return self._binary(mm.matmul_forward, mm.matmul_backward, other)

    def __rmatmul__(self, other):
        return self._binary(mm.matmul_forward, mm.matmul_backward, other, reverse=True)

    def __neg__(self):
        return autograd.apply(ew.neg_forward, ew.neg_backward, self)

    def __pos__(self):
        return self

    def exp(self):
        return autograd.apply(ew.exp_forward, ew.exp_backward, self)

    def log(self):
        return autograd.apply(ew.log_forward, ew.log_backward, self)

    def sqrt(self):
        return autograd.apply(ew.sqrt_forward, ew.sqrt_backward, self)

    def abs(self):
        return autograd.apply(ew.abs_forward, ew.abs_backward, self)

    def relu(self):
        return autograd.apply(*dispatch.op("relu"), self)

    def sigmoid(self):
        return autograd.apply(act.sigmoid_forward, act.sigmoid_backward, self)

    def tanh(self):
        return autograd.apply(act.tanh_forward, act.tanh_backward, self)

    def relu_(self):
        return self._inplace_via(lambda t: t.relu())

    def sigmoid_(self):
        return self._inplace_via(lambda t: t.sigmoid())

    def tanh_(self):
        return self._inplace_via(lambda t: t.tanh())

    def softmax(self, dim, dtype=None):
        source = self if dtype is None else self.to(dtype)
        return autograd.apply(softmax_op.softmax_forward, softmax_op.softmax_backward, source,
                              dim=source._softmax_dim(dim, "softmax()"))

    def log_softmax(self, dim, dtype=None):
        source = self if dtype is None else self.to(dtype)
        return autograd.apply(softmax_op.log_softmax_forward, softmax_op.log_softmax_backward,
                              source, dim=source._softmax_dim(dim, "log_softmax()"))

    def _softmax_dim(self, dim, who):
        if not _is_float(self._array):
            raise DTypeError(f"{who} expects a floating point input, got {self.dtype}")
        return red.normalize_axes(dim, self.ndim)[0] if self.ndim else 0

    # ----------------------------------------------------------------- comparisons (no grad)
    def _compare(self, other, op):
        other = other._array if _is_tensor(other) else other
        return autograd.constant(op(self._array, other))

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    __hash__ = object.__hash__  # tensors are identities, as in PyTorch
