"""``scratchcnn.ops.naive``, the loop versions, against the fast ops and PyTorch.

The loops share no code with the vectorised ops, so agreement is independent
evidence for both (and the loops are what the docs and the benchmark ladder show)."""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from scratchcnn.ops import activation, linear, naive
from scratchcnn.ops import conv as conv_ops
from scratchcnn.ops import loss as loss_ops
from scratchcnn.ops import softmax as softmax_ops

from conftest import assert_close

rng = np.random.default_rng(0)


@given(st.integers(1, 2), st.sampled_from([(1, 1), (2, 2), (4, 2)]), st.integers(3, 7),
       st.integers(1, 3), st.integers(1, 2), st.integers(0, 2), st.integers(1, 2))
def test_conv2d_loops_match_the_fast_op(n, channels_groups, size, k, stride, padding,
                                        dilation):
    channels, groups = channels_groups
    if dilation * (k - 1) + 1 > size + 2 * padding:
        return
    x = rng.standard_normal((n, channels, size, size))
    w = rng.standard_normal((2 * groups, channels // groups, k, k))
    b = rng.standard_normal(2 * groups)
    y = naive.conv2d_forward(x, w, b, stride, padding, dilation, groups)
    expected = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b),
                                          stride, padding, dilation, groups)
    assert_close(y, expected)
    g = rng.standard_normal(y.shape)
    dx, dw, db = naive.conv2d_backward(g, x, w, True, stride, padding, dilation, groups)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    torch.nn.functional.conv2d(tx, tw, tb, stride, padding, dilation, groups).backward(
        torch.tensor(g))
    assert_close(dx, tx.grad)
    assert_close(dw, tw.grad)
    assert_close(db, tb.grad)
    if groups == 1:
        fast, cache = conv_ops.conv2d_forward(x, w, b, (stride,) * 2, (padding,) * 2,
                                              (dilation,) * 2)
        assert_close(y, fast)
        for ours, theirs in zip((dx, dw, db), conv_ops.conv2d_backward(g, cache,
                                                                       (True, True, True))):
            assert_close(ours, theirs)


@pytest.mark.parametrize("kernel, stride, padding, dilation", [
    (2, 2, 0, 1), (3, 1, 1, 1), (3, 2, 1, 2), ((2, 3), (1, 2), (1, 0), 1)])
def test_max_pool_loops_match_torch(kernel, stride, padding, dilation):
    x = rng.standard_normal((2, 3, 7, 6))
    y = naive.max_pool2d_forward(x, kernel, stride, padding, dilation)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.max_pool2d(tx, kernel, stride, padding, dilation)
    assert_close(y, ty)
    g = rng.standard_normal(y.shape)
    ty.backward(torch.tensor(g))
    assert_close(naive.max_pool2d_backward(g, x, kernel, stride, padding, dilation), tx.grad)


@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool_loops_match_torch(count_include_pad):
    x = rng.standard_normal((2, 2, 7, 7))
    y = naive.avg_pool2d_forward(x, 3, 2, 1, count_include_pad)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.avg_pool2d(tx, 3, 2, 1, count_include_pad=count_include_pad)
    assert_close(y, ty)
    g = rng.standard_normal(y.shape)
    ty.backward(torch.tensor(g))
    assert_close(naive.avg_pool2d_backward(g, x, 3, 2, 1, count_include_pad), tx.grad)


def test_linear_loops_match_the_fast_op():
    x, w, b = rng.standard_normal((4, 5)), rng.standard_normal((3, 5)), rng.standard_normal(3)
    y = naive.linear_forward(x, w, b)
    fast, cache = linear.linear_forward(x, w, b)
    assert_close(y, fast)
    g = rng.standard_normal(y.shape)
    for ours, theirs in zip(naive.linear_backward(g, x, w),
                            linear.linear_backward(g, cache, (True, True, True))):
        assert_close(ours, theirs)


def test_relu_loops_match_the_fast_op():
    x = rng.standard_normal((3, 4))
    x[0, 0] = 0.0
    fast, cache = activation.relu_forward(x)
    assert_close(naive.relu_forward(x), fast)
    g = rng.standard_normal(x.shape)
    assert_close(naive.relu_backward(g, x), activation.relu_backward(g, cache, (True,))[0])


def test_softmax_cross_entropy_gradient_is_p_minus_y():
    z, labels = rng.standard_normal((5, 4)) * 3, np.array([0, 3, 1, 1, 2])
    loss, p = naive.softmax_cross_entropy_forward(z, labels)
    tz = torch.tensor(z, requires_grad=True)
    tloss = torch.nn.functional.cross_entropy(tz, torch.tensor(labels))
    tloss.backward()
    assert_close(loss, tloss)
    assert_close(naive.softmax_cross_entropy_backward(p, labels), tz.grad)
    logp, cache = softmax_ops.log_softmax_forward(z, dim=1)
    fast, _ = loss_ops.nll_loss_forward(logp, labels)
    assert_close(loss, fast)
