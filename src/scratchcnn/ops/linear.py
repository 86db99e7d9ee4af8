"""Fully connected layer: y = x W^T + b.

Shapes: x (..., in), W (out, in), b (out,), y (..., out). With the leading axes
flattened to M rows (X is (M, in), G = dL/dY is (M, out))::

    dL/dX = G W          (M, out)(out, in) -> (M, in)
    dL/dW = G^T X        (out, M)(M, in)   -> (out, in)
    dL/db = sum_rows G   (out,)

Loop version: :func:`scratchcnn.ops.naive.linear_forward` / ``linear_backward``.
"""


def linear_forward(x, weight, bias):
    """Y = X W^T + b: x (..., in), weight (out, in), bias (out,) or None -> (..., out)."""
    out = x @ weight.T
    if bias is not None:
        out += bias
    return out, (x, weight, bias is not None)


def linear_backward(grad, cache, needs_grad):
    """(dL/dX, dL/dW, dL/db) = (G W, G^T X, sum_rows G) from G = dL/dY (..., out)."""
    x, weight, has_bias = cache
    rows = grad.reshape(-1, grad.shape[-1])
    dx = grad @ weight if needs_grad[0] else None
    dw = rows.T @ x.reshape(-1, x.shape[-1]) if needs_grad[1] else None
    db = rows.sum(axis=0) if has_bias and needs_grad[2] else None
    return dx, dw, db
