"""Step, exponential, multiplicative and warm-up schedules (``torch.optim.lr_scheduler``).

Each ``get_lr`` updates the rates from the current ones, exactly as PyTorch computes them,
so both libraries produce the same floating point sequence; ``_get_closed_form_lr`` gives
the rate at ``last_epoch`` directly (used by ``step(epoch)`` and SequentialLR).
"""

import math
import types
from bisect import bisect_right

from ..errors import ArgumentError
from .scheduler_base import LRScheduler


def _check_positive_int(value, name, where):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(f"{name} must be an int >= 1, got {value!r}", where)


def _check_factor(value, name, where, low, high, low_open=False):
    if (not isinstance(value, (int, float)) or not math.isfinite(value) or value > high
            or value < low or (low_open and value == low)):
        bracket = "(" if low_open else "["
        raise ArgumentError(f"{name} must be a number in {bracket}{low}, {high}], got "
                            f"{value!r}", where)


def _current(optimizer):
    return [group["lr"] for group in optimizer.param_groups]


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    lr(epoch) = base_lr * gamma ** floor(epoch / step_size)
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        _check_positive_int(step_size, "step_size", "StepLR()")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _current(self.optimizer)
        return [lr * self.gamma for lr in _current(self.optimizer)]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size)
                for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each epoch listed in ``milestones``
    (a milestone listed twice multiplies by ``gamma**2``).

    lr(epoch) = base_lr * gamma ** (number of milestones <= epoch)
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        milestones = list(milestones)
        if not all(isinstance(m, int) and not isinstance(m, bool) for m in milestones):
            raise ArgumentError(f"milestones must be ints, got {milestones!r}", "MultiStepLR()")
        # {epoch: how many times listed}, PyTorch's Counter as a plain dict (saveable).
        self.milestones = {m: milestones.count(m) for m in sorted(set(milestones))}
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return _current(self.optimizer)
        return [lr * self.gamma ** self.milestones[self.last_epoch]
                for lr in _current(self.optimizer)]

    def _get_closed_form_lr(self):
        milestones = sorted(m for m, count in self.milestones.items() for _ in range(count))
        return [base * self.gamma ** bisect_right(milestones, self.last_epoch)
                for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch: lr(epoch) = base_lr * gamma**epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:   # resuming: the constructor's step must not decay once more
            return _current(self.optimizer)
        return [lr * self.gamma for lr in _current(self.optimizer)]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class _LambdaScheduler(LRScheduler):
    """Shared by LambdaLR and MultiplicativeLR: one function of the epoch per group.
    Plain functions are not saved by ``state_dict`` (their slot is None); callable
    objects save their ``__dict__``, as in PyTorch."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.optimizer = optimizer
        groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ArgumentError(f"Expected {groups} lr_lambdas, but got {len(lr_lambda)}",
                                    f"{type(self).__name__}()")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        for function in self.lr_lambdas:
            if not callable(function):
                raise TypeError(f"lr_lambda should be a function, but got "
                                f"{type(function).__name__}")
        super().__init__(optimizer, last_epoch)

    def state_dict(self):
        state = {key: value for key, value in self.__dict__.items()
                 if key not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        saved = state.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        super().load_state_dict(state)
        for function, values in zip(self.lr_lambdas, saved):
            if values is not None:
                function.__dict__.update(values)


class LambdaLR(_LambdaScheduler):
    """lr(epoch) = base_lr * lr_lambda(epoch), one ``lr_lambda`` or one per group."""

    def get_lr(self):
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(_LambdaScheduler):
    """lr(epoch) = lr(epoch - 1) * lr_lambda(epoch), for epochs after the first."""

    def get_lr(self):
        if self._is_initial:
            return _current(self.optimizer)
        return [lr * fn(self.last_epoch)
                for fn, lr in zip(self.lr_lambdas, _current(self.optimizer))]


class ConstantLR(LRScheduler):
    """Scale the rate by ``factor`` for the first ``total_iters`` epochs, then restore it.

    lr(epoch) = base_lr * factor   if epoch < total_iters   else base_lr
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        _check_factor(factor, "factor", "ConstantLR()", 0.0, 1.0)
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.factor for lr in _current(self.optimizer)]
        if self.last_epoch != self.total_iters:
            return _current(self.optimizer)
        return [lr * (1.0 / self.factor) for lr in _current(self.optimizer)]

    def _get_closed_form_lr(self):
        return [base * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Change the rate's factor linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs, then keep it.

    lr(epoch) = base_lr * (start + (end - start) * min(epoch, total_iters) / total_iters)
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        _check_factor(start_factor, "start_factor", "LinearLR()", 0.0, 1.0, low_open=True)
        _check_factor(end_factor, "end_factor", "LinearLR()", 0.0, 1.0)
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in _current(self.optimizer)]
        if self._is_initial or self.last_epoch > self.total_iters:
            return _current(self.optimizer)
        change = self.end_factor - self.start_factor
        ratio = 1.0 + change / (self.total_iters * self.start_factor
                                + (self.last_epoch - 1) * change)
        return [lr * ratio for lr in _current(self.optimizer)]

    def _get_closed_form_lr(self):
        return [base * (self.start_factor + (self.end_factor - self.start_factor)
                        * min(self.total_iters, self.last_epoch) / self.total_iters)
                for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Anneal from the base rate to ``eta_min`` along half a cosine over ``T_max`` epochs.

    lr(epoch) = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2,
    computed recursively from the previous rate as PyTorch does (past ``T_max`` it
    climbs back up).
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        _check_positive_int(T_max, "T_max", "CosineAnnealingLR()")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups, epoch, t_max, eta_min = (self.optimizer.param_groups, self.last_epoch,
                                         self.T_max, self.eta_min)
        if self._is_initial:
            return _current(self.optimizer)
        if self._step_count == 1 and epoch > 0:  # constructed mid-schedule: closed form
            return self._get_closed_form_lr()
        if (epoch - 1 - t_max) % (2 * t_max) == 0:
            return [group["lr"] + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
                    for base, group in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * epoch / t_max))
                / (1 + math.cos(math.pi * (epoch - 1) / t_max)) * (group["lr"] - eta_min)
                + eta_min for group in groups]

    def _get_closed_form_lr(self):
        return [self.eta_min + (base - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base in self.base_lrs]
