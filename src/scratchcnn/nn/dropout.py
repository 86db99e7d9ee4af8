"""``Dropout``: randomly silence activations while training, to regularise."""

from . import functional as F
from .activation import _Elementwise


class Dropout(_Elementwise):
    """During training, zero each element with probability ``p`` and scale the others by
    1/(1-p), so the expected activation is unchanged; in ``eval()`` mode it is the identity.

    >>> import scratchcnn as sc
    >>> drop = sc.nn.Dropout(p=0.5).eval()
    >>> drop(sc.ones(3))
    tensor([1., 1., 1.])
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        F.check_dropout_p(p, f"Dropout(p={p!r})")
        self.p = float(p)
        self.inplace = inplace

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
