"""Weight initialisation: every function of ``torch.nn.init``, with its signature and
distribution.

Each function fills its tensor in place (no gradient is recorded) and returns it. The
random ones draw from ``generator`` (a :class:`scratchcnn.Generator`) when given, else
from :func:`scratchcnn.manual_seed`'s global generator: reproducible, but not the
same numbers as PyTorch's.

Fans, for a weight (out, in, *kernel): ``fan_in = in * prod(kernel)``,
``fan_out = out * prod(kernel)``.

>>> import scratchcnn as sc
>>> w = sc.nn.init.eye_(sc.empty(2, 3))
>>> w
tensor([[1., 0., 0.],
        [0., 1., 0.]])
"""

import math
import warnings

import numpy as np

from .. import random

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_",
           "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_"]

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d")


def calculate_gain(nonlinearity, param=None):
    """The gain PyTorch recommends for each non-linearity: 1 (linear, conv*, sigmoid),
    5/3 (tanh), sqrt(2) (relu), sqrt(2 / (1 + slope^2)) (leaky_relu, slope ``param``,
    default 0.01), 3/4 (selu)."""
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight of at least 2 dimensions."""
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         f"dimensions (got shape {tuple(tensor.shape)})")
    receptive_field = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


calculate_fan_in_and_fan_out = _calculate_fan_in_and_fan_out   # the older public name


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower() if isinstance(mode, str) else mode
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, values):
    """Write ``values`` into the tensor's memory (an in-place change: version bumped)."""
    tensor._array[...] = values
    tensor._vc[0] += 1
    return tensor


def _rng(generator):
    return random.numpy_generator(generator)


# --------------------------------------------------------------------- plain distributions
def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with U(a, b)."""
    return _fill(tensor, _rng(generator).uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with N(mean, std^2)."""
    return _fill(tensor, _rng(generator).normal(mean, std, tensor.shape))


def _norm_cdf(x):
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std^2) truncated to [a, b] (``a``, ``b`` absolute bounds).

    Rejection sampling, redrawing only the rejected entries (a whole-array step per
    round): from the normal itself when [a, b] holds more than 30% of its mass, else
    from U(a, b) accepted with probability exp(-(x - mean)^2 / 2std^2) / peak, as
    PyTorch does."""
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    rng, shape = _rng(generator), tensor.shape
    mass = _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std)
    values = np.empty(shape)
    pending = np.ones(shape, dtype=bool)
    peak = -0.5 * ((max(a, min(mean, b)) - mean) / std) ** 2
    while pending.any():
        count = int(pending.sum())
        if mass > 0.3:
            draw = rng.normal(mean, std, count)
            accepted = (draw >= a) & (draw <= b)
        else:
            draw = rng.uniform(a, b, count)
            log_density = -0.5 * ((draw - mean) / std) ** 2 - peak
            accepted = np.log(rng.uniform(size=count)) <= log_density
        index = np.flatnonzero(pending)[accepted]
        values.flat[index] = draw[accepted]
        pending.flat[index] = False
    return _fill(tensor, values)


def constant_(tensor, val):
    """Fill with ``val``."""
    return _fill(tensor, val)


def ones_(tensor):
    """Fill with 1."""
    return _fill(tensor, 1)


def zeros_(tensor):
    """Fill with 0."""
    return _fill(tensor, 0)


# --------------------------------------------------------------------- structured
def eye_(tensor):
    """The identity matrix (ones on the diagonal) in a 2-D tensor."""
    if tensor.ndim != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported, got shape "
                         f"{tuple(tensor.shape)}")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """The Dirac delta of a 3-, 4- or 5-D conv weight (out, in, *kernel): output channel
    d of each of the ``groups`` groups copies input channel d (a 1 at the kernel's centre),
    for d < min(out / groups, in); zeros elsewhere. The convolution is then the identity
    on those channels."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    if tensor.shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = tensor.shape[0] // groups
    channels = np.arange(min(per_group, tensor.shape[1]))
    values = np.zeros(tensor.shape)
    outs = (np.arange(groups)[:, None] * per_group + channels[None, :]).ravel()
    centre = tuple(s // 2 for s in tensor.shape[2:])
    values[(outs, np.tile(channels, groups)) + centre] = 1
    return _fill(tensor, values)


def orthogonal_(tensor, gain=1, generator=None):
    """A (semi-)orthogonal matrix times ``gain``: rows or columns of the (rows, prod(rest))
    view are orthonormal. The Q of the QR factorisation of a standard normal matrix,
    signs fixed by diag(R) (so Q is uniformly distributed, Mezzadri 2007)."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (q * gain).reshape(tensor.shape))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """A 2-D tensor from N(0, std^2) with ceil(sparsity * rows) random entries of every
    column set to 0 (Martens 2010)."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rng = _rng(generator)
    rows, cols = tensor.shape
    values = rng.normal(0.0, std, (rows, cols))
    zeros = math.ceil(sparsity * rows)
    # A random permutation of the rows per column (argsort of uniforms); its first
    # ``zeros`` entries are zeroed: one vectorized step instead of a loop over columns.
    chosen = rng.random((rows, cols)).argsort(axis=0)[:zeros]
    values[chosen, np.arange(cols)[None, :]] = 0
    return _fill(tensor, values)


# --------------------------------------------------------------------- scaled by fans
def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out)) (Glorot 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    return calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-bound, bound), bound = gain * sqrt(3 / fan) (He 2015); ``a`` is the leaky_relu
    slope. With a = sqrt(5) (the default of Conv and Linear layers) this is
    U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std^2), std = gain / sqrt(fan) (He 2015)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def default_layer_init_(weight, bias):
    """What Conv and Linear layers do on creation (PyTorch's ``reset_parameters``)."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound)


# --------------------------------------------------------------------- deprecated names
def _deprecated(function):
    new_name = function.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of "
                      f"`nn.init.{new_name}`.", FutureWarning, stacklevel=2)
        return function(*args, **kwargs)
    deprecated_init.__name__ = old_name
    deprecated_init.__doc__ = f"Deprecated: use :func:`{new_name}`."
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
