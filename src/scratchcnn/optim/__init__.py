"""Optimizers with ``torch.optim``'s names, arguments and update formulas."""

from .adam import Adam
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam"]
