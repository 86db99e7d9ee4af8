"""In-place Tensor methods (``x += y``, ``add_``, ``fill_``, ``normal_``, ``copy_``...),
with PyTorch's semantics inside a graph. Mixed into :class:`~scratchcnn.Tensor`.

``x += y`` writes into x's memory. Outside a graph it is one ufunc with ``out=`` (the
optimizer's ``p -= lr * g`` under no_grad). Inside a graph (x or y requires grad) the
op is recorded as PyTorch records it: x's old history moves to a hidden tensor that
becomes the op's input, and x becomes the op's output (:meth:`InplaceMethods._rebase`).
Every change bumps x's version counter, which a later backward checks
(:meth:`scratchcnn.autograd.Node.check_versions`).
"""

import numpy as np

from . import autograd, random
from .errors import DTypeError, GraphError, ShapeError

_INPLACE_METHODS = {np.add: "__add__", np.subtract: "__sub__", np.multiply: "__mul__",
                    np.divide: "__truediv__"}


def _is_tensor(value):
    return isinstance(value, autograd.engine.tensor_type())


def _copy_result(target, source):
    """``source`` broadcast to ``target``'s shape and dtype, as a graph op (for copy_)."""
    out = source.to(target.dtype)
    if out.shape != target.shape:
        out = out + autograd.constant(np.zeros(target.shape, target.dtype))
    return out


def _scaled(value, alpha):
    return (value._array if _is_tensor(value) else np.asarray(value)) * alpha


class InplaceMethods:
    __slots__ = ()

    # ``x += y`` writes into x's memory. Outside a graph it is one ufunc with ``out=``
    # (the optimizer's ``p -= lr * g`` under no_grad). Inside a graph (x or y requires
    # grad) the op is recorded as PyTorch does: x's old history moves to a hidden
    # tensor that becomes the op's input, and x becomes the op's output.
    def _inplace(self, ufunc, other):
        """``self <op>= other`` with a NumPy ufunc, dtype kept (PyTorch's casting rule)."""
        self._check_inplace()
        other_array = other._array if _is_tensor(other) else other
        if autograd.is_grad_enabled() and (self.requires_grad or (
                _is_tensor(other) and other.requires_grad)):
            method = _INPLACE_METHODS[ufunc]
            return self._inplace_via(lambda t: getattr(t, method)(other))
        result_kind = np.result_type(self._array, other_array).kind
        if result_kind == "f" and self._array.dtype.kind in "iub" or \
                result_kind in "iu" and self._array.dtype.kind == "b":
            raise DTypeError(f"result type {np.result_type(self._array, other_array)} can't "
                             f"be cast to the desired output type {self._array.dtype}")
        ufunc(self._array, other_array, out=self._array, casting="unsafe")
        self._vc[0] += 1
        return self

    def _inplace_via(self, compute):
        """Make ``compute(self)`` (an out-of-place Tensor op) this tensor's new value, in
        place: the memory is overwritten and, when recording, the graph is rebased."""
        self._check_inplace()
        if autograd.is_grad_enabled():
            return self._rebase(compute)
        self._write(compute(self)._array)
        return self

    def _rebase(self, compute):
        Tensor = autograd.engine.tensor_type()
        old = Tensor.__new__(Tensor)
        old._array, old._node, old._vc = self._array, self._node, self._vc
        old.grad, old._retains_grad, old._hooks = None, False, None
        old.requires_grad = self.requires_grad
        result = compute(old)
        node = result._node
        if node is not None:  # the op's saved arrays must keep the values it saw
            node.cache = autograd.copy_shared(node.cache, self._array)
        self._write(result._array)
        self._node, self.requires_grad = node, result.requires_grad
        if node is not None:
            node.saved = node.saved[:-1] + ((self._vc, self._vc[0], self._array),)
        return self

    def _write(self, array):
        if array.dtype != self._array.dtype and not np.can_cast(
                array.dtype, self._array.dtype, "same_kind"):
            raise DTypeError(f"result type {array.dtype} can't be cast to the desired output "
                             f"type {self._array.dtype}")
        if array.shape != self._array.shape:
            raise ShapeError(f"output with shape {list(self._array.shape)} doesn't match the "
                             f"broadcast shape {list(array.shape)}")
        np.copyto(self._array, array, casting="unsafe")
        self._vc[0] += 1

    def __iadd__(self, other):
        return self._inplace(np.add, other)

    def __isub__(self, other):
        return self._inplace(np.subtract, other)

    def __imul__(self, other):
        return self._inplace(np.multiply, other)

    def __itruediv__(self, other):
        if self._array.dtype.kind != "f":
            raise DTypeError(f"result type Float can't be cast to the desired output type "
                             f"{self._array.dtype}: true division of an integer tensor in place")
        return self._inplace(np.divide, other)

    def add_(self, other, alpha=1):
        return self._inplace(np.add, other if alpha == 1 else _scaled(other, alpha))

    def sub_(self, other, alpha=1):
        return self._inplace(np.subtract, other if alpha == 1 else _scaled(other, alpha))

    def mul_(self, other):
        return self._inplace(np.multiply, other)

    def div_(self, other):
        return self.__itruediv__(other)

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        self._check_inplace()
        if _is_tensor(value):
            if value.numel() != 1:
                raise ShapeError(f"fill_ only supports a 0-dimension value tensor, got one "
                                 f"of shape {value.shape}")
            value = value._array.item()
        self._array[...] = value
        self._vc[0] += 1
        if self._node is not None:   # the old history no longer explains the values
            self._node, self.requires_grad = None, False
        return self

    def copy_(self, source, non_blocking=False):
        source_array = source._array if _is_tensor(source) else np.asarray(source)
        try:
            np.broadcast_to(source_array, self._array.shape)
        except ValueError:
            raise ShapeError(f"copy_: a source of shape {source_array.shape} cannot be "
                             f"broadcast to shape {self._array.shape}") from None
        if _is_tensor(source) and source.requires_grad and autograd.is_grad_enabled():
            return self._inplace_via(lambda t: _copy_result(t, source))
        self._check_inplace()
        self._array[...] = source_array
        self._vc[0] += 1
        if self._node is not None:
            self._node, self.requires_grad = None, False
        return self

    def normal_(self, mean=0.0, std=1.0, generator=None):
        """Fill with samples of N(mean, std^2) from the global generator."""
        self._check_inplace()
        self._array[...] = random.generator().normal(mean, std, self._array.shape)
        self._vc[0] += 1
        return self

    def uniform_(self, a=0.0, b=1.0, generator=None):
        """Fill with samples of U(a, b) from the global generator."""
        self._check_inplace()
        self._array[...] = random.generator().uniform(a, b, self._array.shape)
        self._vc[0] += 1
        return self

    def _check_inplace(self):
        if self.requires_grad and self._node is None and autograd.is_grad_enabled():
            raise GraphError("a leaf Variable that requires grad is being used in an in-place "
                             "operation; wrap it in `with torch.no_grad():` (sc.no_grad())")
