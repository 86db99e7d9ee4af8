"""Channel-wise ("feature") dropout: zero whole channels, as ``Dropout1d/2d/3d``.

``x`` (N, C, *spatial); one Bernoulli draw per (sample, channel), ``m`` of shape
(N, C, 1, ..., 1), broadcast over the spatial axes::

    out = x * m / (1 - p),  m ~ Bernoulli(1 - p)      dL/dx = dL/dout * m / (1 - p)

``mask_shape`` is (N, C, 1, ...) for a batched input, (C, 1, ...) for an unbatched one.
"""

import numpy as np


def channel_dropout_forward(x, p, generator, mask_shape):
    """``x * scale`` with ``scale`` (``mask_shape``) 0 or 1/(1-p) per channel."""
    if p == 1:
        scale = np.zeros(mask_shape, dtype=x.dtype)
    else:
        keep = generator.random(mask_shape) >= p
        scale = keep * x.dtype.type(1 / (1 - p))
    return x * scale, scale


def channel_dropout_backward(grad, scale, needs_grad):
    """``grad * scale`` (scale broadcast over the spatial axes)."""
    return (grad * scale,)
