"""Shape and indexing methods and functions (view, expand, repeat, split, movedim, flip,
roll, gather, scatter, index_select, narrow, tril, cat, meshgrid...) against PyTorch:
values, dtypes and gradients over hypothesis-drawn shapes in float64 (1e-10) and float32
(rtol 1e-4), plus finite differences and the error messages for bad arguments."""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import scratchcnn as sc
from scratchcnn.errors import ArgumentError, DTypeError, ShapeError
from conftest import assert_close, to_torch

DTYPES = [np.float64, np.float32]
shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4)


def compare(ours, theirs, arrays, dtype=np.float64, seed=0, extra=()):
    """Run ``ours`` on scratchcnn leaves and ``theirs`` on torch leaves made from the same
    ``arrays`` (cast to ``dtype``); compare outputs (one or a tuple) and, for one random
    dL/dout per output, the inputs' gradients. ``extra`` is passed to both unchanged."""
    arrays = [np.asarray(a, dtype=dtype) for a in arrays]
    xs = [sc.tensor(a, requires_grad=True) for a in arrays]
    txs = [to_torch(a, requires_grad=True) for a in arrays]
    out, tout = ours(*xs, *extra), theirs(*txs, *extra)
    outs = out if isinstance(out, tuple) else (out,)
    touts = tout if isinstance(tout, tuple) else (tout,)
    assert len(outs) == len(touts)
    rng = np.random.default_rng(seed)
    loss, tloss = 0, 0
    for o, to in zip(outs, touts):
        assert o.shape == tuple(to.shape), (o.shape, tuple(to.shape))
        assert o.dtype == np.dtype(str(to.dtype).replace("torch.", ""))
        assert_close(o, to, dtype)
        g = rng.standard_normal(o.shape).astype(dtype)
        loss = loss + (o * sc.tensor(g)).sum()
        tloss = tloss + (to * torch.tensor(g)).sum()
    loss.backward()
    tloss.backward()
    for x, tx in zip(xs, txs):
        assert x.grad is not None and x.grad.dtype == np.dtype(dtype)
        assert_close(x.grad, tx.grad, dtype)


def data(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# =========================================================================== reshape forms
RESHAPES = [
    ("reshape_ints", lambda t: t.reshape(6, 4)),
    ("reshape_tuple", lambda t: t.reshape((4, -1))),
    ("reshape_list", lambda t: t.reshape([-1])),
    ("reshape_kw", lambda t: t.reshape(shape=(2, 12))),
    ("view_-1", lambda t: t.view(-1)),
    ("view_tuple", lambda t: t.view((2, 3, 4))),
    ("view_kw", lambda t: t.view(size=[3, 8])),
    ("view_size", lambda t: t.view(t.shape)),
    ("view_as", lambda t: t.view_as(t.reshape(4, 6))),
    ("reshape_as", lambda t: t.reshape_as(t.reshape(12, 2))),
    ("flatten", lambda t: t.flatten()),
    ("flatten_1", lambda t: t.flatten(1)),
    ("flatten_neg", lambda t: t.flatten(-2, -1)),
    ("unflatten", lambda t: t.unflatten(2, (2, 2))),
    ("unflatten_-1", lambda t: t.unflatten(-1, (-1, 2))),
    ("t_2d", lambda t: t.reshape(6, 4).t()),
    ("T", lambda t: t.T if t.ndim == 2 else t.permute(2, 1, 0)),
    ("mT", lambda t: t.mT),
    ("permute_list", lambda t: t.permute([2, 0, 1])),
    ("permute_neg", lambda t: t.permute(-1, 0, 1)),
    ("swapaxes", lambda t: t.swapaxes(0, -1)),
    ("swapdims", lambda t: t.swapdims(1, 2)),
    ("movedim", lambda t: t.movedim(0, -1)),
    ("movedim_tuple", lambda t: t.movedim((0, 1), (2, 0))),
    ("moveaxis", lambda t: t.moveaxis(-1, 0)),
    ("squeeze_tuple", lambda t: t.reshape(2, 1, 3, 1, 4).squeeze((1, 3, 4))),
    ("squeeze_noop", lambda t: t.squeeze(0)),
    ("unsqueeze_end", lambda t: t.unsqueeze(3)),
    ("expand_as", lambda t: t[:, :1].expand_as(t)),
    ("clone_fmt", lambda t: t.clone(memory_format=torch.contiguous_format)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,fn", RESHAPES, ids=[c[0] for c in RESHAPES])
def test_reshape_family_matches_torch(name, fn, dtype):
    compare(fn, fn, [data((2, 3, 4))], dtype)


def test_view_dtype_reinterprets_bytes_like_torch():
    x = np.arange(4, dtype=np.float32)
    ours, theirs = sc.tensor(x).view(sc.int32), torch.tensor(x).view(torch.int32)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_views_share_memory_and_version():
    x = sc.zeros(2, 3)
    for view in (x.view(6), x.reshape(3, 2), x.t(), x.unsqueeze(0), x.narrow(1, 1, 2),
                 x.split(1)[1], x.unbind(1)[2], x.movedim(0, 1), x.select(0, 1)):
        before = x._version
        view.add_(1.0)
        assert x._version == before + 1
    expected = torch.zeros(2, 3)
    for view in (expected.view(6), expected.reshape(3, 2), expected.t(),
                 expected.unsqueeze(0), expected.narrow(1, 1, 2), expected.split(1)[1],
                 expected.unbind(1)[2], expected.movedim(0, 1), expected.select(0, 1)):
        view.add_(1.0)
    assert_close(x, expected)


def test_flip_roll_repeat_copy():
    x = sc.zeros(2, 3)
    for copy in (x.flip(0), x.roll(1), x.repeat(1, 2), x.clone()):
        copy.add_(1.0)
    assert float(x.abs().sum()) == 0.0


# =========================================================================== drawn shapes
@given(shape=shapes, data_=st.data(), dtype=st.sampled_from(DTYPES))
def test_squeeze_unsqueeze_drawn(shape, data_, dtype):
    shape = tuple(1 if data_.draw(st.booleans()) else s for s in shape)
    n = len(shape)
    dims = data_.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=n,
                               unique_by=lambda d: d % n))
    compare(lambda t: t.squeeze(), lambda t: t.squeeze(), [data(shape)], dtype)
    compare(lambda t: t.squeeze(dims[0]), lambda t: t.squeeze(dims[0]), [data(shape)], dtype)
    compare(lambda t: t.squeeze(tuple(dims)), lambda t: t.squeeze(tuple(dims)),
            [data(shape)], dtype)
    where = data_.draw(st.integers(-n - 1, n))
    compare(lambda t: t.unsqueeze(where), lambda t: t.unsqueeze(where), [data(shape)], dtype)


@given(shape=shapes, data_=st.data(), dtype=st.sampled_from(DTYPES))
def test_movedim_transpose_flip_roll_drawn(shape, data_, dtype):
    n = len(shape)
    k = data_.draw(st.integers(1, n))
    source = data_.draw(st.permutations(range(n)))[:k]
    dest = data_.draw(st.permutations(range(-n, 0)))[:k]
    compare(lambda t: t.movedim(source, dest), lambda t: t.movedim(source, dest),
            [data(shape)], dtype)
    a, b = data_.draw(st.integers(-n, n - 1)), data_.draw(st.integers(-n, n - 1))
    compare(lambda t: t.transpose(a, b), lambda t: t.transpose(a, b), [data(shape)], dtype)
    dims = data_.draw(st.permutations(range(n)))[:k]
    compare(lambda t: t.flip(dims), lambda t: t.flip(dims), [data(shape)], dtype)
    shifts = data_.draw(st.lists(st.integers(-5, 5), min_size=k, max_size=k))
    compare(lambda t: t.roll(shifts, dims), lambda t: t.roll(shifts, dims), [data(shape)], dtype)
    compare(lambda t: t.roll(shifts[0]), lambda t: t.roll(shifts[0]), [data(shape)], dtype)


@given(shape=shapes, data_=st.data(), dtype=st.sampled_from(DTYPES))
def test_expand_repeat_drawn(shape, data_, dtype):
    base = tuple(1 if data_.draw(st.booleans()) else s for s in shape)
    lead = data_.draw(st.lists(st.integers(0, 3), max_size=2))
    target = tuple(lead) + tuple(data_.draw(st.integers(0, 3)) if s == 1 else
                                 data_.draw(st.sampled_from([s, -1])) for s in base)
    compare(lambda t: t.expand(*target), lambda t: t.expand(*target), [data(base)], dtype)
    compare(lambda t: t.expand(target), lambda t: t.expand(target), [data(base)], dtype)
    repeats = tuple(lead) + tuple(data_.draw(st.integers(0, 3)) for _ in base)
    compare(lambda t: t.repeat(*repeats), lambda t: t.repeat(*repeats), [data(base)], dtype)
    compare(lambda t: sc.broadcast_to(t, tuple(lead) + base),
            lambda t: torch.broadcast_to(t, tuple(lead) + base), [data(base)], dtype)


@given(shape=shapes, data_=st.data(), dtype=st.sampled_from(DTYPES))
def test_split_chunk_unbind_narrow_drawn(shape, data_, dtype):
    n = len(shape)
    dim = data_.draw(st.integers(-n, n - 1))
    length = shape[dim]
    size = data_.draw(st.integers(1, length + 1))
    compare(lambda t: t.split(size, dim), lambda t: t.split(size, dim), [data(shape)], dtype)
    cuts = sorted(data_.draw(st.lists(st.integers(0, length), max_size=3)))
    sections = [b - a for a, b in zip([0] + cuts, cuts + [length])]
    compare(lambda t: t.split(sections, dim), lambda t: t.split(sections, dim),
            [data(shape)], dtype)
    chunks = data_.draw(st.integers(1, 5))
    compare(lambda t: t.chunk(chunks, dim), lambda t: t.chunk(chunks, dim), [data(shape)], dtype)
    compare(lambda t: t.unbind(dim), lambda t: t.unbind(dim), [data(shape)], dtype)
    start = data_.draw(st.integers(-length, length - 1))
    width = data_.draw(st.integers(0, length - start % length))
    compare(lambda t: t.narrow(dim, start, width), lambda t: t.narrow(dim, start, width),
            [data(shape)], dtype)
    compare(lambda t: sc.split(t, sections, dim=dim), lambda t: torch.split(t, sections, dim=dim),
            [data(shape)], dtype)


@given(shape=shapes, data_=st.data(), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 99))
def test_gather_scatter_index_select_drawn(shape, data_, dtype, seed):
    n = len(shape)
    rng = np.random.default_rng(seed)
    dim = data_.draw(st.integers(-n, n - 1))
    index_shape = tuple(data_.draw(st.integers(1, 4)) if d % n == dim % n else
                        data_.draw(st.integers(1, s)) for d, s in enumerate(shape))
    index = rng.integers(0, shape[dim], index_shape)
    ti, si = torch.from_numpy(index), sc.tensor(index)
    compare(lambda t: t.gather(dim, si), lambda t: t.gather(dim, ti), [data(shape)], dtype)
    compare(lambda t: sc.gather(t, dim, si), lambda t: torch.gather(t, dim, ti),
            [data(shape)], dtype)
    # torch differentiates src only when src.shape == index.shape; a larger src is
    # compared by value here and by finite differences in test_scatter_larger_src.
    src = data(index_shape, seed + 1)
    big = data(tuple(s + 1 for s in index_shape), seed + 2)
    assert_close(sc.tensor(data(shape)).scatter_add(dim, si, sc.tensor(big)),
                 torch.tensor(data(shape)).scatter_add(dim, ti, torch.tensor(big)))
    compare(lambda t, s: t.scatter_add(dim, si, s), lambda t, s: t.scatter_add(dim, ti, s),
            [data(shape), src], dtype)
    # scatter: one write per position (PyTorch leaves the winner of repeats unspecified)
    unique_shape = tuple(min(s, i) for s, i in zip(shape, index_shape))
    unique = np.argsort(rng.random(shape), axis=dim % n)[tuple(slice(0, k) for k in unique_shape)]
    tu, su = torch.from_numpy(unique.copy()), sc.tensor(unique)
    usrc = data(unique_shape, seed + 3)
    compare(lambda t, s: t.scatter(dim, su, s), lambda t, s: t.scatter(dim, tu, s),
            [data(shape), usrc], dtype)
    compare(lambda t: t.scatter(dim, su, 2.5), lambda t: t.scatter(dim, tu, 2.5),
            [data(shape)], dtype)
    picks = rng.integers(0, shape[dim], data_.draw(st.integers(0, 5)))
    compare(lambda t: t.index_select(dim, sc.tensor(picks)),
            lambda t: t.index_select(dim, torch.from_numpy(picks)), [data(shape)], dtype)


@given(shape=shapes, dtype=st.sampled_from(DTYPES), seed=st.integers(0, 99))
def test_take_masked_select_tril_drawn(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    index = rng.integers(-size, size, (2, 3))
    compare(lambda t: t.take(sc.tensor(index)), lambda t: t.take(torch.from_numpy(index)),
            [data(shape)], dtype)
    mask = np.asarray(rng.random(shape[1:]) > 0.5)
    compare(lambda t: t.masked_select(sc.tensor(mask)),
            lambda t: t.masked_select(torch.from_numpy(mask)), [data(shape)], dtype)
    if len(shape) >= 2:
        k = int(rng.integers(-3, 4))
        compare(lambda t: t.tril(k), lambda t: t.tril(k), [data(shape)], dtype)
        compare(lambda t: sc.triu(t, k), lambda t: torch.triu(t, k), [data(shape)], dtype)


@pytest.mark.parametrize("fn", [
    lambda t: t.gather(1, sc.tensor([[0, 0, 2], [1, 1, 1]])),
    lambda t: t.scatter_add(1, sc.tensor([[0, 0], [2, 2]]), t[:, :2] * 3),
    lambda t: t.scatter(1, sc.tensor([[2, 0], [1, 2]]), t[:, 1:] ** 2),
    lambda t: t.index_select(0, sc.tensor([1, 1, 0])),
    lambda t: t.take(sc.tensor([[5, -1], [0, 5]])),
    lambda t: t.masked_select(sc.tensor([True, False, True])),
    lambda t: t.expand(4, 2, 3) * t,
    lambda t: t.repeat(2, 1, 3),
    lambda t: t.roll((1, -1), (0, 1)),
    lambda t: t.flip(0, 1),
    lambda t: t.tril(-1) + t.triu(1),
    lambda t: t.split([1, 2], 1),
], ids=["gather", "scatter_add", "scatter", "index_select", "take", "masked_select",
        "expand", "repeat", "roll", "flip", "tril_triu", "split"])
def test_gradcheck(fn):
    x = sc.tensor(data((2, 3), 5), requires_grad=True)
    assert sc.gradcheck(fn, (x,))


@pytest.mark.parametrize("name", ["scatter", "scatter_add"])
def test_scatter_larger_src_gradcheck(name):
    """Only the leading index-shaped block of src is read: its gradient is dL/dout at the
    written positions, zero elsewhere."""
    x = sc.tensor(data((3, 4), 6), requires_grad=True)
    src = sc.tensor(data((3, 5), 7), requires_grad=True)
    index = sc.tensor([[2, 0, 1], [1, 2, 0]])
    assert sc.gradcheck(lambda a, b: getattr(a, name)(1, index, b), (x, src))
    x.grad = src.grad = None
    getattr(x, name)(1, index, src).sum().backward()
    expected = np.zeros((3, 5))
    expected[:2, :3] = 1
    np.testing.assert_array_equal(src.grad.numpy(), expected)


def test_in_place_scatter_tril_match_torch():
    base = data((3, 4), 2)
    index = np.array([[0, 1, 2, 0]])
    ours, theirs = sc.tensor(base), torch.tensor(base)
    ours.scatter_(0, sc.tensor(index), 7.0).tril_(1)
    theirs.scatter_(0, torch.from_numpy(index), 7.0).tril_(1)
    ours.scatter_add_(1, sc.tensor([[3, 3]]), sc.ones(1, 2, dtype=sc.float64))
    theirs.scatter_add_(1, torch.tensor([[3, 3]]), torch.ones(1, 2, dtype=torch.float64))
    assert_close(ours, theirs)


# =========================================================================== top level
FUNCTIONS = [
    ("flatten", (1,)), ("reshape", ((4, 6),)), ("squeeze", ()), ("unsqueeze", (-1,)),
    ("transpose", (0, 2)), ("swapaxes", (0, 1)), ("permute", ((2, 0, 1),)), ("movedim", (1, 0)),
    ("moveaxis", (2, 0)), ("chunk", (2, -1)), ("unbind", (1,)), ("flip", ((0, 2),)),
    ("roll", (2,)), ("roll", ((1, 2), (0, 2))), ("narrow", (2, 1, 2)), ("select", (1, -1)),
    ("unflatten", (2, (2, 2))), ("clone", ()),
]


@pytest.mark.parametrize("name,args", FUNCTIONS, ids=[f"{n}{a}" for n, a in FUNCTIONS])
def test_top_level_functions_match_torch(name, args):
    compare(lambda t: getattr(sc, name)(t, *args), lambda t: getattr(torch, name)(t, *args),
            [data((2, 3, 4))])


def test_t_and_2d_functions():
    compare(lambda t: sc.t(t), lambda t: torch.t(t), [data((3, 4))])
    compare(lambda t: sc.t(t), lambda t: torch.t(t), [data((4,))])
    compare(lambda t: sc.tril(t, 1), lambda t: torch.tril(t, 1), [data((3, 4))])
    compare(sc.fliplr, torch.fliplr, [data((3, 4))])
    compare(sc.flipud, torch.flipud, [data((3, 4))])


@pytest.mark.parametrize("dim", [0, 1, -1, -2])
def test_cat_stack_negative_dims(dim):
    compare(lambda a, b: sc.cat([a, b], dim), lambda a, b: torch.cat([a, b], dim),
            [data((2, 3)), data((2, 3), 1)])
    compare(lambda a, b: sc.concat((a, b), dim=dim), lambda a, b: torch.concat((a, b), dim=dim),
            [data((2, 3)), data((2, 3), 1)])
    compare(lambda a, b: sc.stack([a, b], dim), lambda a, b: torch.stack([a, b], dim),
            [data((2, 3)), data((2, 3), 1)])
    compare(lambda a, b: sc.stack([a, b], dim - 1), lambda a, b: torch.stack([a, b], dim - 1),
            [data((2, 3)), data((2, 3), 1)])


def test_cat_promotes_dtype_and_skips_empty_like_torch():
    a, b = np.arange(3), np.ones(2, dtype=np.float32)
    ours = sc.cat([sc.tensor(a), sc.tensor(b), sc.zeros(0)])
    theirs = torch.cat([torch.tensor(a), torch.tensor(b), torch.zeros(0)])
    assert ours.dtype == np.float32 and theirs.dtype == torch.float32
    assert_close(ours, theirs, np.float32)
    x = sc.tensor(data((2, 2)), requires_grad=True)
    sc.cat([x, sc.zeros(0)]).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 2)))


@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack", "column_stack", "row_stack"])
@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 2)])
def test_stack_family_matches_torch(name, shape):
    compare(lambda a, b: getattr(sc, name)([a, b]), lambda a, b: getattr(torch, name)([a, b]),
            [data(shape), data(shape, 1)])


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_and_broadcast_tensors(indexing):
    compare(lambda a, b, c: sc.meshgrid(a, b, c, indexing=indexing),
            lambda a, b, c: torch.meshgrid(a, b, c, indexing=indexing),
            [data((2,)), data((3,), 1), data((4,), 2)])
    compare(lambda a, b: sc.broadcast_tensors(a, b), lambda a, b: torch.broadcast_tensors(a, b),
            [data((2, 1, 4)), data((3, 1), 1)])
    assert sc.broadcast_shapes((2, 1), (3, 1, 5)) == \
        tuple(torch.broadcast_shapes((2, 1), (3, 1, 5)))


def test_nonzero_and_argwhere_match_torch():
    base = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    for ours, theirs in ((sc.tensor(base).nonzero(), torch.tensor(base).nonzero()),
                         (sc.argwhere(sc.tensor(base)), torch.argwhere(torch.tensor(base))),
                         (sc.nonzero(sc.tensor(5.0)), torch.nonzero(torch.tensor(5.0)))):
        assert ours.dtype == np.int64 and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    for ours, theirs in zip(sc.tensor(base).nonzero(as_tuple=True),
                            torch.tensor(base).nonzero(as_tuple=True)):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_size_dim_numel_tolist_match_torch():
    base = data((2, 3, 4))
    ours, theirs = sc.tensor(base), torch.tensor(base)
    for d in range(-3, 3):
        assert ours.size(d) == theirs.size(d)
    assert ours.size() == tuple(theirs.size()) and ours.dim() == theirs.dim() == 3
    assert ours.numel() == theirs.numel() == 24
    assert ours.tolist() == theirs.tolist()
    assert sc.Size([2, 3, 4]).numel() == torch.Size([2, 3, 4]).numel()
    assert repr(sc.Size([2, 3])) == repr(torch.Size([2, 3]))


# =========================================================================== errors
@pytest.mark.parametrize("call,error,words", [
    (lambda x: x.squeeze(3), ShapeError, "dimension out of range"),
    (lambda x: x.unsqueeze(4), ShapeError, "[-4, 3]"),
    (lambda x: x.transpose(0, -4), ShapeError, "but got -4"),
    (lambda x: x.permute(0, 1), ShapeError, "permutation"),
    (lambda x: x.permute(0, 1, 1), ShapeError, "multiple times"),
    (lambda x: x.view(5, -1), ShapeError, "invalid for input of shape"),
    (lambda x: x.reshape(-1, -1), ShapeError, "at most one -1"),
    (lambda x: x.expand(3, 3, 4), ShapeError, "must match the existing size"),
    (lambda x: x.expand(-1, 2, 3, 4), ShapeError, "leading, non-existing"),
    (lambda x: x.repeat(2, 2), ShapeError, "can not be smaller"),
    (lambda x: x.split([1, 1], 1), ShapeError, "sum exactly to 3"),
    (lambda x: x.chunk(0), ArgumentError, "greater than 0"),
    (lambda x: x.narrow(1, 2, 2), ShapeError, "exceeds dimension size"),
    (lambda x: x.select(2, 4), ShapeError, "out of range"),
    (lambda x: x.gather(1, sc.tensor([[[3]]])), ShapeError, "out of bounds"),
    (lambda x: x.gather(1, sc.tensor([[0]])), ShapeError, "same number of dimensions"),
    (lambda x: x.gather(0, sc.tensor([[[0.5]]])), DTypeError, "integer"),
    (lambda x: x.index_select(0, sc.tensor([[0]])), ShapeError, "1-D"),
    (lambda x: x.masked_select(sc.tensor([1, 0, 1, 0])), DTypeError, "bool"),
    (lambda x: x.movedim((0, 1), 2), ArgumentError, "same number of dims"),
    (lambda x: x.t(), ShapeError, "<= 2 dimensions"),
    (lambda x: x.roll((1, 2), 0), ArgumentError, "must align"),
    (lambda x: x.flip(0, 0), ShapeError, "multiple times"),
    (lambda x: sc.zeros(3).tril(), ShapeError, "at least 2 dimensions"),
    (lambda x: sc.cat([x, sc.zeros(2, 3)]), ShapeError, "same number of dimensions"),
    (lambda x: sc.cat([x, sc.zeros(2, 4, 4)], 2), ShapeError, "Sizes of tensors must match"),
    (lambda x: sc.stack([x, sc.zeros(2)]), ShapeError, "equal size"),
    (lambda x: sc.stack([x, x], 4), ShapeError, "dimension out of range"),
])
def test_bad_arguments_raise_clear_errors(call, error, words):
    x = sc.zeros(2, 3, 4)
    with pytest.raises(error) as info:
        call(x)
    assert words in str(info.value)
