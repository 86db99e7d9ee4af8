"""``LocalResponseNorm``: normalise each activation by its neighbours across channels.
Math in :mod:`scratchcnn.ops.lrn`."""

import numbers

from . import functional as F
from .module import Module


class LocalResponseNorm(Module):
    """Local response normalisation across channels (AlexNet), ``torch.nn.LocalResponseNorm``.

    Equations, with n = ``size`` and the window of channel c running over channels
    c - floor(n/2) .. c + floor((n-1)/2), zero-padded at both ends::

        b_c = a_c * (k + (alpha / n) * sum_{c' in window(c)} a_{c'}^2)^(-beta)

    Shapes: (N, C, *) -> same shape (at least 3-D; axis 1 holds the channels).
    No parameters. AlexNet uses ``LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)``.

    >>> import scratchcnn as sc
    >>> sc.nn.LocalResponseNorm(5, k=2.0)
    LocalResponseNorm(5, alpha=0.0001, beta=0.75, k=2.0)
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        subject = f"LocalResponseNorm({size!r})"
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size <= 0:
            raise F.ArgumentError(f"expects size to be a positive int, got size={size!r}",
                                  subject)
        self.size, self.alpha, self.beta, self.k = int(size), alpha, beta, k

    def forward(self, x):
        return F.local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) < 3:
            raise F.ShapeError(f"expected input of shape (N, C, *) with at least 3 dimensions, "
                               f"got {shape}", repr(self))
        return shape

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
