"""PyTorch's user-facing autograd API: custom ops (:class:`Function`), gradients
without ``.grad`` (:func:`grad`), ``backward`` over several outputs, and ``Variable``.

A :class:`Function` subclass writes ``forward(ctx, *args)`` on Tensors and
``backward(ctx, *grad_outputs)`` returning one gradient per argument, exactly as in
PyTorch's "defining new autograd functions" tutorial::

    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return 2 * x * grad

>>> import scratchcnn as sc
>>> x = sc.tensor([3.0], requires_grad=True)
>>> sc.autograd.grad((x * x).sum(), x)
(tensor([6.]),)
"""

import numpy as np

from ..errors import ArgumentError, GraphError, ShapeError
from . import engine
from .grad_mode import is_grad_enabled, no_grad
from .graph import Node


class FunctionCtx:
    """The ``ctx`` of a :class:`Function`: what ``forward`` keeps for ``backward``."""

    def __init__(self):
        self.saved_tensors = ()
        self.needs_input_grad = ()
        self.non_differentiable = ()

    def save_for_backward(self, *tensors):
        self.saved_tensors = tuple(tensors)

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = tuple(tensors)

    def mark_dirty(self, *tensors):
        """Accepted for compatibility: in-place changes are tracked by version counters."""

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class Function:
    """Base class of custom differentiable ops: subclass, write static ``forward`` and
    ``backward``, call ``MyOp.apply(*args)``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define backward(ctx, ...)")

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = engine.tensor_type()
        ctx = FunctionCtx()
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx.needs_input_grad = needs
        with no_grad():
            output = cls.forward(ctx, *args, **kwargs)
        if not isinstance(output, Tensor):
            raise ArgumentError(f"{cls.__name__}.forward must return a Tensor (several "
                                f"outputs are not supported here), got {type(output).__name__}")
        if not (any(needs) and is_grad_enabled()) or output.dtype.kind not in "fc":
            return output
        shapes = [a.shape if isinstance(a, Tensor) else None for a in args]

        def backward(grad, cache, needs_grad):
            grads = cls.backward(ctx, Tensor(grad))
            if not isinstance(grads, tuple):
                grads = (grads,)
            if len(grads) != len(args):
                raise GraphError(f"function {cls.__name__}Backward returned an incorrect "
                                 f"number of gradients (expected {len(args)}, got {len(grads)})")
            arrays = []
            for index, (g, needed) in enumerate(zip(grads, needs_grad)):
                if g is None or not needed:
                    arrays.append(None)
                    continue
                array = np.asarray(g._array if isinstance(g, Tensor) else g)
                if array.shape != shapes[index]:
                    raise ShapeError(f"function {cls.__name__}Backward returned an invalid "
                                     f"gradient at index {index} - got {list(array.shape)} "
                                     f"but expected shape compatible with {list(shapes[index])}")
                arrays.append(array)
            return tuple(arrays)

        saved = tuple(t._array for t in ctx.saved_tensors if isinstance(t, Tensor))
        node = Node(_op_name(cls.__name__), backward, saved, tuple(args), needs)
        result = Tensor(output._array, requires_grad=True, _node=node)
        node.saved = tuple((t._vc, t._vc[0], t._array) for t in ctx.saved_tensors
                           if isinstance(t, Tensor))
        return result


def _op_name(class_name):
    """``MySquare`` -> ``my_square``, so that ``Node.name()`` gives ``MySquareBackward0``."""
    out = []
    for i, c in enumerate(class_name):
        if c.isupper() and i:
            out.append("_")
        out.append(c.lower())
    return "".join(out)


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _root_gradients(outputs, grad_outputs):
    Tensor = engine.tensor_type()
    grads = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outputs)
    if len(grads) != len(outputs):
        raise ArgumentError(f"grad_outputs has {len(grads)} entries for {len(outputs)} outputs")
    arrays = []
    for out, g in zip(outputs, grads):
        if not isinstance(out, Tensor) or not out.requires_grad:
            raise GraphError("element 0 of tensors does not require grad and does not have "
                             "a grad_fn: nothing to differentiate")
        if g is None:
            if out.numel() != 1:
                raise GraphError(f"grad can be implicitly created only for scalar outputs; "
                                 f"this output has shape {out.shape}")
            arrays.append(np.ones_like(out._array))
        else:
            array = np.array(g._array if isinstance(g, Tensor) else g, dtype=out.dtype)
            if array.shape != out.shape:
                raise ShapeError(f"grad_outputs: shape {array.shape} does not match the "
                                 f"output's {out.shape}")
            arrays.append(array)
    return arrays


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """``torch.autograd.backward``: backpropagate from several outputs at once."""
    if create_graph:
        raise ArgumentError("create_graph=True (gradients of gradients) is not supported: "
                            "scratchcnn's backward passes are NumPy code, not graph ops")
    outputs = _as_list(tensors)
    engine.run_backward(outputs, _root_gradients(outputs, grad_tensors),
                        retain_graph=bool(retain_graph))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """``torch.autograd.grad``: d(outputs)/d(inputs) as a tuple of Tensors, leaving every
    ``.grad`` untouched."""
    Tensor = engine.tensor_type()
    if create_graph:
        raise ArgumentError("create_graph=True (gradients of gradients) is not supported: "
                            "scratchcnn's backward passes are NumPy code, not graph ops")
    if is_grads_batched:
        raise ArgumentError("is_grads_batched=True is not supported")
    outputs, targets = _as_list(outputs), _as_list(inputs)
    for target in targets:
        if not isinstance(target, Tensor) or not target.requires_grad:
            raise GraphError("one of the differentiated Tensors does not require grad")
    capture = {id(t): None for t in targets}
    engine.run_backward(outputs, _root_gradients(outputs, grad_outputs),
                        retain_graph=bool(retain_graph), capture=capture)
    result = []
    for index, target in enumerate(targets):
        array = capture[id(target)]
        if array is None:
            if materialize_grads:
                array = np.zeros_like(target._array)
            elif not allow_unused:
                raise GraphError(f"one of the differentiated Tensors (input {index}) appears "
                                 "to not have been used in the graph. Set allow_unused=True "
                                 "if this is the desired behavior")
        result.append(None if array is None else Tensor(np.array(array, copy=True)))
    return tuple(result)


def Variable(data, requires_grad=False, volatile=False):  # noqa: N802 - PyTorch's name
    """The pre-0.4 wrapper: today a Variable is simply a Tensor."""
    Tensor = engine.tensor_type()
    if isinstance(data, Tensor):
        if requires_grad and not data.requires_grad:
            data.requires_grad_(True)
        return data
    return Tensor(np.asarray(data), requires_grad=requires_grad)
