"""The threaded passes (kernels/parallel.py) and the chunked optimizer updates (kernels/chunks.py)
give bit for bit the results of one thread, whatever the split; the split matrix
products (``parallel.matmul``) give them to float rounding.

Unit tests elsewhere use small arrays, below the size where passes are split; here the
size threshold and the chunk size are lowered so that every split path runs, with an
odd thread count so that blocks differ in size.
"""

import numpy as np
import pytest
import torch

import scratchcnn as sc
from scratchcnn import threads as thread_control
from scratchcnn.kernels import activation, chunks, conv, parallel, pool

from scratchcnn.ops import naive as reference


@pytest.fixture
def split_everything(monkeypatch):
    """Run every pass on 3 threads (blocks of unequal size), however small the array."""
    monkeypatch.setattr(parallel, "MIN_ELEMENTS", 0)
    monkeypatch.setattr(parallel, "MIN_PRODUCT_FLOPS", 0)
    monkeypatch.setattr(thread_control, "_pass_threads", 3)
    monkeypatch.setattr(chunks, "CHUNK", 7)


def one_thread(monkeypatch_context, func, *args):
    with monkeypatch_context() as patch:
        patch.setattr(thread_control, "_pass_threads", 1)
        patch.setattr(chunks, "CHUNK", 1 << 30)
        return func(*args)


def test_blocks_cover_the_range_without_overlap():
    for length in range(0, 12):
        for parts in range(1, 6):
            covered = [i for block in parallel.blocks(length, parts) for i in range(length)[block]]
            assert covered == list(range(length))


def test_for_blocks_reraises_an_error_from_a_worker(split_everything):
    def fail_on_last(block):
        if block.stop == 5:
            raise RuntimeError("worker failed")
    with pytest.raises(RuntimeError, match="worker failed"):
        parallel.for_blocks(fail_on_last, 5, 5)


def test_set_num_threads_sets_the_split(monkeypatch):
    monkeypatch.setattr(thread_control, "_pass_threads", None)
    before = sc.get_num_threads()
    try:
        sc.set_num_threads(1)
        assert parallel.threads() == 1
    finally:
        sc.set_num_threads(before)
    assert parallel.threads() == before


def test_for_blocks_waits_for_every_block_before_raising(split_everything):
    import time

    finished = []

    def slow_unless_first(block):
        if block.start == 0:
            raise RuntimeError("first block failed")
        time.sleep(0.05)
        finished.append(block)
    with pytest.raises(RuntimeError, match="first block failed"):
        parallel.for_blocks(slow_unless_first, 9, 9)
    assert len(finished) == 2                 # both other blocks had finished writing


def test_nested_for_blocks_runs_inside_a_worker_without_deadlock(split_everything):
    out = np.zeros((6, 6))

    def outer(rows):
        def inner(cols):
            out[rows, cols] += 1
        parallel.for_blocks(inner, 6, 36)
    parallel.for_blocks(outer, 6, 36)
    np.testing.assert_array_equal(out, 1)


def test_ufunc_passes_operands_that_broadcast_along_the_first_axis_whole(split_everything):
    a = np.arange(24.0).reshape(4, 6)
    row = np.ones((1, 6))                     # same number of axes, broadcast along axis 0
    out = parallel.ufunc(np.add, np.empty_like(a), a, row)
    np.testing.assert_array_equal(out, a + 1)


CONV_CASES = [  # (N, C, H, W), O, kernel, stride, padding, dilation
    ((3, 5, 9, 8), 4, (3, 3), (1, 1), (1, 1), (1, 1)),
    ((2, 3, 11, 11), 6, (5, 3), (2, 3), (2, 0), (1, 2)),
    ((5, 1, 7, 7), 2, (2, 2), (1, 1), (0, 0), (1, 1)),
]


@pytest.mark.parametrize("shape, out_channels, kernel, stride, padding, dilation", CONV_CASES)
def test_conv_split_matches_naive_reference(split_everything, shape, out_channels, kernel, stride,
                                            padding, dilation):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    w = rng.standard_normal((out_channels, shape[1]) + kernel)
    b = rng.standard_normal(out_channels)
    y, cache = conv.conv2d_forward(x, w, b, stride, padding, dilation)
    g = rng.standard_normal(y.shape)
    dx, dw, db = conv.conv2d_backward(g, cache, (True, True, True))
    np.testing.assert_allclose(y, reference.conv2d_forward(x, w, b, stride, padding, dilation),
                               rtol=1e-10, atol=1e-10)
    expected = reference.conv2d_backward(g, x, w, True, stride, padding, dilation)
    for ours, theirs in zip((dx, dw, db), expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("shape, out_channels, kernel, stride, padding, dilation", CONV_CASES)
def test_conv_split_is_bitwise_one_thread(split_everything, monkeypatch, shape, out_channels, kernel,
                                          stride, padding, dilation):
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal((out_channels, shape[1]) + kernel).astype(np.float32)
    b = rng.standard_normal(out_channels).astype(np.float32)

    def run():
        y, cache = conv.conv2d_forward(x, w, b, stride, padding, dilation)
        g = np.cos(np.arange(y.size, dtype=np.float32)).reshape(y.shape)
        return (y,) + conv.conv2d_backward(g, cache, (True, True, True))

    for split, single in zip(run(), one_thread(monkeypatch.context, run)):
        # The copies and the scatter are split bit for bit; the products are split by rows
        # or columns, and BLAS may sum an edge block in another order: float rounding.
        np.testing.assert_allclose(split, single, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("a_shape, b_shape", [
    ((7, 5), (5, 3)), ((3, 5), (5, 11)), ((4, 7, 5), (4, 5, 6)), ((7, 5), (4, 5, 6)),
    ((4, 7, 5), (5, 6)), ((2, 7, 5), (2, 5, 9)), ((5,), (5, 3)), ((7, 5), (5,)),
    ("transposed", None)])
def test_matmul_split_matches_numpy(split_everything, a_shape, b_shape):
    rng = np.random.default_rng(5)
    if a_shape == "transposed":               # views go to BLAS as they are
        a, b = rng.standard_normal((5, 7)).T, rng.standard_normal((3, 5)).T[:, :2]
    else:
        a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    np.testing.assert_allclose(parallel.matmul(a, b), np.matmul(a, b), rtol=1e-12, atol=1e-12)
    out = np.empty(np.matmul(a, b).shape)
    assert parallel.matmul(a, b, out=out) is out
    np.testing.assert_allclose(out, np.matmul(a, b), rtol=1e-12, atol=1e-12)


def test_one_thread_blas_gives_the_count_back():
    before = thread_control.get_num_threads()
    with thread_control.one_thread_blas():
        assert thread_control.get_num_threads() == 1
        with thread_control.one_thread_blas():          # nested: still one, still counted
            assert thread_control.get_num_threads() == 1
        assert thread_control.get_num_threads() == 1
    assert thread_control.get_num_threads() == before
    with pytest.raises(RuntimeError):
        with thread_control.one_thread_blas():
            raise RuntimeError("an error inside")
    assert thread_control.get_num_threads() == before


def test_linear_kernel_matches_the_plain_op(split_everything):
    from scratchcnn.kernels import linear as fast
    from scratchcnn.ops import linear as plain
    rng = np.random.default_rng(6)
    x, w, b = rng.standard_normal((2, 9, 7)), rng.standard_normal((5, 7)), rng.standard_normal(5)
    g = rng.standard_normal((2, 9, 5))
    y_fast, cache_fast = fast.linear_forward(x, w, b)
    y_plain, cache_plain = plain.linear_forward(x, w, b)
    np.testing.assert_allclose(y_fast, y_plain, rtol=1e-12)
    for ours, theirs in zip(fast.linear_backward(g, cache_fast, (True, True, True)),
                            plain.linear_backward(g, cache_plain, (True, True, True))):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_avg_pool_backward_split_is_bitwise_one_thread(split_everything, monkeypatch):
    x = np.random.default_rng(5).standard_normal((3, 5, 9, 9)).astype(np.float32)

    def run():
        y, cache = pool.avg_pool2d_forward(x, (3, 3), (2, 2), (1, 1))
        return y, pool.avg_pool2d_backward(np.ones_like(y), cache, (True,))[0]

    for split, single in zip(run(), one_thread(monkeypatch.context, run)):
        np.testing.assert_array_equal(split, single)


@pytest.mark.parametrize("kernel, stride, padding", [((3, 3), (2, 2), (1, 1)), ((2, 2), (2, 2), (0, 0))])
def test_max_pool_split_is_bitwise_one_thread(split_everything, monkeypatch, kernel, stride, padding):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 5, 10, 9)).astype(np.float32)
    x[0, 0, :3, :3] = 0.5                                    # ties: the first one wins
    y, cache = pool.max_pool2d_forward(x, kernel, stride, padding)
    g = rng.standard_normal(y.shape).astype(np.float32)
    (dx,) = pool.max_pool2d_backward(g, cache, (True,))

    def run():
        y1, cache1 = pool.max_pool2d_forward(x, kernel, stride, padding)
        return y1, pool.max_pool2d_backward(g, cache1, (True,))[0]

    y1, dx1 = one_thread(monkeypatch.context, run)
    np.testing.assert_array_equal(y, y1)
    np.testing.assert_array_equal(dx, dx1)
    np.testing.assert_array_equal(y, reference.max_pool2d_forward(x, kernel, stride, padding))


@pytest.mark.parametrize("x", [
    np.random.default_rng(2).standard_normal((5, 4, 3)).astype(np.float32),
    np.asfortranarray(np.random.default_rng(2).standard_normal((5, 4))),
    np.arange(-6, 6, dtype=np.int32).reshape(4, 3),
    np.array(-1.5, dtype=np.float32),
    np.zeros((0, 3), dtype=np.float32),
], ids=["float32", "fortran", "int32", "0-d", "empty"])
def test_relu_split_is_the_whole_array_formula(split_everything, x):
    out, positive = activation.relu_forward(x)
    (dx,) = activation.relu_backward(x, positive, (True,))
    for ours, expected in ((out, np.maximum(x, 0)), (positive, x > 0), (dx, x * (x > 0))):
        assert ours.dtype == expected.dtype and ours.shape == expected.shape
        np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("ours, theirs, kwargs", [
    (sc.optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
    (sc.optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.01)),
    (sc.optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.5, nesterov=True, maximize=True)),
    (sc.optim.Adam, torch.optim.Adam, dict(lr=0.01)),
    (sc.optim.Adam, torch.optim.Adam, dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
])
def test_chunked_optimizers_follow_torch(split_everything, ours, theirs, kwargs):
    """Parameters of 1, 7 (one chunk), 40 (several chunks, split across threads) and a
    non-contiguous one, over several steps."""
    rng = np.random.default_rng(3)
    shapes = [(1,), (7,), (5, 8), (6, 4)]
    values = [rng.standard_normal(s) for s in shapes]
    our_params = [sc.tensor(v, requires_grad=True) for v in values]
    our_params[3].data = np.asfortranarray(our_params[3].data)          # not C-contiguous
    torch_params = [torch.tensor(v, requires_grad=True) for v in values]
    our_opt, torch_opt = ours(our_params, **kwargs), theirs(torch_params, **kwargs)
    for step in range(4):
        grads = [rng.standard_normal(s) for s in shapes]
        for p, q, g in zip(our_params, torch_params, grads):
            p.grad = sc.tensor(g)
            q.grad = torch.tensor(g)
        our_opt.step()
        torch_opt.step()
        for p, q in zip(our_params, torch_params):
            np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-12, atol=1e-12)


def _split_sum_in_child(queue):
    out = np.zeros(6)

    def add_one(block):
        out[block] += 1
    parallel.for_blocks(add_one, 6, 6)
    queue.put(float(out.sum()))


def test_a_forked_child_gets_threads_of_its_own(split_everything):
    """The parent's worker threads do not exist in a fork; the child must not wait on them."""
    import multiprocessing

    parallel.for_blocks(lambda block: None, 6, 6)              # the parent's pool exists
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_split_sum_in_child, args=(queue,))
    child.start()
    try:
        child.join(timeout=60)
        assert child.exitcode == 0
    finally:
        if child.is_alive():
            child.kill()
    assert queue.get(timeout=5) == 6.0


def _sgd_whole_array(param, grad, buffer, lr, momentum):
    """SGD with momentum as the code computed it before chunking (commit 942a7ba^)."""
    if buffer is None:
        buffer = grad.copy()
    else:
        buffer *= momentum
        buffer += (1 - 0.0) * grad
    param -= (lr * buffer).astype(param.dtype, copy=False)
    return buffer


def _adam_whole_array(param, grad, exp_avg, exp_avg_sq, step, lr=1e-2, betas=(0.9, 0.999), eps=1e-8):
    """Adam as the code computed it before chunking (commit 942a7ba^)."""
    import math

    beta1, beta2 = betas
    exp_avg += (1 - beta1) * (grad - exp_avg)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * grad * grad
    denom = np.sqrt(exp_avg_sq) / math.sqrt(1 - beta2 ** step) + eps
    param -= ((lr / (1 - beta1 ** step)) * exp_avg / denom).astype(param.dtype, copy=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chunked_updates_are_bitwise_the_whole_array_formulas(split_everything, dtype):
    rng = np.random.default_rng(6)
    start = rng.standard_normal((5, 9)).astype(dtype)
    sgd_param, adam_param = sc.tensor(start.copy(), requires_grad=True), sc.tensor(start.copy(), requires_grad=True)
    sgd = sc.optim.SGD([sgd_param], lr=0.1, momentum=0.9)
    adam = sc.optim.Adam([adam_param], lr=1e-2)
    sgd_ref, adam_ref = start.copy(), start.copy()
    buffer, exp_avg, exp_avg_sq = None, np.zeros_like(start), np.zeros_like(start)
    for step in range(1, 5):
        grad = rng.standard_normal(start.shape).astype(dtype)
        sgd_param.grad, adam_param.grad = sc.tensor(grad.copy()), sc.tensor(grad.copy())
        sgd.step()
        adam.step()
        buffer = _sgd_whole_array(sgd_ref, grad, buffer, 0.1, 0.9)
        _adam_whole_array(adam_ref, grad, exp_avg, exp_avg_sq, step)
        np.testing.assert_array_equal(sgd_param.numpy(), sgd_ref)
        np.testing.assert_array_equal(adam_param.numpy(), adam_ref)
