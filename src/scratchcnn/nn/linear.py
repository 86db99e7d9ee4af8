"""Fully connected layers, and the reshaping that feeds them. Math in :mod:`scratchcnn.ops.linear`."""

import numpy as np

from ..dtypes import float_or_default
from . import checks, functional as F
from .init import default_layer_init_
from .module import Module, Parameter


class Linear(Module):
    """y = x W^T + b, ``torch.nn.Linear``'s arguments and parameter shapes.

    Shapes: input (..., in_features) -> output (..., out_features);
    ``weight`` (out_features, in_features), ``bias`` (out_features,).
    Parameters: in_features * out_features + out_features.

    >>> import scratchcnn as sc
    >>> sc.nn.Linear(9216, 4096)
    Linear(in_features=9216, out_features=4096, bias=True)
    """

    def __init__(self, in_features, out_features, bias=True, dtype=None):
        super().__init__()
        subject = f"Linear({in_features}, {out_features})"
        for value, name in ((in_features, "in_features"), (out_features, "out_features")):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"{subject} expects {name} to be an int, got {value!r}")
            checks.check_non_negative((value,), name, subject)
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = float_or_default(dtype)
        self.weight = Parameter(np.empty((out_features, in_features), dtype))
        self.register_parameter("bias", Parameter(np.empty(out_features, dtype)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        default_layer_init_(self.weight, self.bias)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def output_shape(self, input_shape):
        if not input_shape or input_shape[-1] != self.in_features:
            raise F.ShapeError(f"expected input (..., {self.in_features}), got "
                               f"{tuple(input_shape)}", repr(self))
        return (*input_shape[:-1], self.out_features)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Flatten(Module):
    """Merge axes ``start_dim..end_dim`` into one: (N, 256, 6, 6) -> (N, 9216)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        start, end = self.start_dim % len(shape), self.end_dim % len(shape)
        return shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:]

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """Returns its input unchanged (a placeholder layer)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x

    def output_shape(self, input_shape):
        return tuple(input_shape)


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size`` (the inverse of :class:`Flatten`):
    ``Unflatten(1, (256, 4, 4))`` turns (N, 4096) into (N, 256, 4, 4), as in DCGAN-style
    generators. One entry may be -1.

    >>> import scratchcnn as sc
    >>> tuple(sc.nn.Unflatten(1, (2, 3))(sc.zeros(4, 6)).shape)
    (4, 2, 3)
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"Unflatten expects dim to be an int, got {dim!r}")
        if not isinstance(unflattened_size, (tuple, list)) or not all(
                isinstance(s, (int, np.integer)) and not isinstance(s, bool)
                for s in unflattened_size):
            raise TypeError(f"Unflatten expects unflattened_size to be a tuple of ints, got "
                            f"{unflattened_size!r}")
        self.dim, self.unflattened_size = int(dim), unflattened_size

    def forward(self, x):
        return x.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
