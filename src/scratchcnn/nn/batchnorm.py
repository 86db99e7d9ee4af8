"""``BatchNorm2d``: normalise each channel over the batch.
Math in :mod:`scratchcnn.ops.batchnorm`."""

import numpy as np

from . import functional as F
from .module import Module, Parameter


class BatchNorm2d(Module):
    """Batch normalisation of (N, C, H, W) input, ``torch.nn.BatchNorm2d``'s semantics.

    Equations, per channel c over its N*H*W values (m of them)::

        training:  mu = mean(x),  var = mean((x - mu)^2)              (biased)
                   running_mean <- (1 - momentum) * running_mean + momentum * mu
                   running_var  <- (1 - momentum) * running_var  + momentum * var * m / (m - 1)
        eval:      mu, var = running_mean, running_var
        y = weight * (x - mu) / sqrt(var + eps) + bias

    With ``momentum=None`` the running statistics are the cumulative average over all
    batches seen (the factor is 1 / num_batches_tracked). The backward pass in
    training mode includes the paths through mu and var.

    Shapes: input (N, C, H, W) -> output (N, C, H, W) with C == ``num_features``.
    Parameters (``affine=True``): ``weight`` (C,) = 1 and ``bias`` (C,) = 0.
    Buffers (``track_running_stats=True``): ``running_mean`` (C,) = 0, ``running_var``
    (C,) = 1, ``num_batches_tracked`` (int64 scalar) = 0 — the same ``state_dict`` keys,
    in the same order, as PyTorch. Without tracked statistics the batch statistics are
    used in eval mode too. ``device`` is accepted and ignored (always the CPU).

    >>> import scratchcnn as sc
    >>> bn = sc.nn.BatchNorm2d(3)
    >>> list(bn.state_dict())
    ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
    >>> y = bn(sc.randn(4, 3, 5, 5))
    >>> int(bn.num_batches_tracked.item())
    1
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        subject = f"BatchNorm2d({num_features!r})"
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)):
            raise TypeError(f"{subject} expects num_features to be an int, got "
                            f"{num_features!r}")
        F.check_positive((num_features,), "num_features", subject)
        if momentum is not None and (isinstance(momentum, bool) or not isinstance(
                momentum, (int, float, np.floating))):
            raise F.ArgumentError(f"expects momentum to be a number or None, got "
                                  f"{momentum!r}", subject)
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = np.dtype(dtype or np.float32)
        if affine:
            self.weight = Parameter(np.empty(self.num_features, dtype))
            self.register_parameter(
                "bias", Parameter(np.empty(self.num_features, dtype)) if bias else None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype))
            self.register_buffer("running_var", np.ones(self.num_features, dtype))
            self.register_buffer("num_batches_tracked", np.zeros((), np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean._array[...] = 0
            self.running_var._array[...] = 1
            self.num_batches_tracked._array[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            self.weight._array[...] = 1
            if self.bias is not None:
                self.bias._array[...] = 0

    def forward(self, x):
        # Check first, so that a rejected batch leaves num_batches_tracked unchanged.
        F.check_batch_norm_input(x, self.num_features, self.training,
                                 f"BatchNorm2d({self.num_features})", ndim=4)
        if self.weight is not None:
            F.check_same_dtype(x, self.weight, f"BatchNorm2d({self.num_features})")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._array[...] += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked._array)
        # Batch statistics while training, and in eval mode when none are tracked.
        use_batch_stats = self.training or (self.running_mean is None
                                            and self.running_var is None)
        pass_buffers = not self.training or self.track_running_stats
        return F.batch_norm(x, self.running_mean if pass_buffers else None,
                            self.running_var if pass_buffers else None, self.weight, self.bias,
                            use_batch_stats, factor, self.eps)

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) != 4 or shape[1] != self.num_features:
            raise F.ShapeError(f"expected input of shape (N, {self.num_features}, H, W), got "
                               f"{shape}", repr(self))
        return shape

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")
