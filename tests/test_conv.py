"""F.conv2d and nn.Conv2d: forward and all three gradients against PyTorch, against the
naive loops in :mod:`reference`, and against finite differences."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import scratchcnn as sc
import scratchcnn.nn.functional as F
from scratchcnn import nn

from scratchcnn.ops import naive as reference
from conftest import assert_close, to_torch


@st.composite
def conv_configs(draw, max_batch=3, max_channels=3, max_kernel=3, max_stride=3, max_padding=2,
                 max_dilation=2, max_extra=4):
    """A random but valid convolution: shapes, hyper-parameters (possibly non-square) and a
    data seed. The image is never smaller than the (dilated) kernel once padded."""
    kernel = tuple(draw(st.integers(1, max_kernel)) for _ in range(2))
    stride = tuple(draw(st.integers(1, max_stride)) for _ in range(2))
    padding = tuple(draw(st.integers(0, max_padding)) for _ in range(2))
    dilation = tuple(draw(st.integers(1, max_dilation)) for _ in range(2))
    size = tuple(max(1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, max_extra))
                 for k, p, d in zip(kernel, padding, dilation))
    return dict(
        n=draw(st.integers(1, max_batch)), c=draw(st.integers(1, max_channels)),
        o=draw(st.integers(1, max_channels)), size=size, kernel=kernel, stride=stride,
        padding=padding, dilation=dilation, bias=draw(st.booleans()),
        seed=draw(st.integers(0, 2 ** 32 - 1)))


def make_arrays(cfg, dtype):
    rng = np.random.default_rng(cfg["seed"])
    x = rng.standard_normal((cfg["n"], cfg["c"]) + cfg["size"]).astype(dtype)
    w = rng.standard_normal((cfg["o"], cfg["c"]) + cfg["kernel"]).astype(dtype)
    b = rng.standard_normal(cfg["o"]).astype(dtype) if cfg["bias"] else None
    return rng, x, w, b


def hyper(cfg):
    return dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"])


def run_ours(x, w, b, grad, **kwargs):
    xs, ws = sc.tensor(x, requires_grad=True), sc.tensor(w, requires_grad=True)
    bs = sc.tensor(b, requires_grad=True) if b is not None else None
    y = F.conv2d(xs, ws, bs, **kwargs)
    y.backward(grad)
    return y, xs.grad, ws.grad, (bs.grad if bs is not None else None)


def run_torch(x, w, b, grad, **kwargs):
    xt, wt = to_torch(x, True), to_torch(w, True)
    bt = to_torch(b, True) if b is not None else None
    y = torch.nn.functional.conv2d(xt, wt, bt, **kwargs)
    y.backward(torch.from_numpy(grad))
    return y, xt.grad, wt.grad, (bt.grad if bt is not None else None)


# --------------------------------------------------------------------- vs PyTorch
@given(cfg=conv_configs(), dtype=st.sampled_from([np.float64, np.float32]))
def test_conv2d_forward_and_gradients_match_torch(cfg, dtype):
    rng, x, w, b = make_arrays(cfg, dtype)
    y_t = torch.nn.functional.conv2d(to_torch(x), to_torch(w),
                                     to_torch(b) if b is not None else None, **hyper(cfg))
    grad = rng.standard_normal(tuple(y_t.shape)).astype(dtype)
    ours = run_ours(x, w, b, grad, **hyper(cfg))
    theirs = run_torch(x, w, b, grad, **hyper(cfg))
    assert ours[0].shape == tuple(theirs[0].shape)
    assert ours[0].dtype == dtype
    for mine, expected in zip(ours, theirs):
        if expected is None:
            assert mine is None
            continue
        assert mine.dtype == dtype
        assert_close(mine, expected, dtype)


@settings(max_examples=15)
@given(cfg=conv_configs(max_channels=4, max_kernel=5, max_stride=2, max_padding=3,
                        max_dilation=3, max_extra=6))
def test_conv2d_larger_kernels_match_torch(cfg):
    rng, x, w, b = make_arrays(cfg, np.float64)
    theirs_y = torch.nn.functional.conv2d(to_torch(x), to_torch(w),
                                          to_torch(b) if b is not None else None, **hyper(cfg))
    grad = rng.standard_normal(tuple(theirs_y.shape))
    ours = run_ours(x, w, b, grad, **hyper(cfg))
    theirs = run_torch(x, w, b, grad, **hyper(cfg))
    for mine, expected in zip(ours, theirs):
        if expected is not None:
            assert_close(mine, expected)


def test_conv2d_int_arguments_mean_both_axes():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 3, 9, 8)), rng.standard_normal((4, 3, 3, 3))
    ours = F.conv2d(sc.tensor(x), sc.tensor(w), stride=2, padding=1, dilation=2)
    theirs = torch.nn.functional.conv2d(to_torch(x), to_torch(w), stride=2, padding=1,
                                        dilation=2)
    assert_close(ours, theirs)
    ours_pairs = F.conv2d(sc.tensor(x), sc.tensor(w), stride=(2, 2), padding=[1, 1],
                          dilation=(2, 2))
    assert_close(ours_pairs, ours)


@pytest.mark.parametrize("needs", [(True, False, False), (False, True, False),
                                   (False, False, True), (False, True, True)])
def test_conv2d_only_the_requested_gradients(needs):
    """Inputs that do not require grad get none, and the others are still right."""
    rng = np.random.default_rng(2)
    x, w, b = (rng.standard_normal((2, 2, 5, 6)), rng.standard_normal((3, 2, 2, 3)),
               rng.standard_normal(3))
    ours = [sc.tensor(a, requires_grad=r) for a, r in zip((x, w, b), needs)]
    theirs = [to_torch(a, requires_grad=r) for a, r in zip((x, w, b), needs)]
    g = rng.standard_normal((2, 3, 6, 2))
    F.conv2d(*ours, stride=(1, 2), padding=(1, 0)).backward(g)
    torch.nn.functional.conv2d(*theirs, stride=(1, 2), padding=(1, 0)).backward(
        torch.from_numpy(g))
    for mine, expected, needed in zip(ours, theirs, needs):
        if needed:
            assert_close(mine.grad, expected.grad)
        else:
            assert mine.grad is None


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv2d_strided_input_and_gradient(dtype):
    """The kernels get views, not only contiguous arrays: an input that is a permuted
    view, and a gradient that arrives permuted (from the permute after the conv)."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((5, 6, 2, 3)).astype(dtype)
    w, b = (rng.standard_normal((4, 3, 3, 3)).astype(dtype),
            rng.standard_normal(4).astype(dtype))
    g = rng.standard_normal((3, 6, 2, 4)).astype(dtype)      # y is (2, 4, 3, 6)
    ours = [sc.tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [to_torch(a, True) for a in (x, w, b)]
    y_ours = F.conv2d(ours[0].permute(2, 3, 0, 1), ours[1], ours[2], stride=(2, 1), padding=1)
    y_theirs = torch.nn.functional.conv2d(theirs[0].permute(2, 3, 0, 1), theirs[1], theirs[2],
                                          stride=(2, 1), padding=1)
    y_ours.permute(2, 3, 0, 1).backward(g)
    y_theirs.permute(2, 3, 0, 1).backward(torch.from_numpy(g))
    assert_close(y_ours, y_theirs, dtype)
    for mine, expected in zip(ours, theirs):
        assert mine.grad.dtype == dtype
        assert_close(mine.grad, expected.grad, dtype)


def test_conv2d_shared_weight_accumulates_gradients():
    """The same weight used twice in a graph gets the sum of both gradients."""
    rng = np.random.default_rng(3)
    x1, x2, w = (rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((2, 2, 6, 4)),
                 rng.standard_normal((3, 2, 3, 3)))
    ws, wt = sc.tensor(w, requires_grad=True), to_torch(w, True)
    (F.conv2d(sc.tensor(x1), ws).sum() + (F.conv2d(sc.tensor(x2), ws, padding=1) ** 2).sum()
     ).backward()
    (torch.nn.functional.conv2d(to_torch(x1), wt).sum()
     + (torch.nn.functional.conv2d(to_torch(x2), wt, padding=1) ** 2).sum()).backward()
    assert_close(ws.grad, wt.grad)


# --------------------------------------------------------------------- unbatched input
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv2d_unbatched_input(dtype):
    rng = np.random.default_rng(4)
    x, w, b = (rng.standard_normal((3, 7, 6)).astype(dtype),
               rng.standard_normal((5, 3, 3, 2)).astype(dtype),
               rng.standard_normal(5).astype(dtype))
    g = rng.standard_normal((5, 4, 7)).astype(dtype)
    kwargs = dict(stride=(2, 1), padding=1)
    ours = run_ours(x, w, b, g, **kwargs)
    theirs = run_torch(x, w, b, g, **kwargs)
    assert ours[0].shape == (5, 4, 7) == tuple(theirs[0].shape)
    assert ours[1].shape == x.shape
    for mine, expected in zip(ours, theirs):
        assert_close(mine, expected, dtype)
    batched = F.conv2d(sc.tensor(x[None]), sc.tensor(w), sc.tensor(b), **kwargs)
    np.testing.assert_array_equal(ours[0].numpy(), batched.numpy()[0])


# --------------------------------------------------------------------- vs naive loops
@settings(max_examples=25)
@given(cfg=conv_configs(max_batch=2, max_channels=2, max_extra=3))
def test_conv2d_matches_naive_reference(cfg):
    rng, x, w, b = make_arrays(cfg, np.float64)
    y = reference.conv2d_forward(x, w, b, **hyper(cfg))
    grad = rng.standard_normal(y.shape)
    ours = run_ours(x, w, b, grad, **hyper(cfg))
    dx, dw, db = reference.conv2d_backward(grad, x, w, b is not None, **hyper(cfg))
    assert_close(ours[0], y)
    assert_close(ours[1], dx)
    assert_close(ours[2], dw)
    if b is not None:
        assert_close(ours[3], db)


def test_naive_reference_agrees_with_torch():
    """The reference itself is checked once against PyTorch (stride, padding, dilation)."""
    rng = np.random.default_rng(5)
    x, w, b = (rng.standard_normal((2, 2, 7, 6)), rng.standard_normal((3, 2, 3, 2)),
               rng.standard_normal(3))
    kwargs = dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1))
    y_ref = reference.conv2d_forward(x, w, b, **kwargs)
    g = rng.standard_normal(y_ref.shape)
    _, dx_t, dw_t, db_t = theirs = run_torch(x, w, b, g, **kwargs)
    assert_close(y_ref, theirs[0])
    for mine, expected in zip(reference.conv2d_backward(g, x, w, True, **kwargs),
                              (dx_t, dw_t, db_t)):
        assert_close(mine, expected)


# --------------------------------------------------------------------- finite differences
@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(1, 2), padding=(2, 0), dilation=(2, 1)),
    dict(dilation=2, padding=2),
])
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_gradcheck(kwargs, bias):
    x = sc.randn(2, 2, 5, 5, dtype=sc.float64, requires_grad=True)
    w = sc.randn(3, 2, 3, 2, dtype=sc.float64, requires_grad=True)
    b = sc.randn(3, dtype=sc.float64, requires_grad=True) if bias else None
    inputs = (x, w, b) if bias else (x, w)
    assert sc.gradcheck(lambda *t: F.conv2d(*t, **kwargs), inputs)


def test_gradcheck_detects_a_wrong_conv_gradient(monkeypatch):
    """Guard for the guard: a broken backward must make gradcheck fail."""
    from scratchcnn.kernels import conv as conv_ops      # the conv2d F.conv2d runs

    original = conv_ops.conv2d_backward

    def broken(grad, cache, needs_grad):
        dx, dw, db = original(grad, cache, needs_grad)
        return dx, (dw * 1.01 if dw is not None else None), db

    monkeypatch.setattr(conv_ops, "conv2d_backward", broken)
    x = sc.randn(1, 2, 4, 4, dtype=sc.float64, requires_grad=True)
    w = sc.randn(2, 2, 3, 3, dtype=sc.float64, requires_grad=True)
    with sc.backends.conv.flags(algorithm="im2col_fast"):   # the algorithm patched above
        assert not sc.gradcheck(lambda a, b: F.conv2d(a, b), (x, w), raise_exception=False)


# --------------------------------------------------------------------- nn.Conv2d
@settings(max_examples=20)
@given(cfg=conv_configs())
def test_conv2d_module_matches_torch_module(cfg):
    torch.manual_seed(cfg["seed"] % 1000)
    theirs = torch.nn.Conv2d(cfg["c"], cfg["o"], cfg["kernel"], bias=cfg["bias"],
                             dtype=torch.float64, **hyper(cfg))
    ours = nn.Conv2d(cfg["c"], cfg["o"], cfg["kernel"], bias=cfg["bias"], dtype=sc.float64,
                     **hyper(cfg))
    ours.load_state_dict(theirs.state_dict())
    rng = np.random.default_rng(cfg["seed"])
    x = rng.standard_normal((cfg["n"], cfg["c"]) + cfg["size"])
    xs, xt = sc.tensor(x, requires_grad=True), to_torch(x, True)
    y_ours, y_theirs = ours(xs), theirs(xt)
    assert_close(y_ours, y_theirs)
    assert ours.output_shape(x.shape) == y_ours.shape == tuple(y_theirs.shape)
    assert ours.output_shape(x.shape[1:]) == y_ours.shape[1:]
    g = rng.standard_normal(y_ours.shape)
    y_ours.backward(g)
    y_theirs.backward(torch.from_numpy(g))
    assert_close(xs.grad, xt.grad)
    assert_close(ours.weight.grad, theirs.weight.grad)
    if cfg["bias"]:
        assert_close(ours.bias.grad, theirs.bias.grad)
    else:
        assert ours.bias is None


@pytest.mark.parametrize("args, kwargs", [
    ((3, 5, 3), {}),
    ((1, 4, (2, 5)), dict(bias=False)),
    ((2, 6, (3, 1)), dict(stride=2, padding=(1, 0), dilation=(1, 2))),
])
def test_conv2d_module_parameters(args, kwargs):
    conv = nn.Conv2d(*args, **kwargs)
    reference_module = torch.nn.Conv2d(*args, **kwargs)
    names = [name for name, _ in conv.named_parameters()]
    assert names == [name for name, _ in reference_module.named_parameters()]
    for (_, mine), (_, theirs) in zip(conv.named_parameters(),
                                      reference_module.named_parameters()):
        assert mine.shape == tuple(theirs.shape)
        assert mine.dtype == np.float32
        assert mine.requires_grad
    in_channels, out_channels, kernel = args
    kernel = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    assert conv.weight.shape == (out_channels, in_channels) + kernel


@pytest.mark.parametrize("in_channels, out_channels, kernel", [(8, 16, 3), (2, 300, (1, 2))])
def test_conv2d_default_init_is_uniform_within_one_over_sqrt_fan_in(in_channels, out_channels,
                                                                  kernel):
    conv = nn.Conv2d(in_channels, out_channels, kernel)
    kh, kw = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    bound = 1 / math.sqrt(in_channels * kh * kw)
    for param in (conv.weight, conv.bias):
        values = param.numpy()
        assert np.abs(values).max() <= bound
        # Spread over the whole range, not clustered (as a wrong bound or a normal would be).
        assert values.max() > 0.8 * bound and values.min() < -0.8 * bound
        assert abs(values.mean()) < 0.15 * bound
        if values.size >= 300:
            assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)
            # Uniform: about a fifth of the values in each fifth of the range.
            counts, _ = np.histogram(values, bins=5, range=(-bound, bound))
            assert counts.min() > 0.5 * values.size / 5


def test_conv2d_init_is_reproducible_and_random():
    sc.manual_seed(7)
    a = nn.Conv2d(3, 4, 3)
    sc.manual_seed(7)
    b = nn.Conv2d(3, 4, 3)
    c = nn.Conv2d(3, 4, 3)
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
    np.testing.assert_array_equal(a.bias.numpy(), b.bias.numpy())
    assert not np.array_equal(b.weight.numpy(), c.weight.numpy())


def test_conv2d_module_float64_and_unbatched():
    conv = nn.Conv2d(2, 3, 3, padding=1, dtype=sc.float64)
    assert conv.weight.dtype == np.float64 and conv.bias.dtype == np.float64
    x = sc.randn(2, 4, 5, dtype=sc.float64)
    y = conv(x)
    assert y.shape == conv.output_shape(x.shape) == (3, 4, 5)
    theirs = torch.nn.functional.conv2d(to_torch(x), to_torch(conv.weight), to_torch(conv.bias),
                                        padding=1)
    assert_close(y, theirs)


@pytest.mark.parametrize("stride, padding, dilation", [((1, 1), (1, 1), (1, 1)), ((2, 3), (0, 2), (2, 1))])
def test_backward_that_rebuilds_cols_from_the_input_is_identical(monkeypatch, stride, padding, dilation):
    """Large layers keep their input instead of the im2col matrix and rebuild it in
    backward (KEEP_COLS_UP_TO_BYTES); the gradients are bit for bit the same."""
    from scratchcnn.kernels import conv                  # the speed layer's policy

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 9, 10)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 2)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    y, kept = conv.conv2d_forward(x, w, b, stride, padding, dilation)
    monkeypatch.setattr(conv, "KEEP_COLS_UP_TO_BYTES", 0)
    y_rebuilt, rebuilt = conv.conv2d_forward(x, w, b, stride, padding, dilation)
    assert kept[1].ndim == 2 and rebuilt[1] is x          # what each one saved
    g = rng.standard_normal(y.shape).astype(np.float32)
    np.testing.assert_array_equal(y, y_rebuilt)
    for ours, theirs in zip(conv.conv2d_backward(g, kept, (True, True, True)),
                            conv.conv2d_backward(g, rebuilt, (True, True, True))):
        np.testing.assert_array_equal(ours, theirs)
