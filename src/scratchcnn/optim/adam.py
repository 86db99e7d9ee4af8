"""Adam: per-parameter step sizes from running moments of the gradient."""

import math

import numpy as np

from ..errors import ArgumentError
from .optimizer import Optimizer


class Adam(Optimizer):
    r"""``torch.optim.Adam``, the same update formulas (L2 weight decay, not AdamW).

    Equations, for gradient g_t at step t (t = 1, 2, ...)::

        g_t = g_t + weight_decay * p                       (if weight_decay)
        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
        v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
        p   = p - (lr / (1 - beta1^t)) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)

    With ``amsgrad`` the running maximum of v_t is used in place of v_t.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, maximize=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        beta1, beta2 = group["betas"]
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ArgumentError(f"invalid betas {group['betas']}: each must be in [0, 1)",
                                "Adam()")
        if group["eps"] < 0 or group["weight_decay"] < 0:
            raise ArgumentError("eps and weight_decay must be >= 0", "Adam()")

    def _update(self, param, grad, group, state):
        beta1, beta2 = group["betas"]
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param.data
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param.data)
            state["exp_avg_sq"] = np.zeros_like(param.data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param.data)
        state["step"] += 1
        step = state["step"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg += (1 - beta1) * (grad - exp_avg)            # lerp, as PyTorch computes it
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            second = state["max_exp_avg_sq"]
        else:
            second = exp_avg_sq
        bias_correction1 = 1 - beta1 ** step
        bias_correction2_sqrt = math.sqrt(1 - beta2 ** step)
        denom = np.sqrt(second) / bias_correction2_sqrt + group["eps"]
        param.data -= ((group["lr"] / bias_correction1) * exp_avg / denom).astype(
            param.dtype, copy=False)
