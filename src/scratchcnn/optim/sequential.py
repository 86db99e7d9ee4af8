"""``SequentialLR``: run one schedule after another, switching at given epochs."""

from bisect import bisect_right

from ..errors import ArgumentError
from .plateau import ReduceLROnPlateau
from .scheduler_base import LRScheduler


class SequentialLR(LRScheduler):
    """``schedulers[i]`` runs from ``milestones[i-1]`` (restarting at its own epoch 0) until
    ``milestones[i]``, as ``torch.optim.lr_scheduler.SequentialLR`` (e.g. a LinearLR
    warm-up, then CosineAnnealingLR)."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        schedulers, milestones = list(schedulers), list(milestones)
        name = type(self).__name__
        if not schedulers:
            raise ArgumentError(f"{name} expects at least one scheduler, but got none")
        for index, scheduler in enumerate(schedulers):
            if not hasattr(scheduler, "optimizer"):
                raise TypeError(f"{name} at index {index} should have `optimizer` as its "
                                "attribute.")
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ArgumentError(f"{name} does not support ReduceLROnPlateau (its step "
                                    f"needs a metric), got one at index {index}")
            if scheduler.optimizer is not optimizer:
                raise ArgumentError(f"{name} expects all schedulers to belong to the same "
                                    f"optimizer, but the one at index {index} "
                                    f"({type(scheduler).__name__}) has another")
        if len(milestones) != len(schedulers) - 1:
            raise ArgumentError(f"{name} expects one milestone fewer than schedulers, got "
                                f"{len(schedulers)} schedulers and {len(milestones)} "
                                "milestones")
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:   # undo what the schedulers' constructors did
            group["lr"] = group["initial_lr"]
        self.recursive_undo()
        index = bisect_right(self._milestones, 0)
        self._schedulers[index]._initial_step()
        self._last_lr = schedulers[index].get_last_lr()

    def recursive_undo(self, sched=None):
        """Take back the constructor step of every (nested) scheduler."""
        scheds = self if sched is None else sched
        if hasattr(scheds, "_schedulers"):
            for inner in scheds._schedulers:
                self.recursive_undo(inner)
        elif hasattr(scheds, "last_epoch"):
            scheds.last_epoch -= 1

    def step(self):
        """Advance the schedule that owns the next epoch (restarting it at a milestone)."""
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        state = {key: value for key, value in self.__dict__.items()
                 if key not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        saved = state.pop("_schedulers")
        super().load_state_dict(state)
        for scheduler, values in zip(self._schedulers, saved):
            scheduler.load_state_dict(values)
