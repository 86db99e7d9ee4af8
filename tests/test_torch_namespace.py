"""The rest of torch's namespace that everyday programs touch, against torch: einsum,
legacy constructors, Size, finfo/iinfo, determinism switches, dimension errors."""

import numpy as np
import pytest
import torch

import scratchcnn as sc
from scratchcnn.errors import ArgumentError

from conftest import assert_close, to_torch


@pytest.mark.parametrize("equation, shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij->i", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("i,j->ij", [(3,), (4,)]),
    ("...k,kl->...l", [(2, 3, 4), (4, 5)]),
    ("nchw,oc->nohw", [(2, 3, 4, 4), (5, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ji", [(3, 2)]),
    ("ij,ij", [(2, 3), (2, 3)]),
])
def test_einsum_values_and_gradients_match_torch(equation, shapes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = [sc.tensor(a, requires_grad=True) for a in arrays]
    theirs = [to_torch(a, requires_grad=True) for a in arrays]
    out = sc.einsum(equation, *ours)
    tout = torch.einsum(equation, *theirs)
    assert_close(out, tout)
    g = rng.standard_normal(tuple(tout.shape))
    out.backward(sc.tensor(g))
    tout.backward(torch.tensor(g))
    for a, t in zip(ours, theirs):
        assert_close(a.grad, t.grad)
    assert_close(sc.einsum(equation, ours), tout)   # operands as one list, as torch allows


def test_einsum_errors_are_clear():
    with pytest.raises(ArgumentError, match="names 2 operands"):
        sc.einsum("ij,jk->ik", sc.ones(2, 3))
    with pytest.raises(ArgumentError, match="do not match an operand"):
        sc.einsum("ijk->i", sc.ones(2, 3))


@pytest.mark.parametrize("args", [(2, 3), ([1, 2, 3],), ([[1.5, 2]],), (), (4,)])
def test_legacy_tensor_constructor_like_torch(args):
    ours, theirs = sc.Tensor(*args), torch.Tensor(*args)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == np.float32
    if args and not all(type(a) is int for a in args):
        assert_close(ours, theirs)


@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor",
                                  "ByteTensor", "BoolTensor"])
def test_legacy_typed_constructors_like_torch(name):
    for args in [([1, 0, 3],), (2, 3)]:
        ours, theirs = getattr(sc, name)(*args), getattr(torch, name)(*args)
        assert ours.shape == tuple(theirs.shape)
        assert ours.dtype == theirs.numpy().dtype
        if len(args) == 1:
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_size_like_torch():
    x = sc.zeros(2, 3, 4)
    assert repr(x.shape) == repr(torch.zeros(2, 3, 4).shape) == "torch.Size([2, 3, 4])"
    assert x.size() == (2, 3, 4) and x.shape.numel() == 24 and x.size(-1) == 4
    assert isinstance(x.shape, tuple) and x.shape[1:] == (3, 4)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(3)
    with pytest.raises(IndexError):
        torch.zeros(2, 3, 4).size(3)


def test_finfo_iinfo_and_switches():
    assert sc.finfo(sc.float32).eps == torch.finfo(torch.float32).eps
    assert sc.iinfo(sc.int64).max == torch.iinfo(torch.int64).max
    sc.use_deterministic_algorithms(True)
    assert sc.are_deterministic_algorithms_enabled()
    sc.use_deterministic_algorithms(False)
    sc.set_printoptions(precision=3)
    with sc.autograd.set_detect_anomaly(True):
        (sc.ones(1, requires_grad=True) * 2).sum().backward()


def test_set_default_dtype_reaches_creation_promotion_and_layers():
    try:
        sc.set_default_dtype(sc.float64)
        torch.set_default_dtype(torch.float64)
        for ours, theirs in [(sc.tensor([1.5]), torch.tensor([1.5])),
                             (sc.zeros(2), torch.zeros(2)),
                             (sc.tensor([1]) / 2, torch.tensor([1]) / 2),
                             (sc.nn.Linear(2, 3).weight, torch.nn.Linear(2, 3).weight),
                             (sc.nn.Conv2d(1, 2, 3).bias, torch.nn.Conv2d(1, 2, 3).bias),
                             (sc.arange(0.5, 2), torch.arange(0.5, 2))]:
            assert ours.dtype == theirs.detach().numpy().dtype == np.float64
        assert sc.get_default_dtype() == np.float64
    finally:
        sc.set_default_dtype(sc.float32)
        torch.set_default_dtype(torch.float32)
    assert sc.tensor([1.5]).dtype == np.float32
    with pytest.raises(TypeError, match="floating-point"):
        sc.set_default_dtype(sc.int64)
