"""Regression and binary losses, as ``torch.nn.functional``: ``mse_loss``, ``l1_loss``,
``smooth_l1_loss``, ``huber_loss``, ``binary_cross_entropy``,
``binary_cross_entropy_with_logits``, ``kl_div``; and the legacy ``size_average`` /
``reduce`` arguments, mapped to ``reduction`` exactly as PyTorch's
``_Reduction.legacy_get_string`` does (with its warning).

Re-exported by :mod:`scratchcnn.nn.functional`. The hand-written forward and backward
pairs are in :mod:`scratchcnn.ops.regression_loss`.
"""

import numbers
import warnings

import numpy as np

from ..autograd import apply
from ..errors import ArgumentError, DTypeError, ShapeError
from ..ops import regression_loss as ops
from ..tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


def legacy_reduction(size_average, reduce, emit_warning=True):
    """PyTorch's ``_Reduction.legacy_get_string``: None counts as True; both True ->
    'mean', only ``reduce`` -> 'sum', else 'none'; warns (UserWarning) that the
    arguments are deprecated."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    result = "mean" if size_average and reduce else "sum" if reduce else "none"
    if emit_warning:
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      f"reduction='{result}' instead.", stacklevel=3)
    return result


def resolve_reduction(size_average, reduce, reduction, subject, allowed=_REDUCTIONS):
    """The reduction to use: the legacy pair overrides ``reduction`` when either is set."""
    if size_average is not None or reduce is not None:
        return legacy_reduction(size_average, reduce)
    if reduction not in allowed:
        raise ArgumentError(f"{reduction!r} is not a valid value for reduction; expected "
                            f"one of {allowed}", subject)
    return reduction


def _float_input(input, subject):
    if not isinstance(input, Tensor):
        raise TypeError(f"{subject} expects input to be a scratchcnn Tensor, got "
                        f"{type(input).__name__} (wrap arrays with sc.tensor(...))")
    if input.dtype.kind != "f":
        raise DTypeError(f"expects a floating point input, got {input.dtype}", subject)


def _target(target, input, subject):
    """The target as a Tensor of the input's dtype (cast differentiably if needed)."""
    if not isinstance(target, Tensor):
        array = np.asarray(target)
        if array.dtype.kind not in "biuf":
            raise DTypeError(f"expected a numeric target, got dtype {array.dtype}", subject)
        return Tensor(array.astype(input.dtype))
    if target.dtype.kind not in "biuf":
        raise DTypeError(f"expected a numeric target, got dtype {target.dtype}", subject)
    return target if target.dtype == input.dtype else target.to(input.dtype)


def _broadcast_shape(input, target, subject, warn):
    if tuple(target.shape) != tuple(input.shape) and warn:
        warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the "
                      f"input size ({tuple(input.shape)}). This will likely lead to incorrect "
                      "results due to broadcasting. Please ensure they have the same size.",
                      stacklevel=3)
    try:
        return np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise ShapeError(f"the input of shape {tuple(input.shape)} and the target of shape "
                         f"{tuple(target.shape)} do not broadcast", subject) from None


def _constant(value, name, shape, dtype, subject, same_shape=False):
    """A weight-like argument as an array of ``dtype`` that broadcasts to ``shape``."""
    if value is None:
        return None
    array = value._array if isinstance(value, Tensor) else np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise DTypeError(f"expected a numeric {name}, got dtype {array.dtype}", subject)
    if same_shape and array.shape != tuple(shape):
        raise ShapeError(f"Weights and input must have the same size: {name} has shape "
                         f"{array.shape}, input {tuple(shape)}", subject)
    try:
        np.broadcast_shapes(array.shape, tuple(shape))
    except ValueError:
        raise ShapeError(f"{name} of shape {array.shape} does not broadcast to the input's "
                         f"shape {tuple(shape)}", subject) from None
    return array.astype(dtype, copy=False)


def _positive_number(value, name, subject, allow_zero):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
            value < 0 or (value == 0 and not allow_zero):
        raise ArgumentError(f"expects {name} {'>=' if allow_zero else '>'} 0, got "
                            f"{name}={value!r}", subject)
    return float(value)


def _regression(forward, subject, input, target, reduction, **params):
    _float_input(input, subject)
    target = _target(target, input, subject)
    _broadcast_shape(input, target, subject, warn=True)
    if "weight" in params:
        params["weight"] = _constant(params["weight"], "weight", input.shape, input.dtype,
                                     subject, same_shape=True)
    return apply(forward, ops.pointwise_loss_backward, input, target, reduction=reduction,
                 **params)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error ``(input - target)^2``, reduced; ``weight`` (input's shape)
    makes the mean ``sum(w * l) / sum(w)``. Shapes: any, broadcastable (with a warning)."""
    subject = "mse_loss()"
    reduction = resolve_reduction(size_average, reduce, reduction, subject)
    return _regression(ops.mse_loss_forward, subject, input, target, reduction, weight=weight)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error ``|input - target|``, reduced (weights as :func:`mse_loss`)."""
    subject = "l1_loss()"
    reduction = resolve_reduction(size_average, reduce, reduction, subject)
    return _regression(ops.l1_loss_forward, subject, input, target, reduction, weight=weight)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean",
                   beta=1.0):
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (d = input - target)."""
    subject = "smooth_l1_loss()"
    reduction = resolve_reduction(size_average, reduce, reduction, subject)
    beta = _positive_number(beta, "beta", subject, allow_zero=True)
    return _regression(ops.smooth_l1_loss_forward, subject, input, target, reduction, beta=beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``; a weighted mean
    is ``mean(w * l)`` as in PyTorch."""
    subject = "huber_loss()"
    reduction = resolve_reduction(None, None, reduction, subject)
    delta = _positive_number(delta, "delta", subject, allow_zero=False)
    return _regression(ops.huber_loss_forward, subject, input, target, reduction, delta=delta,
                       weight=weight)


def _same_shape_target(input, target, subject):
    _float_input(input, subject)
    target = _target(target, input, subject)
    if tuple(target.shape) != tuple(input.shape):
        raise ShapeError(f"Using a target size ({tuple(target.shape)}) that is different to "
                         f"the input size ({tuple(input.shape)}) is not supported; please "
                         "ensure they have the same size", subject)
    return target


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """``-w (y log x + (1 - y) log(1 - x))`` for probabilities ``input`` in [0, 1] and
    ``target`` of the same shape; logs clamped at -100 as PyTorch."""
    subject = "binary_cross_entropy()"
    reduction = resolve_reduction(size_average, reduce, reduction, subject)
    target = _same_shape_target(input, target, subject)
    array = input._array
    if array.size and not ((array >= 0) & (array <= 1)).all():
        raise ArgumentError("all elements of input should be between 0 and 1 (they are "
                            "probabilities: apply sigmoid first, or use "
                            "binary_cross_entropy_with_logits)", subject)
    weight = _constant(weight, "weight", input.shape, input.dtype, subject)
    return apply(ops.binary_cross_entropy_forward, ops.pointwise_loss_backward, input, target,
                 weight=weight, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    """``binary_cross_entropy(sigmoid(input), target)`` computed stably from the logits;
    ``pos_weight`` (broadcast with target, e.g. (C,)) scales the positive term."""
    subject = "binary_cross_entropy_with_logits()"
    reduction = resolve_reduction(size_average, reduce, reduction, subject)
    target = _same_shape_target(input, target, subject)
    weight = _constant(weight, "weight", input.shape, input.dtype, subject)
    pos_weight = _constant(pos_weight, "pos_weight", input.shape, input.dtype, subject)
    return apply(ops.binary_cross_entropy_with_logits_forward, ops.pointwise_loss_backward,
                 input, target, weight=weight, pos_weight=pos_weight, reduction=reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence ``target * (log target - input)`` with ``input`` log-probabilities;
    ``reduction='batchmean'`` divides the sum by the batch size (the mathematical KL);
    'mean' (the default, divided by every element) warns as in PyTorch."""
    subject = "kl_div()"
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    else:
        reduction = resolve_reduction(None, None, reduction, subject,
                                      _REDUCTIONS + ("batchmean",))
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size "
                          "and the support size.'batchmean' divides only by the batch size, "
                          "and aligns with the KL div math definition.'mean' will be changed "
                          "to behave the same as 'batchmean' in the next major release.",
                          stacklevel=2)
    _float_input(input, subject)
    target = _target(target, input, subject)
    _broadcast_shape(input, target, subject, warn=False)
    return apply(ops.kl_div_forward, ops.pointwise_loss_backward, input, target,
                 reduction=reduction, log_target=bool(log_target))
