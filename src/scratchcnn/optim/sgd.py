"""Stochastic gradient descent, with PyTorch's momentum, dampening, Nesterov and weight decay."""

import numpy as np

from ..dispatch import update_in_place
from ..errors import ArgumentError
from .checks import check_implementation_flags, check_number
from .optimizer import Optimizer


class SGD(Optimizer):
    r"""``torch.optim.SGD``, the same update formulas.

    Equations, for gradient g_t of parameter p at step t::

        g_t = g_t + weight_decay * p                       (if weight_decay)
        b_1 = g_1;  b_t = momentum * b_{t-1} + (1 - dampening) * g_t   (if momentum)
        g_t = g_t + momentum * b_t  (nesterov)  or  g_t = b_t
        p   = p - lr * g_t

    >>> import scratchcnn as sc
    >>> w = sc.tensor([1.0], requires_grad=True)
    >>> opt = sc.optim.SGD([w], lr=0.1)
    >>> (w * 3).sum().backward(); _ = opt.step()
    >>> round(w.item(), 6)                  # 1 - 0.1 * 3
    0.7
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        check_implementation_flags("SGD", foreach, fused, False, differentiable)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        for name in ("momentum", "weight_decay"):
            check_number(group[name], name, "SGD")
        check_number(group["dampening"], "dampening", "SGD", low=None)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ArgumentError("Nesterov momentum requires a momentum and zero dampening "
                                f"(got momentum={group['momentum']}, "
                                f"dampening={group['dampening']})")

    def _update(self, param, grad, group, state):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        first_step = momentum and state.get("momentum_buffer") is None
        if momentum and first_step:
            state["momentum_buffer"] = np.empty_like(param._array, order="C")

        def update(p, g, *buffer):
            # The equations above, in place (on whole arrays or on chunks of them:
            # scratchcnn.dispatch.update_in_place).
            if maximize:
                g = -g
            if weight_decay:
                g = g + weight_decay * p
            if momentum:
                (buf,) = buffer
                if first_step:
                    buf[...] = g
                else:
                    buf *= momentum
                    buf += g if dampening == 0 else (1 - dampening) * g
                g = g + momentum * buf if nesterov else buf
            p -= (lr * g).astype(p.dtype, copy=False)

        buffers = (state["momentum_buffer"],) if momentum else ()
        update_in_place(update, param._array, grad, *buffers)
