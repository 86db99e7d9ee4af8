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

from .engine import apply, constant, register_tensor_type, run_backward  # noqa: F401
from .function import Function, FunctionCtx, Variable, backward, grad  # noqa: F401
from .grad_mode import (  # noqa: F401
    detect_anomaly, enable_grad, inference_mode, is_grad_enabled, no_grad, set_detect_anomaly,
    set_grad_enabled,
)
from .graph import AccumulateGrad, Node, copy_shared  # noqa: F401
