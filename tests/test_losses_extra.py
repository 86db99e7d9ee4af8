"""Regression, binary and KL losses against PyTorch: every reduction, weights,
pos_weight, broadcasting, the deprecated size_average/reduce pair (with its warning),
gradients for input and target, stability at extreme inputs, and bad input."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import scratchcnn as sc
import scratchcnn.nn.functional as F
from scratchcnn import nn
from scratchcnn.errors import ArgumentError, DTypeError, ShapeError

from conftest import assert_close, to_torch

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float64, np.float32]


def run_both(name, x, y, dtype, kwargs, target_grad=True, **extra):
    """Loss and the gradients of input and target from both libraries."""
    xs, xt = sc.tensor(x.astype(dtype), requires_grad=True), to_torch(x.astype(dtype), True)
    ys = sc.tensor(y.astype(dtype), requires_grad=target_grad)
    yt = to_torch(y.astype(dtype), target_grad)
    ours = getattr(F, name)(xs, ys, **kwargs, **{k: sc.tensor(v.astype(dtype))
                                               for k, v in extra.items()})
    theirs = getattr(TF, name)(xt, yt, **kwargs, **{k: to_torch(v.astype(dtype))
                                                  for k, v in extra.items()})
    assert ours.shape == tuple(theirs.shape) and ours.dtype == dtype
    assert_close(ours, theirs, dtype)
    g = np.random.default_rng(1).standard_normal(ours.shape).astype(dtype)
    ours.backward(g)
    theirs.backward(torch.from_numpy(g))
    assert_close(xs.grad, xt.grad, dtype)
    if target_grad:
        assert_close(ys.grad, yt.grad, dtype)
    return ours


@st.composite
def pairs(draw, low=-3.0, high=3.0):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=3)))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    return rng.uniform(low, high, shape), rng.uniform(low, high, shape), rng


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=pairs())
def test_regression_losses_match_torch(data, reduction, dtype):
    x, y, _ = data
    for name, kwargs in [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {"beta": 0.7}),
                         ("smooth_l1_loss", {"beta": 0.0}), ("huber_loss", {"delta": 0.5}),
                         ("huber_loss", {})]:
        run_both(name, x, y, dtype, dict(kwargs, reduction=reduction))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weighted_regression_losses_match_torch(name, reduction):
    rng = np.random.default_rng(3)
    x, y, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.uniform(0.1, 2, (3, 4))
    run_both(name, x, y, np.float64, dict(reduction=reduction), weight=w)


def test_regression_kink_points_match_torch():
    """|d| exactly at beta / delta, and d == 0 (sign(0) = 0 for L1)."""
    x = np.array([0.0, 1.0, -1.0, 0.5, 2.0])
    y = np.array([0.0, 0.0, 0.0, 0.0, 1.5])
    for name, kwargs in [("l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}),
                         ("huber_loss", {"delta": 1.0}), ("mse_loss", {})]:
        run_both(name, x, y, np.float64, dict(kwargs, reduction="sum"))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_broadcast_target_warns_and_matches_torch(name):
    x, y = np.random.default_rng(0).standard_normal((2, 3)), np.array([0.5, -1.0, 2.0])
    with pytest.warns(UserWarning, match="different to the input size"):
        ours = getattr(F, name)(sc.tensor(x), sc.tensor(y))
    with pytest.warns(UserWarning):
        theirs = getattr(TF, name)(torch.tensor(x), torch.tensor(y))
    assert_close(ours, theirs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=pairs(0.0, 1.0), weighted=st.booleans())
def test_binary_cross_entropy_matches_torch(data, reduction, dtype, weighted):
    x, y, rng = data
    x = np.clip(x, 0.01, 0.99)
    extra = {"weight": rng.uniform(0.5, 2.0, x.shape)} if weighted else {}
    run_both("binary_cross_entropy", x, y, dtype, dict(reduction=reduction), **extra)


def test_binary_cross_entropy_clamps_log_at_minus_100_like_torch():
    x, y = np.array([0.0, 1.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0, 1.0])
    ours = F.binary_cross_entropy(sc.tensor(x), sc.tensor(y), reduction="none")
    theirs = TF.binary_cross_entropy(torch.tensor(x), torch.tensor(y), reduction="none")
    assert_close(ours, theirs)
    np.testing.assert_array_equal(ours.numpy(), [100.0, 100.0, 0.0, 0.0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=pairs(-8.0, 8.0), options=st.sampled_from(["plain", "weight", "pos", "both"]))
def test_bce_with_logits_matches_torch(data, reduction, dtype, options):
    x, y, rng = data
    y = (y + 8) / 16   # probabilities
    extra = {}
    if options in ("weight", "both"):
        extra["weight"] = rng.uniform(0.5, 2.0, x.shape)
    if options in ("pos", "both"):
        extra["pos_weight"] = rng.uniform(0.5, 3.0, x.shape[-1:] if x.ndim else ())
    run_both("binary_cross_entropy_with_logits", x, y, dtype, dict(reduction=reduction),
             **extra)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_is_finite_for_huge_logits(dtype):
    x = np.array([-1e4, -80.0, 0.0, 80.0, 1e4])
    y = np.array([1.0, 1.0, 0.5, 0.0, 0.0])
    out = run_both("binary_cross_entropy_with_logits", x, y, dtype, dict(reduction="none"),
                   pos_weight=np.array(2.0))
    assert np.isfinite(out.numpy()).all()


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    rng = np.random.default_rng(5)
    x = np.log(rng.dirichlet(np.ones(4), 3))
    y = rng.dirichlet(np.ones(4), 3)
    y[0, 1] = 0.0   # xlogy: a zero target contributes 0
    y = np.log(y + 1e-3) if log_target else y
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_both("kl_div", x, y, np.float64, dict(reduction=reduction, log_target=log_target),
                 target_grad=log_target)


def test_kl_div_mean_warns_like_torch():
    x = sc.tensor(np.log(np.full((2, 2), 0.5)))
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(x, sc.tensor(np.full((2, 2), 0.5)))


# --------------------------------------------------------------------- legacy arguments
LEGACY = [(None, None), (True, None), (False, None), (None, True), (None, False),
          (True, True), (True, False), (False, True), (False, False)]


@pytest.mark.parametrize("size_average,reduce", LEGACY[1:])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss",
                                  "binary_cross_entropy", "binary_cross_entropy_with_logits",
                                  "nll_loss", "cross_entropy"])
def test_size_average_and_reduce_map_and_warn_like_torch(name, size_average, reduce):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 0.9, (3, 4))
    y = rng.integers(0, 4, 3) if name in ("nll_loss", "cross_entropy") else rng.random((3, 4))
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated") \
            as ours_warnings:
        ours = getattr(F, name)(sc.tensor(x), sc.tensor(y), size_average=size_average,
                                reduce=reduce, reduction="sum")
    with pytest.warns(UserWarning) as torch_warnings:
        theirs = getattr(TF, name)(torch.tensor(x), torch.tensor(y), size_average=size_average,
                                   reduce=reduce, reduction="sum")
    ours_text = [str(w.message) for w in ours_warnings if "deprecated" in str(w.message)]
    torch_text = [str(w.message) for w in torch_warnings if "deprecated" in str(w.message)]
    assert ours_text == torch_text
    assert ours.shape == tuple(theirs.shape)
    assert_close(ours, theirs)


@pytest.mark.parametrize("size_average,reduce", LEGACY[1:])
@pytest.mark.parametrize("cls", ["MSELoss", "L1Loss", "SmoothL1Loss", "BCELoss",
                                 "BCEWithLogitsLoss", "NLLLoss", "CrossEntropyLoss",
                                 "KLDivLoss"])
def test_loss_modules_legacy_arguments_like_torch(cls, size_average, reduce):
    with pytest.warns(UserWarning) as caught:
        ours = getattr(nn, cls)(size_average=size_average, reduce=reduce)
    with pytest.warns(UserWarning) as torch_caught:
        theirs = getattr(torch.nn, cls)(size_average=size_average, reduce=reduce)
    assert ours.reduction == theirs.reduction
    assert [str(w.message) for w in caught] == [str(w.message) for w in torch_caught]


def test_no_legacy_arguments_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.MSELoss(reduction="sum")
        F.mse_loss(sc.ones(2), sc.zeros(2), reduction="none")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_loss_modules_match_torch(reduction):
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((4, 3)), rng.random((4, 3))
    w, pw = rng.uniform(0.5, 2, 3), rng.uniform(0.5, 2, 3)
    cases = [("MSELoss", {}), ("L1Loss", {}), ("SmoothL1Loss", {"beta": 0.3}),
             ("HuberLoss", {"delta": 0.4}), ("BCEWithLogitsLoss", {"weight": w, "pos_weight": pw})]
    for cls, kwargs in cases:
        ours = getattr(nn, cls)(reduction=reduction, **{k: sc.tensor(v) if isinstance(
            v, np.ndarray) else v for k, v in kwargs.items()})
        theirs = getattr(torch.nn, cls)(reduction=reduction, **{k: torch.tensor(v) if isinstance(
            v, np.ndarray) else v for k, v in kwargs.items()})
        xs, xt = sc.tensor(x, requires_grad=True), to_torch(x, True)
        out, expected = ours(xs, sc.tensor(y)), theirs(xt, torch.tensor(y))
        assert_close(out, expected)
        out.sum().backward()
        expected.sum().backward()
        assert_close(xs.grad, xt.grad)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert repr(ours) == repr(theirs)
    sig = 1 / (1 + np.exp(-x))
    out = nn.BCELoss(weight=sc.tensor(w), reduction=reduction)(sc.tensor(sig), sc.tensor(y))
    assert_close(out, torch.nn.BCELoss(torch.tensor(w), reduction=reduction)(
        torch.tensor(sig), torch.tensor(y)))


def test_cross_entropy_module_positional_order_is_torchs():
    """CrossEntropyLoss(weight, size_average, ignore_index, ...): ignore_index is third."""
    x, t = np.random.default_rng(0).standard_normal((4, 3)), np.array([0, 1, 2, 1])
    ours = nn.CrossEntropyLoss(None, None, 1)(sc.tensor(x), sc.tensor(t))
    theirs = torch.nn.CrossEntropyLoss(None, None, 1)(torch.tensor(x), torch.tensor(t))
    assert_close(ours, theirs)


def test_gradcheck_of_each_loss():
    rng = np.random.default_rng(7)
    x = sc.tensor(rng.uniform(0.1, 0.9, (2, 3)), requires_grad=True)
    y = sc.tensor(rng.uniform(0.1, 0.9, (2, 3)), requires_grad=True)
    for fn in (F.mse_loss, F.l1_loss, F.smooth_l1_loss, F.huber_loss, F.binary_cross_entropy,
               F.binary_cross_entropy_with_logits):
        assert sc.gradcheck(lambda a, b: fn(a, b), (x, y))


# --------------------------------------------------------------------- bad input
def test_bad_inputs_raise_clear_errors():
    x = sc.tensor(np.array([0.2, 0.5]))
    with pytest.raises(ArgumentError, match="between 0 and 1"):
        F.binary_cross_entropy(sc.tensor(np.array([1.5, 0.5])), sc.tensor(np.ones(2)))
    with pytest.raises(ShapeError, match="same size"):
        F.binary_cross_entropy(x, sc.tensor(np.ones(3)))
    with pytest.raises(ShapeError, match="same size"):
        F.binary_cross_entropy_with_logits(x, sc.tensor(np.ones((2, 2))))
    with pytest.raises(ShapeError, match="do not broadcast"):
        with pytest.warns(UserWarning):
            F.mse_loss(x, sc.tensor(np.ones(3)))
    with pytest.raises(ArgumentError, match="reduction"):
        F.mse_loss(x, x, reduction="avg")
    with pytest.raises(ArgumentError, match="reduction"):
        nn.L1Loss(reduction="average")
    with pytest.raises(ArgumentError, match="delta"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(ArgumentError, match="beta"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(DTypeError, match="floating point"):
        F.mse_loss(sc.tensor([1, 2]), sc.tensor([1, 2]))
    with pytest.raises(DTypeError, match="numeric"):
        F.mse_loss(x, np.array(["a", "b"]))
    with pytest.raises(ShapeError, match="same size"):
        F.mse_loss(x, x, weight=sc.ones(3))
