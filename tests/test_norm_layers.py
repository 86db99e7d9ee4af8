"""F.layer_norm / nn.LayerNorm and F.group_norm / nn.GroupNorm against PyTorch (values,
input and parameter gradients, float64 to 1e-10, float32 to rtol 1e-4), finite
differences, and argument errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import scratchcnn as sc
import scratchcnn.nn.functional as F
from scratchcnn import nn
from scratchcnn.errors import ArgumentError, DTypeError, ShapeError

from test_functional_extra import check_against_torch

DTYPES = st.sampled_from([np.float64, np.float32])


@given(dtype=DTYPES, seed=st.integers(0, 1000),
       lead=st.lists(st.integers(1, 3), max_size=2),
       normalized=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       affine=st.sampled_from(["none", "weight", "both", "bias"]),
       eps=st.sampled_from([1e-5, 1e-2]))
def test_layer_norm_matches_torch(dtype, seed, lead, normalized, affine, eps):
    rng = np.random.default_rng(seed)
    shape = tuple(normalized)
    x = rng.standard_normal(tuple(lead) + shape) * 3 + 1
    params = {"weight": rng.standard_normal(shape), "bias": rng.standard_normal(shape)}
    names = {"none": [], "weight": ["weight"], "both": ["weight", "bias"], "bias": ["bias"]}
    names = names[affine]

    def call(fn):
        return lambda t, *p: fn(t, shape, eps=eps, **dict(zip(names, p)))
    check_against_torch(call(F.layer_norm), call(TF.layer_norm),
                        [x] + [params[n] for n in names], dtype, seed)


@given(dtype=DTYPES, seed=st.integers(0, 1000), n=st.integers(1, 3),
       groups_and_channels=st.sampled_from([(1, 1), (1, 4), (2, 4), (4, 4), (3, 6), (2, 6)]),
       spatial=st.lists(st.integers(1, 4), max_size=2), affine=st.booleans(),
       eps=st.sampled_from([1e-5, 1e-1]))
def test_group_norm_matches_torch(dtype, seed, n, groups_and_channels, spatial, affine, eps):
    groups, channels = groups_and_channels
    if channels // groups * int(np.prod(spatial)) == 1:
        spatial = [2] + spatial   # a group of one value has variance 0: only roundoff left
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, channels) + tuple(spatial)) * 2 - 1
    params = [rng.standard_normal(channels), rng.standard_normal(channels)] if affine else []
    check_against_torch(lambda t, *p: F.group_norm(t, groups, *p, eps=eps),
                        lambda t, *p: TF.group_norm(t, groups, *p, eps=eps),
                        [x] + params, dtype, seed)


def test_layer_norm_gradcheck():
    x = sc.randn(2, 3, 4, dtype=sc.float64, requires_grad=True)
    w = sc.randn(3, 4, dtype=sc.float64, requires_grad=True)
    b = sc.randn(3, 4, dtype=sc.float64, requires_grad=True)
    assert sc.gradcheck(lambda *t: F.layer_norm(t[0], (3, 4), t[1], t[2]), (x, w, b))


def test_group_norm_gradcheck():
    x = sc.randn(2, 6, 3, dtype=sc.float64, requires_grad=True)
    w = sc.randn(6, dtype=sc.float64, requires_grad=True)
    b = sc.randn(6, dtype=sc.float64, requires_grad=True)
    assert sc.gradcheck(lambda *t: F.group_norm(t[0], 3, t[1], t[2]), (x, w, b))


@pytest.mark.parametrize("kwargs", [{}, {"elementwise_affine": False}, {"bias": False},
                                    {"eps": 1e-3}])
def test_layer_norm_module_matches_torch(kwargs):
    ours, theirs = nn.LayerNorm((4, 5), **kwargs), torch.nn.LayerNorm((4, 5), **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    xs, xt = sc.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ys, yt = ours(xs), theirs(xt)
    np.testing.assert_allclose(ys.numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    ys.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=name)
    assert ours.output_shape((2, 3, 4, 5)) == (2, 3, 4, 5)


@pytest.mark.parametrize("kwargs", [{}, {"affine": False}, {"eps": 1e-3}])
def test_group_norm_module_matches_torch(kwargs):
    ours, theirs = nn.GroupNorm(3, 6, **kwargs), torch.nn.GroupNorm(3, 6, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = np.random.default_rng(1).standard_normal((2, 6, 3, 3))
    check_against_torch(lambda t: ours.double()(t), lambda t: theirs.double()(t), [x],
                        np.float64)


def test_norm_errors():
    with pytest.raises(ShapeError, match="more than 1 value"):
        F.group_norm(sc.randn(1, 2), 2)      # as torch: one value per group, and one sample
    with pytest.raises(ValueError):
        TF.group_norm(torch.randn(1, 2), 2)
    with pytest.raises(ShapeError, match="divisible by num_groups=4"):
        F.group_norm(sc.randn(2, 6, 3), 4)
    with pytest.raises(ArgumentError, match="divisible by num_groups"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ShapeError, match="6 channels"):
        nn.GroupNorm(3, 6)(sc.randn(2, 4, 3))
    with pytest.raises(ShapeError, match=r"normalized_shape=\[4\]"):
        F.layer_norm(sc.randn(2, 3), (4,))
    with pytest.raises(ShapeError, match="weight of shape"):
        F.layer_norm(sc.randn(2, 3), (3,), sc.randn(4))
    with pytest.raises(DTypeError, match="floating point"):
        nn.LayerNorm(3)(sc.tensor([[1, 2, 3]]))
    with pytest.raises(DTypeError, match="dtype"):
        nn.LayerNorm(3)(sc.randn(2, 3, dtype=sc.float64))
