"""AdaptiveAvgPool2d and LocalResponseNorm: forward and gradients against PyTorch (and,
for the adaptive bins, against a naive loop), finite differences, shapes and errors."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import scratchcnn as sc
import scratchcnn.nn.functional as F
from scratchcnn import nn
from scratchcnn.errors import ArgumentError, DTypeError, ShapeError
from scratchcnn.ops import adaptive_pool

from conftest import assert_close, to_torch

DTYPES = st.sampled_from([np.float64, np.float32])


def forward_backward(fn, x, grad):
    """(output, dL/dx) of ``fn`` on a copy of ``x`` in scratchcnn and in torch."""
    xs = sc.tensor(x, requires_grad=True)
    ys = fn[0](xs)
    ys.backward(sc.tensor(grad))
    xt = to_torch(x, True)
    yt = fn[1](xt)
    yt.backward(torch.from_numpy(grad))
    return (ys, xs.grad), (yt, xt.grad)


def assert_both_close(ours, theirs, dtype):
    assert ours[0].shape == tuple(theirs[0].shape)
    for mine, expected in zip(ours, theirs):
        assert mine.dtype == dtype
        assert_close(mine, expected, dtype)


# --------------------------------------------------------------------- adaptive average pooling
def naive_adaptive_avg_pool2d(x, out_h, out_w):
    """Straight from the definition: one loop per output position."""
    n, c, h, w = x.shape
    out = np.zeros((n, c, out_h, out_w), x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            rows = slice(math.floor(i * h / out_h), math.ceil((i + 1) * h / out_h))
            cols = slice(math.floor(j * w / out_w), math.ceil((j + 1) * w / out_w))
            out[:, :, i, j] = x[:, :, rows, cols].mean(axis=(2, 3))
    return out


@st.composite
def adaptive_configs(draw):
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    out = tuple(draw(st.one_of(st.none(), st.integers(1, 11))) for _ in range(2))
    if draw(st.booleans()):           # square int size
        out = draw(st.integers(1, 11))
    return dict(shape=(draw(st.integers(1, 3)), draw(st.integers(1, 3)), h, w),
                output_size=out, unbatched=draw(st.integers(0, 4)) == 0,
                seed=draw(st.integers(0, 2 ** 32 - 1)))


@given(cfg=adaptive_configs(), dtype=DTYPES)
def test_adaptive_avg_pool2d_matches_torch(cfg, dtype):
    rng = np.random.default_rng(cfg["seed"])
    x = rng.standard_normal(cfg["shape"]).astype(dtype)
    if cfg["unbatched"]:
        x = x[0]
    size = cfg["output_size"]
    expected = torch.nn.functional.adaptive_avg_pool2d(to_torch(x), size)
    grad = rng.standard_normal(tuple(expected.shape)).astype(dtype)
    ours, theirs = forward_backward((lambda t: F.adaptive_avg_pool2d(t, size),
                                     lambda t: torch.nn.functional.adaptive_avg_pool2d(t, size)),
                                    x, grad)
    assert_both_close(ours, theirs, dtype)
    pool = nn.AdaptiveAvgPool2d(size)
    assert pool.output_shape(x.shape) == tuple(expected.shape)
    assert_close(pool(sc.tensor(x)), expected, dtype)
    batched = x if x.ndim == 4 else x[None]
    assert_close(ours[0].numpy().reshape(expected.shape),
                 naive_adaptive_avg_pool2d(batched, *expected.shape[-2:]).reshape(
                     expected.shape), dtype)


@pytest.mark.parametrize("shape, size", [((2, 3, 6, 8), (3, 4)),     # uniform bins: a reshape
                                         ((2, 3, 5, 7), (3, 4)),     # overlapping bins
                                         ((1, 2, 3, 2), (5, 4)),     # more outputs than inputs
                                         ((2, 2, 4, 5), (None, 1))])
def test_adaptive_avg_pool2d_gradcheck(shape, size):
    x = sc.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    assert sc.gradcheck(lambda t: F.adaptive_avg_pool2d(t, size), (x,))


def test_adaptive_bins_are_torch_bins():
    start, end = adaptive_pool.bin_edges(10, 4)          # 10 / 4 = 2.5 rows a bin
    assert start.tolist() == [0, 2, 5, 7] and end.tolist() == [3, 5, 8, 10]
    start, end = adaptive_pool.bin_edges(2, 5)           # upsampling repeats rows
    assert start.tolist() == [0, 0, 0, 1, 1] and end.tolist() == [1, 1, 2, 2, 2]


def test_adaptive_avg_pool2d_float32_large_values_have_no_cancellation_error():
    x = (np.random.default_rng(1).standard_normal((2, 3, 37, 29)) + 1000).astype(np.float32)
    expected = torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(x), (6, 5))
    assert_close(F.adaptive_avg_pool2d(sc.tensor(x), (6, 5)), expected, np.float32, atol=0)


def test_adaptive_avg_pool2d_module_repr_shapes_and_errors():
    for size in (6, (6, None), [5, 3], (None, None)):
        assert repr(nn.AdaptiveAvgPool2d(size)) == repr(torch.nn.AdaptiveAvgPool2d(size))
    pool = nn.AdaptiveAvgPool2d((6, 6))
    assert pool.output_shape((1, 256, 13, 13)) == (1, 256, 6, 6)
    assert pool.output_shape((256, 5, 5)) == (256, 6, 6)
    assert list(pool.state_dict()) == [] and list(pool.parameters()) == []
    model = nn.Sequential(nn.Conv2d(3, 4, 3), pool, nn.Flatten(), nn.Linear(4 * 36, 2))
    assert model.output_shape((2, 3, 11, 9)) == (2, 2)
    assert model(sc.zeros(2, 3, 11, 9)).shape == (2, 2)
    with pytest.raises(ShapeError, match=r"AdaptiveAvgPool2d\(output_size=\(6, 6\)\).*"
                                         r"\(N, C, H, W\) or \(C, H, W\).*got 2-D"):
        pool(sc.zeros(4, 4))
    with pytest.raises(ShapeError, match="non-zero"):
        pool(sc.zeros(1, 2, 0, 4))
    with pytest.raises(ShapeError):
        pool.output_shape((4, 4))
    with pytest.raises(ArgumentError, match="output_size"):
        nn.AdaptiveAvgPool2d((2, 3, 4))
    with pytest.raises(ArgumentError, match="output_size >= 0"):
        F.adaptive_avg_pool2d(sc.zeros(1, 1, 4, 4), -1)
    with pytest.raises(ArgumentError):
        nn.AdaptiveAvgPool2d(2.5)
    with pytest.raises(DTypeError):
        pool(sc.tensor(np.zeros((1, 1, 4, 4), np.int64)))
    with pytest.raises(TypeError):
        F.adaptive_avg_pool2d(np.zeros((1, 1, 4, 4)), 2)
    assert F.adaptive_avg_pool2d(sc.zeros(1, 2, 4, 4), 0).shape == (1, 2, 0, 0)


# --------------------------------------------------------------------- local response norm
@st.composite
def lrn_configs(draw):
    ndim = draw(st.sampled_from([3, 4, 4, 5]))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 8))) + tuple(
        draw(st.integers(1, 4)) for _ in range(ndim - 2))
    return dict(shape=shape, size=draw(st.integers(1, 7)),
                alpha=draw(st.sampled_from([1e-4, 0.01, 0.5, 2.0])),
                beta=draw(st.sampled_from([0.75, 0.5, 1.0, 2.3])),
                k=draw(st.sampled_from([1.0, 2.0, 0.5])),
                seed=draw(st.integers(0, 2 ** 32 - 1)))


@given(cfg=lrn_configs(), dtype=DTYPES)
def test_local_response_norm_matches_torch(cfg, dtype):
    rng = np.random.default_rng(cfg["seed"])
    x = (rng.standard_normal(cfg["shape"]) * 2).astype(dtype)
    grad = rng.standard_normal(cfg["shape"]).astype(dtype)
    args = (cfg["size"], cfg["alpha"], cfg["beta"], cfg["k"])
    ours, theirs = forward_backward((lambda t: F.local_response_norm(t, *args),
                                     lambda t: torch.nn.functional.local_response_norm(t, *args)),
                                    x, grad)
    assert_both_close(ours, theirs, dtype)
    assert_close(nn.LocalResponseNorm(*args)(sc.tensor(x)), theirs[0], dtype)


@pytest.mark.parametrize("size, shape", [(5, (2, 7, 2, 3)), (2, (1, 4, 3)), (4, (2, 3, 2, 1, 2)),
                                         (1, (1, 3, 2, 2))])
def test_local_response_norm_gradcheck(size, shape):
    x = sc.tensor(np.random.default_rng(2).standard_normal(shape), requires_grad=True)
    assert sc.gradcheck(lambda t: F.local_response_norm(t, size, alpha=0.7, beta=0.75, k=1.5),
                        (x,))


def test_local_response_norm_window_is_torchs():
    """One non-zero channel: only the channels whose window contains it are changed."""
    x = np.zeros((1, 6, 1, 1))
    x[0, 2] = 3.0
    x += 1.0
    for size in (2, 3, 4):
        ours = F.local_response_norm(sc.tensor(x), size, alpha=1.0)
        assert_close(ours, torch.nn.functional.local_response_norm(to_torch(x), size, alpha=1.0))


def test_local_response_norm_module_repr_shapes_and_errors():
    for args in ((5,), (5, 1e-4, 0.75, 2.0), (3, 1, 2, 2)):
        assert repr(nn.LocalResponseNorm(*args)) == repr(torch.nn.LocalResponseNorm(*args))
    lrn = nn.LocalResponseNorm(5, k=2.0)
    assert lrn.output_shape((1, 96, 55, 55)) == (1, 96, 55, 55)
    assert list(lrn.state_dict()) == []
    with pytest.raises(ShapeError, match=r"LocalResponseNorm\(5.*at least 3 dimensions.*got 2-D"):
        lrn(sc.zeros(2, 3))
    with pytest.raises(ShapeError):
        lrn.output_shape((2, 3))
    with pytest.raises(ArgumentError, match="size"):
        nn.LocalResponseNorm(0)
    with pytest.raises(ArgumentError, match="size"):
        F.local_response_norm(sc.zeros(1, 2, 3), 2.0)
    with pytest.raises(DTypeError):
        lrn(sc.tensor(np.zeros((1, 2, 3), np.int64)))
    empty = sc.zeros(0, 3, 2, 2)
    assert F.local_response_norm(empty, 3) is empty
