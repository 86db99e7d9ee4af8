"""Adam and AdamW: per-parameter step sizes from running moments of the gradient."""

import math

import numpy as np

from ..dispatch import update_in_place
from .checks import check_betas, check_implementation_flags, check_number
from .chunks import lerp_
from .optimizer import Optimizer


class Adam(Optimizer):
    r"""``torch.optim.Adam``, the same update formulas and defaults.

    Equations, for gradient g_t at step t (t = 1, 2, ...)::

        g_t = -g_t                                         (if maximize)
        g_t = g_t + weight_decay * p                       (if weight_decay, L2)
        p   = p * (1 - lr * weight_decay)                  (instead, if decoupled_weight_decay)
        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
        v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
        p   = p - (lr / (1 - beta1^t)) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)

    With ``amsgrad`` the running maximum of v_t is used in place of v_t.
    ``decoupled_weight_decay=True`` is :class:`AdamW`.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        check_implementation_flags(type(self).__name__, foreach, fused, capturable,
                                   differentiable)
        check_betas(betas, type(self).__name__)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        where = type(self).__name__
        check_number(group["eps"], "eps", where)
        check_betas(group["betas"], where)
        check_number(group["weight_decay"], "weight_decay", where)

    def _init_state(self, param, group, state):
        state["step"] = 0
        state["exp_avg"] = np.zeros_like(param._array, order="C")
        state["exp_avg_sq"] = np.zeros_like(param._array, order="C")
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(param._array, order="C")

    def _update(self, param, grad, group, state):
        (beta1, beta2), lr, eps = group["betas"], group["lr"], group["eps"]
        weight_decay, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
        decoupled = group.get("decoupled_weight_decay", False)
        if amsgrad and "max_exp_avg_sq" not in state:   # amsgrad switched on mid-run
            state["max_exp_avg_sq"] = np.zeros_like(param._array, order="C")
        state["step"] += 1
        step_size = lr / (1 - beta1 ** state["step"])
        bias_correction2_sqrt = math.sqrt(1 - beta2 ** state["step"])

        def update(p, g, exp_avg, exp_avg_sq, *max_exp_avg_sq):
            # The equations above, in place (on whole arrays or on chunks of them:
            # scratchcnn.dispatch.update_in_place).
            if maximize:
                g = -g
            if weight_decay and decoupled:
                p *= 1 - lr * weight_decay
            elif weight_decay:
                g = g + weight_decay * p
            lerp_(exp_avg, g, 1 - beta1)
            exp_avg_sq *= beta2
            exp_avg_sq += (1 - beta2) * g * g
            second = exp_avg_sq
            if amsgrad:
                (second,) = max_exp_avg_sq
                np.maximum(second, exp_avg_sq, out=second)
            denom = np.sqrt(second) / bias_correction2_sqrt + eps
            p -= (step_size * (exp_avg / denom)).astype(p.dtype, copy=False)

        moments = [state["exp_avg"], state["exp_avg_sq"]]
        if amsgrad:
            moments.append(state["max_exp_avg_sq"])
        update_in_place(update, param._array, grad, *moments)


class AdamW(Adam):
    r"""``torch.optim.AdamW``: Adam with decoupled weight decay (default 0.01).

    Each step first shrinks the parameter, ``p = p * (1 - lr * weight_decay)``, then takes
    Adam's step with the plain gradient (the decay never enters the moments)::

        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
        v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
        p   = p - (lr / (1 - beta1^t)) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
