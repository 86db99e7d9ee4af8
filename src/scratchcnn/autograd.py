"""Reverse-mode automatic differentiation: the graph, the backward pass and grad mode.

Every op in :mod:`scratchcnn.ops` is a pair of pure functions on arrays::

    out, cache = op_forward(*arrays, **params)
    grads      = op_backward(grad_out, cache, needs_grad)   # one entry per array input

:func:`apply` runs the forward function and, when any input requires a gradient,
records a :class:`Node` that remembers the backward function, the cache and the
inputs. :func:`run_backward` walks the recorded nodes in reverse topological order,
calls each backward function once, and sums gradients that reach the same tensor
(chain rule + multivariate sum rule). That is the whole engine.
"""

import contextlib
import functools
import threading

import numpy as np

from .errors import GraphError

_state = threading.local()


def is_grad_enabled():
    """True unless inside ``no_grad()``: only then are graphs recorded."""
    return getattr(_state, "grad_enabled", True)


def _set_grad_enabled(mode):
    _state.grad_enabled = bool(mode)


class _GradMode:
    """A context manager that is also a decorator, with or without parentheses
    (``@no_grad`` and ``@no_grad()``), as in PyTorch."""

    enabled = True

    def __new__(cls, *args, **kwargs):
        if cls is not set_grad_enabled and len(args) == 1 and callable(args[0]) and \
                not kwargs and not isinstance(args[0], bool):
            return cls()(args[0])  # used as @no_grad without parentheses
        return super().__new__(cls)

    def __enter__(self):
        self.previous = is_grad_enabled()
        _set_grad_enabled(self.enabled)
        return self

    def __exit__(self, *exc):
        _set_grad_enabled(self.previous)
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with type(self)(*self._args()):
                return function(*args, **kwargs)
        return wrapper

    def _args(self):
        return ()

    def clone(self):
        return type(self)(*self._args())


class no_grad(_GradMode):
    """Context manager / decorator: run without recording a graph (inference, updates).

    >>> import scratchcnn as sc
    >>> w = sc.ones(2, requires_grad=True)
    >>> with sc.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """

    enabled = False


class enable_grad(_GradMode):
    """Context manager / decorator: record graphs again inside a ``no_grad`` block."""

    enabled = True


class inference_mode(_GradMode):
    """``no_grad`` for inference, as ``torch.inference_mode(mode=True)``."""

    def __init__(self, mode=True):
        self.enabled = not mode

    def _args(self):
        return (not self.enabled,)


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(False)`` switches recording off at once; used with ``with``,
    the previous mode comes back at the end of the block (PyTorch's semantics)."""

    def __init__(self, mode):
        if not isinstance(mode, (bool, int)):
            raise TypeError(f"set_grad_enabled expects a bool, got {type(mode).__name__}")
        self.enabled = bool(mode)
        self.previous = is_grad_enabled()
        _set_grad_enabled(self.enabled)

    def __enter__(self):
        return self

    def __call__(self, function):
        _set_grad_enabled(self.previous)   # as a decorator it only applies inside calls
        return super().__call__(function)

    def _args(self):
        return (self.enabled,)


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


_FREED = object()  # marks a node whose cache was released after backward
_Tensor = None     # the Tensor class: tensor.py registers it (autograd sits below it)


def register_tensor_type(cls):
    """Called once by :mod:`scratchcnn.tensor`: the class that :func:`apply` returns."""
    global _Tensor
    _Tensor = cls


def constant(array):
    """A Tensor that holds ``array`` and takes no part in any graph."""
    return _Tensor(array)


def apply(forward, backward, *inputs, **params):
    """Run ``forward`` on the inputs' arrays and record ``backward`` if needed.

    Inputs that are Tensors take part in the graph; anything else (targets, index
    arrays) is passed through as a constant.
    """
    Tensor = _Tensor
    arrays = [t._array if isinstance(t, Tensor) else t for t in inputs]
    needs_grad = tuple(isinstance(t, Tensor) and t.requires_grad for t in inputs)
    out, cache = forward(*arrays, **params)
    view_of = _view_source(out, inputs, arrays) if out.base is not None else None
    # Integer and bool results (casts, indices) carry no gradient, as in PyTorch.
    if not (any(needs_grad) and is_grad_enabled()) or out.dtype.kind not in "fc":
        result = Tensor(out)
    else:
        saved = tuple((t._vc, t._vc[0], t._array) for t in inputs if isinstance(t, Tensor))
        op = forward.__name__.removesuffix("_forward")
        result = Tensor(out, requires_grad=True,
                        _node=Node(op, backward, cache, tuple(inputs), needs_grad, saved))
        result._node.saved += ((result._vc, 0, out),)
    if view_of is not None:  # a view shares its base's version counter, as in PyTorch
        result._vc = view_of._vc
        if result._node is not None:
            counter, _, array = result._node.saved[-1]
            result._node.saved = result._node.saved[:-1] + ((view_of._vc, view_of._vc[0], array),)
    return result


def _view_source(out, inputs, arrays):
    owner = _memory_owner(out)
    for tensor, array in zip(inputs, arrays):
        if isinstance(tensor, _Tensor) and _memory_owner(array) is owner:
            return tensor
    return None


def _topological_order(root):
    """Tensors reachable from ``root`` through recorded nodes, inputs before outputs."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        tensor, children_done = stack.pop()
        if children_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        if tensor._node is not None:
            for parent, needed in zip(tensor._node.inputs, tensor._node.needs_grad):
                if needed and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def run_backward(root, gradient, retain_graph=False):
    """Accumulate d(root)/d(leaf) * gradient into every leaf's ``.grad``."""
    order = _topological_order(root)
    pending = {id(root): gradient}
    handed_out = set()   # memory already given to some leaf's .grad in this pass
    for tensor in reversed(order):
        grad = pending.pop(id(tensor), None)
        if grad is None:
            continue
        for hook in tensor._hooks or ():
            replaced = hook(_wrap(grad))
            if replaced is not None:
                grad = replaced._array if hasattr(replaced, "_array") else np.asarray(replaced)
        node = tensor._node
        if node is None or tensor._retains_grad:
            # One backward array can reach two leaves (a + b passes g to both), or be a
            # read-only view: copy then, so that every .grad owns its memory.
            owner = _memory_owner(grad)
            if id(owner) in handed_out or not grad.flags.writeable:
                grad = grad.copy()
                owner = grad
            handed_out.add(id(owner))
            tensor._accumulate_grad(grad)
        if node is None:
            continue
        if node.cache is _FREED:
            raise GraphError(
                f"trying to backward through the graph a second time ({node.name()}): its "
                "saved arrays were freed after the first backward; pass "
                "retain_graph=True to the first backward() to keep them")
        node.check_versions()
        input_grads = node.backward(grad, node.cache, node.needs_grad)
        for parent, needed, parent_grad in zip(node.inputs, node.needs_grad, input_grads):
            if not needed or parent_grad is None:
                continue
            if parent_grad.shape != parent._array.shape:
                raise GraphError(f"{node.name()} produced a gradient of shape "
                                 f"{parent_grad.shape} for an input of shape {parent._array.shape}")
            key = id(parent)
            pending[key] = parent_grad if key not in pending else pending[key] + parent_grad
        if not retain_graph:
            node.cache = _FREED


def _memory_owner(array):
    while array.base is not None:
        array = array.base
    return array


def _wrap(array):
    return _Tensor(array)
