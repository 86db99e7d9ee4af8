"""F.cross_entropy / nn.CrossEntropyLoss and F.nll_loss / nn.NLLLoss against PyTorch:
every reduction, class weights, ignore_index, label smoothing, probability targets,
(N, C, H, W) inputs, unbatched inputs, huge logits; losses and input gradients."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import scratchcnn as sc
import scratchcnn.nn.functional as F
from scratchcnn import nn

from conftest import assert_close, to_torch

REDUCTIONS = ["mean", "sum", "none"]


@st.composite
def class_problems(draw, spatial=True):
    """Logits (N, C, *spatial), integer targets (N, *spatial), options for the loss."""
    n, classes = draw(st.integers(1, 5)), draw(st.integers(2, 6))
    extra = tuple(draw(st.lists(st.integers(1, 3), max_size=2))) if spatial else ()
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    target = rng.integers(0, classes, (n,) + extra)
    ignore_index = draw(st.sampled_from([-100, 0, 1]))
    if draw(st.booleans()):   # ignore some targets
        target = np.where(rng.random(target.shape) < 0.3, ignore_index, target)
    if target.flat[0] == ignore_index:   # but never all of them (tested separately)
        target.flat[0] = (ignore_index + 1) % classes
    return dict(
        logits=rng.standard_normal((n, classes) + extra) * draw(st.sampled_from([1.0, 5.0])),
        target=target,
        weight=rng.uniform(0.2, 2.0, classes) if draw(st.booleans()) else None,
        ignore_index=ignore_index, reduction=draw(st.sampled_from(REDUCTIONS)),
        grad_seed=seed + 1)


def compare(ours_fn, torch_fn, x, target, dtype=np.float64, weight=None, grad_seed=0,
            target_dtype=None, **kwargs):
    """Loss and d(loss)/d(input) from both libraries; ``kwargs`` go to both."""
    x = x.astype(dtype)
    xs, xt = sc.tensor(x, requires_grad=True), to_torch(x, True)
    target_array = np.asarray(target) if target_dtype is None else np.asarray(target, target_dtype)
    ws = sc.tensor(weight.astype(dtype)) if weight is not None else None
    wt = to_torch(weight.astype(dtype)) if weight is not None else None
    loss_ours = ours_fn(xs, sc.tensor(target_array), weight=ws, **kwargs)
    loss_theirs = torch_fn(xt, torch.from_numpy(target_array), weight=wt, **kwargs)
    assert loss_ours.shape == tuple(loss_theirs.shape)
    assert loss_ours.dtype == dtype
    assert_close(loss_ours, loss_theirs, dtype)
    g = np.random.default_rng(grad_seed).standard_normal(loss_ours.shape).astype(dtype)
    loss_ours.backward(g)
    loss_theirs.backward(torch.from_numpy(g))
    assert xs.grad.shape == x.shape and xs.grad.dtype == dtype
    assert_close(xs.grad, xt.grad, dtype)
    return loss_ours, xs.grad


# --------------------------------------------------------------------- cross-entropy
@given(problem=class_problems(), dtype=st.sampled_from([np.float64, np.float32]),
       label_smoothing=st.sampled_from([0.0, 0.0, 0.1, 0.5, 1.0]))
def test_cross_entropy_matches_torch(problem, dtype, label_smoothing):
    """Reductions x weights x ignore_index x label smoothing x (N, C, *) shapes."""
    compare(F.cross_entropy, torch.nn.functional.cross_entropy, problem["logits"],
            problem["target"], dtype, problem["weight"], problem["grad_seed"],
            ignore_index=problem["ignore_index"], reduction=problem["reduction"],
            label_smoothing=label_smoothing)


@given(problem=class_problems(), dtype=st.sampled_from([np.float64, np.float32]),
       label_smoothing=st.sampled_from([0.0, 0.2]))
def test_cross_entropy_with_probability_targets_matches_torch(problem, dtype,
                                                              label_smoothing):
    logits = problem["logits"]
    rng = np.random.default_rng(problem["grad_seed"])
    q = rng.random(logits.shape) ** 3          # uneven, some near zero
    q /= q.sum(axis=1, keepdims=True)
    compare(F.cross_entropy, torch.nn.functional.cross_entropy, logits, q.astype(dtype),
            dtype, problem["weight"], problem["grad_seed"], reduction=problem["reduction"],
            label_smoothing=label_smoothing)


def test_cross_entropy_one_hot_probabilities_equal_class_targets():
    rng = np.random.default_rng(0)
    logits, target = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    one_hot = np.eye(4)[target]
    by_class = F.cross_entropy(sc.tensor(logits), sc.tensor(target), label_smoothing=0.3)
    by_prob = F.cross_entropy(sc.tensor(logits), sc.tensor(one_hot), label_smoothing=0.3)
    assert_close(by_class, by_prob)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_spatial_inputs(reduction, label_smoothing):
    """(N, C, H, W) logits with (N, H, W) targets, as for segmentation."""
    rng = np.random.default_rng(1)
    logits, target = rng.standard_normal((2, 3, 4, 5)), rng.integers(0, 3, (2, 4, 5))
    target[0, 1, 2] = -100
    loss, _ = compare(F.cross_entropy, torch.nn.functional.cross_entropy, logits, target,
                      weight=np.array([0.5, 1.0, 2.0]), reduction=reduction,
                      label_smoothing=label_smoothing)
    if reduction == "none":
        assert loss.shape == (2, 4, 5)
        assert loss.numpy()[0, 1, 2] == 0


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_unbatched_input_with_scalar_target(reduction, dtype):
    logits = np.random.default_rng(2).standard_normal(5)
    loss, dx = compare(F.cross_entropy, torch.nn.functional.cross_entropy, logits,
                       np.array(3), dtype, reduction=reduction)
    assert loss.shape == ()
    assert dx.shape == (5,)
    compare(F.cross_entropy, torch.nn.functional.cross_entropy, logits, np.array(3), dtype,
            weight=np.linspace(0.5, 2, 5), reduction=reduction, label_smoothing=0.2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scale", [1e3, 1e4])
def test_cross_entropy_of_huge_logits_is_finite_and_matches_torch(dtype, scale):
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((4, 5)) * scale
    logits[0] = [scale, -scale, 0, 0, 0]
    target = np.array([1, 0, 4, 2])  # row 0: the target has the tiny probability
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise"):
        warnings.simplefilter("error")
        for smoothing in (0.0, 0.1):
            loss, dx = compare(F.cross_entropy, torch.nn.functional.cross_entropy, logits,
                               target, dtype, label_smoothing=smoothing)
            assert np.isfinite(loss.numpy()).all() and np.isfinite(dx.numpy()).all()
    assert loss.item() > scale / 4   # row 0 alone contributes (2 * scale) / 4


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_gradient_is_softmax_minus_one_hot(reduction):
    rng = np.random.default_rng(4)
    logits, target = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    x = sc.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, sc.tensor(target), reduction=reduction)
    (loss.sum() if reduction == "none" else loss).backward()
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = p - np.eye(3)[target]
    assert_close(x.grad, expected / 5 if reduction == "mean" else expected)


def test_cross_entropy_gradcheck():
    rng = np.random.default_rng(5)
    x = sc.tensor(rng.standard_normal((4, 3, 2)), requires_grad=True)
    target = sc.tensor(np.array([[0, 2], [1, -100], [2, 2], [0, 1]]))
    weight = sc.tensor(np.array([1.0, 0.5, 2.0]))
    for reduction in REDUCTIONS:
        assert sc.gradcheck(lambda t: F.cross_entropy(t, target, weight, reduction=reduction,
                                                      label_smoothing=0.15), (x,))
    q = sc.tensor(rng.dirichlet(np.ones(3), (4, 2)).transpose(0, 2, 1))
    assert sc.gradcheck(lambda t: F.cross_entropy(t, q, weight), (x,))


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_all_targets_ignored_is_nan_with_zero_gradient(label_smoothing):
    """PyTorch: the mean over no targets is nan, but the gradient is 0, not nan."""
    logits = np.random.default_rng(6).standard_normal((3, 4))
    target = np.full(3, -100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)    # 0 / 0
        xs, xt = sc.tensor(logits, requires_grad=True), to_torch(logits, True)
        loss = F.cross_entropy(xs, sc.tensor(target), label_smoothing=label_smoothing)
        theirs = torch.nn.functional.cross_entropy(xt, torch.from_numpy(target),
                                                   label_smoothing=label_smoothing)
        assert np.isnan(loss.item()) and np.isnan(theirs.item())
        loss.backward()
    theirs.backward()
    assert_close(xs.grad, xt.grad)
    np.testing.assert_array_equal(xs.grad.numpy(), np.zeros_like(logits))
    for reduction in ("sum", "none"):
        compare(F.cross_entropy, torch.nn.functional.cross_entropy, logits, target,
                reduction=reduction, label_smoothing=label_smoothing)


def test_cross_entropy_accepts_numpy_and_int32_targets():
    rng = np.random.default_rng(7)
    logits, target = rng.standard_normal((4, 3)), rng.integers(0, 3, 4)
    expected = torch.nn.functional.cross_entropy(to_torch(logits), torch.from_numpy(target))
    assert_close(F.cross_entropy(sc.tensor(logits), target), expected)
    assert_close(F.cross_entropy(sc.tensor(logits), sc.tensor(target.astype(np.int32))),
                 expected)


@pytest.mark.parametrize("kwargs", [
    dict(), dict(reduction="sum"), dict(reduction="none", ignore_index=1),
    dict(label_smoothing=0.25), dict(weight=True, ignore_index=2, label_smoothing=0.1),
])
def test_cross_entropy_loss_module_matches_torch(kwargs):
    rng = np.random.default_rng(8)
    logits, target = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    kwargs = dict(kwargs)
    if kwargs.pop("weight", False):
        w = rng.uniform(0.5, 2, 4)
        ours = nn.CrossEntropyLoss(weight=sc.tensor(w), **kwargs)
        theirs = torch.nn.CrossEntropyLoss(weight=to_torch(w), **kwargs)
    else:
        ours, theirs = nn.CrossEntropyLoss(**kwargs), torch.nn.CrossEntropyLoss(**kwargs)
    xs, xt = sc.tensor(logits, requires_grad=True), to_torch(logits, True)
    loss, expected = ours(xs, sc.tensor(target)), theirs(xt, torch.from_numpy(target))
    assert_close(loss, expected)
    loss.sum().backward()
    expected.sum().backward()
    assert_close(xs.grad, xt.grad)


# --------------------------------------------------------------------- nll
@given(problem=class_problems(), dtype=st.sampled_from([np.float64, np.float32]),
       log_probs=st.booleans())
def test_nll_loss_matches_torch(problem, dtype, log_probs):
    """On log-probabilities, and on arbitrary scores (nll_loss does not care)."""
    x = problem["logits"]
    if log_probs:
        x = torch.log_softmax(torch.from_numpy(x), dim=1).numpy()
    compare(F.nll_loss, torch.nn.functional.nll_loss, x, problem["target"], dtype,
            problem["weight"], problem["grad_seed"], ignore_index=problem["ignore_index"],
            reduction=problem["reduction"])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_unbatched_and_spatial(reduction):
    rng = np.random.default_rng(9)
    compare(F.nll_loss, torch.nn.functional.nll_loss, rng.standard_normal(4), np.array(2),
            reduction=reduction)
    target = rng.integers(0, 3, (2, 3, 2))
    target[1, 0, 0] = -100
    loss, _ = compare(F.nll_loss, torch.nn.functional.nll_loss,
                      rng.standard_normal((2, 3, 3, 2)), target,
                      weight=np.array([2.0, 1.0, 0.5]), reduction=reduction)
    if reduction == "none":
        assert loss.shape == (2, 3, 2)


def test_nll_loss_all_targets_ignored_is_nan_with_zero_gradient():
    x = np.random.default_rng(10).standard_normal((3, 4))
    target = np.array([1, 1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)    # 0 / 0
        xs, xt = sc.tensor(x, requires_grad=True), to_torch(x, True)
        loss = F.nll_loss(xs, sc.tensor(target), ignore_index=1)
        theirs = torch.nn.functional.nll_loss(xt, torch.from_numpy(target), ignore_index=1)
        assert np.isnan(loss.item()) and np.isnan(theirs.item())
        loss.backward()
    theirs.backward()
    np.testing.assert_array_equal(xs.grad.numpy(), xt.grad.numpy())
    np.testing.assert_array_equal(xs.grad.numpy(), np.zeros_like(x))


def test_nll_loss_gradcheck():
    x = sc.randn(5, 4, dtype=sc.float64, requires_grad=True)
    target = sc.tensor(np.array([0, 3, -100, 1, 3]))
    weight = sc.tensor(np.array([1.0, 2.0, 0.5, 1.5]))
    for reduction in REDUCTIONS:
        assert sc.gradcheck(lambda t: F.nll_loss(t, target, weight, reduction=reduction), (x,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_module_matches_torch_and_log_softmax_composition(reduction):
    rng = np.random.default_rng(11)
    logits, target = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    w = np.array([0.3, 1.0, 3.0])
    ours = nn.NLLLoss(weight=sc.tensor(w), reduction=reduction)
    theirs = torch.nn.NLLLoss(weight=to_torch(w), reduction=reduction)
    xs, xt = sc.tensor(logits, requires_grad=True), to_torch(logits, True)
    loss = ours(F.log_softmax(xs, 1), sc.tensor(target))
    expected = theirs(torch.log_softmax(xt, 1), torch.from_numpy(target))
    assert_close(loss, expected)
    loss.sum().backward()
    expected.sum().backward()
    assert_close(xs.grad, xt.grad)
    # cross_entropy is exactly log_softmax + nll_loss.
    assert_close(F.cross_entropy(sc.tensor(logits), sc.tensor(target), sc.tensor(w),
                                 reduction=reduction), loss)
