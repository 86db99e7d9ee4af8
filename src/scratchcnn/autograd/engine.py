"""The engine: :func:`apply` records an op, :func:`run_backward` walks the graph."""

import numpy as np

from ..errors import GraphError
from .grad_mode import is_grad_enabled
from .graph import Node

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


def _topological_order(roots):
    """Tensors reachable from ``roots`` through recorded nodes, inputs before outputs."""
    order, visited = [], set()
    stack = [(root, False) for root in reversed(roots)]
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


def run_backward(roots, gradients, retain_graph=False, capture=None):
    """Accumulate d(root)/d(leaf) * gradient into every leaf's ``.grad``.

    ``roots``/``gradients``: a tensor and its gradient array, or lists of them. With
    ``capture`` (a dict ``id(tensor) -> None``), the gradients of those tensors are
    stored there instead and no ``.grad`` is touched (``autograd.grad``)."""
    if not isinstance(roots, (list, tuple)):
        roots, gradients = [roots], [gradients]
    order = _topological_order(roots)
    pending = {}
    for root, gradient in zip(roots, gradients):
        key = id(root)
        pending[key] = gradient if key not in pending else pending[key] + gradient
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
        if capture is not None:
            if id(tensor) in capture:
                capture[id(tensor)] = grad
        elif node is None or tensor._retains_grad:
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


def tensor_type():
    """The Tensor class registered by :mod:`scratchcnn.tensor`."""
    return _Tensor


def _memory_owner(array):
    while array.base is not None:
        array = array.base
    return array


def _wrap(array):
    return _Tensor(array)
