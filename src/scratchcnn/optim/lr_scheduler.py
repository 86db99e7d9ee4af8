"""Learning-rate schedules with ``torch.optim.lr_scheduler``'s names and arithmetic.

Call ``scheduler.step()`` once per epoch (OneCycleLR: once per batch), after that
period's ``optimizer.step()`` calls; ``ReduceLROnPlateau.step(metric)`` takes the
watched metric. The learning rates are updated the way PyTorch updates them (each from
the current one), so the two libraries produce the same floating point sequence.
"""

from .one_cycle import OneCycleLR
from .plateau import ReduceLROnPlateau
from .scheduler_base import LRScheduler
from .schedulers import (ConstantLR, CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR,
                         MultiplicativeLR, MultiStepLR, StepLR)
from .sequential import SequentialLR

_LRScheduler = LRScheduler   # PyTorch's old name of the base class

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "LambdaLR",
           "MultiplicativeLR", "ConstantLR", "LinearLR", "CosineAnnealingLR", "OneCycleLR",
           "ReduceLROnPlateau", "SequentialLR"]
