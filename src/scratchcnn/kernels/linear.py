"""The fast fully connected layer: :mod:`scratchcnn.ops.linear`'s three products on
scratchcnn's one pool of threads.

Same signatures and the same math (read ``ops/linear.py`` for the equations)::

    Y = X W^T + b,    dL/dX = G W,    dL/dW = G^T X,    dL/db = sum_rows G

What differs, and why: each product runs through :func:`scratchcnn.kernels.parallel.matmul`
(split across scratchcnn's threads, BLAS on one thread per block), so a network's dense
layers do not wake BLAS's own threads, which would then keep spinning on the cores the
next layer's passes need. Each output element is the same dot product as in
``ops/linear.py``. Shapes: x (..., in), W (out, in), b (out,), y (..., out).
"""

from . import parallel


def linear_forward(x, weight, bias):
    """Y = X W^T + b, as :func:`scratchcnn.ops.linear.linear_forward`."""
    out = parallel.matmul(x, weight.T)
    if bias is not None:
        out += bias
    return out, (x, weight, bias is not None)


def linear_backward(grad, cache, needs_grad):
    """(dL/dX, dL/dW, dL/db) = (G W, G^T X, sum_rows G), as
    :func:`scratchcnn.ops.linear.linear_backward`."""
    x, weight, has_bias = cache
    rows = grad.reshape(-1, grad.shape[-1])
    dx = parallel.matmul(grad, weight) if needs_grad[0] else None
    dw = parallel.matmul(rows.T, x.reshape(-1, x.shape[-1])) if needs_grad[1] else None
    db = rows.sum(axis=0) if has_bias and needs_grad[2] else None
    return dx, dw, db
