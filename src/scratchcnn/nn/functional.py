"""Differentiable functions on Tensors, as ``torch.nn.functional``.

Each function checks its arguments (so that a mistake is reported in terms of the
layer, not as a NumPy error deep inside a kernel), then runs the op's hand-written
forward and backward pair from :mod:`scratchcnn.ops` through the autograd engine.

>>> import scratchcnn as sc
>>> import scratchcnn.nn.functional as F
>>> x = sc.tensor([[[[1., 6., 2.], [5., 3., 1.], [0., 2., 4.]]]])
>>> w = sc.tensor([[[[1., 2.], [-1., 0.]]]])
>>> F.conv2d(x, w)                      # 1*1 + 6*2 + 5*(-1) + 3*0 = 8 in the corner
tensor([[[[ 8.,  7.],
          [11.,  3.]]]])
"""

import numbers

import numpy as np

from .. import dispatch, random
from ..autograd import apply
from ..errors import ArgumentError, DTypeError, ShapeError, TargetError
from ..ops import activation, loss, softmax as softmax_op
from ..ops.reduce import normalize_axes
from ..tensor import Tensor, tensor as make_tensor
from .functional_extra import *  # noqa: F401,F403  (pad, gelu, layer_norm, ...)
from .functional_dropout import dropout1d, dropout2d, dropout3d  # noqa: F401
from .functional_loss import (binary_cross_entropy, binary_cross_entropy_with_logits,  # noqa: F401
                              huber_loss, kl_div, l1_loss, mse_loss, smooth_l1_loss)
from .functional_loss import legacy_reduction as _legacy_reduction
from .functional_more import *  # noqa: F401,F403  (conv1d, max_pool1d, instance_norm, ...)
from .functional_more import implicit_softmax_dim as _implicit_softmax_dim
# the argument checks, reached as F.check_* by older code (their home: .checks)
from .checks import (check_batch_norm_input, check_bias, check_divisible,  # noqa: F401
                     check_dropout_p, check_groups, check_image_batch, check_non_negative,
                     check_positive, check_same_dtype, check_tensor, check_window_fits,
                     conv_padding, is_float_tensor as _is_float_tensor, pair,
                     unbatched as _unbatched)
from .checks import check_float_input as _check_float_input  # noqa: F401
from .functional_conv import *  # noqa: F401,F403  (conv2d, max_pool2d, ...)
from .functional_conv import (_conv_common, _pool_args,  # noqa: F401
                              adaptive_output_size, resolve_output_size)
from .functional_norm import *  # noqa: F401,F403  (batch_norm, local_response_norm)
from .functional_norm import _channel_array  # noqa: F401


# --------------------------------------------------------------------- dense layers
def linear(input, weight, bias=None):
    """y = x W^T + b; ``input`` (..., in), ``weight`` (out, in). See :mod:`scratchcnn.ops.linear`."""
    subject = "linear()"
    check_tensor(input, "input", subject)
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ShapeError(f"expected input (..., {weight.shape[1]}), got {input.shape}", subject)
    check_same_dtype(input, weight, subject)
    check_bias(bias, weight.shape[0], weight, subject)
    return apply(*dispatch.op("linear"), input, weight, bias)


def flatten(input, start_dim=1, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) (training
    only); ``inplace=True`` writes the result into ``input``."""
    check_dropout_p(p, "dropout()")
    if not training or p == 0:
        return input

    def compute(x):
        return apply(activation.dropout_forward, activation.dropout_backward, x, p=float(p),
                     generator=random.generator())
    return input._inplace_via(compute) if inplace else compute(input)



# --------------------------------------------------------------------- activations
def relu(input, inplace=False):
    """max(0, x); ``inplace=True`` overwrites ``input`` (PyTorch's in-place semantics)."""
    if inplace:
        return input._inplace_via(relu)
    return apply(*dispatch.op("relu"), input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x; ``inplace=True`` overwrites ``input``."""
    if inplace:
        return input._inplace_via(lambda t: leaky_relu(t, negative_slope))
    return apply(activation.leaky_relu_forward, activation.leaky_relu_backward, input,
                 negative_slope=float(negative_slope))


def tanh(input):
    return apply(activation.tanh_forward, activation.tanh_backward, input)


def sigmoid(input):
    return apply(activation.sigmoid_forward, activation.sigmoid_backward, input)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x_i) / sum_j exp(x_j) along ``dim``; ``dtype`` casts the input first. Without
    ``dim``, PyTorch's deprecated implicit choice (dim 0 for 0-, 1- and 3-D inputs, else 1)
    with its UserWarning. See :mod:`scratchcnn.ops.softmax`."""
    input, axis = _dim_arg(input, dim, "softmax", _stacklevel + 1, dtype)
    return apply(softmax_op.softmax_forward, softmax_op.softmax_backward, input, dim=axis)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) along ``dim``, without overflow; arguments as :func:`softmax`."""
    input, axis = _dim_arg(input, dim, "log_softmax", _stacklevel + 1, dtype)
    return apply(softmax_op.log_softmax_forward, softmax_op.log_softmax_backward, input, dim=axis)


def _dim_arg(input, dim, name, stacklevel, dtype):
    """(input cast to ``dtype``, the axis): checks, and the implicit dim when None."""
    subject = f"{name}()"
    check_tensor(input, "input", subject)
    if dim is None:  # softmax's caller: the frame ``stacklevel`` above the warning's
        dim = _implicit_softmax_dim(name, input.ndim, stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    if not _is_float_tensor(input):
        raise DTypeError(f"expects a floating point input, got {input.dtype}", subject)
    return input, (normalize_axes(dim, input.ndim)[0] if input.ndim else 0)


# --------------------------------------------------------------------- losses
_REDUCTIONS = ("mean", "sum", "none")


def _class_problem(input, target, subject):
    """Check (N, C, *) input against (N, *) integer target; flatten to (M, C) and (M,)."""
    check_tensor(input, "input", subject)
    target_array = target._array if isinstance(target, Tensor) else np.asarray(target)
    if input.ndim == 0:
        raise ShapeError("expected input of shape (N, C) or (C,), got a scalar", subject)
    if target_array.dtype.kind not in "iu":
        raise DTypeError(f"expected integer class targets (int64), got dtype "
                         f"{target_array.dtype}; class probabilities need cross_entropy", subject)
    if input.ndim == 1:  # one sample, unbatched
        expected = ()
    else:
        expected = (input.shape[0],) + input.shape[2:]
    if target_array.shape != expected:
        what = ("batch size mismatch: " if input.ndim > 1 and target_array.ndim >= 1
                and target_array.shape[0] != input.shape[0] else "")
        raise ShapeError(f"{what}expected target of shape {expected} for input of shape "
                         f"{input.shape}, got target of shape {target_array.shape}", subject)
    if input.ndim == 1:
        return input.unsqueeze(0), target_array.reshape(1)
    if input.ndim > 2:  # (N, C, d1, ...) -> (N*d1*..., C)
        input = input.permute((0,) + tuple(range(2, input.ndim)) + (1,))
        input = input.reshape(-1, input.shape[-1])
    return input, target_array.reshape(-1).astype(np.int64, copy=False)


def _check_targets(target, classes, ignore_index, subject):
    valid = target != ignore_index
    if valid.any():
        low, high = target[valid].min(), target[valid].max()
        if low < 0 or high >= classes:
            bad = high if high >= classes else low
            raise TargetError(f"got target class {bad}, out of range for {classes} classes "
                              f"(valid: 0..{classes - 1})", subject)


def _check_reduction(reduction, subject):
    if reduction not in _REDUCTIONS:
        raise ArgumentError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}", subject)


def _weight_array(weight, classes, dtype, subject):
    if weight is None:
        return None
    array = weight._array if isinstance(weight, Tensor) else np.asarray(weight)
    if array.shape != (classes,):
        raise ShapeError(f"expected a class weight of shape ({classes},), got {array.shape}",
                         subject)
    return array.astype(dtype, copy=False)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of integer ``target`` under log-probabilities ``input`` (N, C).
    ``size_average``/``reduce`` are PyTorch's deprecated spelling of ``reduction``."""
    subject = "nll_loss()"
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    _check_reduction(reduction, subject)
    logp, flat_target = _class_problem(input, target, subject)
    _check_targets(flat_target, logp.shape[1], ignore_index, subject)
    out = apply(loss.nll_loss_forward, loss.nll_loss_backward, logp, flat_target,
                weight=_weight_array(weight, logp.shape[1], logp.dtype, subject),
                ignore_index=ignore_index, reduction=reduction)
    if reduction == "none":
        target_shape = np.shape(target._array if isinstance(target, Tensor) else target)
        out = out.reshape(target_shape)
    return out


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """``nll_loss(log_softmax(input, 1), target)``, with optional label smoothing.

    With smoothing e over C classes the target distribution is (1 - e) * onehot + e / C:

        loss = (1 - e) * nll + (e / C) * sum_c -w_c * log p_c

    ``target`` may also hold class probabilities (a float tensor of the input's shape).
    """
    subject = "cross_entropy()"
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    _check_reduction(reduction, subject)
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real) \
            or not 0.0 <= label_smoothing <= 1.0:
        raise ArgumentError(f"label_smoothing must be in [0, 1], got {label_smoothing}", subject)
    check_tensor(input, "input", subject)
    target_array = target._array if isinstance(target, Tensor) else np.asarray(target)
    if target_array.dtype.kind == "f":
        return _soft_cross_entropy(input, target, weight, reduction, label_smoothing, subject)
    logp_full = log_softmax(input, dim=1 if input.ndim > 1 else 0)
    nll = nll_loss(logp_full, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0:
        return nll
    logp, flat_target = _class_problem(logp_full, target, subject)
    classes = logp.shape[1]
    w = _weight_array(weight, classes, logp.dtype, subject)
    per_row = -(logp * w).sum(dim=1) if w is not None else -logp.sum(dim=1)
    valid = flat_target != ignore_index
    per_row = per_row * valid.astype(logp.dtype)
    if reduction == "none":
        smooth = per_row.reshape(target_array.shape)
    elif reduction == "sum":
        smooth = per_row.sum()
    else:
        denominator = (w[flat_target[valid]].sum() if w is not None else valid.sum())
        # Sum the valid rows only: with every target ignored, 0/0 is nan but the gradient
        # stays 0 (multiplying by the mask would give inf * 0 = nan), as in PyTorch.
        smooth = per_row[valid].sum() / logp.dtype.type(denominator)
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / classes)


def _soft_cross_entropy(input, target, weight, reduction, label_smoothing, subject):
    """Cross-entropy against class probabilities: -sum_c w_c * q_c * log p_c per sample."""
    target = target if isinstance(target, Tensor) else make_tensor(target)
    if target.shape != input.shape:
        raise ShapeError(f"expected probability targets of the input's shape {input.shape}, "
                         f"got {target.shape}", subject)
    dim = 1 if input.ndim > 1 else 0
    classes = input.shape[dim]
    q = target.to(input.dtype)
    if label_smoothing:
        q = q * (1 - label_smoothing) + label_smoothing / classes
    terms = log_softmax(input, dim) * q
    w = _weight_array(weight, classes, input.dtype, subject)
    if w is not None:
        terms = terms * w.reshape((classes,) + (1,) * (input.ndim - dim - 1))
    per_sample = -terms.sum(dim=dim)
    if reduction == "none":
        return per_sample
    if reduction == "sum":
        return per_sample.sum()
    return per_sample.mean() if per_sample.ndim else per_sample
