"""Argument checks of the layers and of :mod:`scratchcnn.nn.functional`, and their errors.

Each function raises a :mod:`scratchcnn.errors` class (``ArgumentError``, ``ShapeError``,
``DTypeError``) whose message says what was wrong, where (``subject``: the function or
layer) and what was expected, so that a mistake is reported in the terms of the layer,
not as a NumPy error deep inside a kernel. ``F.check_*`` (``scratchcnn.nn.functional``)
re-exports them under their old names.

>>> check_groups(2, "Conv2d")
2
>>> pair(3, "stride", "Conv2d")
(3, 3)
"""

import numbers

import numpy as np

from ..errors import ArgumentError, DTypeError, ShapeError
from ..shapes import int_pair
from ..tensor import Tensor


def pair(value, name, subject):
    """An int or a pair of ints -> (int, int): :func:`scratchcnn.shapes.int_pair`."""
    return int_pair(value, name, subject)


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


def unbatched(x, expected_ndim):
    """PyTorch also accepts (C, H, W) for one image: add the batch axis, and say so."""
    if isinstance(x, Tensor) and x.ndim == expected_ndim - 1:
        return x.unsqueeze(0), True
    return x, False


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


def check_dropout_p(p, subject):
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ArgumentError(f"dropout probability has to be between 0 and 1, got p={p!r}",
                            subject)


def is_float_tensor(t):
    """Whether ``t`` holds floating point numbers."""
    return t.dtype.kind == "f"


def check_float_input(x, subject):
    """Raise unless ``x`` holds floating point numbers."""
    if not is_float_tensor(x):
        raise DTypeError(f"expects a floating point input, got {x.dtype}", subject)


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
    check_float_input(x, subject)
    count = x.numel() // max(x.shape[1], 1)
    if training and count <= 1:
        raise ShapeError(f"expected more than 1 value per channel when training (the batch "
                         f"variance of one value is undefined), got input of shape {x.shape}",
                         subject)
    return count
