"""Adam: per-parameter step sizes from running moments of the gradient."""

import math

import numpy as np

from ..errors import ArgumentError
from .chunks import for_chunks
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
        (beta1, beta2), lr, eps = group["betas"], group["lr"], group["eps"]
        weight_decay, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param._array, order="C")
            state["exp_avg_sq"] = np.zeros_like(param._array, order="C")
            if amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(param._array, order="C")
        state["step"] += 1
        step_size = lr / (1 - beta1 ** state["step"])
        bias_correction2_sqrt = math.sqrt(1 - beta2 ** state["step"])

        def update(p, g, exp_avg, exp_avg_sq, *max_exp_avg_sq):
            # The equations above, in place on one chunk (see chunks.py).
            if maximize:
                g = -g
            if weight_decay:
                g = g + weight_decay * p
            exp_avg += (1 - beta1) * (g - exp_avg)             # lerp, as PyTorch computes it
            exp_avg_sq *= beta2
            exp_avg_sq += (1 - beta2) * g * g
            second = exp_avg_sq
            if amsgrad:
                (second,) = max_exp_avg_sq
                np.maximum(second, exp_avg_sq, out=second)
            denom = np.sqrt(second) / bias_correction2_sqrt + eps
            p -= (step_size * exp_avg / denom).astype(p.dtype, copy=False)

        moments = [state["exp_avg"], state["exp_avg_sq"]]
        if amsgrad:
            moments.append(state["max_exp_avg_sq"])
        for_chunks(update, param._array, grad, *moments)
