"""Normalisation on Tensors (``torch.nn.functional``'s batch_norm and
local_response_norm).
:mod:`scratchcnn.nn.functional` re-exports them.
"""

import numbers

from ..autograd import apply
from ..errors import ArgumentError, ShapeError
from ..ops import batchnorm as batchnorm_op, lrn
from ..tensor import Tensor
from .checks import (check_batch_norm_input, check_float_input as _check_float_input,
                     check_same_dtype, check_tensor)

__all__ = ["batch_norm", "local_response_norm"]


def _channel_array(value, name, channels, subject):
    """A per-channel (C,) Tensor or array -> its array (None stays None)."""
    if value is None:
        return None
    array = value._array if isinstance(value, Tensor) else value
    if not hasattr(array, "shape"):
        raise TypeError(f"{subject} expects {name} to be a Tensor of shape ({channels},), got "
                        f"{type(value).__name__}")
    if tuple(array.shape) != (channels,):
        raise ShapeError(f"expected {name} of shape ({channels},) for input with {channels} "
                         f"channels, got {name} of shape {tuple(array.shape)}", subject)
    return array


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation over axis 1 of an (N, C, *) input, as in PyTorch.

    ``training=True``: normalise with the batch mean and biased variance, and update the
    given ``running_mean`` / ``running_var`` in place,
    ``r <- (1 - momentum) * r + momentum * batch_stat`` (the variance unbiased).
    ``training=False``: normalise with ``running_mean`` and ``running_var`` (required).
    ``weight`` (gamma) and ``bias`` (beta) are optional (C,) tensors.
    See :mod:`scratchcnn.ops.batchnorm` for the equations and the gradient.
    """
    subject = "batch_norm()"
    count = check_batch_norm_input(input, None, training, subject)
    channels = input.shape[1]
    mean_array = _channel_array(running_mean, "running_mean", channels, subject)
    var_array = _channel_array(running_var, "running_var", channels, subject)
    for param, name in ((weight, "weight"), (bias, "bias")):
        if param is not None:
            check_tensor(param, name, subject)
            _channel_array(param, name, channels, subject)
            check_same_dtype(input, param, subject)
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or eps < 0:
        raise ArgumentError(f"expects eps >= 0, got eps={eps!r}", subject)
    updates = training and (mean_array is not None or var_array is not None)
    if updates and (isinstance(momentum, bool) or not isinstance(momentum, numbers.Real)):
        raise ArgumentError(f"expects momentum to be a number, got momentum={momentum!r}",
                            subject)
    if training:
        mean, var = batchnorm_op.batch_statistics(input._array)
    elif mean_array is None or var_array is None:
        raise ArgumentError("needs running_mean and running_var in evaluation mode "
                            "(training=False)", subject)
    else:
        mean, var = mean_array, var_array
    out = apply(batchnorm_op.batch_norm_forward, batchnorm_op.batch_norm_backward, input,
                weight, bias, mean=mean, var=var, eps=float(eps), training=bool(training))
    if updates:  # in place, so that a module's buffers see the new values
        new_mean, new_var = batchnorm_op.running_stats_update(
            mean_array, var_array, mean, var, count, float(momentum))
        if mean_array is not None:
            mean_array[...] = new_mean
        if var_array is not None:
            var_array[...] = new_var
    return out


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """b_c = a_c * (k + alpha/size * sum of a_c'^2 over the ``size`` channels around c)^(-beta).

    ``input`` (N, C, *), at least 3-D. See :mod:`scratchcnn.ops.lrn`.
    """
    subject = "local_response_norm()"
    check_tensor(input, "input", subject)
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size <= 0:
        raise ArgumentError(f"expects size to be a positive int, got size={size!r}", subject)
    for value, name in ((alpha, "alpha"), (beta, "beta"), (k, "k")):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ArgumentError(f"expects {name} to be a number, got {name}={value!r}", subject)
    if input.ndim < 3:
        raise ShapeError(f"expected input of shape (N, C, *) with at least 3 dimensions, got "
                         f"{input.ndim}-D input of shape {input.shape}", subject)
    _check_float_input(input, subject)
    if input.numel() == 0:
        return input
    return apply(lrn.local_response_norm_forward, lrn.local_response_norm_backward, input,
                 size=int(size), alpha=float(alpha), beta=float(beta), k=float(k))
