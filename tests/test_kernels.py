"""The speed layer (scratchcnn.kernels) against the plain ops (scratchcnn.ops), and the
switches that choose between them (scratchcnn.backends, scratchcnn.dispatch).

The plain path and the fast path must compute the same thing: bit for bit where the fast
path only splits the work across threads (pooling, ReLU, the optimizer updates), to float
tolerance where it also reorders the sums of a matrix product (convolutions). The
``split_everything`` fixture makes the fast path split even these small arrays, on an odd
thread count, so that its block and chunk code runs.
"""

import ast
import functools
from pathlib import Path

import numpy as np
import pytest

import scratchcnn as sc
import scratchcnn.nn.functional as F
from scratchcnn import dispatch, threads as thread_control
from scratchcnn.errors import ArgumentError
from scratchcnn.kernels import chunks, parallel
from scratchcnn.kernels import conv as fast_conv
from scratchcnn.ops import conv as plain_conv

from conftest import assert_close

PACKAGE = Path(sc.__file__).resolve().parent


@pytest.fixture
def split_everything(monkeypatch):
    """Fast passes on 3 threads (blocks of unequal size) and 7-element optimizer chunks."""
    monkeypatch.setattr(parallel, "MIN_ELEMENTS", 0)
    monkeypatch.setattr(thread_control, "_pass_threads", 3)
    monkeypatch.setattr(chunks, "CHUNK", 7)


def run_both(fn):
    """``fn()`` on the fast path (the default) and with the kernels switched off."""
    fast = fn()
    with sc.backends.kernels.flags(enabled=False):
        plain = fn()
    return fast, plain


def forward_backward(op, inputs, seed=0, **kwargs):
    """Output and input gradients of ``op(*inputs, **kwargs)`` for a fixed output gradient."""
    tensors = [sc.tensor(a, requires_grad=True) for a in inputs]
    y = op(*tensors, **kwargs)
    g = np.random.default_rng(seed).standard_normal(y.shape).astype(y.dtype)
    y.backward(sc.tensor(g))
    return [y.numpy()] + [t.grad.numpy() for t in tensors]


# --------------------------------------------------------------------- layering
def imported_modules(path, package):
    """Absolute names of every module ``path`` imports (function-level ones included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            names += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return names


def package_of(path):
    """The package a module file is in (what its relative imports start from)."""
    return ".".join(path.relative_to(PACKAGE.parent).parts[:-1])


def test_ops_never_import_the_speed_layer_or_the_dispatch():
    ops_files = sorted((PACKAGE / "ops").glob("*.py"))
    assert ops_files
    for path in ops_files:
        for name in imported_modules(path, package_of(path)):
            assert not name.startswith(("scratchcnn.kernels", "scratchcnn.dispatch")), \
                f"{path.name} imports {name}"


def test_tensor_autograd_and_nn_reach_kernels_only_through_dispatch():
    files = [*PACKAGE.glob("tensor*.py"), *(PACKAGE / "autograd").glob("*.py"),
             *(PACKAGE / "nn").rglob("*.py")]
    for path in files:
        for name in imported_modules(path, package_of(path)):
            assert not name.startswith("scratchcnn.kernels"), f"{path} imports {name}"


def test_the_import_scanner_sees_relative_and_function_level_imports(tmp_path):
    """Guard for the guard: the scanner above must catch the imports it looks for."""
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from ..kernels import conv\n    from .. import dispatch\n")
    names = imported_modules(source, "scratchcnn.ops")
    assert "scratchcnn.kernels.conv" in names and "scratchcnn.dispatch" in names


# --------------------------------------------------------------------- the switches
def test_default_runs_the_kernels_and_the_switches_select_the_plain_ops():
    assert sc.backends.conv.algorithm == "auto" and sc.backends.kernels.enabled is True
    for name in ("conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "relu"):
        forward, backward = dispatch.op(name)
        assert forward.__module__.startswith("scratchcnn.kernels."), name
        assert backward.__module__.startswith("scratchcnn.kernels."), name
        assert forward.__name__ == f"{name}_forward" and backward.__name__ == f"{name}_backward"
        with sc.backends.kernels.flags(enabled=False):
            for function in dispatch.op(name):
                assert function.__module__.startswith("scratchcnn.ops."), name
    with sc.backends.conv.flags(algorithm="im2col"):
        assert dispatch.op("conv2d")[0] is plain_conv.conv2d_forward
        assert dispatch.op("relu")[0].__module__ == "scratchcnn.kernels.activation"
    # otherwise the speed layer picks an algorithm per layer shape (kernels/conv_algorithms.py)
    assert dispatch.op("conv2d")[0].__module__ == "scratchcnn.kernels.conv_algorithms"
    assert dispatch.conv_algorithm((2, 64, 27, 27), (96, 64, 5, 5), padding=(2, 2)) == \
        "im2col_fast"
    with sc.backends.conv.flags(algorithm="ones_row"):
        assert dispatch.conv_algorithm((2, 64, 27, 27), (96, 64, 5, 5)) == "ones_row"


def test_conv_algorithm_switch_reaches_f_conv2d(monkeypatch):
    calls = []

    def counting(module, name):
        original = getattr(module, name)

        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            calls.append((module.__name__, name))
            return original(*args, **kwargs)
        monkeypatch.setattr(module, name, wrapper)

    for module in (plain_conv, fast_conv):
        counting(module, "conv2d_forward")
        counting(module, "conv2d_backward")
    x = sc.randn(2, 8, 6, 6, requires_grad=True)    # 8x3x3 inputs a window: im2col's
    w = sc.randn(4, 8, 3, 3, requires_grad=True)
    F.conv2d(x, w).sum().backward()
    sc.backends.conv.algorithm = "im2col"
    try:
        F.conv2d(x, w).sum().backward()
    finally:
        sc.backends.conv.algorithm = "auto"
    assert calls == [("scratchcnn.kernels.conv", "conv2d_forward"),
                     ("scratchcnn.kernels.conv", "conv2d_backward"),
                     ("scratchcnn.ops.conv", "conv2d_forward"),
                     ("scratchcnn.ops.conv", "conv2d_backward")]


def test_a_backward_pass_uses_the_implementation_of_its_forward_pass(monkeypatch):
    """Switching between forward and backward must not hand the fast cache (here: the
    input, kept instead of cols) to the plain backward, or the other way round."""
    monkeypatch.setattr(fast_conv, "KEEP_COLS_UP_TO_BYTES", 0)
    rng = np.random.default_rng(1)
    x_array = rng.standard_normal((2, 3, 7, 7))
    w_array = rng.standard_normal((4, 3, 3, 3))
    expected = forward_backward(F.conv2d, (x_array, w_array), padding=1)
    for first, second in (("auto", "im2col"), ("im2col", "auto")):
        x, w = sc.tensor(x_array, requires_grad=True), sc.tensor(w_array, requires_grad=True)
        with sc.backends.conv.flags(algorithm=first):
            y = F.conv2d(x, w, padding=1)
        with sc.backends.conv.flags(algorithm=second):
            g = np.random.default_rng(0).standard_normal(y.shape)
            y.backward(sc.tensor(g))
        for ours, theirs in zip((y.numpy(), x.grad.numpy(), w.grad.numpy()), expected):
            assert_close(ours, theirs)


def test_flags_restore_the_previous_setting_even_after_an_error():
    with pytest.raises(RuntimeError, match="inside"):
        with sc.backends.kernels.flags(enabled=False), sc.backends.conv.flags(algorithm="im2col"):
            assert not sc.backends.kernels.enabled and sc.backends.conv.algorithm == "im2col"
            raise RuntimeError("inside")
    assert sc.backends.kernels.enabled is True and sc.backends.conv.algorithm == "auto"
    with sc.backends.kernels.flags():                    # None: unchanged
        assert sc.backends.kernels.enabled is True


@pytest.mark.parametrize("setting, value, message", [
    ("conv", "fft", "backends.conv.algorithm expects one of 'auto', 'im2col', .*got 'fft'"),
    ("conv", None, "got None"),
    ("kernels", 1, "backends.kernels.enabled expects True or False, got 1"),
    ("kernels", "False", "expects True or False"),
])
def test_bad_switch_values_are_refused_and_change_nothing(setting, value, message):
    module = getattr(sc.backends, setting)
    name = "algorithm" if setting == "conv" else "enabled"
    before = getattr(module, name)
    with pytest.raises(ArgumentError, match=message):
        setattr(module, name, value)
    with pytest.raises(ArgumentError, match=f"backends.{setting}.{name} expects"):
        with module.flags(**{name: value if value is not None else 3}):
            pass
    assert getattr(module, name) == before


# --------------------------------------------------------------------- plain == fast
CONV_CASES = [  # x shape, w shape, keyword arguments
    ((2, 3, 9, 8), (4, 3, 3, 3), dict(padding=1)),
    ((2, 4, 11, 11), (6, 2, 5, 3), dict(stride=(2, 3), padding=(2, 0), dilation=(1, 2), groups=2)),
    ((3, 6, 7, 7), (6, 1, 3, 3), dict(padding=1, groups=6)),                   # depthwise
    ((2, 3, 8, 8), (5, 3, 4, 2), dict(padding="same")),                        # per-side padding
    ((1, 2, 5, 5), (3, 2, 1, 1), dict(stride=2)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONV_CASES)
@pytest.mark.parametrize("keep_cols", [True, False])
def test_conv2d_plain_and_fast_agree(split_everything, monkeypatch, dtype, x_shape, w_shape,
                                     kwargs, keep_cols):
    if not keep_cols:
        monkeypatch.setattr(fast_conv, "KEEP_COLS_UP_TO_BYTES", 0)
    rng = np.random.default_rng(2)
    inputs = (rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(w_shape).astype(dtype),
              rng.standard_normal(w_shape[0]).astype(dtype))
    fast, plain = run_both(lambda: forward_backward(F.conv2d, inputs, **kwargs))
    assert fast[0].flags.c_contiguous and plain[0].flags.c_contiguous       # y, NCHW
    for ours, theirs in zip(fast, plain):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        assert_close(ours, theirs, dtype)
    with sc.backends.conv.flags(algorithm="im2col"):
        im2col = forward_backward(F.conv2d, inputs, **kwargs)
    for ours, theirs in zip(im2col, plain):
        np.testing.assert_array_equal(ours, theirs)       # the same plain op either way


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, w_shape, kwargs", [
    ((2, 4, 5, 6), (4, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((1, 4, 4, 4), (4, 2, 2, 3), dict(stride=(2, 1), dilation=(1, 2), groups=2)),
])
def test_conv_transpose2d_plain_and_fast_agree(split_everything, dtype, x_shape, w_shape, kwargs):
    rng = np.random.default_rng(3)
    out_channels = w_shape[1] * kwargs.get("groups", 1)
    inputs = (rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(w_shape).astype(dtype),
              rng.standard_normal(out_channels).astype(dtype))
    fast, plain = run_both(lambda: forward_backward(F.conv_transpose2d, inputs, **kwargs))
    for ours, theirs in zip(fast, plain):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        assert_close(ours, theirs, dtype)


def pool_input(shape=(3, 5, 10, 9), seed=4):
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    x[0, 0, :3, :3] = 0.5                                  # ties: the first one wins
    x[1, 2, 4, 4] = np.nan                                 # a NaN is the maximum of its windows
    x[2, 1, :2, :2] = [[-0.0, 0.0], [0.0, -0.0]]           # signed zeros tie
    x[2, 3] = -np.inf
    return x


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=2),                                     # disjoint windows
    dict(kernel_size=(3, 2), stride=1, dilation=(2, 1)),
])
def test_max_pool2d_plain_and_fast_are_bitwise_equal(split_everything, kwargs):
    x = pool_input()
    fast, plain = run_both(lambda: forward_backward(F.max_pool2d, (x,), **kwargs))
    for ours, theirs in zip(fast, plain):
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)
        np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))
    assert np.isnan(fast[0]).any()                           # the NaN case was exercised


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=(1, 2)),
    dict(kernel_size=2),                                   # disjoint windows: stores
    dict(kernel_size=(2, 3), stride=(3, 3), padding=(1, 1), count_include_pad=False),
])
def test_avg_pool2d_plain_and_fast_agree(split_everything, kwargs):
    """The gradient bit for bit; the forward sums to float rounding (NumPy's reduction over
    the window view may add a window's values in another order than the offset loop)."""
    x = np.random.default_rng(5).standard_normal((3, 5, 9, 9))
    (y_fast, dx_fast), (y_plain, dx_plain) = run_both(
        lambda: forward_backward(F.avg_pool2d, (x,), **kwargs))
    np.testing.assert_allclose(y_fast, y_plain, rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(dx_fast, dx_plain)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_plain_and_fast_are_bitwise_equal(split_everything, dtype):
    x = np.random.default_rng(6).standard_normal((4, 3, 5, 5)).astype(dtype)
    x[0, 0, 0, :3] = [0.0, -0.0, np.nan]
    fast, plain = run_both(lambda: forward_backward(F.relu, (x,)))
    for ours, theirs in zip(fast, plain):
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("optimizer, kwargs", [
    (sc.optim.SGD, dict(lr=0.1)),
    (sc.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    (sc.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    (sc.optim.Adam, dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    (sc.optim.AdamW, dict(lr=0.01)),
    (sc.optim.Adadelta, dict(weight_decay=0.01)),
    (sc.optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.01)),
    (sc.optim.RMSprop, dict(lr=0.01)),
    (sc.optim.Adagrad, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_optimizer_updates_plain_and_chunked_are_bitwise_equal(split_everything, optimizer,
                                                              kwargs, dtype):
    """Parameters of 1, 7 (one chunk), 40 (several chunks on 3 threads) and a
    non-contiguous one, over several steps."""
    rng = np.random.default_rng(7)
    shapes = [(1,), (7,), (5, 8), (6, 4)]
    start = [rng.standard_normal(s).astype(dtype) for s in shapes]
    start[3] = np.asfortranarray(start[3])
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(4)]

    def train():
        params = [sc.tensor(a.copy(), requires_grad=True) for a in start]
        opt = optimizer(params, **kwargs)
        for step_grads in grads:
            for p, g in zip(params, step_grads):
                p.grad = sc.tensor(g)
            opt.step()
        return [p.numpy() for p in params]

    fast, plain = run_both(train)
    for ours, theirs, first in zip(fast, plain, start):
        assert not np.array_equal(ours, first)                  # the steps did something
        np.testing.assert_array_equal(ours, theirs)


def test_plain_ops_train_the_mnist_cnn_like_the_kernels():
    """A whole model, end to end: two SGD steps on the plain ops and on the kernels."""
    from scratchcnn import models

    x = np.random.default_rng(8).standard_normal((4, 1, 28, 28)).astype(np.float32)
    y = sc.tensor([0, 1, 2, 3])

    def train():
        sc.manual_seed(0)
        model = models.mnist_cnn()
        opt = sc.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        losses = []
        for _ in range(2):
            opt.zero_grad()
            loss = F.cross_entropy(model(sc.tensor(x)), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, [p.numpy() for p in model.parameters()]

    (fast_losses, fast_params), (plain_losses, plain_params) = run_both(train)
    np.testing.assert_allclose(fast_losses, plain_losses, rtol=1e-5)
    for ours, theirs in zip(fast_params, plain_params):
        assert_close(ours, theirs, np.float32)


# --------------------------------------------------------------------- docs/engine.md
ENGINE_DOC = PACKAGE.parent.parent / "docs" / "engine.md"


def python_blocks(markdown):
    blocks, inside = [], None
    for line in markdown.splitlines():
        if inside is None and line.strip() == "```python":
            inside = []
        elif inside is not None and line.strip() == "```":
            blocks.append("\n".join(inside))
            inside = None
        elif inside is not None:
            inside.append(line)
    return blocks


def without_docstrings(function):
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return ast.dump(ast.Module(body=body, type_ignores=[]))


def test_engine_doc_excerpts_are_the_real_code_of_ops():
    """Each block that starts with ``# src/scratchcnn/<file>`` shows functions of that file
    exactly as they are there (their docstrings left out)."""
    excerpts = [b for b in python_blocks(ENGINE_DOC.read_text(encoding="utf-8"))
                if b.startswith("# src/scratchcnn/")]
    assert len(excerpts) >= 2
    checked = 0
    for block in excerpts:
        source = PACKAGE.parent.parent / block.splitlines()[0][2:].strip()
        real = {f.name: f for f in ast.walk(ast.parse(source.read_text(encoding="utf-8")))
                if isinstance(f, ast.FunctionDef)}
        for shown in ast.parse(block).body:
            assert isinstance(shown, ast.FunctionDef)
            assert shown.name in real, f"{shown.name} is not in {source}"
            assert ast.dump(shown.args) == ast.dump(real[shown.name].args), shown.name
            assert without_docstrings(shown) == without_docstrings(real[shown.name]), \
                f"docs/engine.md shows another {shown.name} than {source}"
            checked += 1
    assert checked >= 6


def test_engine_doc_switch_example_runs():
    (example,) = [b for b in python_blocks(ENGINE_DOC.read_text(encoding="utf-8"))
                  if "backends.kernels.enabled = False" in b]
    try:
        exec(compile(example, str(ENGINE_DOC), "exec"), {})
        assert sc.backends.kernels.enabled is True and sc.backends.conv.algorithm == "auto"
    finally:
        sc.backends.kernels.enabled = True
        sc.backends.conv.algorithm = "auto"
