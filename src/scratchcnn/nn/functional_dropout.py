"""Channel-wise dropout, as ``torch.nn.functional.dropout1d/2d/3d``.

Re-exported by :mod:`scratchcnn.nn.functional`. Each zeroes whole channels (every
value of a (sample, channel) pair at once) with probability ``p`` and scales the kept
ones by 1/(1-p); with ``training=False`` it is the identity. ``inplace=True`` writes
the result into ``input``. See :mod:`scratchcnn.ops.channel_dropout`.
"""

import numbers
import warnings

from .. import random
from ..autograd import apply
from ..errors import ArgumentError, ShapeError
from ..ops import channel_dropout
from ..tensor import Tensor


def check_p(p, subject):
    """``p`` must be a number in [0, 1]."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ArgumentError(f"dropout probability has to be between 0 and 1, but got {p!r}",
                            subject)
    return float(p)


def _channel_dropout(input, p, training, inplace, batched, subject):
    if not isinstance(input, Tensor):
        raise TypeError(f"{subject} expects input to be a scratchcnn Tensor, got "
                        f"{type(input).__name__}")
    p = check_p(p, subject)
    if not training or p == 0:
        return input
    if input.ndim < 2:
        raise ShapeError(f"Feature dropout requires at least 2 dimensions in the input, got "
                         f"shape {tuple(input.shape)}", subject)
    keep = 2 if batched else 1   # (N, C) or (C,) draw, broadcast over the rest
    mask_shape = tuple(input.shape[:keep]) + (1,) * (input.ndim - keep)

    def compute(x):
        return apply(channel_dropout.channel_dropout_forward,
                     channel_dropout.channel_dropout_backward, x, p=p,
                     generator=random.generator(), mask_shape=mask_shape)
    return input._inplace_via(compute) if inplace else compute(input)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or unbatched (C, L) input."""
    if input.ndim not in (2, 3):
        raise ShapeError(f"Expected 2D or 3D input, but received a {input.ndim}D input. "
                         "dropout1d exists to provide channel-wise dropout on inputs with 1 "
                         "spatial dimension, a channel dimension, and an optional batch "
                         "dimension (i.e. 2D or 3D inputs).", "dropout1d()")
    return _channel_dropout(input, p, training, inplace, input.ndim == 3, "dropout1d()")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) input. As PyTorch, a 3-D input is read as
    (N, C, L) with a warning (not as an unbatched (C, H, W)), and other ranks warn and
    drop along axis 1."""
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is "
                      "deprecated and will result in an error in a future release. To retain "
                      "the behavior and silence this warning, please use dropout instead. Note "
                      "that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", stacklevel=2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim. This behavior will change "
                      "in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout "
                      "behavior, please switch to using dropout1d instead.", stacklevel=2)
    return _channel_dropout(input, p, training, inplace, True, "dropout2d()")


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or unbatched (C, D, H, W) input."""
    if input.ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is "
                      "deprecated and will result in an error in a future release. To retain "
                      "the behavior and silence this warning, please use dropout instead. Note "
                      "that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 4D or 5D inputs).", stacklevel=2)
    return _channel_dropout(input, p, training, inplace, input.ndim != 4, "dropout3d()")
