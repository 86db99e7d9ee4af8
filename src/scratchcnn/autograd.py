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
import threading

from .errors import GraphError

_state = threading.local()


def is_grad_enabled():
    """True unless inside ``no_grad()``: only then are graphs recorded."""
    return getattr(_state, "grad_enabled", True)


class _GradMode(contextlib.ContextDecorator):
    def __init__(self, enabled):
        self.enabled = enabled

    def __enter__(self):
        self.previous = is_grad_enabled()
        _state.grad_enabled = self.enabled

    def __exit__(self, *exc):
        _state.grad_enabled = self.previous
        return False


def no_grad():
    """Context manager / decorator: run without recording a graph (inference, updates).

    >>> import scratchcnn as sc
    >>> w = sc.ones(2, requires_grad=True)
    >>> with sc.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    return _GradMode(False)


def enable_grad():
    """Context manager / decorator: record graphs again inside a ``no_grad`` block."""
    return _GradMode(True)


class Node:
    """One recorded op: how to turn the output's gradient into its inputs' gradients."""

    __slots__ = ("name", "backward", "cache", "inputs", "needs_grad")

    def __init__(self, name, backward, cache, inputs, needs_grad):
        self.name = name
        self.backward = backward
        self.cache = cache
        self.inputs = inputs
        self.needs_grad = needs_grad

    def __repr__(self):
        return "<" + "".join(part.title() for part in self.name.split("_")) + "Backward>"


_FREED = object()  # marks a node whose cache was released after backward


def apply(forward, backward, *inputs, **params):
    """Run ``forward`` on the inputs' arrays and record ``backward`` if needed.

    Inputs that are Tensors take part in the graph; anything else (targets, index
    arrays) is passed through as a constant.
    """
    from .tensor import Tensor  # the engine and the Tensor class know each other

    arrays = [t.data if isinstance(t, Tensor) else t for t in inputs]
    needs_grad = tuple(isinstance(t, Tensor) and t.requires_grad for t in inputs)
    out, cache = forward(*arrays, **params)
    # Integer and bool results (casts, indices) carry no gradient, as in PyTorch.
    if not (any(needs_grad) and is_grad_enabled()) or out.dtype.kind not in "fc":
        return Tensor(out)
    name = forward.__name__.removesuffix("_forward")
    node = Node(name, backward, cache, tuple(inputs), needs_grad)
    return Tensor(out, requires_grad=True, _node=node)


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
                grad = replaced.data if hasattr(replaced, "data") else replaced
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
                f"trying to backward through the graph a second time ({node.name}): its "
                "saved arrays were freed after the first backward; pass "
                "retain_graph=True to the first backward() to keep them")
        input_grads = node.backward(grad, node.cache, node.needs_grad)
        for parent, needed, parent_grad in zip(node.inputs, node.needs_grad, input_grads):
            if not needed or parent_grad is None:
                continue
            if parent_grad.shape != parent.data.shape:
                raise GraphError(f"{node.name} backward produced a gradient of shape "
                                 f"{parent_grad.shape} for an input of shape {parent.data.shape}")
            key = id(parent)
            pending[key] = parent_grad if key not in pending else pending[key] + parent_grad
        if not retain_graph:
            node.cache = _FREED


def _memory_owner(array):
    while array.base is not None:
        array = array.base
    return array


def _wrap(array):
    from .tensor import Tensor

    return Tensor(array)

