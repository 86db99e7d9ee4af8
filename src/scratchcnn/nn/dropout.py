"""Dropout layers: randomly silence activations (or whole channels) while training."""

from . import functional as F
from .activation import _Elementwise
from .functional_dropout import check_p


class _DropoutNd(_Elementwise):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p = check_p(p, f"{type(self).__name__}(p={p!r})")
        self.inplace = bool(inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """During training, zero each element with probability ``p`` and scale the others by
    1/(1-p), so the expected activation is unchanged; in ``eval()`` mode it is the identity.

    >>> import scratchcnn as sc
    >>> drop = sc.nn.Dropout(p=0.5).eval()
    >>> drop(sc.ones(3))
    tensor([1., 1., 1.])
    """

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) / (C, L) input with probability ``p`` (training)."""

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) input with probability ``p``, scaling the kept
    ones by 1/(1-p); the identity in ``eval()`` mode. As PyTorch, a 3-D input is read as
    (N, C, L) (with a warning)."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) / (C, D, H, W) input with probability ``p``."""

    def forward(self, input):
        return F.dropout3d(input, self.p, self.training, self.inplace)
