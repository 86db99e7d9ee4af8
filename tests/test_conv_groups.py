"""Grouped and depthwise convolution (``groups=``) and string padding ('same' / 'valid'):
F.conv2d and nn.Conv2d against PyTorch (output and every gradient), against the
ungrouped op run per group, and against finite differences; shapes, summary, interop
and the errors for channel counts that groups do not divide."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import scratchcnn as sc
import scratchcnn.nn.functional as F
from scratchcnn import interop, nn, summary
from scratchcnn.errors import ArgumentError, ShapeError

from scratchcnn.ops import naive as reference
from conftest import assert_close, to_torch


def compare_with_torch(ours, theirs, arrays, dtype, grad_seed=0):
    """Run ``ours(*tensors)`` and ``theirs(*torch_tensors)`` on copies of ``arrays`` (None
    entries stay None), backward the same random gradient, and compare the outputs and the
    gradient of every array within the dtype's tolerance."""
    mine = [sc.tensor(a, requires_grad=True) if a is not None else None for a in arrays]
    other = [to_torch(a, True) if a is not None else None for a in arrays]
    y, y_t = ours(*mine), theirs(*other)
    assert y.shape == tuple(y_t.shape)
    assert y.dtype == dtype
    assert_close(y, y_t, dtype)
    grad = np.random.default_rng(grad_seed).standard_normal(y.shape).astype(dtype)
    y.backward(sc.tensor(grad))
    y_t.backward(torch.from_numpy(grad))
    for a, b in zip(mine, other):
        if a is not None:
            assert a.grad.dtype == dtype
            assert_close(a.grad, b.grad, dtype)


@st.composite
def grouped_configs(draw):
    """A valid grouped convolution: groups, channels per group, hyper-parameters and a
    seed; the padded image is never smaller than the dilated kernel."""
    groups = draw(st.integers(1, 4))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(2))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(2))
    padding = tuple(draw(st.integers(0, 2)) for _ in range(2))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(2))
    size = tuple(max(1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, 4))
                 for k, p, d in zip(kernel, padding, dilation))
    return dict(groups=groups, c=groups * draw(st.integers(1, 3)),
                o=groups * draw(st.integers(1, 3)), n=draw(st.integers(1, 3)), size=size,
                kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                bias=draw(st.booleans()), seed=draw(st.integers(0, 2 ** 32 - 1)))


def arrays_for(cfg, dtype):
    rng = np.random.default_rng(cfg["seed"])
    x = rng.standard_normal((cfg["n"], cfg["c"]) + cfg["size"]).astype(dtype)
    w = rng.standard_normal((cfg["o"], cfg["c"] // cfg["groups"]) + cfg["kernel"]).astype(dtype)
    b = rng.standard_normal(cfg["o"]).astype(dtype) if cfg["bias"] else None
    return x, w, b


def hyper(cfg):
    return dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"],
                groups=cfg["groups"])


# --------------------------------------------------------------------- vs PyTorch
@given(cfg=grouped_configs(), dtype=st.sampled_from([np.float64, np.float32]))
def test_grouped_conv2d_forward_and_gradients_match_torch(cfg, dtype):
    compare_with_torch(lambda x, w, b: F.conv2d(x, w, b, **hyper(cfg)),
                       lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **hyper(cfg)),
                       arrays_for(cfg, dtype), dtype, cfg["seed"] % 100)


@settings(max_examples=25)
@given(channels=st.integers(1, 6), multiplier=st.integers(1, 3), kernel=st.integers(1, 5),
       stride=st.integers(1, 2), seed=st.integers(0, 1000),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_depthwise_conv2d_matches_torch(channels, multiplier, kernel, stride, seed, dtype):
    """groups = in_channels: every channel filtered on its own (MobileNet's layer)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, channels, 9, 8)).astype(dtype)
    w = rng.standard_normal((channels * multiplier, 1, kernel, kernel)).astype(dtype)
    b = rng.standard_normal(channels * multiplier).astype(dtype)
    kwargs = dict(stride=stride, padding=kernel // 2, groups=channels)
    compare_with_torch(lambda *t: F.conv2d(*t, **kwargs),
                       lambda *t: torch.nn.functional.conv2d(*t, **kwargs), (x, w, b), dtype)


@settings(max_examples=30)
@given(kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       dilation=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       groups=st.sampled_from([1, 2]), padding=st.sampled_from(["same", "valid"]),
       seed=st.integers(0, 1000), dtype=st.sampled_from([np.float64, np.float32]))
def test_string_padding_matches_torch(kernel, dilation, groups, padding, seed, dtype):
    """'same' keeps the size (odd totals put the extra row/column bottom/right, as torch);
    'valid' is no padding."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 4, 12, 11)).astype(dtype)
    w = rng.standard_normal((6, 4 // groups) + kernel).astype(dtype)
    kwargs = dict(padding=padding, dilation=dilation, groups=groups)
    with warnings.catch_warnings():      # torch warns that it copies for even kernels
        warnings.simplefilter("ignore")
        compare_with_torch(lambda *t: F.conv2d(*t, **kwargs),
                           lambda *t: torch.nn.functional.conv2d(*t, **kwargs), (x, w), dtype)


# --------------------------------------------------------------------- vs the ungrouped op
@settings(max_examples=20)
@given(cfg=grouped_configs())
def test_grouped_conv_is_the_ungrouped_conv_per_group(cfg):
    """Independent of PyTorch: group g's outputs are the naive reference convolution of
    group g's input channels with group g's filters."""
    x, w, b = arrays_for(cfg, np.float64)
    y = F.conv2d(sc.tensor(x), sc.tensor(w), sc.tensor(b) if b is not None else None,
                 **hyper(cfg)).numpy()
    g, cg, og = cfg["groups"], cfg["c"] // cfg["groups"], cfg["o"] // cfg["groups"]
    for group in range(g):
        expected = reference.conv2d_forward(
            x[:, group * cg:(group + 1) * cg], w[group * og:(group + 1) * og],
            None if b is None else b[group * og:(group + 1) * og],
            cfg["stride"], cfg["padding"], cfg["dilation"])
        np.testing.assert_allclose(y[:, group * og:(group + 1) * og], expected,
                                   rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("groups, bias", [(2, True), (4, False)])
def test_grouped_conv_gradcheck(groups, bias):
    x = sc.randn(2, 4, 5, 6, dtype=sc.float64, requires_grad=True)
    w = sc.randn(8, 4 // groups, 3, 2, dtype=sc.float64, requires_grad=True)
    b = sc.randn(8, dtype=sc.float64, requires_grad=True)
    inputs = (x, w, b) if bias else (x, w)
    assert sc.gradcheck(lambda *t: F.conv2d(*t, stride=(2, 1), padding=1, groups=groups),
                        inputs)


def test_same_padding_gradcheck_with_an_even_kernel():
    x = sc.randn(1, 2, 5, 4, dtype=sc.float64, requires_grad=True)
    w = sc.randn(3, 2, 2, 4, dtype=sc.float64, requires_grad=True)
    assert sc.gradcheck(lambda a, b: F.conv2d(a, b, padding="same"), (x, w))


# --------------------------------------------------------------------- nn.Conv2d
@settings(max_examples=15)
@given(cfg=grouped_configs())
def test_grouped_module_matches_torch_module_and_its_shapes(cfg):
    kwargs = dict(hyper(cfg), bias=cfg["bias"])
    theirs = torch.nn.Conv2d(cfg["c"], cfg["o"], cfg["kernel"], dtype=torch.float64, **kwargs)
    ours = nn.Conv2d(cfg["c"], cfg["o"], cfg["kernel"], dtype=sc.float64, **kwargs)
    assert ours.weight.shape == tuple(theirs.weight.shape)
    ours.load_state_dict(theirs.state_dict())
    x, _, _ = arrays_for(cfg, np.float64)
    y = ours(sc.tensor(x))
    assert_close(y, theirs(to_torch(x)))
    assert ours.output_shape(x.shape) == y.shape
    assert repr(ours) == repr(theirs)


def test_same_padding_module_reports_and_runs_like_torch():
    for kernel, expected in ((3, (1, 1)), ((5, 1), (2, 0))):
        layer = nn.Conv2d(2, 3, kernel, padding="same")
        assert layer.padding == expected             # resolved to numbers
        assert layer.output_shape((1, 2, 7, 6)) == (1, 3, 7, 6)
    even = nn.Conv2d(2, 3, 2, padding="same", dtype=sc.float64)
    assert even.padding == "same"                    # one side more than the other
    theirs = torch.nn.Conv2d(2, 3, 2, padding="same", dtype=torch.float64)
    even.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(1).standard_normal((2, 2, 7, 6))
    assert_close(even(sc.tensor(x)), theirs(to_torch(x)))
    assert even.output_shape(x.shape) == (2, 3, 7, 6)
    assert nn.Conv2d(2, 3, 3, padding="valid").output_shape((1, 2, 7, 6)) == (1, 3, 5, 4)


def test_default_init_uses_the_fan_in_of_one_group():
    """PyTorch's bound 1/sqrt(fan_in) with fan_in = C_in/groups * kh * kw."""
    layer = nn.Conv2d(64, 64, 3, groups=64)           # fan_in = 9: bound 1/3
    assert np.abs(layer.weight.numpy()).max() <= 1 / 3
    assert np.abs(layer.weight.numpy()).max() > 0.3  # 576 draws from U(-1/3, 1/3)
    assert np.abs(layer.bias.numpy()).max() <= 1 / 3


# --------------------------------------------------------------------- errors
@pytest.mark.parametrize("args, kwargs, error, words", [
    ((4, 6, 3), dict(groups=4), ShapeError, "out_channels=6 is not divisible by groups=4"),
    ((6, 4, 3), dict(groups=4), ShapeError, "in_channels=6 is not divisible by groups=4"),
    ((4, 4, 3), dict(groups=0), ArgumentError, "groups"),
    ((4, 4, 3), dict(padding="same", stride=2), ArgumentError, "strided"),
    ((4, 4, 3), dict(padding="full"), ArgumentError, "'full'"),
    ((4, 4, 3), dict(padding_mode="reflect"), ArgumentError, "padding_mode"),
])
def test_module_argument_errors(args, kwargs, error, words):
    with pytest.raises(error, match=words):
        nn.Conv2d(*args, **kwargs)


def test_functional_shape_errors_say_what_was_expected():
    with pytest.raises(ShapeError, match="expects input with 8 channels"):
        F.conv2d(sc.zeros(1, 4, 5, 5), sc.zeros(6, 4, 3, 3), groups=2)
    with pytest.raises(ShapeError, match="out_channels .* not divisible by groups=4"):
        F.conv2d(sc.zeros(1, 4, 5, 5), sc.zeros(6, 1, 3, 3), groups=4)
    with pytest.raises(ShapeError, match="expected input with 4 channels"):
        nn.Conv2d(4, 8, 3, groups=2).output_shape((1, 8, 5, 5))


# --------------------------------------------------------------------- summary, interop
def test_summary_counts_grouped_params_and_macs():
    model = nn.Sequential(nn.Conv2d(8, 16, 3, groups=4), nn.Conv2d(16, 16, 3, groups=16,
                                                                   padding="same"))
    s = summary(model, (8, 10, 10))
    first, second = s.rows
    assert first["params"] == 16 * 2 * 9 + 16
    assert first["macs"] == 16 * 8 * 8 * (2 * 9)      # out positions x (C/G * kh * kw)
    assert second["params"] == 16 * 9 + 16
    assert second["macs"] == 16 * 8 * 8 * 9
    assert second["output_shape"] == [1, 16, 8, 8]
    assert second["receptive_field"] == 5


def test_interop_round_trips_groups_and_same_padding():
    model = nn.Sequential(nn.Conv2d(4, 8, 3, groups=2), nn.Conv2d(8, 8, 3, groups=8,
                                                                  padding="same"),
                          nn.Conv2d(8, 2, 2, padding="same"))
    twin = interop.to_torch(model)
    assert [m.groups for m in twin] == [2, 8, 1]
    assert twin[2].padding == "same"
    x = np.random.default_rng(0).standard_normal((1, 4, 6, 6)).astype(np.float32)
    assert_close(model(sc.tensor(x)), twin(torch.from_numpy(x)), np.float32)
    back = interop.from_torch(twin)
    assert [m.groups for m in back] == [2, 8, 1]
    assert_close(back(sc.tensor(x)), model(sc.tensor(x)), np.float32)
    with pytest.raises(ArgumentError, match="padding_mode"):
        interop.from_torch(torch.nn.Conv2d(4, 4, 3, padding=1, padding_mode="reflect"))
