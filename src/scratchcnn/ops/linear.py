"""Fully connected layer: y = x W^T + b.

Shapes: x (..., in), W (out, in), b (out,), y (..., out). With the leading axes
flattened to M rows (X is (M, in), G = dL/dY is (M, out))::

    dL/dX = G W          (M, out)(out, in) -> (M, in)
    dL/dW = G^T X        (out, M)(M, in)   -> (out, in)
    dL/db = sum_rows G   (out,)
"""


def linear_forward(x, weight, bias):
    out = x @ weight.T
    if bias is not None:
        out += bias
    return out, (x, weight, bias is not None)


def linear_backward(grad, cache, needs_grad):
    x, weight, has_bias = cache
    rows = grad.reshape(-1, grad.shape[-1])
    dx = grad @ weight if needs_grad[0] else None
    dw = rows.T @ x.reshape(-1, x.shape[-1]) if needs_grad[1] else None
    db = rows.sum(axis=0) if has_bias and needs_grad[2] else None
    return dx, dw, db
