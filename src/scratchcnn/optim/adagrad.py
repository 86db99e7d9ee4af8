"""Adagrad: per-element step sizes shrinking with the sum of all past squared gradients."""

import numpy as np

from ..dispatch import update_in_place
from .checks import check_implementation_flags, check_number
from .optimizer import Optimizer


class Adagrad(Optimizer):
    r"""``torch.optim.Adagrad``, the same update formulas and defaults (lr=0.01).

    Equations, for gradient g_t at step t (s_0 = initial_accumulator_value)::

        g_t  = -g_t                                        (if maximize)
        g_t  = g_t + weight_decay * p                      (if weight_decay)
        clr  = lr / (1 + (t - 1) * lr_decay)
        s_t  = s_{t-1} + g_t^2                             (sum)
        p    = p - clr * g_t / (sqrt(s_t) + eps)

    As in PyTorch, every parameter's state (``sum``, ``step``) is created by the
    constructor, so ``state_dict()`` lists all parameters from the start.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        check_implementation_flags("Adagrad", foreach, fused, False, differentiable)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      maximize=maximize))
        for group in self.param_groups:
            for param in group["params"]:
                self._init_state(param, group, self.state.setdefault(id(param), {}))

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        for name in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_number(group[name], name, "Adagrad")

    def _init_state(self, param, group, state):
        state["step"] = 0
        state["sum"] = np.full_like(param._array, group["initial_accumulator_value"],
                                    order="C")

    def _update(self, param, grad, group, state):
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        state["step"] += 1
        clr = lr / (1 + (state["step"] - 1) * lr_decay)

        def update(p, g, state_sum):
            # The equations above, in place (on whole arrays or on chunks of them:
            # scratchcnn.dispatch.update_in_place).
            if maximize:
                g = -g
            if weight_decay:
                g = g + weight_decay * p
            state_sum += g * g
            std = np.sqrt(state_sum)
            std += eps
            p -= (clr * (g / std)).astype(p.dtype, copy=False)

        update_in_place(update, param._array, grad, state["sum"])
