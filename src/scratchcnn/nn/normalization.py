"""Normalisation layers that need no batch statistics: ``LocalResponseNorm`` (each
activation by its neighbours across channels, math in :mod:`scratchcnn.ops.lrn`),
``LayerNorm`` and ``GroupNorm`` (math in :mod:`scratchcnn.ops.layernorm`)."""

import numbers

import numpy as np

from ..dtypes import float_or_default
from . import functional as F
from .module import Module, Parameter


class LocalResponseNorm(Module):
    """Local response normalisation across channels (AlexNet), ``torch.nn.LocalResponseNorm``.

    Equations, with n = ``size`` and the window of channel c running over channels
    c - floor(n/2) .. c + floor((n-1)/2), zero-padded at both ends::

        b_c = a_c * (k + (alpha / n) * sum_{c' in window(c)} a_{c'}^2)^(-beta)

    Shapes: (N, C, *) -> same shape (at least 3-D; axis 1 holds the channels).
    No parameters. AlexNet uses ``LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)``.

    >>> import scratchcnn as sc
    >>> sc.nn.LocalResponseNorm(5, k=2.0)
    LocalResponseNorm(5, alpha=0.0001, beta=0.75, k=2.0)
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        subject = f"LocalResponseNorm({size!r})"
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size <= 0:
            raise F.ArgumentError(f"expects size to be a positive int, got size={size!r}",
                                  subject)
        self.size, self.alpha, self.beta, self.k = int(size), alpha, beta, k

    def forward(self, x):
        return F.local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) < 3:
            raise F.ShapeError(f"expected input of shape (N, C, *) with at least 3 dimensions, "
                               f"got {shape}", repr(self))
        return shape

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


def _check_eps(eps, subject):
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or eps < 0:
        raise F.ArgumentError(f"expects eps >= 0, got eps={eps!r}", subject)


class LayerNorm(Module):
    """Normalise each sample over its trailing ``normalized_shape`` axes,
    ``torch.nn.LayerNorm``'s arguments, parameters and ``state_dict`` keys.

    Equations, over the D = prod(normalized_shape) values of each sample::

        y = (x - mean) / sqrt(var + eps) * weight + bias        (var biased)

    Shapes: input (*, *normalized_shape) -> same shape. Parameters
    (``elementwise_affine=True``): ``weight`` = 1 and ``bias`` = 0 (unless ``bias=False``),
    both of shape ``normalized_shape``.

    >>> import scratchcnn as sc
    >>> sc.nn.LayerNorm(8)
    LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        subject = f"LayerNorm({normalized_shape!r})"
        shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) \
            else tuple(normalized_shape)
        if not shape or not all(isinstance(d, numbers.Integral) and not isinstance(d, bool)
                                and d >= 0 for d in shape):
            raise F.ArgumentError(f"expects normalized_shape to be an int or a tuple of "
                                  f"non-negative ints, got {normalized_shape!r}", subject)
        _check_eps(eps, subject)
        self.normalized_shape = tuple(int(d) for d in shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = float_or_default(dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype))
            self.register_parameter(
                "bias", Parameter(np.zeros(self.normalized_shape, dtype)) if bias else None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if self.weight is not None:
            self.weight._array[...] = 1
        if self.bias is not None:
            self.bias._array[...] = 0

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        k = len(self.normalized_shape)
        if shape[len(shape) - k:] != self.normalized_shape or len(shape) < k:
            raise F.ShapeError(f"expected input of shape (*, {self.normalized_shape}), got "
                               f"{shape}", repr(self))
        return shape

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalise each of ``num_groups`` groups of channels per sample,
    ``torch.nn.GroupNorm``'s arguments and parameters.

    Equations, over the (C / G) * prod(*) values of each group of each sample::

        y = (x - mean) / sqrt(var + eps) * weight_c + bias_c    (var biased)

    Shapes: input (N, C, *) with C == ``num_channels`` -> same shape. Parameters
    (``affine=True``): ``weight`` (C,) = 1, ``bias`` (C,) = 0.

    >>> import scratchcnn as sc
    >>> sc.nn.GroupNorm(2, 6)
    GroupNorm(2, 6, eps=1e-05, affine=True, bias=True)
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        subject = f"GroupNorm({num_groups!r}, {num_channels!r})"
        for value, name in ((num_groups, "num_groups"), (num_channels, "num_channels")):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
                raise F.ArgumentError(f"expects {name} to be a positive int, got {value!r}",
                                      subject)
        if num_channels % num_groups:
            raise F.ArgumentError(f"num_channels ({num_channels}) must be divisible by "
                                  f"num_groups ({num_groups})", subject)
        _check_eps(eps, subject)
        self.num_groups, self.num_channels = int(num_groups), int(num_channels)
        self.eps, self.affine = eps, affine
        dtype = float_or_default(dtype)
        if affine:
            self.weight = Parameter(np.ones(self.num_channels, dtype))
            self.register_parameter(
                "bias", Parameter(np.zeros(self.num_channels, dtype)) if bias else None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if self.weight is not None:
            self.weight._array[...] = 1
        if self.bias is not None:
            self.bias._array[...] = 0

    def forward(self, x):
        if x.ndim >= 2 and x.shape[1] != self.num_channels:
            raise F.ShapeError(f"expected input with {self.num_channels} channels, shape "
                               f"(N, {self.num_channels}, *), got {x.shape[1]} channels in "
                               f"shape {x.shape}", repr(self))
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) < 2 or shape[1] != self.num_channels:
            raise F.ShapeError(f"expected input of shape (N, {self.num_channels}, *), got "
                               f"{shape}", repr(self))
        return shape

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")
