"""``LRScheduler``: the base of the learning-rate schedules, with PyTorch's step order.

As in PyTorch, constructing a scheduler records each group's starting rate as
``group["initial_lr"]`` (kept if already there) and takes one step at once (epoch 0), so
``get_last_lr()`` is valid straight away; then ``step()`` is called once per epoch (or
batch), after that period's ``optimizer.step()`` calls.
"""

from ..errors import ArgumentError
from .optimizer import Optimizer


class LRScheduler:
    """Base class: subclasses implement ``get_lr()`` (the next rates, usually from the
    current ones) and, where a closed form exists, ``_get_closed_form_lr()`` (the rates
    at ``last_epoch`` from ``base_lrs``), used by ``step(epoch)`` and by SequentialLR."""

    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if not isinstance(last_epoch, int):
            raise ArgumentError(f"last_epoch must be an int, got {last_epoch!r}",
                                f"{type(self).__name__}()")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for index, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ArgumentError(
                        f"resuming a schedule (last_epoch={last_epoch}) needs 'initial_lr' in "
                        f"every parameter group, and param_groups[{index}] has none; load "
                        "the optimizer's and the scheduler's state_dict instead",
                        f"{type(self).__name__}()")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        """The constructor's step: epoch 0 (or ``last_epoch + 1`` when resuming)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        """The learning rates for ``last_epoch``, one per parameter group."""
        raise TypeError(f"{type(self).__name__} must implement get_lr()")

    def step(self, epoch=None):
        """Advance one epoch (or, deprecated in PyTorch, jump to ``epoch``) and write the
        new rates into the optimizer's parameter groups."""
        self._step_count += 1
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        values = list(values)
        if len(values) != len(self.optimizer.param_groups):
            raise ArgumentError(f"got {len(values)} learning rates for "
                                f"{len(self.optimizer.param_groups)} parameter groups",
                                f"{type(self).__name__}.step()")
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The rates the last ``step()`` (or the constructor) set, one per group."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer: numbers, strings, lists and dicts, so that
        :func:`scratchcnn.save` writes it without pickle."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore the values from :meth:`state_dict`; unknown keys are refused."""
        unknown = sorted(set(state_dict) - set(self.state_dict()) - {"_is_initial"})
        if unknown:
            raise ArgumentError(f"{type(self).__name__}.load_state_dict: unknown entries "
                                f"{', '.join(map(str, unknown))}")
        self.__dict__.update(state_dict)
