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
        self.inplace = inplace  # accepted for PyTorch compatibility; results are never in place

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(_Elementwise):
    """x if x > 0 else negative_slope * x."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


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
