"""Matrix product with NumPy's broadcasting rules (``a @ b``).

Equations (2-D case): ``Y = A B`` with A (n, k), B (k, m), Y (n, m)::

    dL/dA = G B^T        (n, m)(m, k) -> (n, k)
    dL/dB = A^T G        (k, n)(n, m) -> (k, m)

1-D operands are treated as a row (left) or column (right) vector and the added axis
is removed again; leading batch axes broadcast and are summed back like any other.
"""

from .elementwise import unbroadcast


def matmul_forward(a, b):
    """Y = A B: a (..., n, k) or (k,), b (..., k, m) or (k,); batch axes broadcast."""
    return a @ b, (a, b)


def matmul_backward(grad, cache, needs_grad):
    """(dL/dA, dL/dB) = (G B^T, A^T G), summed over broadcast batch axes."""
    a, b = cache
    a2 = a[None, :] if a.ndim == 1 else a          # (k,) -> (1, k)
    b2 = b[:, None] if b.ndim == 1 else b          # (k,) -> (k, 1)
    g = grad
    if b.ndim == 1:    # first: for vector @ vector, grad is 0-d and needs an axis
        g = g[..., None]
    if a.ndim == 1:
        g = g[..., None, :]
    da = db = None
    if needs_grad[0]:
        da = unbroadcast(g @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape)
    if needs_grad[1]:
        db = unbroadcast(a2.swapaxes(-1, -2) @ g, b2.shape).reshape(b.shape)
    return da, db
