"""The recorded graph: one :class:`Node` per op, and the checks that keep it honest."""

import numpy as np

from ..errors import GraphError

class Node:
    """One recorded op: how to turn the output's gradient into its inputs' gradients.

    ``saved`` remembers, for the inputs and the output, their version counters at
    recording time: an in-place change to an array that ``cache`` still needs is
    caught at backward time (see :meth:`check_versions`)."""

    __slots__ = ("op", "backward", "cache", "inputs", "needs_grad", "saved")

    def __init__(self, op, backward, cache, inputs, needs_grad, saved=()):
        self.op = op
        self.backward = backward
        self.cache = cache
        self.inputs = inputs
        self.needs_grad = needs_grad
        self.saved = saved

    def name(self):
        """PyTorch's name for this node, e.g. ``"ConvBackward0"``."""
        return "".join(part.title() for part in self.op.split("_")) + "Backward0"

    @property
    def next_functions(self):
        """``(node, 0)`` per input: the input's node, an :class:`AccumulateGrad` for a
        leaf that requires grad, ``None`` otherwise (as PyTorch's ``next_functions``)."""
        result = []
        for tensor, needed in zip(self.inputs, self.needs_grad):
            if not needed:
                result.append((None, 0))
            elif tensor._node is not None:
                result.append((tensor._node, 0))
            else:
                result.append((AccumulateGrad(tensor), 0))
        return tuple(result)

    def check_versions(self):
        """Raise PyTorch's error if an array this node saved was changed in place."""
        for position, (counter, version, array) in enumerate(self.saved):
            if counter[0] != version and _holds(self.cache, array):
                what = "output 0" if position == len(self.saved) - 1 else f"input {position}"
                raise GraphError(
                    "one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: [tensor of shape {list(array.shape)} and dtype "
                    f"{array.dtype}], which is {what} of {self.name()}, is at version "
                    f"{counter[0]}; expected version {version} instead. Hint: use an "
                    "out-of-place operation (x = x + y instead of x += y) there")

    def __repr__(self):
        return f"<{self.name()}>"


class AccumulateGrad:
    """The end of a path in ``next_functions``: gradients are added to ``variable.grad``."""

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return "<AccumulateGrad>"


def _holds(cache, array):
    """True if ``cache`` (arrays in tuples, lists, dicts) shares memory with ``array``."""
    if isinstance(cache, np.ndarray):
        return np.may_share_memory(cache, array)
    if isinstance(cache, (tuple, list)):
        return any(_holds(item, array) for item in cache)
    if isinstance(cache, dict):
        return any(_holds(item, array) for item in cache.values())
    return False


def copy_shared(cache, array):
    """``cache`` with every array that shares memory with ``array`` replaced by a copy:
    an in-place op records its node this way before it overwrites ``array``."""
    if isinstance(cache, np.ndarray):
        return cache.copy() if np.may_share_memory(cache, array) else cache
    if isinstance(cache, tuple):
        return tuple(copy_shared(item, array) for item in cache)
    if isinstance(cache, list):
        return [copy_shared(item, array) for item in cache]
    if isinstance(cache, dict):
        return {key: copy_shared(item, array) for key, item in cache.items()}
    return cache
