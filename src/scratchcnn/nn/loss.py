"""Loss modules: compare logits or log-probabilities with integer class targets."""

from . import functional as F
from .module import Module


class _Loss(Module):
    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__()
        F._check_reduction(reduction, type(self).__name__ + "()")
        self.weight, self.ignore_index, self.reduction = weight, ignore_index, reduction

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class NLLLoss(_Loss):
    """Negative log-likelihood: ``input`` (N, C) log-probabilities, ``target`` (N,) ints.

    ``loss = -mean_n input[n, target[n]]`` (weighted by ``weight[target]`` if given).
    """

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax + negative log-likelihood in one stable step: ``input`` (N, C) logits.

    Equations: ``p = softmax(z)``, ``loss = -log p[target]``, ``dloss/dz = p - onehot(target)``
    (divided by N for the mean). With ``label_smoothing = e`` the one-hot target becomes
    ``(1 - e) * onehot + e / C``.

    >>> import scratchcnn as sc
    >>> loss = sc.nn.CrossEntropyLoss()(sc.tensor([[0.1, 0.2]]), sc.tensor([0]))
    >>> round(loss.item(), 3)            # -log(0.475), the guide's example
    0.744
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(weight, ignore_index, reduction)
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                               self.label_smoothing)
