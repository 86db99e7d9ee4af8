"""Convolution and pooling on Tensors (``torch.nn.functional``'s conv2d,
conv_transpose2d, max_pool2d, avg_pool2d, adaptive_avg_pool2d): the arguments checked
(:mod:`.checks`), then the op's forward and backward pair run through autograd.
:mod:`scratchcnn.nn.functional` re-exports all of them.

>>> import scratchcnn as sc
>>> conv2d(sc.ones(1, 1, 4, 4), sc.ones(1, 1, 3, 3)).shape
torch.Size([1, 1, 2, 2])
"""

import numbers

from .. import dispatch
from ..autograd import apply
from ..errors import ArgumentError, DTypeError, ShapeError
from ..ops import adaptive_pool
from ..ops import conv_transpose as conv_transpose_op
from .checks import (check_bias, check_divisible, check_float_input as _check_float_input,
                     check_groups, check_image_batch, check_non_negative, check_positive,
                     check_same_dtype, check_tensor, check_window_fits, conv_padding,
                     is_float_tensor as _is_float_tensor, pair, unbatched as _unbatched)

__all__ = ["conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "adaptive_output_size", "resolve_output_size", "adaptive_avg_pool2d"]


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
