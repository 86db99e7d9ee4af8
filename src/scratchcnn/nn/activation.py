"""Activation layers: the non-linearities between the linear layers (PReLU learns its
negative slope; the others have no parameters)."""

import numbers

import numpy as np

from ..dtypes import float_or_default
from ..device import check_device
from . import functional as F
from .module import Module, Parameter


class _Elementwise(Module):
    """Activations keep the shape of their input."""

    def output_shape(self, input_shape):
        return tuple(input_shape)


class ReLU(_Elementwise):
    """max(0, x). The derivative at exactly 0 is 0, as in PyTorch.

    >>> import scratchcnn as sc
    >>> sc.nn.ReLU()(sc.tensor([-1.0, 0.0, 2.0]))
    tensor([0., 0., 2.])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace  # True: overwrite the input, as PyTorch does

    def forward(self, x):
        return F.relu(x, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(_Elementwise):
    """x if x > 0 else negative_slope * x."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope, inplace=self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace
                                                          else "")


class Tanh(_Elementwise):
    """tanh(x), in (-1, 1)."""

    def forward(self, x):
        return F.tanh(x)


class Sigmoid(_Elementwise):
    """1 / (1 + exp(-x)), in (0, 1)."""

    def forward(self, x):
        return F.sigmoid(x)


class Softmax(_Elementwise):
    """exp(x_i) / sum_j exp(x_j) along ``dim``: a probability distribution."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        # _stacklevel: a dim=None warning points at the line that called the module.
        return F.softmax(x, self.dim, _stacklevel=6)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax(x)) along ``dim``, computed without overflow."""

    def forward(self, x):
        return F.log_softmax(x, self.dim, _stacklevel=6)


class Softmax2d(_Elementwise):
    """Softmax over the channels at every pixel: dim -3 of (N, C, H, W) or (C, H, W)."""

    def forward(self, x):
        if x.ndim not in (3, 4):
            raise F.ShapeError(f"expected input of shape (N, C, H, W) or (C, H, W), got "
                               f"{x.ndim}-D input of shape {x.shape}", "Softmax2d()")
        return F.softmax(x, -3)


class PReLU(_Elementwise):
    """max(0, x) + a * min(0, x) with a learned slope ``a``: one shared
    (``num_parameters=1``) or one per channel (dim 1 of the input), ``torch.nn.PReLU``.

    Parameter: ``weight`` (num_parameters,) = ``init``. See :mod:`scratchcnn.ops.piecewise`.

    >>> import scratchcnn as sc
    >>> sc.nn.PReLU()(sc.tensor([-2.0, 3.0]))
    tensor([-0.5,  3. ], grad_fn=<PreluBackward0>)
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        subject = f"PReLU({num_parameters!r})"
        check_device(device, subject)
        if isinstance(num_parameters, bool) or not isinstance(num_parameters, numbers.Integral) \
                or num_parameters < 1:
            raise F.ArgumentError(f"expects num_parameters to be a positive int, got "
                                  f"{num_parameters!r}", subject)
        self.num_parameters, self.init = int(num_parameters), init
        self.weight = Parameter(np.empty(self.num_parameters, float_or_default(dtype)))
        self.reset_parameters()

    def reset_parameters(self):
        self.weight._array[...] = self.init

    def forward(self, x):
        return F.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Threshold(_Elementwise):
    """x if x > threshold else value."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, x):
        return F.threshold(x, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + (
            ", inplace=True" if self.inplace else "")


# --------------------------------------------------------------------- smooth & hard activations
# Formulas and derivatives in :mod:`scratchcnn.ops.smooth_activation`.
class _InplaceElementwise(_Elementwise):
    """An activation with PyTorch's ``inplace=`` flag."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ReLU6(_InplaceElementwise):
    """min(max(0, x), 6)."""

    def forward(self, x):
        return F.relu6(x, inplace=self.inplace)


class Hardsigmoid(_InplaceElementwise):
    """relu6(x + 3) / 6."""

    def forward(self, x):
        return F.hardsigmoid(x, inplace=self.inplace)


class Hardswish(_InplaceElementwise):
    """x * relu6(x + 3) / 6."""

    def forward(self, x):
        return F.hardswish(x, inplace=self.inplace)


class SiLU(_InplaceElementwise):
    """x * sigmoid(x)."""

    def forward(self, x):
        return F.silu(x, inplace=self.inplace)


class Mish(_InplaceElementwise):
    """x * tanh(softplus(x))."""

    def forward(self, x):
        return F.mish(x, inplace=self.inplace)


class SELU(_InplaceElementwise):
    """1.0507 * elu(x, 1.6733): self-normalising."""

    def forward(self, x):
        return F.selu(x, inplace=self.inplace)


class Hardtanh(_Elementwise):
    """clip(x, min_val, max_val)."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if min_val > max_val:
            raise F.ArgumentError(f"expects min_val <= max_val, got min_val={min_val}, "
                                  f"max_val={max_val}", "Hardtanh()")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val, inplace=self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + (
            ", inplace=True" if self.inplace else "")


class ELU(_Elementwise):
    """x if x > 0 else alpha * (exp(x) - 1)."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, x):
        return F.elu(x, self.alpha, inplace=self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(_Elementwise):
    """x * Phi(x); ``approximate='tanh'`` for the tanh approximation."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise F.ArgumentError(f"approximate must be 'none' or 'tanh', got "
                                  f"{approximate!r}", "GELU()")
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softplus(_Elementwise):
    """log(1 + exp(beta * x)) / beta, linear above ``threshold``."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class LogSigmoid(_Elementwise):
    """log(sigmoid(x))."""

    def forward(self, x):
        return F.logsigmoid(x)
