"""Creation functions in PyTorch's argument forms (``zeros(2, 3)``, ``zeros((2, 3))``,
``zeros(size=...)``, ``randint(low, high, size)``, ``arange`` with float steps, ``linspace``,
the ``*_like`` family, ``tensor`` of tensors) and the default dtype, against PyTorch."""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import scratchcnn as sc
from scratchcnn.errors import ArgumentError, DeviceError, DTypeError, ShapeError
from conftest import assert_close

TORCH_OF = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64,
            np.dtype(np.float16): torch.float16, np.dtype(np.int64): torch.int64,
            np.dtype(np.int32): torch.int32, np.dtype(np.bool_): torch.bool,
            np.dtype(np.uint8): torch.uint8}


def same(ours, theirs, dtype=np.float64):
    """Same shape, dtype and values (values to the dtype's tolerance)."""
    assert ours.shape == tuple(theirs.shape)
    assert TORCH_OF[np.dtype(ours.dtype)] == theirs.dtype, (ours.dtype, theirs.dtype)
    if ours.dtype.kind == "f":
        assert_close(ours, theirs, dtype if ours.dtype != np.float16 else np.float32)
    else:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def torch_args(args):
    return tuple(TORCH_OF.get(a, a) if isinstance(a, np.dtype) else a for a in args)


def torch_kwargs(kwargs):
    return {k: TORCH_OF[np.dtype(v)] if k == "dtype" else v for k, v in kwargs.items()}


# =========================================================================== size forms
SIZE_FORMS = [((2, 3), {}), (((2, 3),), {}), (([2, 3],), {}), ((), {"size": (2, 3)}),
              ((sc.Size([2, 3]),), {}), (((),), {}), ((0, 4), {}), ((4,), {}),
              ((2, 3), {"dtype": sc.float64}), ((2,), {"dtype": sc.int64}),
              ((2,), {"dtype": sc.bool_})]


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("args,kwargs", SIZE_FORMS, ids=[str(f) for f in SIZE_FORMS])
def test_filled_size_forms_match_torch(name, args, kwargs):
    ours = getattr(sc, name)(*args, **kwargs)
    targs = tuple(torch.Size(a) if isinstance(a, sc.Size) else a for a in args)
    theirs = getattr(torch, name)(*targs, **torch_kwargs(kwargs))
    assert ours.shape == tuple(theirs.shape)
    assert TORCH_OF[ours.dtype] == theirs.dtype
    if name != "empty":
        same(ours, theirs)


@pytest.mark.parametrize("name", ["rand", "randn"])
@pytest.mark.parametrize("args,kwargs", [((2, 3), {}), (((4,),), {}), ((), {"size": [3, 1]}),
                                         ((2,), {"dtype": sc.float64})])
def test_random_size_forms_and_dtypes(name, args, kwargs):
    ours = getattr(sc, name)(*args, **kwargs)
    theirs = getattr(torch, name)(*args, **torch_kwargs(kwargs))
    assert ours.shape == tuple(theirs.shape) and TORCH_OF[ours.dtype] == theirs.dtype


def test_random_values_follow_their_distributions():
    u, n = sc.rand(20000, dtype=sc.float64), sc.randn(20000, dtype=sc.float64)
    assert 0 <= float(u.min()) and float(u.max()) < 1
    assert abs(float(u.mean()) - 0.5) < 0.01 and abs(float(n.mean())) < 0.03
    assert abs(float(n.std()) - 1.0) < 0.03


def test_generator_keyword_gives_reproducible_draws():
    for name, args in (("rand", (3,)), ("randn", (3,)), ("randint", (0, 9, (3,))),
                       ("randperm", (5,))):
        first = getattr(sc, name)(*args, generator=sc.Generator().manual_seed(4))
        again = getattr(sc, name)(*args, generator=sc.Generator().manual_seed(4))
        np.testing.assert_array_equal(first.numpy(), again.numpy())


def test_requires_grad_and_device_keywords():
    x = sc.zeros(2, requires_grad=True, device="cpu")
    assert x.requires_grad and x.is_leaf
    with pytest.raises(DeviceError, match="zeros"):
        sc.zeros(2, device="cuda")
    with pytest.raises(DeviceError, match="tensor"):
        sc.tensor([1.0], device="cuda:0")
    with pytest.raises(DTypeError):
        sc.zeros(2, dtype=sc.int64, requires_grad=True)


def test_out_keyword_writes_into_the_tensor():
    out = sc.empty(0)
    result = sc.ones(2, 2, out=out)
    assert result is out
    np.testing.assert_array_equal(out.numpy(), np.ones((2, 2), np.float32))


# =========================================================================== full / like
@pytest.mark.parametrize("fill", [2, 2.5, True, -1])
@pytest.mark.parametrize("dtype", [None, sc.float64, sc.int32])
def test_full_matches_torch(fill, dtype):
    kwargs = {} if dtype is None else {"dtype": dtype}
    same(sc.full((2, 3), fill, **kwargs), torch.full((2, 3), fill, **torch_kwargs(kwargs)))
    same(sc.full([4], fill, **kwargs), torch.full([4], fill, **torch_kwargs(kwargs)))


@pytest.mark.parametrize("name,args", [("zeros_like", ()), ("ones_like", ()),
                                       ("full_like", (7,)), ("full_like", (0.5,))])
@pytest.mark.parametrize("base_dtype", [np.float64, np.int64, np.float32])
@pytest.mark.parametrize("dtype", [None, sc.float64])
def test_like_functions_match_torch(name, args, base_dtype, dtype):
    base = np.arange(6, dtype=base_dtype).reshape(2, 3)
    kwargs = {} if dtype is None else {"dtype": dtype}
    same(getattr(sc, name)(sc.tensor(base), *args, **kwargs),
         getattr(torch, name)(torch.tensor(base), *args, **torch_kwargs(kwargs)))


@pytest.mark.parametrize("name", ["empty_like", "rand_like", "randn_like"])
def test_random_and_empty_like_shape_dtype(name):
    ours = getattr(sc, name)(sc.zeros(3, 2, dtype=sc.float64))
    theirs = getattr(torch, name)(torch.zeros(3, 2, dtype=torch.float64))
    assert ours.shape == tuple(theirs.shape) and TORCH_OF[ours.dtype] == theirs.dtype
    with pytest.raises(DTypeError):
        sc.rand_like(sc.zeros(2, dtype=sc.int64))


def test_randint_like_range_and_dtype():
    x = sc.randint_like(sc.zeros(1000, dtype=sc.int32), 3, 6)
    assert x.dtype == sc.int32 and set(np.unique(x.numpy())) == {3, 4, 5}


# =========================================================================== integers
@pytest.mark.parametrize("args,kwargs", [((5, (3, 4)), {}), ((2, 5, (100,)), {}),
                                         ((), {"low": 2, "high": 5, "size": (50,)}),
                                         ((), {"high": 3, "size": [50]}),
                                         ((5,), {"size": (2,)}),
                                         ((0, 4, (10,)), {"dtype": sc.float64})])
def test_randint_forms_match_torch(args, kwargs):
    ours = sc.randint(*args, **kwargs)
    theirs = torch.randint(*args, **torch_kwargs(kwargs))
    assert ours.shape == tuple(theirs.shape) and TORCH_OF[ours.dtype] == theirs.dtype
    low = kwargs.get("low", args[0] if len(args) == 3 else 0)
    high = kwargs.get("high", args[1] if len(args) == 3 else args[0] if args else None)
    assert low <= float(ours.min()) and float(ours.max()) < high


def test_randint_and_randperm_errors_and_values():
    with pytest.raises(ArgumentError, match="from=5 >= to=5"):
        sc.randint(5, 5, (2,))
    with pytest.raises(ArgumentError, match="size"):
        sc.randint(5)
    perm = sc.randperm(10)
    assert perm.dtype == np.int64
    np.testing.assert_array_equal(np.sort(perm.numpy()), np.arange(10))
    assert sc.randperm(4, dtype=sc.float64).dtype == np.float64


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (0,)])
@pytest.mark.parametrize("dtype", [None, sc.int64, sc.float64])
def test_eye_matches_torch(args, dtype):
    kwargs = {} if dtype is None else {"dtype": dtype}
    same(sc.eye(*args, **kwargs), torch.eye(*args, **torch_kwargs(kwargs)))


# =========================================================================== ranges
numbers = st.one_of(st.integers(-20, 20), st.floats(-20, 20).map(lambda v: round(v, 3)))


@given(start=numbers, end=numbers, step=numbers.filter(lambda v: abs(v) > 0.05))
def test_arange_length_and_values_match_torch(start, end, step):
    if (end - start) * step < 0:
        with pytest.raises(ArgumentError, match="inconsistent with step sign"):
            sc.arange(start, end, step)
        return
    for dtype in (None, sc.float64):
        kwargs = {} if dtype is None else {"dtype": dtype}
        same(sc.arange(start, end, step, **kwargs),
             torch.arange(start, end, step, **torch_kwargs(kwargs)),
             np.float64 if dtype is not None else np.float32)


@pytest.mark.parametrize("args,kwargs", [((5,), {}), ((2.5,), {}), ((1, 2.5, 0.5), {}),
                                         ((0, 1, 0.1), {}), ((10, 0, -3), {}),
                                         ((0.5, 3.7, 1.0), {"dtype": sc.int64}),
                                         ((-2.5, 3, 1.5), {"dtype": sc.int64}),
                                         ((sc.tensor(4),), {}), ((-1.5, 3), {"dtype": sc.float64}),
                                         ((), {"start": 1, "end": 4}), ((), {"end": 3})])
def test_arange_forms_match_torch(args, kwargs):
    targs = tuple(torch.tensor(a.item()) if isinstance(a, sc.Tensor) else a for a in args)
    same(sc.arange(*args, **kwargs), torch.arange(*targs, **torch_kwargs(kwargs)))


def test_arange_errors():
    with pytest.raises(ArgumentError, match="step must be nonzero"):
        sc.arange(0, 5, 0)
    with pytest.raises(ArgumentError, match="inconsistent"):
        sc.arange(5, 0)
    with pytest.raises(ArgumentError, match="step must be nonzero"):   # 0.3 -> 0 in int64
        sc.arange(0, 1, 0.3, dtype=sc.int64)


@given(start=numbers, end=numbers, steps=st.integers(0, 40))
def test_linspace_logspace_match_torch(start, end, steps):
    same(sc.linspace(start, end, steps), torch.linspace(start, end, steps), np.float32)
    same(sc.linspace(start, end, steps, dtype=sc.float64),
         torch.linspace(start, end, steps, dtype=torch.float64))
    if abs(start) <= 5 and abs(end) <= 5:
        same(sc.logspace(start / 2, end / 2, steps, dtype=sc.float64),
             torch.logspace(start / 2, end / 2, steps, dtype=torch.float64))
        same(sc.logspace(start, end, steps, base=2, dtype=sc.float64),
             torch.logspace(start, end, steps, base=2, dtype=torch.float64))


@pytest.mark.parametrize("args", [(0, 10, 5), (0, 10, 4), (-3, 8, 9), (0, 10, 7)])
def test_linspace_integer_dtype_truncates_like_torch(args):
    """Integer linspace truncates the float values. (Where a value lands exactly on an
    integer, PyTorch's kernel can round it just below and give one less: -3..7 in 7
    steps gives 1 for 2.0 there; scratchcnn gives 2.)"""
    same(sc.linspace(*args, dtype=sc.int64), torch.linspace(*args, dtype=torch.int64))


# =========================================================================== from data
@pytest.mark.parametrize("make", [
    lambda lib: [lib.tensor(1.0, dtype=lib.float64), lib.tensor(2.0)],
    lambda lib: [lib.tensor(1, dtype=lib.int32), lib.tensor(2, dtype=lib.int32)],
    lambda lib: [lib.tensor(1, dtype=lib.int32), 2.5],
    lambda lib: [[lib.tensor(1.0), lib.tensor(2.0)], [lib.tensor(3.0), lib.tensor(4.0)]],
    lambda lib: [lib.tensor([7])],
], ids=["float64_first", "int32", "mixed_number", "nested", "one_element_1d"])
def test_tensor_of_tensors_matches_torch(make):
    same(sc.tensor(make(sc)), torch.tensor(make(torch)))


def test_tensor_of_many_element_tensors_raises():
    with pytest.raises(ShapeError, match="only one element tensors"):
        sc.tensor([sc.tensor([1.0, 2.0]), sc.tensor([3.0, 4.0])])


def test_tensor_copies_and_detaches():
    source = sc.tensor([1.0, 2.0], requires_grad=True)
    copy = sc.tensor(source)
    assert not copy.requires_grad and not np.may_share_memory(copy.numpy(), source.numpy())
    array = np.arange(3.0)
    assert not np.may_share_memory(sc.tensor(array).numpy(), array)
    assert sc.tensor(array, dtype=sc.float32, requires_grad=True).requires_grad


def test_as_tensor_shares_when_it_can_like_torch():
    array = np.arange(3.0)
    shared = sc.as_tensor(array)
    array[0] = 9.0
    assert float(shared[0]) == 9.0
    converted = sc.as_tensor(array, dtype=sc.float32)
    assert converted.dtype == np.float32 and not np.may_share_memory(converted.numpy(), array)
    t = sc.ones(2)
    assert sc.as_tensor(t) is t and sc.asarray(t) is t
    same(sc.as_tensor([1, 2], dtype=sc.float64), torch.as_tensor([1, 2], dtype=torch.float64))
    assert sc.from_numpy(array).numpy() is array


# =========================================================================== default dtype
def test_default_dtype_round_trip_changes_creation_like_torch():
    assert sc.get_default_dtype() == sc.float32
    try:
        sc.set_default_dtype(sc.float64)
        torch.set_default_dtype(torch.float64)
        for make in (lambda lib: lib.tensor([1.5]), lambda lib: lib.zeros(2),
                     lambda lib: lib.arange(0.5, 2), lambda lib: lib.linspace(0, 1, 3),
                     lambda lib: lib.full((2,), 1.5), lambda lib: lib.rand(2) * 0,
                     lambda lib: lib.tensor([1, 2]) / 2):
            same(make(sc), make(torch))
        assert sc.get_default_dtype() == sc.float64
    finally:
        sc.set_default_dtype(sc.float32)
        torch.set_default_dtype(torch.float32)
    assert sc.zeros(1).dtype == np.float32
    with pytest.raises(DTypeError, match="floating-point"):
        sc.set_default_dtype(sc.int64)


# =========================================================================== bad input
@pytest.mark.parametrize("call,error,words", [
    (lambda: sc.zeros(), ArgumentError, "size"),
    (lambda: sc.zeros(2, -1), ShapeError, "non-negative"),
    (lambda: sc.ones(2.5), ArgumentError, "ints"),
    (lambda: sc.zeros(2, size=(2,)), ArgumentError, "both"),
    (lambda: sc.zeros(2, colour="red"), ArgumentError, "colour"),
    (lambda: sc.full(3, 1.0), ArgumentError, "tuple of ints"),
    (lambda: sc.randn(2, dtype=sc.int64), DTypeError, "floating"),
    (lambda: sc.zeros(2, dtype="nonsense"), DTypeError, "not a dtype"),
    (lambda: sc.linspace(0, 1, -1), ArgumentError, "non-negative"),
    (lambda: sc.zeros_like([1, 2]), ArgumentError, "Tensor"),
    (lambda: sc.rand(2, generator=42), ArgumentError, "generator"),
])
def test_bad_creation_arguments(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)
