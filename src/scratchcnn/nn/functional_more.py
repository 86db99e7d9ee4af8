"""1-d convolution and pooling, adaptive max pooling, instance norm, PReLU and threshold,
as in ``torch.nn.functional`` (re-exported there).

The 1-d functions run the 2-d ops on the input with a unit height axis inserted,
(N, C, L) -> (N, C, 1, L): a 1-d window is a 1 x k 2-d window, so the results and
gradients are exactly those of the 2-d ops (:mod:`scratchcnn.ops.conv`,
:mod:`scratchcnn.ops.pool`, :mod:`scratchcnn.ops.adaptive_pool`). Instance norm is
batch norm of the (1, N*C, *) reshaped input (each sample's channel is its own
"channel"; :mod:`scratchcnn.ops.batchnorm`). Adaptive max pooling, PReLU and threshold
have their own ops: :mod:`scratchcnn.ops.adaptive_max_pool`, :mod:`scratchcnn.ops.piecewise`.
"""

import functools
import math
import numbers
import warnings

import numpy as np

from ..autograd import apply
from ..errors import ArgumentError, DTypeError, ShapeError
from ..ops import adaptive_max_pool as amp_op, adaptive_pool, batchnorm as bn_op, conv
from ..ops import piecewise, pool
from ..tensor import Tensor
from .functional_activation import _check_float, _number, pad
from .functional_extra import _affine_param, _eps

__all__ = ["conv1d", "max_pool1d", "avg_pool1d", "adaptive_avg_pool1d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "instance_norm", "prelu",
           "threshold"]


# --------------------------------------------------------------------- argument checks
def _single(value, name, subject, minimum=1):
    """An int or a one-element tuple/list of ints -> int (at least ``minimum``)."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentError(f"expects {name} to be an int or a 1-tuple of ints, got "
                            f"{value!r}", subject)
    if value < minimum:
        raise ArgumentError(f"expects {name} >= {minimum}, got {name}={int(value)}", subject)
    return int(value)


def _signal(input, subject, what="(N, C, L) or (C, L)"):
    """Check a 2-D/3-D float input; return it as (N, C, 1, L) and whether it was unbatched."""
    _check_float(input, subject)
    if input.ndim not in (2, 3):
        raise ShapeError(f"expected input of shape {what}, got {input.ndim}-D input of shape "
                         f"{input.shape}", subject)
    unbatched = input.ndim == 2
    x = input.unsqueeze(0) if unbatched else input
    return x.unsqueeze(2), unbatched


def _back_to_1d(out, unbatched):
    out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


def _pool_length(length, kernel, stride, padding, dilation, ceil_mode, subject, shape):
    """PyTorch's pooled length: floor (or ceil) of (L + 2p - d(k-1) - 1) / s, plus 1; with
    ceil_mode the last window must start inside the input or its left padding."""
    span = length + 2 * padding - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= length + padding:
        out -= 1
    if span < 0 or out < 1:
        raise ShapeError(f"kernel of extent {dilation * (kernel - 1) + 1} (kernel {kernel}, "
                         f"dilation {dilation}) is larger than the padded input length "
                         f"{length} + 2*{padding}; input shape {shape}", subject)
    return out


# --------------------------------------------------------------------- convolution
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution: ``input`` (N, C_in, L) or (C_in, L), ``weight`` (C_out, C_in/groups,
    k), ``bias`` (C_out,) -> (N, C_out, OL), ``OL = floor((L + 2p - d(k-1) - 1) / s) + 1``;
    ``padding`` an int, 'valid' or 'same' (stride 1; an odd total goes right).
    The 2-d convolution of the (N, C_in, 1, L) input with the (C_out, C_in/g, 1, k) weight."""
    subject = "conv1d()"
    if not isinstance(weight, Tensor) or weight.ndim != 3:
        raise ShapeError(f"expected a 3-D weight tensor of shape (out, in/groups, k), got "
                         f"{getattr(weight, 'shape', type(weight).__name__)}", subject)
    x, unbatched = _signal(input, subject, "(N, C_in, L) or (C_in, L)")
    stride, dilation = (_single(v, n, subject) for v, n in ((stride, "stride"),
                                                            (dilation, "dilation")))
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise ArgumentError(f"expects groups to be a positive int, got groups={groups!r}",
                            subject)
    groups, (out_channels, per_group, kernel) = int(groups), weight.shape
    if x.shape[1] != per_group * groups:
        raise ShapeError(f"weight of shape {weight.shape} with groups={groups} expects input "
                         f"with {per_group * groups} channels, got {x.shape[1]} channels in "
                         f"shape {input.shape}", subject)
    if out_channels % groups:
        raise ShapeError(f"out_channels (weight.shape[0]) = {out_channels} is not divisible "
                         f"by groups={groups}", subject)
    if x.dtype != weight.dtype:
        raise DTypeError(f"got input of dtype {x.dtype} but weight of dtype {weight.dtype}",
                         subject)
    if bias is not None and (not isinstance(bias, Tensor) or bias.shape != (out_channels,)):
        raise ShapeError(f"expected a bias of shape ({out_channels},), got "
                         f"{getattr(bias, 'shape', bias)!r}", subject)
    if bias is not None and bias.dtype != weight.dtype:
        raise DTypeError(f"got bias of dtype {bias.dtype} but weight of dtype {weight.dtype}",
                         subject)
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ArgumentError(f"expects padding to be 'same', 'valid' or an int, got "
                                f"{padding!r}", subject)
        if padding == "same" and stride != 1:
            raise ArgumentError("padding='same' is not supported for strided convolutions",
                                subject)
        total = dilation * (kernel - 1) if padding == "same" else 0
        sides = (total // 2, total - total // 2)
    else:
        sides = (_single(padding, "padding", subject, minimum=0),) * 2
    if dilation * (kernel - 1) + 1 > x.shape[3] + sum(sides):
        raise ShapeError(f"kernel of extent {dilation * (kernel - 1) + 1} is larger than the "
                         f"padded input length {x.shape[3]} + {sum(sides)}; input shape "
                         f"{input.shape}", subject)
    out = apply(conv.conv2d_forward, conv.conv2d_backward, x, weight.unsqueeze(2), bias,
                stride=(1, stride), padding=((0, 0), sides) if sides[0] != sides[1]
                else (0, sides[0]), dilation=(1, dilation), groups=groups)
    return _back_to_1d(out, unbatched)


# --------------------------------------------------------------------- pooling
def _apply_keeping_cache(forward, backward, *inputs, **params):
    """apply(), also returning the forward's cache (it holds the max-pooling winners that
    ``return_indices`` reports), so the forward runs once."""
    kept = []

    @functools.wraps(forward)          # the graph names the op after the forward function
    def forward_keeping(*arrays, **kwargs):
        out, cache = forward(*arrays, **kwargs)
        kept.append(cache)
        return out, cache
    return apply(forward_keeping, backward, *inputs, **params), kept[0]


def _pool1d_args(kernel_size, stride, padding, dilation, subject):
    kernel = _single(kernel_size, "kernel_size", subject)
    stride = kernel if stride is None or stride == () or stride == [] else _single(
        stride, "stride", subject)
    return kernel, stride, _single(padding, "padding", subject, 0), _single(
        dilation, "dilation", subject)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over each window of (N, C, L) or (C, L); ``stride`` defaults to ``kernel_size``.
    With ``return_indices`` also the int64 position in L of each maximum (the first one on
    a tie). With ``ceil_mode`` the last partial window counts too (-inf padded on the right)."""
    subject = "max_pool1d()"
    kernel, stride, padding, dilation = _pool1d_args(kernel_size, stride, padding, dilation,
                                                     subject)
    if padding > kernel // 2:
        raise ArgumentError(f"padding should be at most half of kernel size, got "
                            f"padding={padding}, kernel_size={kernel}", subject)
    x, unbatched = _signal(input, subject)
    length = x.shape[3]
    out_len = _pool_length(length, kernel, stride, padding, dilation, ceil_mode, subject,
                           input.shape)
    extra = (out_len - 1) * stride + dilation * (kernel - 1) + 1 - (length + 2 * padding)
    op_padding = padding
    if extra > 0:             # ceil_mode's partial window: pad it with -inf ourselves
        x = pad(x, (padding, padding + extra), value=-math.inf)
        op_padding = 0
    out, cache = _apply_keeping_cache(pool.max_pool2d_forward, pool.max_pool2d_backward, x,
                                      kernel_size=(1, kernel), stride=(1, stride),
                                      padding=(0, op_padding), dilation=(1, dilation))
    result = _back_to_1d(out, unbatched)
    if not return_indices:
        return result
    # The op's cache holds each window's winning kernel offset: index = start + offset * d.
    offset = cache[1]
    starts = np.arange(out_len, dtype=np.int64) * stride - padding
    indices = (starts + offset.astype(np.int64) * dilation)[:, :, 0, :]
    return result, Tensor(indices[0] if unbatched else indices)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean over each window of (N, C, L) or (C, L); ``stride`` defaults to ``kernel_size``.

    The divisor is k (``count_include_pad``) or the number of real inputs in the window;
    a ``ceil_mode`` window that runs past the padded input divides by its part inside it,
    as PyTorch does."""
    subject = "avg_pool1d()"
    kernel, stride, padding, _ = _pool1d_args(kernel_size, stride, padding, 1, subject)
    if padding > kernel // 2:
        raise ArgumentError(f"padding should be at most half of kernel size, got padding="
                            f"{padding}, kernel_size={kernel}", subject)
    x, unbatched = _signal(input, subject)
    length = x.shape[3]
    out_len = _pool_length(length, kernel, stride, padding, 1, ceil_mode, subject, input.shape)
    extra = (out_len - 1) * stride + kernel - (length + 2 * padding)
    if extra <= 0:
        out = apply(pool.avg_pool2d_forward, pool.avg_pool2d_backward, x,
                    kernel_size=(1, kernel), stride=(1, stride), padding=(0, padding),
                    count_include_pad=bool(count_include_pad))
        return _back_to_1d(out, unbatched)
    # ceil_mode with a partial last window: window sums over the zero-padded input (the
    # mean times k), divided by PyTorch's divisor for each window.
    x = pad(x, (padding, padding + extra))
    sums = apply(pool.avg_pool2d_forward, pool.avg_pool2d_backward, x, kernel_size=(1, kernel),
                 stride=(1, stride), padding=(0, 0), count_include_pad=True)
    start = np.arange(out_len) * stride - padding
    low, high = (-padding, length + padding) if count_include_pad else (0, length)
    divisor = np.minimum(start + kernel, high) - np.maximum(start, low)
    scale = (kernel / divisor).astype(x.dtype)
    return _back_to_1d(sums * Tensor(scale), unbatched)


def _adaptive_size_1d(output_size, subject):
    size = output_size[0] if isinstance(output_size, (tuple, list)) and len(
        output_size) == 1 else output_size
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 0:
        raise ArgumentError(f"expects output_size to be a non-negative int (or a 1-tuple), "
                            f"got {output_size!r}", subject)
    return int(size)


def adaptive_avg_pool1d(input, output_size):
    """Average over PyTorch's adaptive bins: (N, C, L) or (C, L) -> (..., output_size).
    Bin i covers [floor(i L / O), ceil((i + 1) L / O)); see :mod:`scratchcnn.ops.adaptive_pool`."""
    subject = "adaptive_avg_pool1d()"
    size = _adaptive_size_1d(output_size, subject)
    x, unbatched = _signal(input, subject)
    if 0 in x.shape[1:]:
        raise ShapeError(f"expected non-empty channels and length, got shape {input.shape}",
                         subject)
    out = apply(adaptive_pool.adaptive_avg_pool2d_forward,
                adaptive_pool.adaptive_avg_pool2d_backward, x, output_size=(1, size))
    return _back_to_1d(out, unbatched)


def _adaptive_max(x, sizes, return_indices):
    out, cache = _apply_keeping_cache(amp_op.adaptive_max_pool2d_forward,
                                      amp_op.adaptive_max_pool2d_backward, x, output_size=sizes)
    return out, Tensor(cache[1]) if return_indices else None


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over PyTorch's adaptive bins: (N, C, H, W) or (C, H, W) -> (..., OH, OW);
    ``output_size`` an int or a pair (None keeps that input size). With
    ``return_indices`` also the int64 flat index u * W + v of each maximum.
    See :mod:`scratchcnn.ops.adaptive_max_pool`."""
    subject = "adaptive_max_pool2d()"
    _check_float(input, subject)
    if isinstance(output_size, numbers.Integral) and not isinstance(output_size, bool):
        output_size = (output_size, output_size)
    if not (isinstance(output_size, (tuple, list)) and len(output_size) == 2 and all(
            v is None or isinstance(v, numbers.Integral) and not isinstance(v, bool)
            and v >= 0 for v in output_size)):
        raise ArgumentError(f"expects output_size to be an int or a pair of non-negative "
                            f"ints (or None), got {output_size!r}", subject)
    if input.ndim not in (3, 4):
        raise ShapeError(f"expected input of shape (N, C, H, W) or (C, H, W), got "
                         f"{input.ndim}-D input of shape {input.shape}", subject)
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    if 0 in x.shape[2:]:
        raise ShapeError(f"expected non-empty height and width, got shape {input.shape}",
                         subject)
    sizes = tuple(int(s) if v is None else int(v) for v, s in zip(output_size, x.shape[2:]))
    out, indices = _adaptive_max(x, sizes, return_indices)
    if unbatched:
        out, indices = out[0], None if indices is None else indices[0]
    return (out, indices) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over PyTorch's adaptive bins: (N, C, L) or (C, L) -> (..., output_size); with
    ``return_indices`` also the int64 position in L of each maximum."""
    subject = "adaptive_max_pool1d()"
    size = _adaptive_size_1d(output_size, subject)
    x, unbatched = _signal(input, subject)
    if x.shape[3] == 0:
        raise ShapeError(f"expected a non-empty length, got shape {input.shape}", subject)
    out, indices = _adaptive_max(x, (1, size), return_indices)
    out = _back_to_1d(out, unbatched)
    if not return_indices:
        return out
    return out, _back_to_1d(indices, unbatched)


# --------------------------------------------------------------------- instance norm
def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalise each (sample, channel) of an (N, C, *) input over its own * values.

    ``use_input_stats=True``: each instance's mean and biased variance; the given
    ``running_mean``/``running_var`` (C,) are then updated in place with the batch
    average of the instance statistics (variance unbiased), as PyTorch does.
    ``use_input_stats=False``: normalise with the running statistics. ``weight`` /
    ``bias`` (C,) are optional. Computed as batch norm of the (1, N*C, *) reshaped
    input, so the gradient is batch norm's (:mod:`scratchcnn.ops.batchnorm`)."""
    subject = "instance_norm()"
    _check_float(input, subject)
    if input.ndim < 2:
        raise ShapeError(f"expected input of shape (N, C, *), got {input.ndim}-D input of "
                         f"shape {input.shape}", subject)
    n, c, spatial = input.shape[0], input.shape[1], input.shape[2:]
    count = int(np.prod(spatial))
    if use_input_stats and count <= 1:
        raise ShapeError(f"expected more than 1 spatial element when training, got input of "
                         f"shape {input.shape}", subject)
    eps = _eps(eps, subject)
    stats = []
    for value, name in ((running_mean, "running_mean"), (running_var, "running_var")):
        if value is not None and (not isinstance(value, Tensor) or value.shape != (c,)):
            raise ShapeError(f"expected {name} of shape ({c},), got "
                             f"{getattr(value, 'shape', value)!r}", subject)
        stats.append(None if value is None else value._array)
    weight = _affine_param(weight, "weight", (c,), input, subject)
    bias = _affine_param(bias, "bias", (c,), input, subject)
    x = input.reshape((1, n * c) + spatial)
    if use_input_stats:
        mean, var = bn_op.batch_statistics(x._array)
    elif stats[0] is None or stats[1] is None:
        raise ArgumentError("needs running_mean and running_var when use_input_stats=False",
                            subject)
    else:
        mean, var = np.tile(stats[0], n), np.tile(stats[1], n)
    out = apply(bn_op.batch_norm_forward, bn_op.batch_norm_backward, x,
                None if weight is None else weight.repeat(n),
                None if bias is None else bias.repeat(n), mean=mean, var=var, eps=eps,
                training=bool(use_input_stats))
    if use_input_stats and (stats[0] is not None or stats[1] is not None):
        momentum = _number(momentum, "momentum", subject)
        new = bn_op.running_stats_update(stats[0], stats[1], mean.reshape(n, c).mean(0),
                                         var.reshape(n, c).mean(0), count, momentum)
        for array, value in zip(stats, new):
            if array is not None:
                array[...] = value
    return out.reshape(input.shape)


# --------------------------------------------------------------------- activations
def implicit_softmax_dim(name, ndim, stacklevel):
    """PyTorch's deprecated choice when softmax gets no dim: 0 for 0-, 1- and 3-D inputs
    (a vector; one unbatched image (C, H, W)), else 1; with its UserWarning, reported
    ``stacklevel`` frames up (at the code that called softmax)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the "
                  "call to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def prelu(input, weight):
    """max(0, x) + weight * min(0, x), ``weight`` (C,) along axis 1 of (N, C, *), or one
    element for any input. See :mod:`scratchcnn.ops.piecewise`."""
    subject = "prelu()"
    _check_float(input, subject)
    if not isinstance(weight, Tensor) or weight.ndim != 1:
        raise ShapeError(f"expected a 1-D weight tensor, got "
                         f"{getattr(weight, 'shape', type(weight).__name__)}", subject)
    if weight.dtype != input.dtype:
        raise DTypeError(f"got input of dtype {input.dtype} but weight of dtype "
                         f"{weight.dtype}", subject)
    channels = weight.shape[0]
    if channels == 1:
        shape = (1,) * input.ndim
    elif input.ndim >= 2 and input.shape[1] == channels:
        shape = (1, channels) + (1,) * (input.ndim - 2)
    else:
        raise ShapeError(f"weight of {channels} parameters needs an input with {channels} "
                         f"channels along dim 1, got input of shape {input.shape}", subject)
    return apply(piecewise.prelu_forward, piecewise.prelu_backward, input, weight, shape=shape)


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else ``value``; ``inplace=True`` overwrites ``input``."""
    subject = "threshold()"
    _check_float(input, subject)
    params = dict(threshold=_number(threshold, "threshold", subject),
                  value=_number(value, "value", subject))
    if inplace:
        return input._inplace_via(lambda t: apply(piecewise.threshold_forward,
                                                  piecewise.threshold_backward, t, **params))
    return apply(piecewise.threshold_forward, piecewise.threshold_backward, input, **params)
