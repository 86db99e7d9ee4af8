"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

import numpy as np

from ..dispatch import update_in_place
from .checks import check_implementation_flags, check_number
from .optimizer import Optimizer


class Adadelta(Optimizer):
    r"""``torch.optim.Adadelta``, the same update formulas and defaults (lr=1.0).

    Equations, for gradient g_t at step t (v and u start at zero)::

        g_t   = -g_t                                       (if maximize)
        g_t   = g_t + weight_decay * p                     (if weight_decay)
        v_t   = rho * v_{t-1} + (1 - rho) * g_t^2          (square_avg)
        d_t   = sqrt(u_{t-1} + eps) / sqrt(v_t + eps) * g_t
        u_t   = rho * u_{t-1} + (1 - rho) * d_t^2          (acc_delta)
        p     = p - lr * d_t
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, foreach=None,
                 *, capturable=False, maximize=False, differentiable=False):
        check_implementation_flags("Adadelta", foreach, None, capturable, differentiable)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        check_number(group["rho"], "rho", "Adadelta", 0.0, 1.0)
        check_number(group["eps"], "eps", "Adadelta")
        check_number(group["weight_decay"], "weight_decay", "Adadelta")

    def _init_state(self, param, group, state):
        state["step"] = 0
        state["square_avg"] = np.zeros_like(param._array, order="C")
        state["acc_delta"] = np.zeros_like(param._array, order="C")

    def _update(self, param, grad, group, state):
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        state["step"] += 1

        def update(p, g, square_avg, acc_delta):
            # The equations above, in place (on whole arrays or on chunks of them:
            # scratchcnn.dispatch.update_in_place).
            if maximize:
                g = -g
            if weight_decay:
                g = g + weight_decay * p
            square_avg *= rho
            square_avg += (1 - rho) * g * g
            std = np.sqrt(square_avg + eps)
            delta = np.sqrt(acc_delta + eps)
            delta /= std
            delta *= g
            acc_delta *= rho
            acc_delta += (1 - rho) * delta * delta
            p -= (lr * delta).astype(p.dtype, copy=False)

        update_in_place(update, param._array, grad, state["square_avg"], state["acc_delta"])
