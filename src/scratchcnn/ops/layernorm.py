"""Layer normalisation and group normalisation: normalise each sample over a group of
its values with the group's own mean and (biased) variance, then scale and shift.

Both reduce to one kernel on a (R, M) view: R rows (independent groups), M values per
row. With m_r, v_r the row mean and biased variance and rstd_r = 1 / sqrt(v_r + eps)::

    xhat = (x - m) * rstd
    y    = xhat * gamma + beta                       (gamma, beta broadcast per value)

    dxhat   = g * gamma
    dL/dx   = rstd * (dxhat - mean_row(dxhat) - xhat * mean_row(dxhat * xhat))
    dL/dgamma = sum over rows of g * xhat,  dL/dbeta = sum over rows of g

Layer norm: x (*, D_1..D_k) normalised over the last k axes (``normalized_shape``),
gamma/beta of shape (D_1..D_k). Group norm: x (N, C, *) viewed as (N, G, C/G * prod(*)),
gamma/beta of shape (C,) applied per channel.
"""

import numpy as np


def _normalize_rows(rows, eps):
    """(R, M) -> xhat (R, M), rstd (R, 1)."""
    mean = rows.mean(axis=1, keepdims=True)
    centred = rows - mean
    var = (centred * centred).mean(axis=1, keepdims=True)
    rstd = 1 / np.sqrt(var + rows.dtype.type(eps))
    return centred * rstd, rstd


def _rows_backward(dxhat, xhat, rstd):
    """dL/dx on (R, M) rows from dL/dxhat."""
    mean_d = dxhat.mean(axis=1, keepdims=True)
    mean_dx = (dxhat * xhat).mean(axis=1, keepdims=True)
    return rstd * (dxhat - mean_d - xhat * mean_dx)


def layer_norm_forward(x, weight=None, bias=None, normalized_ndim=1, eps=1e-5):
    """y (*, D...) from x (*, D...) normalised over its last ``normalized_ndim`` axes."""
    inner = x.shape[x.ndim - normalized_ndim:]
    size = int(np.prod(inner))
    xhat, rstd = _normalize_rows(x.reshape(-1, size), eps)
    xhat = xhat.reshape(x.shape)
    out = xhat
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    if out is xhat:
        out = xhat.copy()   # the cache keeps xhat; the output may be changed in place
    return out, (xhat, rstd, weight, size, normalized_ndim, bias is not None)


def layer_norm_backward(grad, cache, needs_grad):
    xhat, rstd, weight, size, normalized_ndim, has_bias = cache
    lead = tuple(range(grad.ndim - normalized_ndim))   # the axes gamma/beta broadcast over
    dx = dw = db = None
    if needs_grad[0]:
        dxhat = grad * weight if weight is not None else grad
        dx = _rows_backward(dxhat.reshape(-1, size), xhat.reshape(-1, size),
                            rstd).reshape(grad.shape)
    if weight is not None and needs_grad[1]:
        dw = (grad * xhat).sum(axis=lead)
    if has_bias and needs_grad[2]:
        db = grad.sum(axis=lead)
    return dx, dw, db


def group_norm_forward(x, weight=None, bias=None, num_groups=1, eps=1e-5):
    """y (N, C, *) from x (N, C, *): each of the G channel groups normalised per sample."""
    n, c = x.shape[:2]
    xhat, rstd = _normalize_rows(x.reshape(n * num_groups, -1), eps)
    xhat = xhat.reshape(x.shape)
    per_channel = (1, c) + (1,) * (x.ndim - 2)
    out = xhat
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    if out is xhat:
        out = xhat.copy()
    return out, (xhat, rstd, weight, num_groups, bias is not None)


def group_norm_backward(grad, cache, needs_grad):
    xhat, rstd, weight, num_groups, has_bias = cache
    n, c = grad.shape[:2]
    per_channel = (1, c) + (1,) * (grad.ndim - 2)
    axes = (0,) + tuple(range(2, grad.ndim))
    dx = dw = db = None
    if needs_grad[0]:
        dxhat = grad * weight.reshape(per_channel) if weight is not None else grad
        dx = _rows_backward(dxhat.reshape(n * num_groups, -1),
                            xhat.reshape(n * num_groups, -1), rstd).reshape(grad.shape)
    if weight is not None and needs_grad[1]:
        dw = (grad * xhat).sum(axis=axes)
    if has_bias and needs_grad[2]:
        db = grad.sum(axis=axes)
    return dx, dw, db
