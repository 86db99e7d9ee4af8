"""Batch normalisation (``BatchNorm1d``/``2d``/``3d``: each channel over the batch) and
instance normalisation (``InstanceNorm1d``/``2d``/``3d``: each channel of each sample on
its own). Math in :mod:`scratchcnn.ops.batchnorm`."""

import warnings

import numpy as np

from ..dtypes import float_or_default
from . import checks, functional as F
from .module import Module, Parameter


class _NormBase(Module):
    """What the batch and instance norms share: PyTorch's arguments, the parameters
    ``weight``/``bias`` (C,) and the buffers ``running_mean``/``running_var`` (C,),
    ``num_batches_tracked`` (int64), in PyTorch's ``state_dict`` order."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        subject = f"{type(self).__name__}({num_features!r})"
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)):
            raise TypeError(f"{subject} expects num_features to be an int, got "
                            f"{num_features!r}")
        checks.check_positive((num_features,), "num_features", subject)
        if momentum is not None and (isinstance(momentum, bool) or not isinstance(
                momentum, (int, float, np.floating))):
            raise F.ArgumentError(f"expects momentum to be a number or None, got "
                                  f"{momentum!r}", subject)
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = float_or_default(dtype)
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

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """Batch normalisation of (N, C, *) input over every axis but the channel axis 1.
    Subclasses set the accepted ranks ``_ndims`` and the ``_layout`` shown in errors."""

    def forward(self, x):
        # Check first, so that a rejected batch leaves num_batches_tracked unchanged.
        subject = f"{type(self).__name__}({self.num_features})"
        checks.check_tensor(x, "input", subject)
        if x.ndim not in self._ndims:
            raise F.ShapeError(f"expected {' or '.join(f'{n}-D' for n in self._ndims)} input "
                               f"of shape {self._layout.replace('C', str(self.num_features))}"
                               f", got {x.ndim}-D input of shape {x.shape}", subject)
        checks.check_batch_norm_input(x, self.num_features, self.training, subject,
                                 ndim=x.ndim)
        if self.weight is not None:
            checks.check_same_dtype(x, self.weight, subject)
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
        if len(shape) not in self._ndims or shape[1] != self.num_features:
            raise F.ShapeError(f"expected input of shape "
                               f"{self._layout.replace('C', str(self.num_features))}, got "
                               f"{shape}", repr(self))
        return shape


class BatchNorm2d(_BatchNorm):
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

    _ndims, _layout = (4,), "(N, C, H, W)"


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input, ``torch.nn.BatchNorm1d``: the
    statistics of channel c run over its N (or N*L) values; otherwise as
    :class:`BatchNorm2d` (same arguments, parameters and ``state_dict`` keys).

    >>> import scratchcnn as sc
    >>> tuple(sc.nn.BatchNorm1d(4)(sc.randn(8, 4)).shape)
    (8, 4)
    """

    _ndims, _layout = (2, 3), "(N, C) or (N, C, L)"


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) input, ``torch.nn.BatchNorm3d``; otherwise
    as :class:`BatchNorm2d`."""

    _ndims, _layout = (5,), "(N, C, D, H, W)"


class _InstanceNorm(_NormBase):
    """Instance normalisation of (N, C, *) input, ``torch.nn.InstanceNorm{1,2,3}d``:
    each channel of each sample is normalised over its own spatial values.

    Equations, per (n, c) over its prod(*) values (m of them)::

        mu = mean(x[n, c]),  var = mean((x[n, c] - mu)^2)             (biased)
        y[n, c] = weight_c * (x[n, c] - mu) / sqrt(var + eps) + bias_c

    Defaults differ from batch norm, as in PyTorch: ``affine=False`` (no parameters)
    and ``track_running_stats=False`` (no buffers). With tracked statistics, training
    updates ``running_mean``/``running_var`` with the batch average of the instance
    statistics (variance unbiased) and eval mode normalises with them;
    ``num_batches_tracked`` is kept in the ``state_dict`` but, as in PyTorch, not counted
    (``momentum=None`` means 0). The unbatched input (C, *) is accepted too.
    See :func:`scratchcnn.nn.functional.instance_norm`.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, x):
        subject = f"{type(self).__name__}({self.num_features})"
        checks.check_tensor(x, "input", subject)
        spatial = self._spatial
        if x.ndim not in (spatial + 1, spatial + 2):
            raise F.ShapeError(f"expected {spatial + 1}-D or {spatial + 2}-D input of shape "
                               f"{self._layout}, got {x.ndim}-D input of shape {x.shape}",
                               subject)
        channel_axis = x.ndim - spatial - 1
        if x.shape[channel_axis] != self.num_features:
            if self.affine or self.track_running_stats:
                raise F.ShapeError(f"expected input with {self.num_features} channels along "
                                   f"dim {channel_axis}, got shape {x.shape}", subject)
            # PyTorch only warns: without parameters or buffers num_features is unused.
            warnings.warn(f"input's size at dim={channel_axis} does not match num_features. "
                          "You can silence this warning by not passing in num_features, "
                          "which is not used because affine=False", stacklevel=4)
        unbatched = x.ndim == spatial + 1
        out = F.instance_norm(
            x.unsqueeze(0) if unbatched else x, self.running_mean, self.running_var,
            self.weight, self.bias, self.training or not self.track_running_stats,
            0.0 if self.momentum is None else self.momentum, self.eps)
        return out.squeeze(0) if unbatched else out

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) not in (self._spatial + 1, self._spatial + 2):
            raise F.ShapeError(f"expected input of shape {self._layout}, got {shape}",
                               repr(self))
        return shape


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) or (C, L) input; see :class:`_InstanceNorm`."""

    _spatial, _layout = 1, "(N, C, L) or (C, L)"


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) or (C, H, W) input (style transfer, GAN
    generators); see :class:`_InstanceNorm` for the equations and defaults.

    >>> import scratchcnn as sc
    >>> sc.nn.InstanceNorm2d(3)
    InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)
    """

    _spatial, _layout = 2, "(N, C, H, W) or (C, H, W)"


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of (N, C, D, H, W) or (C, D, H, W) input."""

    _spatial, _layout = 3, "(N, C, D, H, W) or (C, D, H, W)"
