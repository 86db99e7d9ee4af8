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
from ..ops import activation, linear as linear_op, loss, softmax as softmax_op
from ..ops import adaptive_pool, batchnorm as batchnorm_op, lrn
from ..ops import conv_transpose as conv_transpose_op
from ..ops.reduce import normalize_axes
from ..tensor import Tensor, tensor as make_tensor
from .functional_extra import *  # noqa: F401,F403  (pad, gelu, layer_norm, ...)
from .functional_dropout import dropout1d, dropout2d, dropout3d  # noqa: F401
from .functional_loss import (binary_cross_entropy, binary_cross_entropy_with_logits,  # noqa: F401
                              huber_loss, kl_div, l1_loss, mse_loss, smooth_l1_loss)
from .functional_loss import legacy_reduction as _legacy_reduction
from .functional_more import *  # noqa: F401,F403  (conv1d, max_pool1d, instance_norm, ...)
from .functional_more import implicit_softmax_dim as _implicit_softmax_dim


# --------------------------------------------------------------------- argument checks
def pair(value, name, subject):
    """An int or a pair of ints -> (int, int)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value):
        return int(value[0]), int(value[1])
    raise ArgumentError(f"expects {name} to be an int or a pair of ints, got {value!r}", subject)


def check_positive(values, name, subject):
    if min(values) <= 0:
        raise ArgumentError(f"expects {name} > 0, got {name}={values}", subject)


def check_non_negative(values, name, subject):
    if min(values) < 0:
        raise ArgumentError(f"expects {name} >= 0, got {name}={values}", subject)


def check_tensor(x, name, subject):
    if not isinstance(x, Tensor):
        raise TypeError(f"{subject} expects {name} to be a scratchcnn Tensor, got "
                        f"{type(x).__name__} (wrap arrays with sc.tensor(...))")


def check_same_dtype(x, weight, subject):
    if x.dtype != weight.dtype:
        raise DTypeError(
            f"got input of dtype {x.dtype} but its weight is {weight.dtype}: convert the "
            f"input (x.{'float' if weight.dtype == np.float32 else 'double'}()) or the model "
            f"(model.{'float' if x.dtype == np.float32 else 'double'}())", subject)


def check_bias(bias, out_features, weight, subject):
    """A bias must be (out,) and share the weight's dtype."""
    if bias is None:
        return
    if tuple(bias.shape) != (out_features,):
        raise ShapeError(f"expected bias of shape ({out_features},), got {tuple(bias.shape)}",
                         subject)
    if bias.dtype != weight.dtype:
        raise DTypeError(f"got bias of dtype {bias.dtype} but weight of dtype {weight.dtype}",
                         subject)


def check_image_batch(x, channels, subject, what="input"):
    """Raise unless x is (N, C, H, W) with C == channels (any C when channels is None)."""
    if x.ndim != 4:
        raise ShapeError(f"expected {what} of shape (N, {channels if channels else 'C'}, H, W) "
                         f"(4-D), got {x.ndim}-D {what} of shape {x.shape}", subject)
    if channels is not None and x.shape[1] != channels:
        raise ShapeError(f"expected {what} with {channels} channels, shape (N, {channels}, H, W), "
                         f"got {x.shape[1]} channels in shape {x.shape}", subject)


def check_window_fits(x_shape, kernel, padding, dilation, subject):
    for axis, size, k, p, d in zip("HW", x_shape[2:], kernel, padding, dilation):
        span = d * (k - 1) + 1
        if span > size + 2 * p:
            raise ShapeError(
                f"kernel of extent {span} (kernel {k}, dilation {d}) is larger than the "
                f"padded input along {axis}: {size} + 2*{p} = {size + 2 * p}; input shape "
                f"{x_shape}", subject)


def _unbatched(x, expected_ndim):
    """PyTorch also accepts (C, H, W) for one image: add the batch axis, and say so."""
    if isinstance(x, Tensor) and x.ndim == expected_ndim - 1:
        return x.unsqueeze(0), True
    return x, False


# --------------------------------------------------------------------- convolution & pooling
def check_groups(groups, subject):
    """groups must be a positive int."""
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups <= 0:
        raise ArgumentError(f"expects groups to be a positive int, got groups={groups!r}", subject)
    return int(groups)


def check_divisible(channels, groups, name, subject):
    if channels % groups:
        raise ShapeError(f"{name}={channels} is not divisible by groups={groups}", subject)


def conv_padding(padding, kernel, stride, dilation, subject):
    """PyTorch's conv padding: an int, a pair, 'valid' (none) or 'same' (output as large as
    the input; stride 1 only). Returns (ph, pw), or ((top, bottom), (left, right)) when
    'same' needs an odd total d*(k-1), whose extra row/column goes bottom/right as in
    PyTorch."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0)
        if padding != "same":
            raise ArgumentError(f"expects padding to be 'same', 'valid', an int or a pair, "
                                f"got {padding!r}", subject)
        if stride != (1, 1):
            raise ArgumentError(f"padding='same' is not supported for strided convolutions "
                                f"(got stride={stride}; use stride=1 or number padding)", subject)
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        sides = tuple((t // 2, t - t // 2) for t in totals)
        return tuple(a for a, _ in sides) if all(a == b for a, b in sides) else sides
    padding = pair(padding, "padding", subject)
    check_non_negative(padding, "padding", subject)
    return padding


def _conv_common(input, weight, bias, stride, dilation, groups, in_per_group, channels,
                 subject):
    """The checks conv2d and conv_transpose2d share; returns (x, unbatched, stride,
    dilation, groups)."""
    check_tensor(input, "input", subject)
    stride, dilation = (pair(v, n, subject) for v, n in ((stride, "stride"),
                                                         (dilation, "dilation")))
    check_positive(stride, "stride", subject)
    check_positive(dilation, "dilation", subject)
    groups = check_groups(groups, subject)
    if weight.ndim != 4:
        raise ShapeError(f"expected a 4-D weight of shape {in_per_group}, got {weight.shape}",
                         subject)
    x, unbatched = _unbatched(input, 4)
    in_channels, out_channels = channels(weight, groups)
    check_image_batch(x, in_channels if x.ndim != 4 else None, subject)  # the rank only
    check_same_dtype(x, weight, subject)
    check_bias(bias, out_channels, weight, subject)
    return x, unbatched, stride, dilation, groups


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution; ``input`` (N, C, H, W) or (C, H, W), ``weight`` (O, C/groups, kh, kw);
    ``padding`` an int, a pair, 'valid' or 'same'.

    See :mod:`scratchcnn.ops.conv` for the equations and how it is computed.
    """
    subject = "conv2d()"
    x, unbatched, stride, dilation, groups = _conv_common(
        input, weight, bias, stride, dilation, groups, "(out, in/groups, kh, kw)",
        lambda w, g: (w.shape[1] * g, w.shape[0]), subject)
    padding = conv_padding(padding, weight.shape[2:], stride, dilation, subject)
    check_divisible(weight.shape[0], groups, "out_channels (weight.shape[0])", subject)
    if x.shape[1] != weight.shape[1] * groups:
        raise ShapeError(f"weight of shape {weight.shape} with groups={groups} expects input "
                         f"with {weight.shape[1] * groups} channels (weight.shape[1] * groups), "
                         f"got {x.shape[1]} channels in shape {x.shape}", subject)
    if not isinstance(padding[0], tuple):      # per-side padding comes from 'same': it fits
        check_window_fits(x.shape, weight.shape[2:], padding, dilation, subject)
    out = apply(*dispatch.op("conv2d"), x, weight, bias, stride=stride, padding=padding,
                dilation=dilation, groups=groups)
    return out[0] if unbatched else out


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-D transposed convolution, PyTorch's argument order; ``input`` (N, C_in, H, W) or
    (C_in, H, W), ``weight`` (C_in, C_out/groups, kh, kw), output (N, C_out, OH, OW) with
    ``OH = (H - 1)*stride - 2*padding + dilation*(kh - 1) + output_padding + 1``.

    The forward pass of conv2d's input gradient; see :mod:`scratchcnn.ops.conv_transpose`.
    """
    subject = "conv_transpose2d()"
    x, unbatched, stride, dilation, groups = _conv_common(
        input, weight, bias, stride, dilation, groups, "(in, out/groups, kh, kw)",
        lambda w, g: (w.shape[0], w.shape[1] * g), subject)
    padding, output_padding = (pair(v, n, subject) for v, n in
                               ((padding, "padding"), (output_padding, "output_padding")))
    check_non_negative(padding, "padding", subject)
    check_non_negative(output_padding, "output_padding", subject)
    check_divisible(weight.shape[0], groups, "in_channels (weight.shape[0])", subject)
    if x.shape[1] != weight.shape[0]:
        raise ShapeError(f"weight of shape {weight.shape} expects input with {weight.shape[0]} "
                         f"channels (weight.shape[0]), got {x.shape[1]} channels in shape "
                         f"{x.shape}", subject)
    for axis, op, s, d in zip("HW", output_padding, stride, dilation):
        if op >= max(s, d):
            raise ArgumentError(f"output_padding must be smaller than stride or dilation, got "
                                f"output_padding={output_padding}, stride={stride}, "
                                f"dilation={dilation} (along {axis})", subject)
    out_shape = conv_transpose_op.output_shape(x.shape, weight.shape, stride, padding,
                                               output_padding, dilation, groups)
    if min(out_shape[2:]) <= 0:
        raise ShapeError(f"output size {out_shape[2:]} is not positive for input {x.shape}, "
                         f"kernel {weight.shape[2:]}, stride={stride}, padding={padding}, "
                         f"dilation={dilation}: padding is too large", subject)
    out = apply(*dispatch.op("conv_transpose2d"), x, weight, bias, stride=stride,
                padding=padding, output_padding=output_padding, dilation=dilation, groups=groups)
    return out[0] if unbatched else out


def _pool_args(kernel_size, stride, padding, dilation, subject):
    kernel = pair(kernel_size, "kernel_size", subject)
    stride = kernel if stride is None or stride == () else pair(stride, "stride", subject)
    padding = pair(padding, "padding", subject)
    dilation = pair(dilation, "dilation", subject)
    check_positive(kernel, "kernel_size", subject)
    check_positive(stride, "stride", subject)
    check_positive(dilation, "dilation", subject)
    check_non_negative(padding, "padding", subject)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ArgumentError(f"padding should be at most half the kernel size, got "
                            f"padding={padding} for kernel_size={kernel}", subject)
    return kernel, stride, padding, dilation


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over each window; ``stride`` defaults to ``kernel_size``. See :mod:`scratchcnn.ops.pool`."""
    subject = "max_pool2d()"
    check_tensor(input, "input", subject)
    if ceil_mode or return_indices:
        raise ArgumentError("ceil_mode=True and return_indices=True are not supported", subject)
    kernel, stride, padding, dilation = _pool_args(kernel_size, stride, padding, dilation, subject)
    x, unbatched = _unbatched(input, 4)
    check_image_batch(x, None, subject)
    if not _is_float_tensor(x):   # padding is -inf, which integers cannot hold (as PyTorch)
        raise DTypeError(f"expects a floating point input, got {x.dtype}", subject)
    check_window_fits(x.shape, kernel, padding, dilation, subject)
    out = apply(*dispatch.op("max_pool2d"), x, kernel_size=kernel,
                stride=stride, padding=padding, dilation=dilation)
    return out[0] if unbatched else out


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over each window; ``stride`` defaults to ``kernel_size``. See :mod:`scratchcnn.ops.pool`."""
    subject = "avg_pool2d()"
    check_tensor(input, "input", subject)
    if ceil_mode or divisor_override is not None:
        raise ArgumentError("ceil_mode=True and divisor_override are not supported", subject)
    kernel, stride, padding, _ = _pool_args(kernel_size, stride, padding, 1, subject)
    x, unbatched = _unbatched(input, 4)
    check_image_batch(x, None, subject)
    check_window_fits(x.shape, kernel, padding, (1, 1), subject)
    out = apply(*dispatch.op("avg_pool2d"), x, kernel_size=kernel,
                stride=stride, padding=padding, count_include_pad=bool(count_include_pad))
    return out[0] if unbatched else out


# --------------------------------------------------------------------- dense layers
def linear(input, weight, bias=None):
    """y = x W^T + b; ``input`` (..., in), ``weight`` (out, in). See :mod:`scratchcnn.ops.linear`."""
    subject = "linear()"
    check_tensor(input, "input", subject)
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ShapeError(f"expected input (..., {weight.shape[1]}), got {input.shape}", subject)
    check_same_dtype(input, weight, subject)
    check_bias(bias, weight.shape[0], weight, subject)
    return apply(linear_op.linear_forward, linear_op.linear_backward, input, weight, bias)


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


def check_dropout_p(p, subject):
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ArgumentError(f"dropout probability has to be between 0 and 1, got p={p!r}",
                            subject)


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


def _is_float_tensor(t):
    return t.dtype.kind == "f"


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


# --------------------------------------------------------------------- normalisation
def _check_float_input(x, subject):
    if not _is_float_tensor(x):
        raise DTypeError(f"expects a floating point input, got {x.dtype}", subject)


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


def check_batch_norm_input(x, channels, training, subject, ndim=None):
    """(N, C, *) input (exactly ``ndim``-D when given) with C == channels (when given);
    in training mode more than one value per channel. Returns N * prod(*)."""
    check_tensor(x, "input", subject)
    layout = {2: "(N, C)", 3: "(N, C, L)", 4: "(N, C, H, W)"}.get(ndim, "(N, C, *)")
    if channels is not None:
        layout = layout.replace("C", str(channels), 1)
    if (ndim is not None and x.ndim != ndim) or x.ndim < 2:
        raise ShapeError(f"expected input of shape {layout} "
                         f"({ndim if ndim is not None else 'at least 2'}-D), got {x.ndim}-D input "
                         f"of shape {x.shape}", subject)
    if channels is not None and x.shape[1] != channels:
        raise ShapeError(f"expected input with {channels} channels, shape {layout}, got "
                         f"{x.shape[1]} channels in shape {x.shape}", subject)
    _check_float_input(x, subject)
    count = x.numel() // max(x.shape[1], 1)
    if training and count <= 1:
        raise ShapeError(f"expected more than 1 value per channel when training (the batch "
                         f"variance of one value is undefined), got input of shape {x.shape}",
                         subject)
    return count


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


# --------------------------------------------------------------------- adaptive pooling
def adaptive_output_size(output_size, subject):
    """An int, or a pair of ints / None ('keep the input size') -> (int | None, int | None)."""
    def valid(v):
        return v is None or isinstance(v, numbers.Integral) and not isinstance(v, bool)

    if valid(output_size) and output_size is not None:
        sizes = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 2 and all(
            valid(v) for v in output_size):
        sizes = tuple(None if v is None else int(v) for v in output_size)
    else:
        raise ArgumentError(f"expects output_size to be an int or a pair of ints (or None), "
                            f"got {output_size!r}", subject)
    if any(v is not None and v < 0 for v in sizes):
        raise ArgumentError(f"expects output_size >= 0, got output_size={output_size!r}",
                            subject)
    return sizes


def resolve_output_size(sizes, h, w):
    """Replace None entries of (oh, ow) by the input's (h, w)."""
    return (h if sizes[0] is None else sizes[0], w if sizes[1] is None else sizes[1])


def adaptive_avg_pool2d(input, output_size):
    """Average over PyTorch's adaptive bins so the output is (N, C, *output_size).

    ``output_size`` is an int or a pair whose entries may be None (keep that input
    size). ``input`` (N, C, H, W) or (C, H, W). See :mod:`scratchcnn.ops.adaptive_pool`.
    """
    subject = "adaptive_avg_pool2d()"
    check_tensor(input, "input", subject)
    sizes = adaptive_output_size(output_size, subject)
    x, unbatched = _unbatched(input, 4)
    if x.ndim != 4:
        raise ShapeError(f"expected input of shape (N, C, H, W) or (C, H, W), got "
                         f"{input.ndim}-D input of shape {input.shape}", subject)
    if 0 in x.shape[1:]:
        raise ShapeError(f"expected input with non-zero channels, height and width, got "
                         f"shape {input.shape}", subject)
    _check_float_input(x, subject)
    out = apply(adaptive_pool.adaptive_avg_pool2d_forward,
                adaptive_pool.adaptive_avg_pool2d_backward, x,
                output_size=resolve_output_size(sizes, *x.shape[2:]))
    return out[0] if unbatched else out
