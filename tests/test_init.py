"""``nn.init``: every function of ``torch.nn.init`` exists with PyTorch's signature, draws
from the same distribution (checked statistically: mean, std, bounds), fills exactly
where the result is deterministic, and honours ``generator=``."""

import inspect
import math
import warnings

import numpy as np
import pytest
import torch

import scratchcnn as sc
from scratchcnn.nn import init

from conftest import assert_close

PUBLIC = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
          "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
          "kaiming_normal_", "orthogonal_", "sparse_", "_calculate_fan_in_and_fan_out",
          "_calculate_correct_fan"]
DEPRECATED = ["uniform", "normal", "constant", "eye", "dirac", "xavier_uniform",
              "xavier_normal", "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"]


@pytest.mark.parametrize("name", PUBLIC)
def test_every_init_function_has_torchs_parameters_and_defaults(name):
    ours = inspect.signature(getattr(init, name)).parameters
    theirs = inspect.signature(getattr(torch.nn.init, name)).parameters
    assert list(ours) == list(theirs)
    for key in theirs:
        assert ours[key].default == theirs[key].default, key
        assert ours[key].kind == theirs[key].kind, key


@pytest.mark.parametrize("name", DEPRECATED)
def test_deprecated_names_warn_like_torch_and_still_work(name):
    tensor = sc.empty(3, 4, 3) if name == "dirac" else sc.empty(3, 4)
    args = {"constant": (2.0,), "sparse": (0.5,)}.get(name, ())
    with pytest.warns(FutureWarning, match=f"nn.init.{name}` is now deprecated"):
        assert getattr(init, name)(tensor, *args) is tensor


NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh", "relu",
                  "leaky_relu", "selu"]


@pytest.mark.parametrize("name", NONLINEARITIES)
@pytest.mark.parametrize("param", [None, 0.2, 3])
def test_calculate_gain_equals_torchs(name, param):
    assert init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)


def test_calculate_gain_errors_like_torch():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("softmax")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "0.1")


@pytest.mark.parametrize("shape", [(5, 3), (8, 4, 3), (6, 2, 3, 5), (2, 3, 2, 2, 2)])
def test_fans_and_correct_fan_equal_torchs(shape):
    ours, theirs = sc.empty(*shape), torch.empty(*shape)
    assert init._calculate_fan_in_and_fan_out(ours) == \
        torch.nn.init._calculate_fan_in_and_fan_out(theirs)
    for mode in ("fan_in", "fan_out", "FAN_IN"):
        assert init._calculate_correct_fan(ours, mode) == \
            torch.nn.init._calculate_correct_fan(theirs, mode)
    with pytest.raises(ValueError, match="Fan in and fan out"):
        init._calculate_fan_in_and_fan_out(sc.empty(4))
    with pytest.raises(ValueError, match="Mode fan_middle not supported"):
        init.kaiming_uniform_(sc.empty(3, 3), mode="fan_middle")


# --------------------------------------------------------------------- distributions
N = 200_000


def stats(tensor):
    values = tensor.numpy().astype(np.float64).ravel()
    return values.mean(), values.std(), values.min(), values.max()


def close_to(value, expected, spread, count=N):
    """Within 6 standard errors of the sampling distribution (a false alarm in ~1e9 runs)."""
    assert abs(value - expected) <= 6 * spread / math.sqrt(count), (value, expected)


def test_uniform_and_normal_match_their_distribution():
    mean, std, low, high = stats(init.uniform_(sc.empty(N), -2.0, 3.0))
    close_to(mean, 0.5, 5 / math.sqrt(12))
    close_to(std, 5 / math.sqrt(12), 5 / math.sqrt(12))
    assert -2.0 <= low and high <= 3.0 and low < -1.99 and high > 2.99
    mean, std, _, _ = stats(init.normal_(sc.empty(N), 1.5, 0.5))
    close_to(mean, 1.5, 0.5)
    close_to(std, 0.5, 0.5)


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04),
                                             (1.0, 2.0, 0.0, 1.5), (0.0, 1.0, 1.0, 3.0)])
def test_trunc_normal_has_the_truncated_moments(mean, std, a, b):
    # Moments of a normal truncated to [a, b] (closed form).
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2           # noqa: E731
    mass = cdf(beta) - cdf(alpha)
    expected_mean = mean + std * (pdf(alpha) - pdf(beta)) / mass
    variance = std ** 2 * (1 + (alpha * pdf(alpha) - beta * pdf(beta)) / mass
                           - ((pdf(alpha) - pdf(beta)) / mass) ** 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got_mean, got_std, low, high = stats(init.trunc_normal_(sc.empty(N, dtype=sc.float64),
                                                                mean, std, a, b))
    assert a <= low and high <= b
    close_to(got_mean, expected_mean, math.sqrt(variance))
    close_to(got_std, math.sqrt(variance), math.sqrt(variance))


@pytest.mark.parametrize("shape", [(400, 500), (256, 128, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, math.sqrt(2)])
def test_xavier_bounds_and_std(shape, gain):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(sc.empty(*shape))
    count = int(np.prod(shape))
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    mean, std, low, high = stats(init.xavier_uniform_(sc.empty(*shape), gain=gain))
    assert -bound <= low and high <= bound and high > 0.99 * bound
    close_to(std, bound / math.sqrt(3), bound / math.sqrt(3), count)
    mean, std, _, _ = stats(init.xavier_normal_(sc.empty(*shape), gain=gain))
    expected = gain * math.sqrt(2 / (fan_in + fan_out))
    close_to(mean, 0, expected, count)
    close_to(std, expected, expected, count)


@pytest.mark.parametrize("a, mode, nonlinearity", [(0, "fan_in", "leaky_relu"),
                                                   (math.sqrt(5), "fan_in", "leaky_relu"),
                                                   (0, "fan_out", "relu"), (0.2, "fan_in", "tanh")])
def test_kaiming_bounds_and_std(a, mode, nonlinearity):
    shape = (300, 60, 3, 3)
    fan = init._calculate_correct_fan(sc.empty(*shape), mode)
    std_expected = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    count = int(np.prod(shape))
    _, std, low, high = stats(init.kaiming_uniform_(sc.empty(*shape), a, mode, nonlinearity))
    bound = math.sqrt(3) * std_expected
    assert -bound <= low and high <= bound and high > 0.99 * bound
    close_to(std, std_expected, std_expected, count)
    mean, std, _, _ = stats(init.kaiming_normal_(sc.empty(*shape), a, mode, nonlinearity))
    close_to(mean, 0, std_expected, count)
    close_to(std, std_expected, std_expected, count)


def test_kaiming_on_an_empty_tensor_warns_like_torch():
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        init.kaiming_uniform_(sc.empty(0, 3))


# --------------------------------------------------------------------- deterministic fills
@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4)])
def test_eye_constant_ones_zeros_equal_torchs(shape):
    assert_close(init.eye_(sc.empty(*shape)), torch.nn.init.eye_(torch.empty(*shape)))
    assert_close(init.constant_(sc.empty(*shape), 0.3), torch.full(shape, 0.3), np.float32)
    assert (init.ones_(sc.empty(*shape)).numpy() == 1).all()
    assert (init.zeros_(sc.empty(*shape)).numpy() == 0).all()
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(sc.empty(2, 2, 2))


@pytest.mark.parametrize("shape, groups", [((4, 4, 3), 1), ((6, 4, 3, 3), 2), ((3, 6, 5, 4), 3),
                                           ((4, 2, 3, 3, 3), 2), ((8, 3, 2, 2), 1)])
def test_dirac_equals_torchs(shape, groups):
    assert_close(init.dirac_(sc.empty(*shape), groups),
                 torch.nn.init.dirac_(torch.empty(*shape), groups))


def test_dirac_conv_is_the_identity():
    x = sc.randn(2, 3, 6, 6)
    weight = init.dirac_(sc.empty(3, 3, 3, 3))
    assert_close(sc.nn.functional.conv2d(x, weight, padding=1), x, np.float32)
    with pytest.raises(ValueError, match="divisible by groups"):
        init.dirac_(sc.empty(5, 3, 3), groups=2)


@pytest.mark.parametrize("shape", [(3, 7), (7, 3), (5, 5), (4, 2, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_orthogonal_rows_or_columns_are_orthonormal(shape, gain):
    w = init.orthogonal_(sc.empty(*shape, dtype=sc.float64), gain=gain).numpy()
    flat = w.reshape(shape[0], -1)
    product = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(product, gain ** 2 * np.eye(len(product)), atol=1e-12)


def test_sparse_zeroes_the_fraction_of_every_column():
    w = init.sparse_(sc.empty(10, 400, dtype=sc.float64), sparsity=0.25, std=0.5).numpy()
    assert ((w == 0).sum(axis=0) == math.ceil(0.25 * 10)).all()
    close_to(w[w != 0].std(), 0.5, 0.5, int((w != 0).sum()))
    with pytest.raises(ValueError, match="2 dimensions"):
        init.sparse_(sc.empty(2, 2, 2), 0.1)


# --------------------------------------------------------------------- generator, in place
@pytest.mark.parametrize("name, args", [("uniform_", ()), ("normal_", ()), ("trunc_normal_", ()),
                                        ("xavier_uniform_", ()), ("xavier_normal_", ()),
                                        ("kaiming_uniform_", ()), ("kaiming_normal_", ()),
                                        ("orthogonal_", ()), ("sparse_", (0.3,))])
def test_generator_makes_draws_reproducible_and_leaves_the_global_one_alone(name, args):
    function = getattr(init, name)
    generator = sc.Generator().manual_seed(7)
    sc.manual_seed(0)
    first = function(sc.empty(6, 5), *args, generator=generator).numpy().copy()
    after_first = sc.rand(1).item()
    generator.manual_seed(7)
    sc.manual_seed(0)
    second = function(sc.empty(6, 5), *args, generator=generator).numpy()
    np.testing.assert_array_equal(first, second)
    assert sc.rand(1).item() == after_first       # the global generator was not used
    assert not np.array_equal(first, function(sc.empty(6, 5), *args).numpy())
    with pytest.raises(TypeError, match="generator"):
        function(sc.empty(6, 5), *args, generator=3)


def test_init_fills_in_place_without_a_graph_and_bumps_the_version():
    layer = sc.nn.Linear(4, 3)
    version = layer.weight._version
    result = init.constant_(layer.weight, 0.5)
    assert result is layer.weight and result.requires_grad and result.is_leaf
    assert layer.weight._version == version + 1
    assert (layer.weight.numpy() == 0.5).all() and layer.weight.dtype == np.float32
