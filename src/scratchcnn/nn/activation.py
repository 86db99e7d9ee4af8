"""Activation layers (no parameters): the non-linearities between the linear layers."""

from . import functional as F
from .module import Module


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
        return F.softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax(x)) along ``dim``, computed without overflow."""

    def forward(self, x):
        return F.log_softmax(x, self.dim)


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
