"""``OneCycleLR``: the 1cycle policy (warm up to ``max_lr``, then anneal far below the start),
with momentum (or Adam's beta1) cycled the opposite way, as ``torch.optim.lr_scheduler``."""

import math

from ..errors import ArgumentError
from .scheduler_base import LRScheduler


def _per_group(name, optimizer, value):
    """One value per parameter group: a list/tuple of that length, or one value for all."""
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ArgumentError(f"{name} must have the same length as optimizer.param_groups. "
                                f"{name} has {len(value)} values, param_groups has {groups}.",
                                "OneCycleLR()")
        return list(value)
    return [value] * groups


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ArgumentError(f"Expected positive integer {name}, but got {value!r}",
                            "OneCycleLR()")
    return value


class OneCycleLR(LRScheduler):
    r"""Step once per *batch*: over ``total_steps`` (or ``epochs * steps_per_epoch``) steps
    the rate goes from ``max_lr / div_factor`` up to ``max_lr`` during the first
    ``pct_start`` of the steps, then down to ``initial_lr / final_div_factor``.
    With ``three_phase`` it first comes back to the initial rate symmetrically and only
    then anneals to the minimum. Each phase interpolates between its two ends with::

        cos:    end + (start - end) / 2 * (1 + cos(pi * pct))
        linear: start + (end - start) * pct        (pct: fraction of the phase done)

    With ``cycle_momentum`` the momentum (``betas[0]`` for Adam-like optimizers) moves
    from ``max_momentum`` to ``base_momentum`` and back, against the rate. Stepping past
    ``total_steps`` raises an error, as in PyTorch.
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True,
                 base_momentum=0.85, max_momentum=0.95, div_factor=25.0,
                 final_div_factor=1e4, three_phase=False, last_epoch=-1):
        self.optimizer = optimizer
        if total_steps is not None:
            self.total_steps = _positive_int(total_steps, "total_steps")
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = (_positive_int(epochs, "epochs")
                                * _positive_int(steps_per_epoch, "steps_per_epoch"))
        else:
            raise ArgumentError("You must define either total_steps OR (epochs AND "
                                "steps_per_epoch)", "OneCycleLR()")
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ArgumentError(f"Expected float between 0 and 1 pct_start, but got "
                                f"{pct_start!r}", "OneCycleLR()")
        if anneal_strategy not in ("cos", "linear"):
            raise ArgumentError("anneal_strategy must be one of 'cos' or 'linear', instead "
                                f"got {anneal_strategy!r}", "OneCycleLR()")
        self._anneal_func_type = anneal_strategy
        self._schedule_phases = self._phases(pct_start, three_phase)

        max_lrs = _per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, top in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor

        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ArgumentError("optimizer must support momentum or beta1 with "
                                    "`cycle_momentum` option enabled", "OneCycleLR()")
            self.use_beta1 = "betas" in optimizer.defaults
            highs = _per_group("max_momentum", optimizer, max_momentum)
            lows = _per_group("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for high, low, group in zip(highs, lows, optimizer.param_groups):
                    if self.use_beta1:
                        group["betas"] = (high, *group["betas"][1:])
                    else:
                        group["momentum"] = high
                    group["max_momentum"] = high
                    group["base_momentum"] = low
        super().__init__(optimizer, last_epoch)

    def _phases(self, pct_start, three_phase):
        """Each phase: its last step and the group keys of its start and end values."""
        total = self.total_steps
        warm_up = {"end_step": float(pct_start * total) - 1, "start_lr": "initial_lr",
                   "end_lr": "max_lr", "start_momentum": "max_momentum",
                   "end_momentum": "base_momentum"}
        if not three_phase:
            return [warm_up, {"end_step": total - 1, "start_lr": "max_lr", "end_lr": "min_lr",
                              "start_momentum": "base_momentum",
                              "end_momentum": "max_momentum"}]
        return [warm_up,
                {"end_step": float(2 * pct_start * total) - 2, "start_lr": "max_lr",
                 "end_lr": "initial_lr", "start_momentum": "base_momentum",
                 "end_momentum": "max_momentum"},
                {"end_step": total - 1, "start_lr": "initial_lr", "end_lr": "min_lr",
                 "start_momentum": "max_momentum", "end_momentum": "max_momentum"}]

    def _anneal(self, start, end, pct):
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ArgumentError(f"Tried to step {step} times. The specified number of total "
                                f"steps is {self.total_steps}", "OneCycleLR.step()")
        rates = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for index, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step <= end_step or index == len(self._schedule_phases) - 1:
                    pct = (step - start_step) / (end_step - start_step)
                    rate = self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    if self.cycle_momentum:
                        momentum = self._anneal(group[phase["start_momentum"]],
                                                group[phase["end_momentum"]], pct)
                    break
                start_step = phase["end_step"]
            rates.append(rate)
            if self.cycle_momentum:
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum
        return rates
