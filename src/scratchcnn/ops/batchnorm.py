"""Batch normalisation over the channel axis of (N, C, *): (N, C, H, W) for BatchNorm2d.

Shapes: input ``x`` (N, C, *), ``weight`` gamma (C,), ``bias`` beta (C,), statistics
``mean``, ``var`` (C,); output ``y`` has the input's shape. Per channel ``c`` the
statistics run over its ``m = N * prod(*)`` values (every axis but axis 1).

Equations (per channel; sums over the channel's m values)::

    training:  mu  = (1/m) sum_i x_i
               var = (1/m) sum_i (x_i - mu)^2                  (biased)
    eval:      mu, var = running_mean, running_var             (constants)

    x_hat_i = (x_i - mu) / sqrt(var + eps)
    y_i     = gamma * x_hat_i + beta

    dL/dgamma = sum_i g_i * x_hat_i
    dL/dbeta  = sum_i g_i
    eval:      dL/dx_i = gamma / sqrt(var + eps) * g_i
    training:  dL/dx_i = gamma / sqrt(var + eps)
                         * (g_i - mean_j(g_j) - x_hat_i * mean_j(g_j * x_hat_j))

In training mode mu and var depend on every x_j of the channel: the two subtracted
terms are the gradient flowing through mu and through var (the full batch-norm
gradient); in eval mode only the affine path remains. Everything is a reduction over
the non-channel axes or an elementwise broadcast of (C,) arrays: no Python loops.

Running statistics (:func:`running_stats_update`, applied by the caller in training
mode; PyTorch stores the *unbiased* variance)::

    running_mean <- (1 - momentum) * running_mean + momentum * mu
    running_var  <- (1 - momentum) * running_var  + momentum * var * m / (m - 1)
"""

from .array_module import array_module


def _axes_and_shape(x):
    """The reduced axes (all but 1) and the broadcast shape (1, C, 1, ...) of (C,) arrays."""
    axes = (0,) + tuple(range(2, x.ndim))
    return axes, (1, x.shape[1]) + (1,) * (x.ndim - 2)


def batch_statistics(x):
    """Per-channel batch mean and biased variance of (N, C, *): two (C,) arrays."""
    axes, shape = _axes_and_shape(x)
    mean = x.mean(axis=axes)
    centered = x - mean.reshape(shape)
    return mean, (centered * centered).mean(axis=axes)


def running_stats_update(running_mean, running_var, mean, var, count, momentum):
    """New (running_mean, running_var) after one batch of ``count`` values per channel.

    Either running array may be None (then None is returned in its place)."""
    new_mean = new_var = None
    if running_mean is not None:
        new_mean = (1 - momentum) * running_mean + momentum * mean
    if running_var is not None:
        unbiased = var * (count / (count - 1))
        new_var = (1 - momentum) * running_var + momentum * unbiased
    return new_mean, new_var


def batch_norm_forward(x, weight, bias, mean, var, eps=1e-5, training=False):
    """y = gamma * (x - mu) / sqrt(var + eps) + beta; ``weight``/``bias`` may be None.

    ``mean`` and ``var`` are (C,) arrays. With ``training=True`` they must be the
    input's own batch statistics (:func:`batch_statistics`): the backward pass then
    differentiates through them; otherwise they are constants (running statistics).
    """
    xp = array_module(x)
    axes, shape = _axes_and_shape(x)
    dtype = x.dtype
    mean = xp.asarray(mean).astype(dtype, copy=False)
    var = xp.asarray(var).astype(dtype, copy=False)
    invstd = 1 / xp.sqrt(var + dtype.type(eps))                          # (C,)
    x_hat = (x - mean.reshape(shape)) * invstd.reshape(shape)
    out = x_hat
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    out = out.astype(dtype, copy=False)
    cache = (x_hat, invstd, weight, bias is not None, bool(training), axes, shape)
    return out, cache


def batch_norm_backward(grad, cache, needs_grad):
    """(dL/dx, dL/dgamma, dL/dbeta) from dL/dy; see the module docstring."""
    x_hat, invstd, weight, has_bias, training, axes, shape = cache
    dx = dw = db = None
    grad_x_hat = None
    if (needs_grad[1] and weight is not None) or (needs_grad[0] and training):
        grad_x_hat = grad * x_hat
    if weight is not None and needs_grad[1]:
        dw = grad_x_hat.sum(axis=axes)
    if has_bias and needs_grad[2]:
        db = grad.sum(axis=axes)
    if needs_grad[0]:
        scale = invstd if weight is None else invstd * weight
        scale = scale.reshape(shape)
        if training:
            g_mean = grad.mean(axis=axes, keepdims=True)
            gx_mean = grad_x_hat.mean(axis=axes, keepdims=True)
            dx = (grad - g_mean - x_hat * gx_mean) * scale
        else:
            dx = grad * scale
        dx = dx.astype(grad.dtype, copy=False)
    return dx, dw, db
