"""Reductions and sorting against PyTorch: ``sum``/``mean`` (dim tuples, ``axis=``,
``dtype=``), ``var``/``std`` (``unbiased``, ``correction``), ``prod`` and ``cumprod`` with
zeros, ``cumsum``, ``logsumexp``, every form of ``max``/``min``, ``amax``/``amin`` ties,
``sort``/``argsort``/``topk``/``kthvalue``/``median``, ``norm`` for each p, ``all``/``any``,
``count_nonzero``: values, dtypes and gradients, plus finite differences."""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import scratchcnn as sc
from scratchcnn.errors import ArgumentError, DTypeError, ShapeError

from conftest import assert_close
from test_tensor_math import FLOATS, compare

# Slices of one element make torch warn about var/std's degrees of freedom (the result is
# nan/inf in both libraries, and compared as such).
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom")

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


@st.composite
def shape_and_dims(draw, several=True):
    """A shape and a ``dim`` for it: None, one axis (maybe negative) or several axes."""
    shape = draw(shapes)
    ndim = len(shape)
    choices = [st.none(), st.integers(-ndim, ndim - 1)]
    if several:
        choices.append(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                                unique=True).map(tuple))
    return shape, draw(st.one_of(*choices))


def data(seed, shape, distinct=False):
    rng = np.random.default_rng(seed)
    if distinct:   # no ties: indices are then unambiguous
        return rng.permutation(int(np.prod(shape))).reshape(shape) / 3.0 - 1.0
    return rng.standard_normal(shape)


# --------------------------------------------------------------------- sum, mean, var, std
@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "nansum", "nanmean"])
@given(case=shape_and_dims(), keepdim=st.booleans(), dtype=st.sampled_from(FLOATS),
       seed=st.integers(0, 2 ** 16))
def test_dim_reductions_match_torch(name, case, keepdim, dtype, seed):
    shape, dim = case
    x = data(seed, shape)
    if dim is None:
        compare(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), [x], dtype)
        return
    compare(lambda t: getattr(t, name)(dim, keepdim=keepdim),
            lambda t: getattr(t, name)(dim, keepdim=keepdim), [x], dtype, seed=seed)
    compare(lambda t: getattr(sc, name)(t, dim, keepdim),
            lambda t: getattr(torch, name)(t, dim, keepdim), [x], dtype, seed=seed)


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("kwargs", [dict(unbiased=False), dict(unbiased=True),
                                    dict(correction=0), dict(correction=2)])
@pytest.mark.parametrize("dim", [None, 1, (0, 2)])
def test_var_std_corrections_match_torch(name, kwargs, dim):
    x = data(1, (3, 4, 2))
    compare(lambda t: getattr(t, name)(dim, **kwargs), lambda t: getattr(t, name)(dim, **kwargs),
            [x])
    compare(lambda t: getattr(sc, name)(t, dim, keepdim=True, **kwargs),
            lambda t: getattr(torch, name)(t, dim, keepdim=True, **kwargs), [x])


def test_var_std_positional_unbiased_and_degenerate_cases_match_torch():
    x = data(2, (5,))
    compare(lambda t: t.var(False), lambda t: t.var(False), [x])
    compare(lambda t: t.std(0, False, True), lambda t: t.std(0, False, True), [x])
    compare(lambda t: t.std(), lambda t: t.std(), [np.zeros(3)])          # grad 0, not nan
    with pytest.warns(UserWarning, match="degrees of freedom"):    # torch warns: nan
        expected = torch.tensor([1.5], dtype=torch.float64).var()
    np.testing.assert_equal(sc.tensor([1.5], dtype=sc.float64).var().item(), expected.item())
    for left, right in zip(sc.var_mean(sc.tensor(x), 0), torch.var_mean(torch.tensor(x), 0)):
        assert_close(left, right)
    for left, right in zip(sc.std_mean(sc.tensor(x)), torch.std_mean(torch.tensor(x))):
        assert_close(left, right)
    with pytest.raises(DTypeError):
        sc.tensor([1, 2]).var()
    with pytest.raises(ArgumentError, match="not both"):
        sc.ones(3).std(unbiased=True, correction=1)


def test_axis_alias_on_every_reduction():
    x = data(3, (3, 4))
    tx = torch.tensor(x)
    for name in ["sum", "mean", "var", "std", "argmax", "argmin", "logsumexp", "cumsum",
                 "prod", "amax", "amin"]:
        ours = getattr(sc.tensor(x), name)(axis=1)
        theirs = getattr(tx, name)(axis=1)
        assert_close(ours, theirs)
    assert_close(sc.tensor(x).max(axis=0).values, tx.max(axis=0).values)
    assert_close(sc.tensor(x).min(axis=1).indices, tx.min(axis=1).indices)
    assert_close(sc.sum(sc.tensor(x), axis=0), torch.sum(tx, axis=0))
    with pytest.raises(ArgumentError, match="alias"):
        sc.tensor(x).sum(0, axis=1)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.bool_, np.uint8])
@pytest.mark.parametrize("name", ["sum", "prod", "cumsum", "cumprod"])
def test_integer_accumulation_dtype_matches_torch(name, dtype):
    x = np.array([[1, 0, 3], [2, 2, 1]]).astype(dtype)
    args = (1,) if name.startswith("cum") else ()
    ours, theirs = getattr(sc.tensor(x), name)(*args), getattr(torch.tensor(x), name)(*args)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_dtype_argument_matches_torch():
    x = np.array([[1, 2], [3, 4]], dtype=np.int32)
    for name in ["sum", "mean", "prod"]:
        ours = getattr(sc.tensor(x), name)(dtype=sc.float64)
        theirs = getattr(torch.tensor(x), name)(dtype=torch.float64)
        assert ours.dtype == np.float64
        assert_close(ours, theirs)
    ours = sc.cumsum(sc.tensor(x), 0, dtype=sc.float32)
    assert ours.dtype == np.float32
    assert_close(ours, torch.cumsum(torch.tensor(x), 0, dtype=torch.float32))
    with pytest.raises(DTypeError):
        sc.tensor(x).mean()


# --------------------------------------------------------------------- prod, cumsum, logsumexp
@given(shape=shapes, dtype=st.sampled_from(FLOATS), seed=st.integers(0, 2 ** 16),
       zeros=st.integers(0, 3), keepdim=st.booleans())
def test_prod_with_zeros_matches_torch(shape, dtype, seed, zeros, keepdim):
    x = data(seed, shape)
    x.flat[np.random.default_rng(seed).permutation(x.size)[:zeros]] = 0.0
    compare(lambda t: t.prod(), lambda t: t.prod(), [x], dtype)
    compare(lambda t: sc.prod(t, -1, keepdim), lambda t: torch.prod(t, -1, keepdim), [x], dtype)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@given(shape=shapes, dtype=st.sampled_from(FLOATS), seed=st.integers(0, 2 ** 16),
       zeros=st.integers(0, 2))
def test_cumsum_cumprod_match_torch(name, shape, dtype, seed, zeros):
    x = data(seed, shape)
    x.flat[np.random.default_rng(seed).permutation(x.size)[:zeros]] = 0.0
    dim = seed % len(shape)
    compare(lambda t: getattr(t, name)(dim), lambda t: getattr(t, name)(dim), [x], dtype)
    compare(lambda t: getattr(sc, name)(t, dim=-1), lambda t: getattr(torch, name)(t, dim=-1),
            [x], dtype)


@given(case=shape_and_dims(), keepdim=st.booleans(), dtype=st.sampled_from(FLOATS),
       seed=st.integers(0, 2 ** 16), scale=st.sampled_from([1.0, 300.0]))
def test_logsumexp_matches_torch(case, keepdim, dtype, seed, scale):
    shape, dim = case
    dim = -1 if dim is None else dim
    x = data(seed, shape) * scale          # large values: exp would overflow unshifted
    compare(lambda t: t.logsumexp(dim, keepdim), lambda t: t.logsumexp(dim, keepdim), [x],
            dtype)
    compare(lambda t: sc.logsumexp(t, dim), lambda t: torch.logsumexp(t, dim), [x], dtype)


def test_logsumexp_infinities_match_torch():
    x = np.array([[-np.inf, -np.inf], [0.0, -np.inf], [np.inf, 1.0]])
    compare(lambda t: t.logsumexp(1), lambda t: t.logsumexp(1), [x], grad=False)


@pytest.mark.parametrize("name", ["prod", "cumprod", "var", "std", "logsumexp", "norm",
                                  "median", "amax", "sort", "topk"])
def test_reduction_gradcheck(name):
    x = data(4, (3, 4), distinct=True) + 0.05
    x[1, 2] = 0.0 if name in ("prod", "cumprod") else x[1, 2]
    calls = {"prod": lambda t: t.prod(1), "cumprod": lambda t: t.cumprod(1),
             "var": lambda t: t.var(0), "std": lambda t: t.std(1, keepdim=True),
             "logsumexp": lambda t: t.logsumexp((0, 1)), "norm": lambda t: t.norm(3, dim=1),
             "median": lambda t: t.median(1).values, "amax": lambda t: t.amax(0),
             "sort": lambda t: t.sort(0, descending=True).values,
             "topk": lambda t: t.topk(2, largest=False).values}
    assert sc.gradcheck(calls[name], (sc.tensor(x, requires_grad=True),))


# --------------------------------------------------------------------- max / min forms
@pytest.mark.parametrize("name", ["max", "min"])
@given(shape=shapes, dtype=st.sampled_from(FLOATS), seed=st.integers(0, 2 ** 16),
       keepdim=st.booleans())
def test_max_min_every_form_matches_torch(name, shape, dtype, seed, keepdim):
    x = data(seed, shape, distinct=True)
    dim = seed % len(shape)
    compare(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), [x], dtype)
    compare(lambda t: tuple(getattr(t, name)(dim)), lambda t: tuple(getattr(t, name)(dim)),
            [x], dtype)
    compare(lambda t: tuple(getattr(sc, name)(t, dim=dim, keepdim=keepdim)),
            lambda t: tuple(getattr(torch, name)(t, dim=dim, keepdim=keepdim)), [x], dtype)
    result = getattr(sc, name)(sc.tensor(x), dim)
    values, indices = result                       # a named tuple, unpackable
    assert values is result.values and indices is result.indices
    assert type(result).__name__ == name and indices.dtype == np.int64


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
def test_ties_share_the_gradient_like_torch(name):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0], [-1.0, 2.0, -1.0]])
    compare(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), [x])
    if name.startswith("a"):
        compare(lambda t: getattr(t, name)(1), lambda t: getattr(t, name)(1), [x])
        compare(lambda t: getattr(sc, name)(t, (0, 1), True),
                lambda t: getattr(torch, name)(t, (0, 1), True), [x])


def test_max_min_of_integers_and_empty_tensor():
    x = np.array([[3, 1, 7], [2, 9, 0]], dtype=np.uint8)
    for name in ["max", "min"]:
        np.testing.assert_array_equal(getattr(sc.tensor(x), name)(1).values.numpy(),
                                      getattr(torch.tensor(x), name)(1).values.numpy())
        assert getattr(sc.tensor(x), name)().item() == getattr(torch.tensor(x), name)().item()
    with pytest.raises(ShapeError):
        sc.zeros(0).max()


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (None, True), (0, False), (-1, True)])
def test_argmax_argmin_match_torch(name, dim, keepdim):
    x = data(5, (3, 4), distinct=True)
    ours = getattr(sc, name)(sc.tensor(x), dim, keepdim)
    theirs = getattr(torch, name)(torch.tensor(x), dim, keepdim)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == np.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# --------------------------------------------------------------------- sorting
@given(shape=shapes, dtype=st.sampled_from(FLOATS), seed=st.integers(0, 2 ** 16),
       descending=st.booleans())
def test_sort_argsort_match_torch(shape, dtype, seed, descending):
    x = data(seed, shape, distinct=True)
    dim = seed % len(shape)
    compare(lambda t: tuple(t.sort(dim, descending)), lambda t: tuple(t.sort(dim, descending)),
            [x], dtype)
    compare(lambda t: tuple(sc.sort(t, descending=descending)),
            lambda t: tuple(torch.sort(t, descending=descending)), [x], dtype)
    np.testing.assert_array_equal(sc.argsort(sc.tensor(x), dim, descending).numpy(),
                                  torch.argsort(torch.tensor(x), dim, descending).numpy())


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.bool_, np.uint8])
def test_stable_sort_with_ties_matches_torch(descending, dtype):
    x = np.random.default_rng(6).integers(0, 3, (4, 9)).astype(dtype)
    ours = sc.tensor(x).sort(1, descending, stable=True)
    theirs = torch.tensor(x).sort(dim=1, descending=descending, stable=True)
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())


def test_sort_puts_nan_last_ascending_and_first_descending_like_torch():
    x = np.array([3.0, np.nan, 1.0, 2.0])
    for descending in (False, True):
        ours, theirs = sc.tensor(x).sort(descending=descending), torch.tensor(x).sort(
            descending=descending)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())


@given(shape=shapes, dtype=st.sampled_from(FLOATS), seed=st.integers(0, 2 ** 16),
       largest=st.booleans(), data_=st.data())
def test_topk_kthvalue_median_match_torch(shape, dtype, seed, largest, data_):
    x = data(seed, shape, distinct=True)
    dim = seed % len(shape)
    k = data_.draw(st.integers(1, shape[dim]))
    keepdim = data_.draw(st.booleans())
    compare(lambda t: tuple(t.topk(k, dim, largest)), lambda t: tuple(t.topk(k, dim, largest)),
            [x], dtype)
    compare(lambda t: tuple(sc.kthvalue(t, k, dim, keepdim)),
            lambda t: tuple(torch.kthvalue(t, k, dim, keepdim)), [x], dtype)
    compare(lambda t: tuple(t.median(dim, keepdim)), lambda t: tuple(t.median(dim, keepdim)),
            [x], dtype)
    compare(lambda t: sc.median(t), lambda t: torch.median(t), [x], dtype)


def test_full_median_with_ties_shares_gradient_like_torch():
    compare(lambda t: t.median(), lambda t: t.median(), [np.array([2.0, 1.0, 2.0, 5.0, 2.0])])


def test_topk_k_out_of_range():
    with pytest.raises(ArgumentError, match="k"):
        sc.ones(3).topk(4)


# --------------------------------------------------------------------- norm, all, any
@pytest.mark.parametrize("p", [2, "fro", 1, float("inf"), float("-inf"), 0, 3, 0.5])
@given(case=shape_and_dims(), keepdim=st.booleans(), dtype=st.sampled_from(FLOATS),
       seed=st.integers(0, 2 ** 16))
def test_norm_matches_torch(p, case, keepdim, dtype, seed):
    shape, dim = case
    if p == "fro" and isinstance(dim, tuple) and len(dim) > 2:
        dim = dim[:2]                       # torch's 'fro' takes at most two dims
    x = data(seed, shape, distinct=True) + 0.01   # no exact zeros (|x|^(p-2) at 0)
    compare(lambda t: t.norm(p, dim, keepdim), lambda t: t.norm(p, dim, keepdim), [x], dtype)
    compare(lambda t: sc.norm(t, p, dim, keepdim), lambda t: torch.norm(t, p, dim, keepdim),
            [x], dtype)


def test_norm_of_zeros_has_zero_gradient_like_torch():
    compare(lambda t: t.norm(), lambda t: t.norm(), [np.zeros((2, 3))])
    compare(lambda t: t.norm(dim=1), lambda t: t.norm(dim=1), [np.array([[0.0, 0], [3, 4]])])
    with pytest.raises(ArgumentError, match="nuc"):
        sc.ones(2, 2).norm("nuc")


@pytest.mark.parametrize("name", ["all", "any", "count_nonzero"])
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 2)])
def test_all_any_count_nonzero_match_torch(name, dim):
    x = np.random.default_rng(7).integers(0, 2, (3, 4, 2)) * (np.arange(2) + 1)
    ours, theirs = getattr(sc, name)(sc.tensor(x), dim), getattr(torch, name)(torch.tensor(x),
                                                                                dim)
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    if name != "count_nonzero" and isinstance(dim, int):
        np.testing.assert_array_equal(getattr(sc, name)(sc.tensor(x), dim, True).numpy(),
                                      getattr(torch, name)(torch.tensor(x), dim, True).numpy())


@pytest.mark.parametrize("name", ["all", "any"])
def test_all_any_methods_take_dim_keepdim_and_axis_like_torch(name):
    x = np.array([[0, 1, 2], [3, 4, 5]])
    for kwargs in [dict(dim=1), dict(dim=0, keepdim=True), dict(axis=1)]:
        ours = getattr(sc.tensor(x), name)(**kwargs)
        theirs = getattr(torch.tensor(x), name)(**kwargs)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
