"""Element-wise losses and their derivatives, reduced as PyTorch reduces them.

``x`` is the input (prediction), ``y`` the target; they broadcast to a common shape S.
Each loss computes, per element, ``l`` and the local derivatives ``dl/dx`` and ``dl/dy``;
then (with an optional ``weight`` broadcast to S)::

    none:  out = w * l                       (shape S)
    sum:   out = sum(w * l)                  (scalar)
    mean:  out = sum(w * l) / D              D = number of elements, or sum(w) when
                                             ``weighted_mean`` (PyTorch's weighted MSE/L1)
    batchmean (KL only): D = S[0]

    dL/dx = unbroadcast(g * w * dl/dx / D),  dL/dy likewise with dl/dy   (g: upstream)

Per-element formulas (d = x - y)::

    mse          l = d^2                                dl/dx = 2d        dl/dy = -2d
    l1           l = |d|                                dl/dx = sign(d)   dl/dy = -sign(d)
    smooth_l1    l = d^2 / (2 beta) if |d| < beta else |d| - beta/2
                 dl/dx = d / beta if |d| < beta else sign(d)              dl/dy = -dl/dx
    huber        l = d^2 / 2 if |d| < delta else delta (|d| - delta/2)
                 dl/dx = clip(d, -delta, delta)                           dl/dy = -dl/dx
    bce          l = -(y log x + (1 - y) log(1 - x)),  each log clamped at >= -100
                 dl/dx = (x - y) / max(x (1 - x), 1e-12)
                 dl/dy = log(1 - x) - log x  (clamped logs)
    bce_logits   lw = 1 + (pos_weight - 1) y,  sp = log(1 + e^-|x|) + max(-x, 0) = softplus(-x)
                 l = (1 - y) x + lw sp
                 dl/dx = lw sigmoid(x) - pos_weight y      dl/dy = -x + (pos_weight - 1) sp
    kl_div       l = y (log y - x)  (0 where y = 0)         dl/dx = -y   dl/dy = log y + 1 - x
    kl_div log_target:  l = e^y (y - x)   dl/dx = -e^y     dl/dy = e^y (y - x + 1)

All shapes: ``x`` any, ``y`` broadcastable with it; the gradients have the inputs' shapes.
"""

import numpy as np

from .elementwise import unbroadcast


def _finish(l, dx, dy, x_shape, y_shape, weight, reduction, weighted_mean=False):
    """Weight and reduce per-element ``l``; cache what backward needs."""
    dtype = l.dtype
    dx, dy = np.broadcast_to(dx, l.shape), np.broadcast_to(dy, l.shape)
    if weight is not None:
        weight = np.broadcast_to(weight.astype(dtype, copy=False), l.shape)
        l, dx, dy = l * weight, dx * weight, dy * weight
    if reduction == "none":
        out, scale = l, None
    else:
        out = l.sum()
        if reduction == "sum":
            scale = dtype.type(1)
        elif reduction == "batchmean":
            scale = dtype.type(1) / dtype.type(l.shape[0] if l.ndim else 1)
        elif weighted_mean and weight is not None:
            scale = dtype.type(1) / weight.sum(dtype=dtype)
        else:
            scale = dtype.type(1) / dtype.type(l.size)
        out = np.asarray(out * scale, dtype=dtype)
    return out, (dx, dy, scale, x_shape, y_shape)


def pointwise_loss_backward(grad, cache, needs_grad):
    """Backward of every loss in this file: ``(dL/dx, dL/dy)``."""
    dx, dy, scale, x_shape, y_shape = cache
    upstream = grad if scale is None else grad * scale
    return (unbroadcast(upstream * dx, x_shape) if needs_grad[0] else None,
            unbroadcast(upstream * dy, y_shape) if needs_grad[1] else None)


def _difference(x, y):
    return np.subtract(x, y, dtype=x.dtype)


def mse_loss_forward(x, y, weight=None, reduction="mean"):
    """Squared error; ``weight`` (broadcastable) makes the mean ``sum(w l) / sum(w)``."""
    d = _difference(x, y)
    two_d = 2 * d
    return _finish(d * d, two_d, -two_d, x.shape, y.shape, weight, reduction, True)


def l1_loss_forward(x, y, weight=None, reduction="mean"):
    """Absolute error; weighted mean as :func:`mse_loss_forward`."""
    d = _difference(x, y)
    sign = np.sign(d)
    return _finish(np.abs(d), sign, -sign, x.shape, y.shape, weight, reduction, True)


def smooth_l1_loss_forward(x, y, beta=1.0, reduction="mean"):
    """Quadratic below ``beta``, linear above (``beta == 0`` is the L1 loss)."""
    d = _difference(x, y)
    magnitude = np.abs(d)
    if beta == 0:
        return l1_loss_forward(x, y, None, reduction)
    beta = x.dtype.type(beta)
    small = magnitude < beta
    l = np.where(small, 0.5 * d * d / beta, magnitude - 0.5 * beta)
    dx = np.where(small, d / beta, np.sign(d))
    return _finish(l, dx, -dx, x.shape, y.shape, None, reduction)


def huber_loss_forward(x, y, delta=1.0, weight=None, reduction="mean"):
    """Quadratic below ``delta``, ``delta``-sloped linear above; a weighted mean is
    ``mean(w l)`` (PyTorch's rule for Huber, unlike MSE/L1)."""
    d = _difference(x, y)
    delta = x.dtype.type(delta)
    magnitude = np.abs(d)
    l = np.where(magnitude < delta, 0.5 * d * d, delta * (magnitude - 0.5 * delta))
    dx = np.clip(d, -delta, delta)
    return _finish(l, dx, -dx, x.shape, y.shape, weight, reduction)


def binary_cross_entropy_forward(x, y, weight=None, reduction="mean"):
    """BCE of probabilities ``x`` in [0, 1]; logs clamped at -100 as PyTorch (so x = 0 or
    1 gives a finite loss)."""
    y = y.astype(x.dtype, copy=False)
    floor = x.dtype.type(-100)
    with np.errstate(divide="ignore"):
        log_x = np.maximum(np.log(x), floor)
        log_1mx = np.maximum(np.log1p(-x), floor)
    l = -(y * log_x + (1 - y) * log_1mx)
    dx = (x - y) / np.maximum(x * (1 - x), x.dtype.type(1e-12))
    return _finish(l, dx, log_1mx - log_x, x.shape, y.shape, weight, reduction)


def binary_cross_entropy_with_logits_forward(x, y, weight=None, pos_weight=None,
                                             reduction="mean"):
    """Sigmoid + BCE in the log-sum-exp form (finite for any logit)."""
    y = y.astype(x.dtype, copy=False)
    softplus_neg = np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)
    sigmoid = np.exp(-np.logaddexp(0, -x)).astype(x.dtype, copy=False)
    if pos_weight is None:
        l = (1 - y) * x + softplus_neg
        dx, dy = sigmoid - y, -x
    else:
        pos_weight = pos_weight.astype(x.dtype, copy=False)
        log_weight = 1 + (pos_weight - 1) * y
        l = (1 - y) * x + log_weight * softplus_neg
        dx = log_weight * sigmoid - pos_weight * y
        dy = -x + (pos_weight - 1) * softplus_neg
    return _finish(l, dx, dy, x.shape, y.shape, weight, reduction)


def kl_div_forward(x, y, reduction="mean", log_target=False):
    """KL divergence with ``x`` log-probabilities and ``y`` probabilities (or
    log-probabilities when ``log_target``)."""
    y = y.astype(x.dtype, copy=False)
    if log_target:
        ey = np.exp(y)
        l = ey * (y - x)
        dx, dy = -ey, ey * (y - x + 1)
    else:
        positive = y > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            log_y = np.where(positive, np.log(np.where(positive, y, 1)), 0).astype(x.dtype)
        l = np.where(positive, y * (log_y - x), 0).astype(x.dtype)
        dx = -y
        dy = np.where(positive, log_y + 1 - x, 0).astype(x.dtype)  # torch's xlogy rule
    return _finish(l, dx, dy, x.shape, y.shape, None, reduction)
