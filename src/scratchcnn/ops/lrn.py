"""Local response normalisation across channels (AlexNet's LRN), PyTorch's formula.

Shapes: input ``a`` (N, C, *) (at least 3-D; axis 1 is the channel axis), output
``b`` of the same shape. The window of ``n = size`` channels around channel ``c`` is
``W(c) = [c - floor(n/2), c + floor((n-1)/2)]``, zero-padded at the ends (PyTorch pads
``size // 2`` channels before and ``(size - 1) // 2`` after, then averages with a
divisor of ``n`` everywhere, padding included).

Equations (per position; c, j index channels)::

    S_c  = sum_{c' in W(c)} a_{c'}^2
    D_c  = k + (alpha / n) * S_c
    b_c  = a_c * D_c^(-beta)

    dL/da_j = g_j * D_j^(-beta)
              - (2 * alpha * beta / n) * a_j * sum_{c : j in W(c)} g_c * a_c * D_c^(-beta - 1)

``j in W(c)`` exactly when ``c in [j - floor((n-1)/2), j + floor(n/2)]``: the backward
window is the forward one mirrored. Both window sums are computed as ``n`` shifted
whole-array additions over the padded channel axis (a loop over the window offsets
only; nothing loops over channels, pixels or batch items).
"""

from .array_module import array_module


def _window_sum(values, before, after):
    """sum_{d = -before}^{after} values[:, c + d] (zero outside), for (N, C, M) ``values``."""
    xp = array_module(values)
    channels = values.shape[1]
    padded = xp.pad(values, ((0, 0), (before, after), (0, 0)))
    total = padded[:, 0:channels].copy()
    for offset in range(1, before + after + 1):
        total += padded[:, offset:offset + channels]
    return total


def local_response_norm_forward(x, size, alpha=1e-4, beta=0.75, k=1.0):
    """b = a * (k + alpha/n * window_sum(a^2))^(-beta); see the module docstring."""
    n, c = x.shape[:2]
    flat = x.reshape(n, c, -1)
    dtype = x.dtype.type
    # Same order of operations as PyTorch: average of squares, * alpha, + k, ** beta.
    mean_sq = _window_sum(flat * flat, size // 2, (size - 1) // 2) / dtype(size)
    base = mean_sq * dtype(alpha) + dtype(k)                               # D
    divisor = base ** dtype(beta)                                          # D^beta
    out = (flat / divisor).reshape(x.shape)
    return out, (flat, base, divisor, x.shape, size, alpha, beta)


def local_response_norm_backward(grad, cache, needs_grad):
    flat, base, divisor, shape, size, alpha, beta = cache
    n, c = shape[:2]
    dtype = flat.dtype.type
    g = grad.reshape(n, c, -1)
    # g_c * a_c * D_c^(-beta - 1), summed over the mirrored window.
    through_d = g * flat / (divisor * base)
    spread = _window_sum(through_d, (size - 1) // 2, size // 2)
    dx = g / divisor - dtype(2 * alpha * beta / size) * flat * spread
    return (dx.reshape(shape),)
