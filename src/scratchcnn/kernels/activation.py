"""Fast ReLU: :func:`scratchcnn.ops.activation.relu_forward` / ``relu_backward`` with
each element-wise pass split into blocks across threads (:mod:`scratchcnn.kernels.parallel`).

Same signatures and bit for bit the same results: ``out = max(x, 0)``, the mask
``out > 0`` (the same as ``x > 0``, NaN included) and ``grad * mask``, each written
block by block into a preallocated array. Shapes: any; every array has x's shape.
"""

from ..ops.array_module import array_module
from . import parallel


def relu_forward(x):
    """(max(x, 0), x > 0), as :func:`scratchcnn.ops.activation.relu_forward`."""
    xp = array_module(x)
    out = parallel.ufunc(xp.maximum, xp.empty_like(x), x, x.dtype.type(0))
    # The mask is all backward needs (x > 0 <=> relu(x) > 0).
    positive = parallel.ufunc(xp.greater, xp.empty(x.shape, dtype=bool), out, x.dtype.type(0))
    return out, positive


def relu_backward(grad, positive, needs_grad):
    """(grad * positive,), as :func:`scratchcnn.ops.activation.relu_backward`."""
    xp = array_module(grad)
    return (parallel.ufunc(xp.multiply, xp.empty_like(grad), grad, positive),)
