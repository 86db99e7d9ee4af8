"""The conv algorithms of the speed layer (issue 13): each against the naive loops, PyTorch
and the others; the per-shape choice and its override; the compiled and NumPy paths of
Winograd; the ladder."""

import subprocess
import sys

import numpy as np
import pytest
import torch

import scratchcnn as sc
import scratchcnn.nn.functional as F
from scratchcnn import dispatch, ladder
from scratchcnn.errors import ArgumentError
from scratchcnn.kernels import compiled, conv_algorithms, conv_ones_row, conv_winograd
from scratchcnn.ops import naive

from conftest import assert_close

ALGORITHMS = {"ones_row": conv_ones_row, "winograd": conv_winograd}
# (x shape, w shape, padding): every layer is 3x3 stride 1 so that both algorithms apply
CASES = [
    ((2, 1, 7, 6), (4, 1, 3, 3), 1),        # conv1-like: one channel, odd width
    ((2, 3, 6, 6), (5, 3, 3, 3), 0),        # RGB, no padding
    ((1, 4, 5, 8), (3, 4, 3, 3), 2),        # padding wider than the kernel's reach
]
COMPILED = [False, True] if compiled.installed() else [False]


def run(module, x, w, b, padding, needs=(True, True, True), seed=1):
    y, cache = module.conv2d_forward(x, w, b, (1, 1), (padding, padding), (1, 1), 1)
    # scaled so that the gradient sums stay of order one (atol 1e-5 in float32)
    g = np.random.default_rng(seed).standard_normal(y.shape) / np.sqrt(y[:, 0].size)
    g = g.astype(x.dtype)
    return y, g, module.conv2d_backward(g, cache, needs)


@pytest.mark.parametrize("compiled_path", COMPILED)
@pytest.mark.parametrize("name", sorted(ALGORITHMS))
@pytest.mark.parametrize("x_shape, w_shape, padding", CASES)
def test_float64_matches_the_naive_loops(name, x_shape, w_shape, padding, compiled_path):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    with sc.backends.kernels.flags(compiled=compiled_path):
        y, g, grads = run(ALGORITHMS[name], x, w, b, padding)
    assert_close(y, naive.conv2d_forward(x, w, b, 1, padding))
    for ours, theirs in zip(grads, naive.conv2d_backward(g, x, w, True, 1, padding)):
        assert ours.dtype == np.float64
        assert_close(ours, theirs)


@pytest.mark.parametrize("compiled_path", COMPILED)
@pytest.mark.parametrize("blocks", ["per_bytes", "per_thread"])
@pytest.mark.parametrize("x_shape, w_shape, padding", CASES)
def test_winograd_image_blocks_give_the_same_result(monkeypatch, blocks, x_shape, w_shape,
                                                   padding, compiled_path):
    """Blocks of images on several threads (tiny blocks, or one block per thread as for
    many channels) compute what the naive loops compute, in float64, to 1e-10."""
    from scratchcnn import threads as thread_control
    from scratchcnn.kernels import parallel
    monkeypatch.setattr(thread_control, "_pass_threads", 3)
    monkeypatch.setattr(parallel, "MIN_ELEMENTS", 0)
    monkeypatch.setattr(parallel, "MIN_PRODUCT_FLOPS", 0)
    if blocks == "per_bytes":
        monkeypatch.setattr(conv_winograd, "BLOCK_BYTES", 1)          # one image per block
    else:
        monkeypatch.setattr(conv_winograd, "BLOCKED_MAX_CHANNELS", 0)
    rng = np.random.default_rng(7)
    x_shape = (5,) + x_shape[1:]                                       # 5 images, 3 threads
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    expected_blocks = 5 if blocks == "per_bytes" else 3
    assert len(conv_winograd.image_blocks(x.shape, w_shape[0], (3, 3), 8)) == expected_blocks
    with sc.backends.kernels.flags(compiled=compiled_path):
        y, g, grads = run(conv_winograd, x, w, b, padding)
    assert_close(y, naive.conv2d_forward(x, w, b, 1, padding))
    for ours, theirs in zip(grads, naive.conv2d_backward(g, x, w, True, 1, padding)):
        assert_close(ours, theirs)


@pytest.mark.parametrize("compiled_path", COMPILED)
@pytest.mark.parametrize("name", sorted(ALGORITHMS))
@pytest.mark.parametrize("x_shape, w_shape, padding", CASES + [((4, 32, 14, 14), (64, 32, 3, 3), 1)])
def test_float32_matches_pytorch(name, x_shape, w_shape, padding, compiled_path):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = (rng.standard_normal(w_shape) / np.sqrt(np.prod(w_shape[1:]))).astype(np.float32)
    b = rng.standard_normal(w_shape[0]).astype(np.float32)
    with sc.backends.kernels.flags(compiled=compiled_path):
        y, g, grads = run(ALGORITHMS[name], x, w, b, padding)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, padding=padding)
    ty.backward(torch.tensor(g))
    assert y.dtype == np.float32
    for ours, theirs in zip((y,) + grads, (ty, tx.grad, tw.grad, tb.grad)):
        assert_close(ours, theirs, np.float32)


@pytest.mark.parametrize("name", sorted(ALGORITHMS))
def test_without_bias_and_the_input_gradient_skipped(name):
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
    y, g, (dx, dw, db) = run(ALGORITHMS[name], x, w, None, 1, needs=(False, True, False))
    assert dx is None and db is None
    assert_close(y, naive.conv2d_forward(x, w, None, 1, 1))
    assert_close(dw, naive.conv2d_backward(g, x, w, False, 1, 1)[1])


def test_ones_row_folds_the_bias_into_the_products():
    """The cache keeps [cols; 1]: the last row is ones, and dL/db is the last column of
    one product (equal to the sum of the output gradient)."""
    rng = np.random.default_rng(5)
    x, w, b = rng.standard_normal((3, 1, 5, 5)), rng.standard_normal((2, 1, 3, 3)), np.ones(2)
    y, cache = conv_ones_row.conv2d_forward(x, w, b, (1, 1), (1, 1), (1, 1), 1)
    cols = cache[1]
    assert cols.shape == (3, 10, 25) and np.all(cols[:, 9] == 1)
    _, _, db = conv_ones_row.conv2d_backward(np.ones_like(y), cache, (False, False, True))
    assert_close(db, np.full(2, 3 * 25.0))


def test_a_first_layer_computes_no_input_gradient(monkeypatch):
    """F.conv2d on data that does not require grad: the backward is told so, and the
    ones-row algorithm never runs its input-gradient product."""
    calls = []
    monkeypatch.setattr(conv_ones_row, "_input_gradient",
                        lambda *a: calls.append("dx") or np.zeros(a[2]))
    x = sc.randn(2, 1, 6, 6)
    w = sc.randn(4, 1, 3, 3, requires_grad=True)
    F.conv2d(x, w, padding=1).sum().backward()
    assert calls == [] and w.grad is not None
    x.requires_grad_(True)
    F.conv2d(x, w, padding=1).sum().backward()
    assert calls == ["dx"]


def test_winograd_float32_rounding_is_small():
    """Winograd's extra float32 rounding, measured on the MNIST CNN's conv2 shape (batch
    4): within a few times im2col's error against the float64 result."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 32, 14, 14))
    w = rng.standard_normal((64, 32, 3, 3)) / np.sqrt(288)
    exact = conv_algorithms.MODULES["im2col"].conv2d_forward(x, w, None, (1, 1), (1, 1))[0]
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    errors = {}
    for name in ("im2col", "winograd"):
        y = conv_algorithms.MODULES[name].conv2d_forward(x32, w32, None, (1, 1), (1, 1))[0]
        errors[name] = np.abs(y - exact).max() / np.abs(exact).max()
    assert errors["winograd"] < 1e-5 and errors["winograd"] < 10 * errors["im2col"] + 1e-7


@pytest.mark.skipif(not compiled.installed(), reason="numba is not installed")
def test_compiled_and_numpy_transforms_agree():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 5, 9, 7)).astype(np.float32)
    w = rng.standard_normal((6, 5, 3, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    results = []
    for compiled_path in (False, True):
        with sc.backends.kernels.flags(compiled=compiled_path):
            y, g, grads = run(conv_winograd, x, w, b, 1)
            results.append((y,) + grads)
    for numpy_path, compiled_path in zip(*results):
        np.testing.assert_allclose(compiled_path, numpy_path, rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------------- choice and override
def test_auto_chooses_by_shape():
    choose = conv_algorithms.choose
    assert choose((128, 1, 28, 28), (32, 1, 3, 3), padding=(1, 1)) == "ones_row"
    assert choose((32, 3, 227, 227), (96, 3, 11, 11), (4, 4)) == "im2col_fast"
    assert choose((8, 4, 8, 8), (4, 2, 3, 3), groups=2) == "im2col_fast"
    assert choose((8, 8, 14, 14), (64, 8, 3, 3), padding=(1, 1)) == "im2col_fast"   # C < 16
    alexnet_conv5 = ((32, 384, 13, 13), (256, 384, 3, 3))   # C*O above 128*128: memory
    with sc.backends.kernels.flags(compiled=True):
        if compiled.installed():                       # compiled transforms
            assert choose((128, 32, 14, 14), (64, 32, 3, 3), padding=(1, 1)) == "winograd"
        assert choose(*alexnet_conv5, padding=(1, 1)) == "im2col_fast"
    with sc.backends.kernels.flags(compiled=False):    # NumPy transforms: no Winograd
        assert choose((128, 32, 14, 14), (64, 32, 3, 3), padding=(1, 1)) == "im2col_fast"
    with sc.backends.kernels.flags(enabled=False):
        assert choose((128, 1, 28, 28), (32, 1, 3, 3)) == "im2col"


@pytest.mark.parametrize("setting, expected", [
    ("im2col", "im2col"), ("im2col_fast", "im2col_fast"), ("ones_row", "ones_row"),
    ("winograd", "winograd")])
def test_the_setting_overrides_the_choice(setting, expected):
    with sc.backends.conv.flags(algorithm=setting):
        assert dispatch.conv_algorithm((4, 32, 14, 14), (64, 32, 3, 3), padding=(1, 1)) == expected
        # a forced algorithm that cannot run a layer falls back to auto's choice
        assert dispatch.conv_algorithm((4, 32, 14, 14), (64, 32, 5, 5), (2, 2)) in (
            "im2col_fast", "im2col", "ones_row")
    sc.backends.conv.algorithm = setting
    try:
        assert sc.backends.conv.algorithm == setting
    finally:
        sc.backends.conv.algorithm = "auto"


def test_the_algorithm_that_ran_forward_runs_backward(monkeypatch):
    rng = np.random.default_rng(8)
    x_array, w_array = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3))
    seen = []
    original = conv_winograd.conv2d_backward
    monkeypatch.setattr(conv_winograd, "conv2d_backward",
                        lambda *a: seen.append("winograd") or original(*a))
    x, w = sc.tensor(x_array, requires_grad=True), sc.tensor(w_array, requires_grad=True)
    with sc.backends.conv.flags(algorithm="winograd"):
        y = F.conv2d(x, w, padding=1)
    with sc.backends.conv.flags(algorithm="ones_row"):
        y.sum().backward()
    assert seen == ["winograd"]
    assert_close(w.grad, naive.conv2d_backward(np.ones(y.shape), x_array, w_array, False, 1, 1)[1])


def test_bad_algorithm_names_are_refused():
    with pytest.raises(ArgumentError, match="'winograd', got 'fft'"):
        sc.backends.conv.algorithm = "fft"
    assert sc.backends.conv.algorithm == "auto"


def test_summary_shows_the_algorithm_per_conv_layer():
    s = sc.summary(sc.models.mnist_cnn(), (1, 28, 28), algorithms=True)
    convs = [row["algorithm"] for row in s.rows if row["type"] == "Conv2d"]
    assert convs[0] == "ones_row" and convs[1] in ("im2col_fast", "winograd")
    assert "Algorithm" in str(s)
    with sc.backends.conv.flags(algorithm="im2col"):
        s = sc.summary(sc.models.mnist_cnn(), (1, 28, 28), algorithms=True)
    assert [row["algorithm"] for row in s.rows if row["type"] == "Conv2d"] == ["im2col"] * 2


# --------------------------------------------------------------------- compiled kernels
def test_import_scratchcnn_does_not_import_numba():
    code = "import sys, scratchcnn; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- ladder
def test_ladder_on_a_tiny_layer():
    layer = ladder.parse_layer("2:1:6:6:3:3:1:1")
    rows = ladder.run(layer, threads=1, reps=1, warmup=0, torch=True)
    labels = [label for label, _, _ in rows]
    assert labels[0].startswith("naive loops") and rows[0][2] is True
    assert "ones_row (kernels/conv_ones_row.py)" in labels and "PyTorch" in labels
    assert any(label.startswith("winograd") for label in labels)
    assert all(seconds > 0 for _, seconds, _ in rows)
    text = ladder.render(layer, rows, 1)
    assert "(extrapolated)" in text and 'runs: ones_row' in text
    assert len(text.splitlines()) == len(rows) + 3


def test_ladder_refuses_a_bad_layer():
    with pytest.raises(ArgumentError, match="N:C:H:W:O:K"):
        ladder.parse_layer("mnist.conv9")
    assert ladder.parse_layer("mnist.conv2") == (128, 32, 14, 14, 64, 3, 1, 1)
    assert ladder.parse_layer("1:2:3:4:5:3") == (1, 2, 3, 4, 5, 3, 1, 0)
