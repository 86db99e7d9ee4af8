"""More activations and ``F.pad``, as in ``torch.nn.functional`` (re-exported there).

Every function checks its arguments, then runs a hand-written forward/backward pair
from :mod:`scratchcnn.ops.smooth_activation` or :mod:`scratchcnn.ops.pad`. Where PyTorch
has ``inplace=``, ``inplace=True`` overwrites the input (version counter bumped, graph
rebased), exactly like PyTorch's in-place ops.
"""

import numbers

from ..autograd import apply
from ..errors import ArgumentError, DTypeError, ShapeError
from ..ops import pad as pad_op, smooth_activation as act
from ..tensor import Tensor

__all__ = ["softplus", "hardtanh", "relu6", "hardsigmoid", "hardswish", "silu", "mish",
           "gelu", "elu", "selu", "logsigmoid", "pad"]

# PyTorch's SELU constants (Klambauer et al., 2017).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _check_float(x, subject):
    if not isinstance(x, Tensor):
        raise TypeError(f"{subject} expects input to be a scratchcnn Tensor, got "
                        f"{type(x).__name__} (wrap arrays with sc.tensor(...))")
    if x.dtype.kind != "f":
        raise DTypeError(f"expects a floating point input, got {x.dtype}", subject)


def _number(value, name, subject):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentError(f"expects {name} to be a number, got {name}={value!r}", subject)
    return float(value)


def _run(subject, forward, backward, input, inplace, **params):
    """apply() the op, or make it the input's new value when ``inplace``."""
    _check_float(input, subject)
    if inplace:
        return input._inplace_via(lambda t: apply(forward, backward, t, **params))
    return apply(forward, backward, input, **params)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, linear (x) where beta x > threshold."""
    subject = "softplus()"
    beta, threshold = _number(beta, "beta", subject), _number(threshold, "threshold", subject)
    return _run(subject, act.softplus_forward, act.softplus_backward, input, False,
                beta=beta, threshold=threshold)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clip(x, min_val, max_val); gradient 1 strictly inside, 0 elsewhere."""
    subject = "hardtanh()"
    lo, hi = _number(min_val, "min_val", subject), _number(max_val, "max_val", subject)
    if lo > hi:
        raise ArgumentError(f"expects min_val <= max_val, got min_val={lo}, max_val={hi}",
                            subject)
    return _run(subject, act.hardtanh_forward, act.hardtanh_backward, input, inplace,
                min_val=lo, max_val=hi)


def relu6(input, inplace=False):
    """min(max(0, x), 6) = hardtanh(x, 0, 6)."""
    return _run("relu6()", act.hardtanh_forward, act.hardtanh_backward, input, inplace,
                min_val=0.0, max_val=6.0)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6."""
    return _run("hardsigmoid()", act.hardsigmoid_forward, act.hardsigmoid_backward, input,
                inplace)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6 (MobileNetV3)."""
    return _run("hardswish()", act.hardswish_forward, act.hardswish_backward, input, inplace)


def silu(input, inplace=False):
    """x * sigmoid(x) (also called swish)."""
    return _run("silu()", act.silu_forward, act.silu_backward, input, inplace)


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return _run("mish()", act.mish_forward, act.mish_backward, input, inplace)


def gelu(input, approximate="none"):
    """x * Phi(x) (Phi: the standard normal CDF); ``approximate='tanh'`` uses
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate not in ("none", "tanh"):
        raise ArgumentError(f"approximate must be 'none' or 'tanh', got {approximate!r}",
                            "gelu()")
    return _run("gelu()", act.gelu_forward, act.gelu_backward, input, False,
                approximate=approximate)


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha (exp(x) - 1)."""
    subject = "elu()"
    return _run(subject, act.elu_forward, act.elu_backward, input, inplace,
                alpha=_number(alpha, "alpha", subject), scale=1.0)


def selu(input, inplace=False):
    """scale * elu(x, alpha) with PyTorch's fixed alpha and scale."""
    return _run("selu()", act.elu_forward, act.elu_backward, input, inplace,
                alpha=SELU_ALPHA, scale=SELU_SCALE)


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), computed without overflow."""
    return _run("logsigmoid()", act.logsigmoid_forward, act.logsigmoid_backward, input, False)


# --------------------------------------------------------------------- padding
PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative pads, crop) the trailing axes, as ``torch.nn.functional.pad``.

    ``pad`` lists (left, right) for the last axis first, then (top, bottom) for the one
    before, and so on: ``len(pad) // 2`` axes are padded. ``mode='constant'`` pads any
    number of axes with ``value`` (0 by default); ``'reflect'``, ``'replicate'`` and
    ``'circular'`` pad the last 1, 2 or 3 axes of a 2-3-D, 3-4-D or 4-5-D input (PyTorch's
    rule). Reflect needs each pad < the axis size, circular <= the axis size.
    See :mod:`scratchcnn.ops.pad`.
    """
    subject = "pad()"
    if not isinstance(input, Tensor):
        raise TypeError(f"{subject} expects input to be a scratchcnn Tensor, got "
                        f"{type(input).__name__}")
    if mode not in PAD_MODES:
        raise ArgumentError(f"mode must be one of {PAD_MODES}, got {mode!r}", subject)
    if not isinstance(pad, (tuple, list)) or not all(
            isinstance(p, numbers.Integral) and not isinstance(p, bool) for p in pad):
        raise ArgumentError(f"expects pad to be a tuple of ints, got {pad!r}", subject)
    if len(pad) % 2:
        raise ArgumentError(f"padding length must be divisible by 2, got {len(pad)} "
                            f"(pad={tuple(pad)})", subject)
    axes = len(pad) // 2
    if axes > input.ndim:
        raise ShapeError(f"padding length {len(pad)} pads {axes} dimensions, but the input "
                         f"of shape {input.shape} has only {input.ndim}", subject)
    if mode != "constant":
        if value not in (None, 0):
            raise ArgumentError(f"padding mode {mode!r} doesn't take a value argument, "
                                f"got value={value!r}", subject)
        if not 1 <= axes <= 3 or input.ndim not in (axes + 1, axes + 2):
            raise ShapeError(f"{mode!r} padding of size {len(pad)} is not supported for a "
                             f"{input.ndim}-D input: pad sizes 2, 4, 6 need 2-3-D, 3-4-D, "
                             f"4-5-D inputs", subject)
    # Torch lists the last axis first; the op wants the first padded axis first.
    pairs = tuple((int(pad[2 * k]), int(pad[2 * k + 1])) for k in reversed(range(axes)))
    for (before, after), size, axis in zip(pairs, input.shape[input.ndim - axes:],
                                           range(input.ndim - axes, input.ndim)):
        new = size + before + after
        if new < 0 or (new == 0 and mode != "constant"):
            raise ShapeError(f"padding ({before}, {after}) of dimension {axis} (size {size}) "
                             f"gives a size of {new}", subject)
        if mode == "reflect" and (before >= size or after >= size):
            raise ShapeError(f"reflect padding ({before}, {after}) must be smaller than the "
                             f"size {size} of dimension {axis}", subject)
        if mode == "circular" and (before > size or after > size):
            raise ShapeError(f"circular padding ({before}, {after}) can't wrap around "
                             f"dimension {axis} more than once (size {size})", subject)
        if mode == "replicate" and size == 0:
            raise ShapeError(f"replicate padding needs a non-empty dimension {axis}", subject)
    fill = 0.0 if value is None else value
    if mode == "constant" and isinstance(fill, bool):
        fill = int(fill)
    return apply(pad_op.pad_forward, pad_op.pad_backward, input, pads=pairs, mode=mode,
                 value=fill)
