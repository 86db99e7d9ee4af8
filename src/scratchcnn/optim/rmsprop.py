"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

import numpy as np

from ..dispatch import update_in_place
from .checks import check_implementation_flags, check_number
from .chunks import lerp_
from .optimizer import Optimizer


class RMSprop(Optimizer):
    r"""``torch.optim.RMSprop``, the same update formulas and defaults (lr=0.01).

    Equations, for gradient g_t at step t (v, a and b start at zero)::

        g_t = -g_t                                         (if maximize)
        g_t = g_t + weight_decay * p                       (if weight_decay)
        v_t = alpha * v_{t-1} + (1 - alpha) * g_t^2        (square_avg)
        a_t = alpha * a_{t-1} + (1 - alpha) * g_t          (grad_avg, if centered)
        s_t = sqrt(v_t - a_t^2) + eps   (centered)   or   sqrt(v_t) + eps
        b_t = momentum * b_{t-1} + g_t / s_t;  p = p - lr * b_t    (if momentum > 0)
        p   = p - lr * g_t / s_t                                    (otherwise)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        check_implementation_flags("RMSprop", foreach, None, capturable, differentiable)
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      maximize=maximize))

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        for name in ("eps", "momentum", "weight_decay", "alpha"):
            check_number(group[name], name, "RMSprop")

    def _init_state(self, param, group, state):
        state["step"] = 0
        state["square_avg"] = np.zeros_like(param._array, order="C")
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(param._array, order="C")
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(param._array, order="C")

    def _update(self, param, grad, group, state):
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        weight_decay, centered = group["weight_decay"], group["centered"]
        maximize = group["maximize"]
        # Options switched on mid-run (a scheduler raising momentum) start from zeros.
        if momentum > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = np.zeros_like(param._array, order="C")
        if centered and "grad_avg" not in state:
            state["grad_avg"] = np.zeros_like(param._array, order="C")
        state["step"] += 1

        def update(p, g, square_avg, *extra):
            # The equations above, in place (on whole arrays or on chunks of them:
            # scratchcnn.dispatch.update_in_place).
            extra = list(extra)
            if maximize:
                g = -g
            if weight_decay:
                g = g + weight_decay * p
            square_avg *= alpha
            square_avg += (1 - alpha) * g * g
            if centered:
                grad_avg = extra.pop()
                lerp_(grad_avg, g, 1 - alpha)
                avg = np.sqrt(square_avg - grad_avg * grad_avg)
            else:
                avg = np.sqrt(square_avg)
            avg += eps
            if momentum > 0:
                (buf,) = extra
                buf *= momentum
                buf += g / avg
                p -= (lr * buf).astype(p.dtype, copy=False)
            else:
                p -= (lr * (g / avg)).astype(p.dtype, copy=False)

        arrays = [state["square_avg"]]
        if momentum > 0:
            arrays.append(state["momentum_buffer"])
        if centered:
            arrays.append(state["grad_avg"])
        update_in_place(update, param._array, grad, *arrays)
