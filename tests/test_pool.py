"""max_pool2d / avg_pool2d (functional and modules): forward and backward against PyTorch,
against the naive loops in :mod:`reference`, and against finite differences; PyTorch's
tie rule for max pooling (the first maximal element of a window gets the gradient)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import scratchcnn as sc
import scratchcnn.nn.functional as F
from scratchcnn import nn

from scratchcnn.ops import naive as reference
from scratchcnn.shapes import conv_output_length
from conftest import assert_close, to_torch


@st.composite
def pool_configs(draw, max_kernel=4, max_stride=3, max_dilation=2, max_extra=4):
    """Kernel, stride (or None: the kernel), padding <= kernel // 2, dilation, shape, seed."""
    kernel = tuple(draw(st.integers(1, max_kernel)) for _ in range(2))
    stride = draw(st.none() | st.tuples(st.integers(1, max_stride), st.integers(1, max_stride)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dilation = tuple(draw(st.integers(1, max_dilation)) for _ in range(2))
    size = tuple(max(1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, max_extra))
                 for k, p, d in zip(kernel, padding, dilation))
    return dict(shape=(draw(st.integers(1, 2)), draw(st.integers(1, 3))) + size, kernel=kernel,
                stride=stride, padding=padding, dilation=dilation,
                seed=draw(st.integers(0, 2 ** 32 - 1)))


def effective_stride(cfg):
    return cfg["kernel"] if cfg["stride"] is None else cfg["stride"]


def has_padding_only_window(cfg):
    """With dilation a window can fall entirely on padding (its max is -inf). PyTorch's
    backward then sends the gradient to a wrong input element (an index computed past the
    row), so gradients are compared with PyTorch only when no such window exists."""
    for size, k, s, p, d in zip(cfg["shape"][2:], cfg["kernel"], effective_stride(cfg),
                                cfg["padding"], cfg["dilation"]):
        for i in range(conv_output_length(size, k, s, p, d)):
            if not any(0 <= i * s + u * d - p < size for u in range(k)):
                return True
    return False


def compare_with_torch(ours_fn, torch_fn, x, grad_seed, dtype=np.float64, backward=True):
    """Run both on ``x`` and backward the same random gradient; compare output and dx."""
    xs, xt = sc.tensor(x, requires_grad=True), to_torch(x, True)
    y_ours, y_theirs = ours_fn(xs), torch_fn(xt)
    assert y_ours.shape == tuple(y_theirs.shape)
    assert y_ours.dtype == x.dtype
    assert_close(y_ours, y_theirs, dtype)
    if not backward:
        return y_ours, None
    g = np.random.default_rng(grad_seed).standard_normal(y_ours.shape).astype(x.dtype)
    y_ours.backward(g)
    y_theirs.backward(torch.from_numpy(g))
    assert xs.grad.shape == x.shape
    assert_close(xs.grad, xt.grad, dtype)
    return y_ours, xs.grad


# --------------------------------------------------------------------- max pooling
@given(cfg=pool_configs(), dtype=st.sampled_from([np.float64, np.float32]))
def test_max_pool2d_matches_torch(cfg, dtype):
    x = np.random.default_rng(cfg["seed"]).standard_normal(cfg["shape"]).astype(dtype)
    args = (cfg["kernel"], cfg["stride"], cfg["padding"], cfg["dilation"])
    empty = has_padding_only_window(cfg)
    y, _ = compare_with_torch(lambda t: F.max_pool2d(t, *args),
                              lambda t: torch.nn.functional.max_pool2d(t, *args),
                              x, cfg["seed"] + 1, dtype, backward=not empty)
    assert np.isfinite(y.numpy()).all() != empty   # -inf only from windows of pure padding


@settings(max_examples=30)
@given(cfg=pool_configs(), values=st.integers(1, 3))
def test_max_pool2d_ties_go_to_the_first_maximum_like_torch(cfg, values):
    """Integer inputs with many ties (``values == 1``: a constant input)."""
    x = np.random.default_rng(cfg["seed"]).integers(0, values, cfg["shape"]).astype(np.float64)
    args = (cfg["kernel"], cfg["stride"], cfg["padding"], cfg["dilation"])
    compare_with_torch(lambda t: F.max_pool2d(t, *args),
                       lambda t: torch.nn.functional.max_pool2d(t, *args), x, cfg["seed"] + 1,
                       backward=not has_padding_only_window(cfg))
    stride = effective_stride(cfg)
    y_ref = reference.max_pool2d_forward(x, cfg["kernel"], stride, cfg["padding"],
                                         cfg["dilation"])
    ones = np.ones_like(y_ref)
    xs = sc.tensor(x, requires_grad=True)
    F.max_pool2d(xs, *args).backward(ones)
    # Exactly one element per window receives its gradient (none for pure-padding windows).
    assert xs.grad.numpy().sum() == np.isfinite(y_ref).sum()
    expected = reference.max_pool2d_backward(ones, x, cfg["kernel"], stride, cfg["padding"],
                                             cfg["dilation"])
    np.testing.assert_array_equal(xs.grad.numpy(), expected)


def test_max_pool2d_constant_input_routes_to_the_window_corner():
    x = np.full((1, 1, 4, 4), 2.0)
    xs, xt = sc.tensor(x, requires_grad=True), to_torch(x, True)
    F.max_pool2d(xs, 2).sum().backward()
    torch.nn.functional.max_pool2d(xt, 2).sum().backward()
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1          # the top-left element of each 2x2 window
    np.testing.assert_array_equal(xs.grad.numpy()[0, 0], expected)
    np.testing.assert_array_equal(xt.grad.numpy()[0, 0], expected)


def test_max_pool2d_window_of_pure_padding_is_minus_inf_without_gradient():
    x = np.array([[[[3.0], [5.0]]]])             # W = 1; the dilated window lands on padding
    xs = sc.tensor(x, requires_grad=True)
    y = F.max_pool2d(xs, (1, 2), padding=(0, 1), dilation=(1, 2))
    theirs = torch.nn.functional.max_pool2d(to_torch(x), (1, 2), padding=(0, 1), dilation=(1, 2))
    assert_close(y, theirs)
    assert np.isneginf(y.numpy()).all()
    y.backward(np.ones(y.shape))
    np.testing.assert_array_equal(xs.grad.numpy(), np.zeros_like(x))  # no input is the max


def test_max_pool2d_overlapping_windows_accumulate():
    """With stride < kernel one input can be the maximum of several windows."""
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 5.0
    xs = sc.tensor(x, requires_grad=True)
    y = F.max_pool2d(xs, 2, stride=1)
    np.testing.assert_array_equal(y.numpy(), np.full((1, 1, 2, 2), 5.0))
    y.sum().backward()
    expected = np.zeros((1, 1, 3, 3))
    expected[0, 0, 1, 1] = 4
    np.testing.assert_array_equal(xs.grad.numpy(), expected)


@pytest.mark.parametrize("position", [(0, 0), (2, 3), (5, 5)])
def test_max_pool2d_propagates_nan_like_torch(position):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 6, 6))
    x[0, 1][position] = np.nan
    for kwargs in (dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)):
        xs, xt = sc.tensor(x, requires_grad=True), to_torch(x, True)
        y_ours = F.max_pool2d(xs, **kwargs)
        y_theirs = torch.nn.functional.max_pool2d(xt, **kwargs)
        np.testing.assert_array_equal(np.isnan(y_ours.numpy()),
                                      np.isnan(y_theirs.detach().numpy()))
        assert np.isnan(y_ours.numpy()).any()
        assert_close(y_ours, y_theirs)  # NaNs in the same places, the rest equal
        g = rng.standard_normal(y_ours.shape)
        y_ours.backward(g)
        y_theirs.backward(torch.from_numpy(g))
        assert_close(xs.grad, xt.grad)


@settings(max_examples=25)
@given(cfg=pool_configs(max_extra=3))
def test_max_pool2d_matches_naive_reference(cfg):
    rng = np.random.default_rng(cfg["seed"])
    x = rng.standard_normal(cfg["shape"])
    stride = effective_stride(cfg)
    y_ref = reference.max_pool2d_forward(x, cfg["kernel"], stride, cfg["padding"],
                                         cfg["dilation"])
    g = rng.standard_normal(y_ref.shape)
    xs = sc.tensor(x, requires_grad=True)
    y = F.max_pool2d(xs, cfg["kernel"], cfg["stride"], cfg["padding"], cfg["dilation"])
    np.testing.assert_array_equal(y.numpy(), y_ref)
    y.backward(g)
    assert_close(xs.grad, reference.max_pool2d_backward(g, x, cfg["kernel"], stride,
                                                       cfg["padding"], cfg["dilation"]))


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1), dilation=(2, 1)),
])
def test_max_pool2d_gradcheck(kwargs):
    # A permutation of well separated values: no ties within eps of each other.
    values = np.random.default_rng(0).permutation(2 * 6 * 7).reshape(1, 2, 6, 7) * 0.1
    x = sc.tensor(values, dtype=sc.float64, requires_grad=True)
    assert sc.gradcheck(lambda t: F.max_pool2d(t, **kwargs), (x,))


# Max pooling has two backward paths (windows that cannot overlap store each offset's
# gradient, overlapping ones accumulate it): both, at their borders, against the naive
# loops (integer values: many ties, and sums that are exact in any order) and PyTorch.
POOL_LAYOUTS = [
    ((2, 3, 8, 8), dict(kernel_size=2)),                                 # disjoint, even
    ((2, 3, 9, 7), dict(kernel_size=2)),                                 # last row/column unused
    ((2, 3, 10, 11), dict(kernel_size=2, stride=3)),                     # gaps between windows
    ((1, 2, 9, 9), dict(kernel_size=2, stride=3, dilation=2)),           # dilated, still disjoint
    ((2, 3, 7, 8), dict(kernel_size=2, padding=1)),                      # disjoint, padded
    ((1, 2, 8, 9), dict(kernel_size=2, stride=2, dilation=2)),           # dilated: overlapping
    ((2, 3, 13, 13), dict(kernel_size=3, stride=2)),                     # AlexNet's 3x3/2
    ((2, 3, 9, 10), dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0))),  # overlap in H only
]


@pytest.mark.parametrize("shape, kwargs", POOL_LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_max_pool2d_disjoint_and_overlapping_windows(shape, kwargs, dtype):
    rng = np.random.default_rng(sum(shape))
    x = rng.integers(-3, 4, shape).astype(dtype)
    kernel = F.pair(kwargs["kernel_size"], "kernel_size", "test")
    stride = F.pair(kwargs.get("stride", kwargs["kernel_size"]), "stride", "test")
    padding = F.pair(kwargs.get("padding", 0), "padding", "test")
    dilation = F.pair(kwargs.get("dilation", 1), "dilation", "test")
    y_ref = reference.max_pool2d_forward(x, kernel, stride, padding, dilation)
    g = rng.integers(-4, 5, y_ref.shape).astype(dtype)
    dx_ref = reference.max_pool2d_backward(g, x, kernel, stride, padding, dilation)
    xs = sc.tensor(x, requires_grad=True)
    y = F.max_pool2d(xs, **kwargs)
    y.backward(g)
    np.testing.assert_array_equal(y.numpy(), y_ref)
    np.testing.assert_array_equal(xs.grad.numpy(), dx_ref)
    assert y.dtype == dtype and xs.grad.dtype == dtype
    xt = to_torch(x, True)
    torch.nn.functional.max_pool2d(xt, **kwargs).backward(torch.from_numpy(g))
    np.testing.assert_array_equal(xs.grad.numpy(), xt.grad.numpy())


def test_max_pool2d_kernel_of_more_than_256_elements():
    """The winning offset is stored in the smallest integer type that holds it: a 17x16
    kernel (272 offsets) needs more than one byte."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 17, 34))
    x[0, 0, 16, 31] = 10.0         # the last offset (271) of the second window
    args = dict(kernel_size=(17, 16), stride=(1, 16))
    y, dx = compare_with_torch(lambda t: F.max_pool2d(t, **args),
                               lambda t: torch.nn.functional.max_pool2d(t, **args), x, 7)
    assert y.shape == (2, 3, 1, 2) and y.numpy()[0, 0, 0, 1] == 10.0


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2),
                                    dict(kernel_size=3, stride=1, padding=1)])
def test_max_pool2d_window_with_several_nans(kwargs):
    """Every window holding a NaN outputs NaN, and its gradient goes to one NaN: the first
    in row-major window order (as numpy's argmax), whichever path the windows take."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 2, 7, 7))
    x[rng.random(x.shape) < 0.3] = np.nan
    xs = sc.tensor(x, requires_grad=True)
    y = F.max_pool2d(xs, **kwargs)
    g = rng.integers(1, 5, y.shape).astype(np.float64)
    y.backward(g)
    # Naive argmax per window, straight from the definition.
    k, p = kwargs["kernel_size"], kwargs.get("padding", 0)
    s = kwargs.get("stride", k)
    padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    expected_y = np.empty(y.shape)
    expected_dx = np.zeros(padded.shape)
    for n, c, i, j in np.ndindex(*y.shape):
        window = padded[n, c, i * s:i * s + k, j * s:j * s + k]
        u, v = np.unravel_index(np.argmax(window), window.shape)
        expected_y[n, c, i, j] = window[u, v]
        expected_dx[n, c, i * s + u, j * s + v] += g[n, c, i, j]
    assert np.isnan(expected_y).any() and not np.isnan(expected_y).all()
    np.testing.assert_array_equal(y.numpy(), expected_y)
    np.testing.assert_array_equal(xs.grad.numpy(), expected_dx[:, :, p:p + 7, p:p + 7])


def test_max_pool2d_unbatched_input():
    x = np.random.default_rng(1).standard_normal((3, 7, 5))
    y, dx = compare_with_torch(lambda t: F.max_pool2d(t, 3, 2, 1),
                               lambda t: torch.nn.functional.max_pool2d(t, 3, 2, 1), x, 2)
    assert y.shape == (3, 4, 3)
    assert dx.shape == (3, 7, 5)


# --------------------------------------------------------------------- average pooling
@given(cfg=pool_configs(max_dilation=1), count_include_pad=st.booleans(),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_avg_pool2d_matches_torch(cfg, count_include_pad, dtype):
    x = np.random.default_rng(cfg["seed"]).standard_normal(cfg["shape"]).astype(dtype)
    args = (cfg["kernel"], cfg["stride"], cfg["padding"])
    compare_with_torch(
        lambda t: F.avg_pool2d(t, *args, count_include_pad=count_include_pad),
        lambda t: torch.nn.functional.avg_pool2d(t, *args, count_include_pad=count_include_pad),
        x, cfg["seed"] + 1, dtype)


@settings(max_examples=25)
@given(cfg=pool_configs(max_dilation=1, max_extra=3), count_include_pad=st.booleans())
def test_avg_pool2d_matches_naive_reference(cfg, count_include_pad):
    rng = np.random.default_rng(cfg["seed"])
    x = rng.standard_normal(cfg["shape"])
    stride = effective_stride(cfg)
    y_ref = reference.avg_pool2d_forward(x, cfg["kernel"], stride, cfg["padding"],
                                         count_include_pad)
    g = rng.standard_normal(y_ref.shape)
    xs = sc.tensor(x, requires_grad=True)
    y = F.avg_pool2d(xs, cfg["kernel"], cfg["stride"], cfg["padding"],
                     count_include_pad=count_include_pad)
    assert_close(y, y_ref)
    y.backward(g)
    assert_close(xs.grad, reference.avg_pool2d_backward(g, x, cfg["kernel"], stride,
                                                       cfg["padding"], count_include_pad))


def test_avg_pool2d_count_include_pad_changes_only_border_windows():
    x = np.ones((1, 1, 4, 4))
    with_pad = F.avg_pool2d(sc.tensor(x), 3, stride=1, padding=1).numpy()[0, 0]
    without = F.avg_pool2d(sc.tensor(x), 3, stride=1, padding=1,
                           count_include_pad=False).numpy()[0, 0]
    assert_close(without, np.ones((4, 4)))           # the mean of real ones is one
    assert_close(with_pad[0, 0], 4 / 9)              # corner: 4 real of 9
    assert_close(with_pad[0, 1], 6 / 9)              # edge: 6 real of 9
    assert_close(with_pad[1:3, 1:3], np.ones((2, 2)))


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1)),
])
def test_avg_pool2d_gradcheck(kwargs, count_include_pad):
    x = sc.randn(2, 2, 5, 6, dtype=sc.float64, requires_grad=True)
    assert sc.gradcheck(lambda t: F.avg_pool2d(t, count_include_pad=count_include_pad,
                                               **kwargs), (x,))


def test_avg_pool2d_unbatched_input():
    x = np.random.default_rng(3).standard_normal((2, 5, 6)).astype(np.float32)
    y, dx = compare_with_torch(
        lambda t: F.avg_pool2d(t, 2, 1, 1, count_include_pad=False),
        lambda t: torch.nn.functional.avg_pool2d(t, 2, 1, 1, count_include_pad=False),
        x, 4, np.float32)
    assert y.shape == (2, 6, 7) and dx.shape == x.shape


# --------------------------------------------------------------------- modules
@settings(max_examples=20)
@given(cfg=pool_configs())
def test_max_pool2d_module_matches_torch_and_output_shape(cfg):
    x = np.random.default_rng(cfg["seed"]).standard_normal(cfg["shape"])
    kwargs = dict(kernel_size=cfg["kernel"], stride=cfg["stride"], padding=cfg["padding"],
                  dilation=cfg["dilation"])
    ours, theirs = nn.MaxPool2d(**kwargs), torch.nn.MaxPool2d(**kwargs)
    assert ours.stride == effective_stride(cfg)
    y, _ = compare_with_torch(ours, theirs, x, cfg["seed"] + 1,
                              backward=not has_padding_only_window(cfg))
    assert ours.output_shape(x.shape) == y.shape
    assert ours.output_shape(x.shape[1:]) == y.shape[1:]
    assert list(ours.parameters()) == []


@settings(max_examples=20)
@given(cfg=pool_configs(max_dilation=1), count_include_pad=st.booleans())
def test_avg_pool2d_module_matches_torch_and_output_shape(cfg, count_include_pad):
    x = np.random.default_rng(cfg["seed"]).standard_normal(cfg["shape"])
    kwargs = dict(kernel_size=cfg["kernel"], stride=cfg["stride"], padding=cfg["padding"],
                  count_include_pad=count_include_pad)
    ours, theirs = nn.AvgPool2d(**kwargs), torch.nn.AvgPool2d(**kwargs)
    y, _ = compare_with_torch(ours, theirs, x, cfg["seed"] + 1)
    assert ours.output_shape(x.shape) == y.shape


def test_pool_modules_work_in_float32_and_keep_the_dtype():
    x = sc.randn(2, 3, 8, 8)
    for layer in (nn.MaxPool2d(2), nn.AvgPool2d(3, stride=2, padding=1)):
        y = layer(x)
        assert y.dtype == np.float32
        assert y.shape == layer.output_shape(x.shape)
