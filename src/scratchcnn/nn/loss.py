"""Loss modules, as ``torch.nn``: classification (``CrossEntropyLoss``, ``NLLLoss``),
regression (``MSELoss``, ``L1Loss``, ``SmoothL1Loss``, ``HuberLoss``), binary
(``BCELoss``, ``BCEWithLogitsLoss``) and ``KLDivLoss``.

Constructor arguments and their order are PyTorch's, including the deprecated
``size_average`` / ``reduce`` (which override ``reduction``, with PyTorch's warning).
``weight`` / ``pos_weight`` are registered as buffers, so they are in ``state_dict``
as in PyTorch.
"""

import numpy as np

from . import functional as F
from .functional_loss import legacy_reduction
from .module import Module
from ..tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = legacy_reduction(size_average, reduce)
        elif reduction not in self._reductions:
            F._check_reduction(reduction, type(self).__name__ + "()")
        self.reduction = reduction

    _reductions = _REDUCTIONS


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_tensor(weight))


def _as_tensor(value):
    return value if value is None or isinstance(value, Tensor) else Tensor(np.asarray(value))


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood: ``input`` (N, C) log-probabilities, ``target`` (N,) ints.

    ``loss = -mean_n input[n, target[n]]`` (weighted by ``weight[target]`` if given).
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax + negative log-likelihood in one stable step: ``input`` (N, C) logits.

    Equations: ``p = softmax(z)``, ``loss = -log p[target]``, ``dloss/dz = p - onehot(target)``
    (divided by N for the mean). With ``label_smoothing = e`` the one-hot target becomes
    ``(1 - e) * onehot + e / C``. ``target`` may also hold class probabilities.

    >>> import scratchcnn as sc
    >>> loss = sc.nn.CrossEntropyLoss()(sc.tensor([[0.1, 0.2]]), sc.tensor([0]))
    >>> round(loss.item(), 3)            # -log(0.475), the guide's example
    0.744
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class MSELoss(_Loss):
    """Mean squared error ``(input - target)^2``, reduced by ``reduction``."""

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error ``|input - target|``."""

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """``0.5 d^2 / beta`` for ``|d| < beta``, else ``|d| - 0.5 beta``."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """``0.5 d^2`` for ``|d| < delta``, else ``delta (|d| - 0.5 delta)``."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities (apply ``sigmoid`` first, or use
    :class:`BCEWithLogitsLoss`, which is stabler)."""

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy from logits, in a numerically stable form;
    ``pos_weight`` (e.g. (C,)) weighs the positive examples of each class."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_tensor(weight))
        self.register_buffer("pos_weight", _as_tensor(pos_weight))

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  pos_weight=self.pos_weight,
                                                  reduction=self.reduction)


class KLDivLoss(_Loss):
    """KL divergence with ``input`` log-probabilities; use ``reduction='batchmean'`` for
    the mathematical definition."""

    _reductions = _REDUCTIONS + ("batchmean",)

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
