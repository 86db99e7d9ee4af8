"""Negative log-likelihood over class log-probabilities (the core of cross-entropy).

Shapes: ``logp`` (M, C) log-probabilities, ``target`` (M,) class indices, optional
class ``weight`` (C,). For row m with class t = target[m] (rows whose target equals
``ignore_index`` count for nothing)::

    loss_m = -weight[t] * logp[m, t]
    mean   = sum_m loss_m / sum_m weight[t_m]          (PyTorch's weighted mean)

    dL/dlogp[m, c] = -weight[t] * g_m   if c == t, else 0

Cross-entropy is this applied to ``log_softmax(logits)``; composing the two
backward passes gives the familiar ``dL/dz = softmax(z) - onehot(t)``.
"""

from .array_module import array_module


def nll_loss_forward(logp, target, weight=None, ignore_index=-100, reduction="mean"):
    xp = array_module(logp)
    valid = target != ignore_index
    safe_target = xp.where(valid, target, 0)
    picked = xp.take_along_axis(logp, safe_target[:, None], axis=1)[:, 0]
    row_weight = (weight[safe_target] if weight is not None else
                  xp.ones(target.shape, dtype=logp.dtype)) * valid
    row_weight = row_weight.astype(logp.dtype, copy=False)
    losses = -picked * row_weight
    if reduction == "none":
        out, scale = losses, row_weight
    elif reduction == "sum":
        out, scale = losses.sum(), row_weight
    else:  # mean: 0/0 -> nan when every target is ignored, as in PyTorch
        total = row_weight.sum()
        out = losses.sum() / total
        # Ignored rows get no gradient even then (0, not 0/0 = nan), as in PyTorch.
        scale = xp.where(valid, row_weight / total, 0).astype(logp.dtype, copy=False)
    cache = (logp.shape, logp.dtype, safe_target, scale, reduction)
    return xp.asarray(out, dtype=logp.dtype), cache


def nll_loss_backward(grad, cache, needs_grad):
    shape, dtype, target, scale, reduction = cache
    xp = array_module(scale)
    dlogp = xp.zeros(shape, dtype=dtype)
    per_row = -scale * grad  # grad is a scalar, or (M,) for reduction="none"
    xp.put_along_axis(dlogp, target[:, None], per_row[:, None].astype(dtype), axis=1)
    return dlogp, None
