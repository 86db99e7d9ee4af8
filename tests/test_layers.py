"""Dense and element-wise layers against PyTorch: linear, relu, leaky_relu, tanh, sigmoid,
softmax, log_softmax, flatten (forward and gradient), dropout's statistics, and
finite-difference checks of every hand-written backward."""

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import scratchcnn as sc
import scratchcnn.nn.functional as F
from scratchcnn import nn

from conftest import assert_close, to_torch

DTYPES = st.sampled_from([np.float64, np.float32])
shapes = st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple)


def forward_backward(ours_fn, torch_fn, x, dtype=np.float64, seed=0, **tolerance):
    """Apply both to ``x``, backward the same random gradient, compare output and dx."""
    xs, xt = sc.tensor(x, requires_grad=True), to_torch(x, True)
    y_ours, y_theirs = ours_fn(xs), torch_fn(xt)
    assert y_ours.shape == tuple(y_theirs.shape)
    assert y_ours.dtype == x.dtype
    assert_close(y_ours, y_theirs, dtype, **tolerance)
    g = np.random.default_rng(seed).standard_normal(y_ours.shape).astype(x.dtype)
    y_ours.backward(g)
    y_theirs.backward(torch.from_numpy(g))
    assert xs.grad.dtype == x.dtype
    assert_close(xs.grad, xt.grad, dtype, **tolerance)
    return y_ours, xs.grad


# --------------------------------------------------------------------- linear
@given(lead=st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple),
       in_features=st.integers(1, 6), out_features=st.integers(1, 6), bias=st.booleans(),
       dtype=DTYPES, seed=st.integers(0, 2 ** 32 - 1))
def test_linear_matches_torch(lead, in_features, out_features, bias, dtype, seed):
    """1-D (unbatched), 2-D and 3-D inputs; with and without bias; all gradients."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(lead + (in_features,)).astype(dtype)
    w = rng.standard_normal((out_features, in_features)).astype(dtype)
    b = rng.standard_normal(out_features).astype(dtype) if bias else None
    ours = [sc.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    theirs = [to_torch(a, True) if a is not None else None for a in (x, w, b)]
    y_ours, y_theirs = F.linear(*ours), torch.nn.functional.linear(*theirs)
    assert y_ours.shape == lead + (out_features,) == tuple(y_theirs.shape)
    assert_close(y_ours, y_theirs, dtype)
    g = rng.standard_normal(y_ours.shape).astype(dtype)
    y_ours.backward(g)
    y_theirs.backward(torch.from_numpy(g))
    for mine, expected in zip(ours, theirs):
        if expected is not None:
            assert mine.grad.shape == mine.shape
            assert_close(mine.grad, expected.grad, dtype)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(shape, bias):
    x = sc.randn(*shape, dtype=sc.float64, requires_grad=True)
    w = sc.randn(5, 4, dtype=sc.float64, requires_grad=True)
    b = sc.randn(5, dtype=sc.float64, requires_grad=True)
    inputs = (x, w, b) if bias else (x, w)
    assert sc.gradcheck(F.linear, inputs)


def test_linear_module_matches_torch_module():
    theirs = torch.nn.Linear(6, 3, dtype=torch.float64)
    ours = nn.Linear(6, 3, dtype=sc.float64)
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((2, 4, 6))
    y, _ = forward_backward(ours, theirs, x)
    assert ours.output_shape(x.shape) == y.shape == (2, 4, 3)
    assert_close(ours.weight.grad, theirs.weight.grad)
    assert_close(ours.bias.grad, theirs.bias.grad)


def test_linear_module_without_bias_and_init():
    layer = nn.Linear(50, 400, bias=False)
    assert layer.bias is None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert layer.weight.shape == (400, 50) and layer.weight.dtype == np.float32
    bound = 1 / math.sqrt(50)
    values = layer.weight.numpy()
    assert np.abs(values).max() <= bound
    assert values.max() > 0.95 * bound and values.min() < -0.95 * bound
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    biased = nn.Linear(3, 500)
    assert np.abs(biased.bias.numpy()).max() <= 1 / math.sqrt(3)
    assert biased.bias.numpy().max() > 0.9 / math.sqrt(3)


# --------------------------------------------------------------------- activations
def with_exact_zeros(shape, dtype, seed):
    """Random values where about a third are exactly 0 (the kink of relu / leaky_relu)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    x[rng.random(shape) < 0.33] = 0.0
    return x.astype(dtype)


@given(shape=shapes, dtype=DTYPES, seed=st.integers(0, 2 ** 32 - 1))
def test_relu_matches_torch_including_zero(shape, dtype, seed):
    x = with_exact_zeros(shape, dtype, seed)
    y, dx = forward_backward(F.relu, torch.relu, x, dtype, seed)
    assert (dx.numpy()[x == 0] == 0).all()


def test_relu_derivative_at_zero_is_zero():
    x = sc.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])


@given(shape=shapes, dtype=DTYPES, seed=st.integers(0, 2 ** 32 - 1),
       slope=st.sampled_from([0.01, 0.2, 0.0, 1.5, -0.3]))
def test_leaky_relu_matches_torch(shape, dtype, seed, slope):
    x = with_exact_zeros(shape, dtype, seed)
    forward_backward(lambda t: F.leaky_relu(t, slope),
                     lambda t: torch.nn.functional.leaky_relu(t, slope), x, dtype, seed)


@given(shape=shapes, dtype=DTYPES, seed=st.integers(0, 2 ** 32 - 1),
       scale=st.sampled_from([1.0, 5.0, 30.0]))
@pytest.mark.parametrize("ours, theirs", [(F.tanh, torch.tanh), (F.sigmoid, torch.sigmoid)],
                         ids=["tanh", "sigmoid"])
def test_tanh_and_sigmoid_match_torch(ours, theirs, shape, dtype, seed, scale):
    x = (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)
    forward_backward(ours, theirs, x, dtype, seed)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_and_tanh_of_huge_inputs_do_not_overflow(dtype):
    x = np.array([-1e4, -1000.0, -100.0, -30.0, 0.0, 30.0, 100.0, 1000.0, 1e4], dtype=dtype)
    for ours, theirs in ((F.sigmoid, torch.sigmoid), (F.tanh, torch.tanh)):
        with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise",
                                                    divide="raise"):
            warnings.simplefilter("error")
            y, dx = forward_backward(ours, theirs, x, dtype)
        assert np.isfinite(y.numpy()).all() and np.isfinite(dx.numpy()).all()
    sig = F.sigmoid(sc.tensor(x)).numpy()
    assert sig[0] == 0.0 and sig[-1] == 1.0 and sig[4] == 0.5


@pytest.mark.parametrize("fn", [F.relu, lambda t: F.leaky_relu(t, 0.1), F.tanh, F.sigmoid],
                         ids=["relu", "leaky_relu", "tanh", "sigmoid"])
def test_activation_gradcheck(fn):
    # Keep away from relu's kink: finite differences are meaningless at 0.
    values = np.random.default_rng(0).standard_normal((3, 4))
    values[np.abs(values) < 0.05] = 0.5
    x = sc.tensor(values, requires_grad=True)
    assert sc.gradcheck(fn, (x,))


@pytest.mark.parametrize("ours, theirs", [
    (nn.ReLU(), torch.nn.ReLU()), (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
    (nn.Tanh(), torch.nn.Tanh()), (nn.Sigmoid(), torch.nn.Sigmoid()),
    (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
    (nn.LogSoftmax(dim=-1), torch.nn.LogSoftmax(dim=-1)),
], ids=["ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax"])
def test_activation_modules_match_torch(ours, theirs):
    x = with_exact_zeros((2, 3, 4), np.float64, 1)
    y, _ = forward_backward(ours, theirs, x)
    assert ours.output_shape(x.shape) == y.shape == x.shape
    assert list(ours.parameters()) == []


# --------------------------------------------------------------------- softmax
@given(shape=shapes, dtype=DTYPES, seed=st.integers(0, 2 ** 32 - 1), data=st.data())
@pytest.mark.parametrize("ours, theirs", [(F.softmax, torch.softmax),
                                          (F.log_softmax, torch.log_softmax)],
                         ids=["softmax", "log_softmax"])
def test_softmax_and_log_softmax_match_torch_over_any_dim(ours, theirs, shape, dtype, seed,
                                                          data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    x = (np.random.default_rng(seed).standard_normal(shape) * 3).astype(dtype)
    y, _ = forward_backward(lambda t: ours(t, dim=dim), lambda t: theirs(t, dim=dim), x,
                            dtype, seed)
    if ours is F.softmax:
        assert_close(y.numpy().sum(axis=dim), np.ones(np.delete(shape, dim % len(shape))),
                     dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("ours, theirs", [(F.softmax, torch.softmax),
                                          (F.log_softmax, torch.log_softmax)],
                         ids=["softmax", "log_softmax"])
def test_softmax_of_huge_logits_stays_finite(ours, theirs, dtype):
    x = np.array([[1000.0, 999.0, -1000.0], [-1000.0, -1000.0, -999.0],
                  [1e4, 0.0, -1e4]], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise",
                                                divide="raise"):
        warnings.simplefilter("error")
        for dim in (0, 1):
            y, dx = forward_backward(lambda t: ours(t, dim=dim), lambda t: theirs(t, dim=dim),
                                     x, dtype)
            assert np.isfinite(y.numpy()).all() and np.isfinite(dx.numpy()).all()


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax], ids=["softmax", "log_softmax"])
def test_softmax_gradcheck(fn, dim):
    x = sc.randn(3, 4, 2, dtype=sc.float64, requires_grad=True)
    assert sc.gradcheck(lambda t: fn(t, dim=dim), (x,))


def test_softmax_as_tensor_methods():
    x = np.random.default_rng(2).standard_normal((2, 5))
    assert_close(sc.tensor(x).softmax(1), torch.softmax(to_torch(x), 1))
    assert_close(sc.tensor(x).log_softmax(0), torch.log_softmax(to_torch(x), 0))


# --------------------------------------------------------------------- flatten
@pytest.mark.parametrize("start, end", [(1, -1), (0, -1), (1, 2), (2, 3), (-3, -2), (3, 3)])
def test_flatten_matches_torch(start, end):
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 5))
    y, dx = forward_backward(lambda t: F.flatten(t, start, end),
                             lambda t: torch.flatten(t, start, end), x)
    layer = nn.Flatten(start, end)
    assert layer(sc.tensor(x)).shape == layer.output_shape(x.shape) == y.shape
    assert dx.shape == x.shape


def test_flatten_gradcheck():
    x = sc.randn(2, 3, 2, 2, dtype=sc.float64, requires_grad=True)
    assert sc.gradcheck(lambda t: F.flatten(t) * sc.tensor(np.arange(12.0)), (x,))


# --------------------------------------------------------------------- dropout
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dropout_train_mode_zeroes_and_rescales(p, dtype):
    x_values = (np.random.default_rng(0).standard_normal((200, 500)) + 10).astype(dtype)  # != 0
    x = sc.tensor(x_values, requires_grad=True)
    y = F.dropout(x, p=p, training=True)
    assert y.dtype == dtype and y.shape == x.shape
    out = y.numpy()
    kept = out != 0
    # Every element is either dropped or x / (1 - p).
    assert_close(out[kept], x_values[kept] / dtype(1 - p), dtype)
    assert abs((~kept).mean() - p) < 0.01                  # 100000 draws: std ~0.0016
    g = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    y.backward(g)
    assert_close(x.grad, g * kept / dtype(1 - p), dtype)


def test_dropout_is_reproducible_with_manual_seed():
    x = sc.ones(1000)
    sc.manual_seed(123)
    first = F.dropout(x, 0.5).numpy()
    sc.manual_seed(123)
    again = F.dropout(x, 0.5).numpy()
    different = F.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(again, different)
    sc.manual_seed(123)
    layer = nn.Dropout(0.5)
    np.testing.assert_array_equal(layer(x).numpy(), first)


def test_dropout_p0_is_identity_and_p1_zeros():
    values = np.random.default_rng(2).standard_normal((4, 5))
    g = np.random.default_rng(3).standard_normal((4, 5))
    x = sc.tensor(values, requires_grad=True)
    y = F.dropout(x, p=0.0)
    np.testing.assert_array_equal(y.numpy(), values)
    y.backward(g)
    np.testing.assert_array_equal(x.grad.numpy(), g)
    x = sc.tensor(values, requires_grad=True)
    y = F.dropout(x, p=1.0)
    theirs = torch.nn.functional.dropout(to_torch(values), p=1.0)
    assert_close(y, theirs)
    np.testing.assert_array_equal(y.numpy(), np.zeros_like(values))
    y.backward(g)
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros_like(values))
    assert np.isfinite(x.grad.numpy()).all()


def test_dropout_eval_mode_is_identity():
    values = np.random.default_rng(4).standard_normal((3, 6))
    layer = nn.Dropout(0.7).eval()
    x = sc.tensor(values, requires_grad=True)
    y = layer(x)
    np.testing.assert_array_equal(y.numpy(), values)
    g = np.random.default_rng(5).standard_normal((3, 6))
    y.backward(g)
    np.testing.assert_array_equal(x.grad.numpy(), g)
    np.testing.assert_array_equal(F.dropout(sc.tensor(values), 0.7, training=False).numpy(),
                                  values)
    # Back in train mode it drops again.
    assert (layer.train()(sc.tensor(values)).numpy() == 0).any()


def test_dropout_gradcheck_with_a_fixed_mask():
    """Re-seeding before every call gives the same mask, so finite differences apply."""
    x = sc.randn(4, 5, dtype=sc.float64, requires_grad=True)

    def fn(t):
        sc.manual_seed(9)
        return F.dropout(t, 0.4)

    assert sc.gradcheck(fn, (x,))
