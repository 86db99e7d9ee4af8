"""Tensor creation, dtype rules, operators, autograd, and comparisons with PyTorch.

Expected values come from PyTorch (same inputs, float64 unless the test is about
dtypes) or from the math; never from scratchcnn itself.
"""

import operator

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import scratchcnn as sc
from scratchcnn import autograd
from scratchcnn.errors import DTypeError, GraphError, ScratchCNNError
from conftest import assert_close, to_torch

TORCH_DTYPE = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64,
               np.dtype(np.int64): torch.int64, np.dtype(np.int32): torch.int32,
               np.dtype(np.bool_): torch.bool}


def same_dtype(sc_tensor, torch_tensor):
    return TORCH_DTYPE[np.dtype(sc_tensor.dtype)] == torch_tensor.dtype


def pair(array, requires_grad=True):
    """The same float64 data as a scratchcnn leaf and a torch leaf."""
    array = np.asarray(array, dtype=np.float64)
    return sc.tensor(array, requires_grad=requires_grad), to_torch(array, requires_grad)


def assert_same_as_torch(out, tout, inputs, rng):
    """Same output as torch, and the same input gradients for one random dL/dout."""
    assert out.shape == tuple(tout.shape)
    assert_close(out, tout)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    for x, tx in inputs:
        assert_close(x.grad, tx.grad)


def rng_array(rng, shape, low=0.5, high=2.0, signed=True):
    """Values bounded away from 0 (safe for division); random signs if ``signed``."""
    values = rng.uniform(low, high, shape)
    if signed:
        values = values * rng.choice([-1.0, 1.0], shape)
    return np.asarray(values, dtype=np.float64)


# =========================================================================== creation
class TestCreationDtypes:
    @pytest.mark.parametrize("data", [1, [1, 2], [[1, 2], [3, 4]], 3.5, [1.0, 2.0], [1, 2.5],
                                      True, [True, False], [[0.5], [1.5]]])
    def test_python_data_dtype_matches_torch(self, data):
        ours, theirs = sc.tensor(data), torch.tensor(data)
        assert same_dtype(ours, theirs), (ours.dtype, theirs.dtype)
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())

    def test_python_kinds(self):
        assert sc.tensor([1, 2]).dtype == np.int64
        assert sc.tensor([1.0, 2.0]).dtype == np.float32
        assert sc.tensor([True, False]).dtype == np.bool_

    @pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32, np.int64,
                                       np.uint8, np.bool_])
    def test_numpy_array_keeps_dtype(self, dtype):
        array = np.arange(6).reshape(2, 3).astype(dtype)
        t = sc.tensor(array)
        assert t.dtype == dtype
        np.testing.assert_array_equal(t.numpy(), array)

    def test_tensor_copies_numpy_data(self):
        array = np.zeros(3, dtype=np.float32)
        t = sc.tensor(array)
        array[0] = 5.0
        assert t.numpy()[0] == 0.0

    @pytest.mark.parametrize("data", [[1, 2, 3], [1.5, 2.5], np.arange(3, dtype=np.int32)])
    @pytest.mark.parametrize("dtype", [sc.float64, sc.float32, sc.int64, sc.int32])
    def test_explicit_dtype(self, data, dtype):
        t = sc.tensor(data, dtype=dtype)
        assert t.dtype == dtype
        np.testing.assert_array_equal(t.numpy(), np.asarray(data).astype(dtype))

    def test_from_numpy_shares_memory(self):
        array = np.arange(4, dtype=np.float64)
        t = sc.from_numpy(array)
        assert t.dtype == np.float64
        array[1] = 42.0
        assert t.numpy()[1] == 42.0
        t.numpy()[2] = -1.0
        assert array[2] == -1.0
        assert np.shares_memory(t.numpy(), array)

    def test_from_numpy_rejects_lists(self):
        with pytest.raises(TypeError):
            sc.from_numpy([1, 2, 3])

    def test_unsupported_python_data(self):
        with pytest.raises(TypeError):
            sc.tensor(["a", "b"])


class TestFactories:
    @pytest.mark.parametrize("factory", ["zeros", "ones"])
    def test_zeros_ones(self, factory):
        for args in [(2, 3), ((2, 3),), (4,)]:
            ours, theirs = getattr(sc, factory)(*args), getattr(torch, factory)(*args)
            assert ours.shape == tuple(theirs.shape)
            assert same_dtype(ours, theirs)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert getattr(sc, factory)(2, dtype=sc.float64).dtype == np.float64
        assert getattr(sc, factory)(2, requires_grad=True).requires_grad

    def test_zeros_like_ones_like(self):
        base = sc.tensor(np.ones((2, 3), dtype=np.float64))
        assert sc.zeros_like(base).dtype == np.float64
        assert sc.zeros_like(base).shape == (2, 3)
        assert (sc.ones_like(base).numpy() == 1).all()

    @pytest.mark.parametrize("factory", ["randn", "rand"])
    def test_random_shape_dtype(self, factory):
        t = getattr(sc, factory)(3, 4)
        assert t.shape == (3, 4) and t.dtype == np.float32
        assert getattr(sc, factory)((2, 5), dtype=sc.float64).dtype == np.float64

    def test_rand_range_and_randn_moments(self):
        u = sc.rand(20000).numpy()
        assert u.min() >= 0.0 and u.max() < 1.0
        assert abs(u.mean() - 0.5) < 0.02          # std of the mean: 0.29 / sqrt(20000)
        z = sc.randn(20000).numpy()
        assert abs(z.mean()) < 0.05 and abs(z.std() - 1.0) < 0.05

    @pytest.mark.parametrize("args", [(5,), (2, 7), (1, 10, 3), (0, 1, 0.25), (0.0, 3),
                                      (1, 2.5), (-3, 3, 2), (5, 0, -1)])
    def test_arange_matches_torch(self, args):
        ours, theirs = sc.arange(*args), torch.arange(*args)
        assert same_dtype(ours, theirs), (args, ours.dtype, theirs.dtype)
        assert_close(ours, theirs)

    def test_arange_explicit_dtype(self):
        assert sc.arange(4, dtype=sc.float64).dtype == np.float64

    @pytest.mark.parametrize("fill", [1.5, 7, True])
    def test_full_matches_torch(self, fill):
        ours, theirs = sc.full((2, 3), fill), torch.full((2, 3), fill)
        assert ours.shape == (2, 3)
        assert same_dtype(ours, theirs), (fill, ours.dtype, theirs.dtype)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())

    def test_full_explicit_dtype(self):
        t = sc.full((2,), 3, dtype=sc.float64)
        assert t.dtype == np.float64 and t.tolist() == [3.0, 3.0]

    @pytest.mark.parametrize("dim", [0, 1, -1])
    def test_cat_values_and_grads(self, dim):
        rng = np.random.default_rng(1)
        arrays = [rng.standard_normal((2, 3)), rng.standard_normal((2, 3)) * 2]
        if dim == 0:
            arrays[1] = rng.standard_normal((4, 3))
        ours = [sc.tensor(a, requires_grad=True) for a in arrays]
        theirs = [to_torch(a, True) for a in arrays]
        y, ty = sc.cat(ours, dim=dim), torch.cat(theirs, dim=dim)
        assert_same_as_torch(y, ty, zip(ours, theirs), rng)

    @pytest.mark.parametrize("dim", [0, 1, 2])
    def test_stack_values_and_grads(self, dim):
        rng = np.random.default_rng(2)
        arrays = [rng.standard_normal((2, 3)) for _ in range(3)]
        ours = [sc.tensor(a, requires_grad=True) for a in arrays]
        theirs = [to_torch(a, True) for a in arrays]
        y, ty = sc.stack(ours, dim=dim), torch.stack(theirs, dim=dim)
        assert_same_as_torch(y, ty, zip(ours, theirs), rng)


class TestManualSeed:
    def test_reproducible_draws(self):
        sc.manual_seed(123)
        a = (sc.randn(5).numpy(), sc.rand(3).numpy(), sc.randint(0, 10, (4,)).numpy())
        sc.manual_seed(123)
        b = (sc.randn(5).numpy(), sc.rand(3).numpy(), sc.randint(0, 10, (4,)).numpy())
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)

    def test_different_seed_different_draws(self):
        sc.manual_seed(1)
        a = sc.randn(5).numpy()
        sc.manual_seed(2)
        assert not np.array_equal(a, sc.randn(5).numpy())

    def test_layer_init_reproducible(self):
        sc.manual_seed(7)
        w1 = sc.nn.Linear(4, 3).weight.numpy().copy()
        sc.manual_seed(7)
        np.testing.assert_array_equal(w1, sc.nn.Linear(4, 3).weight.numpy())

    def test_rng_state_roundtrip(self):
        state = sc.get_rng_state()
        a = sc.randn(4).numpy()
        sc.set_rng_state(state)
        np.testing.assert_array_equal(a, sc.randn(4).numpy())

    @pytest.mark.parametrize("bad", [-1, 1.5, "3"])
    def test_bad_seed(self, bad):
        with pytest.raises(ValueError):
            sc.manual_seed(bad)


# =========================================================================== attributes
class TestAttributesAndConversion:
    def test_shape_dtype_ndim(self):
        t = sc.zeros(2, 3, 4)
        assert t.shape == (2, 3, 4) and t.ndim == 3 and t.dtype == np.float32
        assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.numel() == 24 and len(t) == 2

    def test_numpy_works_with_requires_grad(self):
        t = sc.tensor([1.0, 2.0], requires_grad=True)
        array = t.numpy()
        assert isinstance(array, np.ndarray)
        np.testing.assert_array_equal(array, [1.0, 2.0])

    def test_item(self):
        assert sc.tensor(2.5).item() == 2.5
        assert isinstance(sc.tensor([7]).item(), int)
        assert isinstance(sc.tensor([[1.5]]).item(), float)
        with pytest.raises(ValueError):
            sc.tensor([1.0, 2.0]).item()

    def test_tolist_matches_torch(self):
        data = [[1.5, 2.0], [3.0, -4.25]]
        assert sc.tensor(data).tolist() == torch.tensor(data).tolist()
        assert sc.tensor([1, 2]).tolist() == [1, 2]

    def test_detach(self):
        x = sc.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        d = y.detach()
        assert not d.requires_grad and d.is_leaf and d.grad_fn is None
        assert np.shares_memory(d.numpy(), y.numpy())
        assert (d * 3).requires_grad is False

    @pytest.mark.parametrize("method,dtype", [("float", np.float32), ("double", np.float64)])
    def test_float_double(self, method, dtype):
        t = getattr(sc.tensor([1, 2]), method)()
        assert t.dtype == dtype and t.tolist() == [1.0, 2.0]

    def test_to_dtype_is_differentiable(self):
        x = sc.tensor([1.0, 2.0], requires_grad=True)   # float32
        y = x.to(sc.float64)
        assert y.dtype == np.float64 and y.requires_grad
        (y * y).sum().backward()
        assert x.grad.dtype == np.float32
        assert_close(x.grad, 2 * np.array([1.0, 2.0]), np.float32)

    def test_to_same_dtype_and_device_string(self):
        x = sc.tensor([1.0])
        assert x.to(sc.float32) is x
        assert x.to("cpu") is x
        assert x.to("cpu", sc.float64).dtype == np.float64

    def test_requires_grad_(self):
        x = sc.tensor([1.0, 2.0])
        assert not x.requires_grad
        assert x.requires_grad_() is x and x.requires_grad
        x.requires_grad_(False)
        assert not x.requires_grad

    @pytest.mark.parametrize("data", [[1, 2], [True, False]])
    def test_requires_grad_on_int_tensor_raises(self, data):
        with pytest.raises(DTypeError) as info:
            sc.tensor(data).requires_grad_()
        assert isinstance(info.value, TypeError) and isinstance(info.value, RuntimeError)
        assert "floating point" in str(info.value)
        with pytest.raises(RuntimeError):   # torch raises RuntimeError too
            torch.tensor(data).requires_grad_()
        with pytest.raises(TypeError):
            sc.tensor(data, requires_grad=True)


# =========================================================================== operators
BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
          "**": operator.pow}


class TestOperators:
    @pytest.mark.parametrize("name", list(BINARY))
    def test_tensor_tensor_values_and_grads(self, name):
        op = BINARY[name]
        rng = np.random.default_rng(3)
        a = rng_array(rng, (3, 4), signed=name != "**")
        b = rng_array(rng, (3, 4))
        (x, tx), (y, ty) = pair(a), pair(b)
        out, tout = op(x, y), op(tx, ty)
        assert_close(out, tout)
        g = rng.standard_normal(out.shape)
        out.backward(g)
        tout.backward(torch.tensor(g))
        assert_close(x.grad, tx.grad)
        assert_close(y.grad, ty.grad)

    @pytest.mark.parametrize("name", list(BINARY))
    @pytest.mark.parametrize("scalar", [2, -1.5, 0.75])
    def test_python_scalar_both_sides(self, name, scalar):
        op = BINARY[name]
        rng = np.random.default_rng(4)
        x, tx = pair(rng_array(rng, (5,), signed=False))
        if name == "**" and scalar < 0:   # negative base ** tensor is nan in both: skip rpow
            pairs = [(op(x, scalar), op(tx, scalar))]
        else:
            pairs = [(op(x, scalar), op(tx, scalar)), (op(scalar, x), op(scalar, tx))]
        for out, tout in pairs:
            assert isinstance(out, sc.Tensor)
            assert out.dtype == np.float64
            assert_close(out, tout)
            out.sum().backward()
            tout.sum().backward()
            assert_close(x.grad, tx.grad)

    @pytest.mark.parametrize("name", list(BINARY) + ["@"])
    def test_numpy_array_both_sides(self, name):
        op = operator.matmul if name == "@" else BINARY[name]
        rng = np.random.default_rng(5)
        x, tx = pair(rng_array(rng, (3, 3), signed=name != "**"))
        other = rng_array(rng, (3, 3), signed=name != "**")
        for out, tout in [(op(x, other), op(tx, torch.tensor(other))),
                          (op(other, x), op(torch.tensor(other), tx))]:
            assert isinstance(out, sc.Tensor), type(out)   # ndarray defers to Tensor
            assert_close(out, tout)
            out.sum().backward()
            tout.sum().backward()
            assert_close(x.grad, tx.grad)

    def test_unary_minus_and_plus(self):
        x, tx = pair([1.0, -2.0, 3.0])
        out, tout = -x, -tx
        assert_close(out, tout)
        (out * out * out).sum().backward()
        (tout * tout * tout).sum().backward()
        assert_close(x.grad, tx.grad)
        assert (+x) is x

    @pytest.mark.parametrize("name", list(BINARY))
    @pytest.mark.parametrize("scalar", [2, 0.5, True])
    def test_float32_op_python_scalar_stays_float32(self, name, scalar):
        if name == "-" and scalar is True:
            pytest.skip("torch forbids subtraction with bools")
        x = sc.tensor([1.0, 2.0, 4.0])
        tx = torch.tensor([1.0, 2.0, 4.0])
        for out, tout in [(BINARY[name](x, scalar), BINARY[name](tx, scalar)),
                          (BINARY[name](scalar, x), BINARY[name](scalar, tx))]:
            assert out.dtype == np.float32
            assert same_dtype(out, tout)
            assert_close(out, tout, np.float32)

    @pytest.mark.parametrize("name", list(BINARY))
    @pytest.mark.parametrize("left,right", [
        ("int", 1.5), (1.5, "int"), ("int", 3), ("int", "int"), ("f32", "int"), ("int", "f32"),
        ("f64", "f32"), ("bool", 2), ("bool", 0.5), ("f32", "f64")])
    def test_mixed_dtype_promotion_matches_torch(self, name, left, right):
        values = {"int": [1, 2, 3], "f32": [1.0, 2.0, 3.0], "f64": [1.0, 2.0, 3.0],
                  "bool": [True, False, True]}
        dtypes = {"int": np.int64, "f32": np.float32, "f64": np.float64, "bool": np.bool_}

        def make(spec, lib):
            if not isinstance(spec, str):
                return spec
            array = np.array(values[spec], dtype=dtypes[spec])
            return sc.tensor(array) if lib == "sc" else torch.tensor(array)

        op = BINARY[name]
        if name == "-" and "bool" in (left, right):
            pytest.skip("torch forbids subtraction with bool tensors")
        out, tout = op(make(left, "sc"), make(right, "sc")), op(make(left, "t"), make(right, "t"))
        assert same_dtype(out, tout), (left, name, right, out.dtype, tout.dtype)
        assert_close(out, tout.to(torch.float64) if tout.is_floating_point() else tout,
                     np.float32 if out.dtype == np.float32 else np.float64)

    def test_matmul_operator(self):
        rng = np.random.default_rng(6)
        (a, ta), (b, tb) = pair(rng.standard_normal((2, 3))), pair(rng.standard_normal((3, 4)))
        assert_close(a @ b, ta @ tb)

    @pytest.mark.parametrize("op", [operator.eq, operator.ne, operator.lt, operator.le,
                                    operator.gt, operator.ge])
    def test_comparisons_bool_without_grad(self, op):
        a = np.array([1.0, 2.0, 3.0, 2.0])
        b = np.array([2.0, 2.0, 1.0, 5.0])
        x = sc.tensor(a, requires_grad=True)
        cases = [(sc.tensor(b), torch.tensor(b)), (2.0, 2.0), (b, torch.tensor(b))]
        for other, torch_other in cases:
            out = op(x, other)
            tout = op(torch.tensor(a), torch_other)
            assert out.dtype == np.bool_
            assert not out.requires_grad and out.grad_fn is None
            np.testing.assert_array_equal(out.numpy(), tout.numpy())


# =========================================================================== broadcasting
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                max_side=3),
       name=st.sampled_from(sorted(BINARY)), seed=st.integers(0, 2 ** 32 - 1))
def test_broadcasting_values_and_reduced_grads_match_torch(shapes, name, seed):
    rng = np.random.default_rng(seed)
    shape_a, shape_b = shapes.input_shapes
    a = rng_array(rng, shape_a, signed=name != "**")
    b = rng_array(rng, shape_b)
    (x, tx), (y, ty) = pair(a), pair(b)
    out, tout = BINARY[name](x, y), BINARY[name](tx, ty)
    assert out.shape == tuple(tout.shape) == shapes.result_shape
    assert_close(out, tout)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    assert x.grad.shape == shape_a and y.grad.shape == shape_b
    assert_close(x.grad, tx.grad)
    assert_close(y.grad, ty.grad)


@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3,
                                                max_side=3), seed=st.integers(0, 2 ** 32 - 1))
def test_broadcast_same_tensor_used_twice(shapes, seed):
    """x * x.sum(0, keepdim) + x: every use of x contributes to its gradient."""
    rng = np.random.default_rng(seed)
    x, tx = pair(rng.standard_normal(shapes.input_shapes[0]))
    out = x * x.sum(0, keepdim=True) + x
    tout = tx * tx.sum(0, keepdim=True) + tx
    assert_close(out, tout)
    out.sum().backward()
    tout.sum().backward()
    assert_close(x.grad, tx.grad)


# =========================================================================== matmul
MATMUL_SHAPES = [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (3, 4)), ((2, 3), (4, 3, 5)), ((2, 1, 2, 3), (4, 3, 2)),
                 ((3,), (2, 3, 4)), ((2, 4, 3), (3,)), ((3, 1, 2, 3), (1, 2, 3, 2))]


@pytest.mark.parametrize("shape_a,shape_b", MATMUL_SHAPES)
def test_matmul_values_and_grads_match_torch(shape_a, shape_b):
    rng = np.random.default_rng(7)
    (a, ta), (b, tb) = pair(rng.standard_normal(shape_a)), pair(rng.standard_normal(shape_b))
    out, tout = a @ b, ta @ tb
    assert out.shape == tuple(tout.shape)
    assert_close(out, tout)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    assert_close(a.grad, ta.grad)
    assert_close(b.grad, tb.grad)


@pytest.mark.parametrize("shape_a,shape_b", [((2, 3), (3,)), ((2, 2, 3), (3, 2)), ((3,), (3,))])
def test_matmul_gradcheck(shape_a, shape_b):
    a = sc.randn(*shape_a, dtype=sc.float64, requires_grad=True)
    b = sc.randn(*shape_b, dtype=sc.float64, requires_grad=True)
    assert sc.gradcheck(lambda u, v: u @ v, (a, b)) is True


# =========================================================================== reductions
DIMS = [None, 0, 1, -1, (0, 2), (-1, -3), (1,), (0, 1, 2)]


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_mean_match_torch(reduction, dim, keepdim):
    rng = np.random.default_rng(8)
    x, tx = pair(rng.standard_normal((2, 3, 4)))
    out = getattr(x, reduction)(dim=dim, keepdim=keepdim)
    tout = getattr(tx, reduction)(dim=dim, keepdim=keepdim)
    assert_same_as_torch(out, tout, [(x, tx)], rng)


def test_sum_default_and_dtype():
    assert sc.tensor([[1, 2], [3, 4]]).sum().item() == 10
    assert sc.tensor([1, 2]).sum().dtype == torch.tensor([1, 2]).sum().numpy().dtype


def test_mean_of_int_tensor_raises_like_torch():
    with pytest.raises(TypeError):
        sc.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).mean()


def test_reduction_dim_out_of_range():
    with pytest.raises(ValueError):
        sc.zeros(2, 3).sum(dim=2)


TIED = np.array([[1.0, 3.0, 3.0, 1.0], [2.0, 2.0, 0.0, 2.0], [5.0, 5.0, 5.0, 5.0]])


def test_max_full_ties_share_gradient_like_torch():
    x, tx = pair(TIED)
    out, tout = x.max(), tx.max()
    assert_close(out, tout)
    (out * 3).backward()
    (tout * 3).backward()
    assert_close(x.grad, tx.grad)
    assert_close(x.grad.numpy().sum(), 3.0)   # shared, not duplicated


def test_min_full_ties_share_gradient_like_torch():
    x, tx = pair(-TIED)
    out, tout = x.min(), tx.min()
    assert_close(out, tout)
    out.backward()
    tout.backward()
    assert_close(x.grad, tx.grad)


@pytest.mark.parametrize("reduction", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_dim_values_indices_grads_match_torch(reduction, dim, keepdim):
    x, tx = pair(TIED)
    values, indices = getattr(x, reduction)(dim, keepdim=keepdim)
    tvalues, tindices = getattr(tx, reduction)(dim, keepdim=keepdim)
    result = getattr(x, reduction)(dim=dim, keepdim=keepdim)
    assert result.values.shape == values.shape and result.indices.shape == indices.shape
    assert values.shape == tuple(tvalues.shape)
    assert_close(values, tvalues)
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(indices.numpy(), tindices.numpy())
    assert not indices.requires_grad
    g = np.arange(1.0, values.numel() + 1).reshape(values.shape)
    values.backward(g)
    tvalues.backward(torch.tensor(g))
    assert_close(x.grad, tx.grad)


@given(arrays=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                         elements=st.integers(-2, 2).map(float)), data=st.data())
def test_max_dim_with_many_ties_matches_torch(arrays, data):
    dim = data.draw(st.integers(-arrays.ndim, arrays.ndim - 1))
    x, tx = pair(arrays)
    values, indices = x.max(dim)
    tvalues, tindices = tx.max(dim)
    np.testing.assert_array_equal(indices.numpy(), tindices.numpy())
    values.sum().backward()
    tvalues.sum().backward()
    assert_close(x.grad, tx.grad)


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_argmax_argmin_match_torch(dim):
    t = torch.tensor(TIED)
    x = sc.tensor(TIED)
    for name in ("argmax", "argmin"):
        ours = getattr(x, name)() if dim is None else getattr(x, name)(dim)
        theirs = getattr(t, name)() if dim is None else getattr(t, name)(dim)
        assert ours.dtype == np.int64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# =========================================================================== shape ops
SHAPE_CASES = [
    ("reshape", lambda t: t.reshape(6, 4), lambda t: t.reshape(6, 4)),
    ("reshape-1", lambda t: t.reshape(-1, 3), lambda t: t.reshape(-1, 3)),
    ("reshape_tuple", lambda t: t.reshape((4, -1)), lambda t: t.reshape((4, -1))),
    ("view-1", lambda t: t.view(-1), lambda t: t.view(-1)),
    ("flatten", lambda t: t.flatten(), lambda t: t.flatten()),
    ("flatten1", lambda t: t.flatten(1), lambda t: t.flatten(1)),
    ("flatten0_1", lambda t: t.flatten(0, 1), lambda t: t.flatten(0, 1)),
    ("flatten_neg", lambda t: t.flatten(-2, -1), lambda t: t.flatten(-2, -1)),
    ("permute", lambda t: t.permute(2, 0, 1), lambda t: t.permute(2, 0, 1)),
    ("permute_tuple", lambda t: t.permute((1, 2, 0)), lambda t: t.permute((1, 2, 0))),
    ("transpose", lambda t: t.transpose(0, 2), lambda t: t.transpose(0, 2)),
    ("transpose_neg", lambda t: t.transpose(-1, 1), lambda t: t.transpose(-1, 1)),
    ("T2d", lambda t: t.reshape(6, 4).T, lambda t: t.reshape(6, 4).T),
    ("unsqueeze0", lambda t: t.unsqueeze(0), lambda t: t.unsqueeze(0)),
    ("unsqueeze_neg", lambda t: t.unsqueeze(-1), lambda t: t.unsqueeze(-1)),
    ("unsqueeze_mid", lambda t: t.unsqueeze(2), lambda t: t.unsqueeze(2)),
    ("squeeze", lambda t: t.reshape(2, 1, 3, 1, 4).squeeze(),
     lambda t: t.reshape(2, 1, 3, 1, 4).squeeze()),
    ("squeeze_dim", lambda t: t.reshape(2, 1, 12).squeeze(1),
     lambda t: t.reshape(2, 1, 12).squeeze(1)),
    ("squeeze_noop", lambda t: t.squeeze(0), lambda t: t.squeeze(0)),
]


@pytest.mark.parametrize("name,ours,theirs", SHAPE_CASES, ids=[c[0] for c in SHAPE_CASES])
def test_shape_ops_match_torch(name, ours, theirs):
    rng = np.random.default_rng(9)
    x, tx = pair(rng.standard_normal((2, 3, 4)))
    out, tout = ours(x), theirs(tx)
    assert out.shape == tuple(tout.shape), (out.shape, tuple(tout.shape))
    assert_close(out, tout)
    g = rng.standard_normal(out.shape)
    (out * sc.tensor(g)).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    assert x.grad.shape == (2, 3, 4)
    assert_close(x.grad, tx.grad)


def test_invalid_reshape_raises():
    with pytest.raises(ValueError):
        sc.zeros(2, 3).reshape(4, 2)
    with pytest.raises(ValueError):
        sc.zeros(2, 3).reshape(-1, -1)


def test_invalid_permute_raises():
    with pytest.raises(ValueError):
        sc.zeros(2, 3).permute(0, 0)


# =========================================================================== indexing
def _index_cases():
    return [
        ("int", lambda: 1),
        ("neg_int", lambda: -1),
        ("slice", lambda: slice(1, 3)),
        ("step_slice", lambda: (slice(None), slice(0, 4, 2))),
        ("int_slice", lambda: (1, slice(1, None))),
        ("ellipsis", lambda: (Ellipsis, 1)),
        ("none", lambda: (None, slice(0, 2))),
        ("mask", lambda: "mask"),
        ("row_mask", lambda: np.array([True, False, True])),
        ("int_array_repeats", lambda: np.array([0, 2, 0, 0])),
        ("pair_arrays_repeats", lambda: (np.array([0, 0, 2, 0]), np.array([1, 1, 3, 1]))),
        ("slice_and_array", lambda: (slice(None), np.array([3, 3, 0]))),
        ("list_repeats", lambda: [1, 1, 1]),
    ]


@pytest.mark.parametrize("name,make", _index_cases(), ids=[c[0] for c in _index_cases()])
def test_indexing_values_and_grads_match_torch(name, make):
    rng = np.random.default_rng(10)
    base = rng.standard_normal((3, 4))
    x, tx = pair(base)
    index = make()
    if isinstance(index, str):
        index = base > 0
    as_torch = (lambda i: torch.from_numpy(i.copy()) if isinstance(i, np.ndarray) else i)
    tindex = tuple(map(as_torch, index)) if isinstance(index, tuple) else as_torch(index)
    out, tout = x[index], tx[tindex]
    assert_same_as_torch(out, tout, [(x, tx)], rng)


def test_index_with_tensors_matches_torch():
    base = np.arange(12.0).reshape(3, 4)
    x, tx = pair(base)
    out = x[sc.tensor([2, 2, 1])]
    tout = tx[torch.tensor([2, 2, 1])]
    assert_close(out, tout)
    out.sum().backward()
    tout.sum().backward()
    assert_close(x.grad, tx.grad)
    mask_out = x[sc.tensor(base) > 5]
    np.testing.assert_array_equal(mask_out.numpy(), base[base > 5])


def test_repeated_index_accumulates():
    x = sc.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 0, 2])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


@pytest.mark.parametrize("index", [(slice(None, None, -1),), (slice(None), slice(None, None, -2)),
                                   (slice(2, 0, -1), 1)])
def test_negative_step_slicing(index):
    """torch has no negative steps; compare with the math (flip) instead."""
    rng = np.random.default_rng(11)
    base = rng.standard_normal((3, 4))
    x = sc.tensor(base, requires_grad=True)
    out = x[index]
    np.testing.assert_array_equal(out.numpy(), base[index])
    g = rng.standard_normal(out.shape)
    out.backward(g)
    expected = np.zeros_like(base)
    expected[index] = g
    assert_close(x.grad, expected)


def test_index_out_of_range():
    with pytest.raises(IndexError):
        sc.zeros(2, 3)[5]


# =========================================================================== unary math
UNARY = ["exp", "log", "sqrt", "abs"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_values_and_grads_match_torch(name):
    rng = np.random.default_rng(12)
    data = rng_array(rng, (4, 5), signed=name in ("exp", "abs"))
    x, tx = pair(data)
    out, tout = getattr(x, name)(), getattr(tx, name)()
    assert_close(out, tout)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    assert_close(x.grad, tx.grad)


def test_abs_gradient_at_zero_is_zero_like_torch():
    x, tx = pair([0.0, -1.0, 2.0])
    x.abs().sum().backward()
    tx.abs().sum().backward()
    assert_close(x.grad, tx.grad)


@pytest.mark.parametrize("name", UNARY)
def test_unary_gradcheck(name):
    rng = np.random.default_rng(13)
    x = sc.tensor(rng_array(rng, (3, 2), signed=name in ("exp", "abs")), requires_grad=True)
    assert sc.gradcheck(lambda t: getattr(t, name)(), (x,))


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_activation_methods_match_torch(name):
    rng = np.random.default_rng(14)
    x, tx = pair(rng.standard_normal((3, 4)))
    out, tout = getattr(x, name)(), getattr(tx, name)()
    assert_close(out, tout)
    out.sum().backward()
    tout.sum().backward()
    assert_close(x.grad, tx.grad)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_methods_match_torch(name):
    rng = np.random.default_rng(15)
    x, tx = pair(rng.standard_normal((3, 4)))
    out, tout = getattr(x, name)(1), getattr(tx, name)(1)
    assert_close(out, tout)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    assert_close(x.grad, tx.grad)


# =========================================================================== autograd
class TestAutograd:
    def test_gradient_accumulates_across_backward_calls(self):
        x, tx = pair([1.0, -2.0, 3.0])
        for _ in range(2):
            (x * x * 3).sum().backward()
            (tx * tx * 3).sum().backward()
        assert_close(x.grad, tx.grad)
        assert_close(x.grad, 2 * 6 * np.array([1.0, -2.0, 3.0]))

    def test_grad_is_none_before_backward_and_for_unused(self):
        x = sc.tensor([1.0], requires_grad=True)
        unused = sc.tensor([1.0], requires_grad=True)
        assert x.grad is None
        (x * 2).sum().backward()
        assert unused.grad is None
        assert x.grad is not None

    def test_second_backward_without_retain_graph_raises(self):
        x = sc.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward()
        with pytest.raises(RuntimeError) as info:
            y.backward()
        assert isinstance(info.value, GraphError)
        assert "retain_graph" in str(info.value) and "second time" in str(info.value)
        tx = torch.tensor([1.0, 2.0], requires_grad=True)
        ty = (tx * tx).sum()
        ty.backward()
        with pytest.raises(RuntimeError):   # torch agrees that this is an error
            ty.backward()

    def test_retain_graph_allows_second_backward(self):
        x, tx = pair([1.0, 2.0])
        y, ty = (x * x * x).sum(), (tx * tx * tx).sum()
        y.backward(retain_graph=True)
        ty.backward(retain_graph=True)
        y.backward()
        ty.backward()
        assert_close(x.grad, tx.grad)

    def test_backward_non_scalar_without_gradient_raises(self):
        x = sc.tensor(np.ones((2, 3)), requires_grad=True)
        y = x * 2
        with pytest.raises(RuntimeError) as info:
            y.backward()
        assert "(2, 3)" in str(info.value)
        assert "scalar" in str(info.value)

    def test_backward_non_scalar_with_gradient(self):
        rng = np.random.default_rng(16)
        x, tx = pair(rng.standard_normal((2, 3)))
        g = rng.standard_normal((2, 3))
        (x * x).backward(gradient=g)
        (tx * tx).backward(gradient=torch.tensor(g))
        assert_close(x.grad, tx.grad)
        x2 = sc.tensor(np.ones(2), requires_grad=True)
        (x2 * 3).backward(sc.tensor([1.0, 2.0], dtype=sc.float64))
        assert_close(x2.grad, [3.0, 6.0])

    def test_backward_gradient_wrong_shape(self):
        x = sc.tensor(np.ones((2, 3)), requires_grad=True)
        with pytest.raises(ValueError) as info:
            (x * 2).backward(np.ones((3, 2)))
        assert "(3, 2)" in str(info.value) and "(2, 3)" in str(info.value)

    def test_backward_on_tensor_without_grad_raises(self):
        with pytest.raises(RuntimeError):
            sc.tensor([1.0]).sum().backward()

    def test_no_grad_context_manager(self):
        x = sc.tensor([1.0, 2.0], requires_grad=True)
        assert sc.is_grad_enabled()
        with sc.no_grad():
            assert not sc.is_grad_enabled()
            y = x * 2 + 1
            z = (x @ x).exp()
            with sc.enable_grad():
                w = x * 3
        assert sc.is_grad_enabled()
        assert not y.requires_grad and y.grad_fn is None
        assert not z.requires_grad
        assert w.requires_grad
        assert (x * 2).requires_grad

    def test_no_grad_decorator(self):
        x = sc.tensor([1.0, 2.0], requires_grad=True)

        @sc.no_grad()
        def double(t):
            assert not sc.is_grad_enabled()
            return t * 2

        out = double(x)
        assert not out.requires_grad
        assert sc.is_grad_enabled()
        np.testing.assert_array_equal(out.numpy(), [2.0, 4.0])

    def test_no_grad_restored_after_exception(self):
        with pytest.raises(ZeroDivisionError):
            with sc.no_grad():
                1 / 0
        assert sc.is_grad_enabled()

    def test_retain_grad_matches_torch(self):
        x, tx = pair([1.0, 2.0, -3.0])
        h, th = x * 3, tx * 3
        h.retain_grad()
        th.retain_grad()
        (h * h).sum().backward()
        (th * th).sum().backward()
        assert_close(h.grad, th.grad)
        assert_close(x.grad, tx.grad)

    def test_non_leaf_grad_not_kept_without_retain_grad(self):
        x = sc.tensor([1.0], requires_grad=True)
        h = x * 2
        (h * h).sum().backward()
        assert h.grad is None and not h.is_leaf and x.is_leaf

    def test_register_hook_observes_and_replaces_like_torch(self):
        x, tx = pair([1.0, 2.0, -3.0])
        h, th = x * 3, tx * 3
        seen = []
        h.register_hook(lambda g: seen.append(g.numpy().copy()))
        h.register_hook(lambda g: g * 2)
        th.register_hook(lambda g: g * 2)
        h.retain_grad()
        th.retain_grad()
        (h * h).sum().backward()
        (th * th).sum().backward()
        assert len(seen) == 1
        assert_close(seen[0], 2 * 3 * np.array([1.0, 2.0, -3.0]))   # d(h^2)/dh = 2h
        assert_close(h.grad, th.grad)
        assert_close(x.grad, tx.grad)

    def test_register_hook_on_leaf_like_torch(self):
        x, tx = pair([1.0, 2.0])
        x.register_hook(lambda g: g + 1)
        tx.register_hook(lambda g: g + 1)
        (x * 5).sum().backward()
        (tx * 5).sum().backward()
        assert_close(x.grad, tx.grad)

    def test_register_hook_requires_grad(self):
        with pytest.raises(RuntimeError):
            sc.tensor([1.0]).register_hook(lambda g: g)

    def test_diamond_graph_matches_torch(self):
        rng = np.random.default_rng(17)
        x, tx = pair(rng.standard_normal((3,)))
        a, ta = x.exp(), tx.exp()
        y = (a * x + a.sqrt() * a - x / a).sum()
        ty = (ta * tx + ta.sqrt() * ta - tx / ta).sum()
        y.backward()
        ty.backward()
        assert_close(y, ty)
        assert_close(x.grad, tx.grad)

    def test_requires_grad_propagation(self):
        a = sc.tensor([1.0], requires_grad=True)
        b = sc.tensor([2.0])
        assert (a + b).requires_grad and not (b + b).requires_grad
        assert (a + b).grad_fn is not None and (b + b).grad_fn is None

    def test_inplace_on_leaf_requiring_grad_raises(self):
        x = sc.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError):
            x.zero_()
        with sc.no_grad():
            x.zero_()
        np.testing.assert_array_equal(x.numpy(), [0.0, 0.0])


# =========================================================================== gradcheck
def _square_forward(a):
    return a * a, a


def _wrong_square_backward(grad, a, needs_grad):
    return (grad * a,)          # should be 2 * a


def _right_square_backward(grad, a, needs_grad):
    return (2 * grad * a,)


class TestGradcheck:
    def test_true_for_correct_functions(self):
        x = sc.randn(3, 4, dtype=sc.float64, requires_grad=True)
        y = sc.randn(4, dtype=sc.float64, requires_grad=True)
        assert sc.gradcheck(lambda a, b: ((a * b).exp() / (1 + (a @ b) ** 2).sum()), (x, y)) is True
        assert sc.gradcheck(lambda a: a.max(1).values * a.mean(0).sum(), (x,)) is True

    def test_true_for_correct_custom_op(self):
        x = sc.randn(5, dtype=sc.float64, requires_grad=True)
        assert sc.gradcheck(lambda t: autograd.apply(_square_forward, _right_square_backward, t),
                            (x,)) is True

    def test_raises_for_wrong_custom_op(self):
        x = sc.randn(5, dtype=sc.float64, requires_grad=True)

        def wrong(t):
            return autograd.apply(_square_forward, _wrong_square_backward, t)

        with pytest.raises(RuntimeError) as info:
            sc.gradcheck(wrong, (x,))
        assert isinstance(info.value, ScratchCNNError)
        assert "differs from finite differences" in str(info.value)
        assert sc.gradcheck(wrong, (x,), raise_exception=False) is False

    def test_requires_an_input_with_grad(self):
        with pytest.raises(RuntimeError):
            sc.gradcheck(lambda t: t * 2, (sc.randn(3, dtype=sc.float64),))


# =========================================================================== repr
class TestRepr:
    @pytest.mark.parametrize("data", [[1.0, 2.0], [[1.0, 2.0], [3.0, 4.0]], [1, 2], 3.0,
                                      [True, False], [[1, -2], [3, 4]]])
    def test_repr_matches_torch(self, data):
        assert repr(sc.tensor(data)) == repr(torch.tensor(data))

    def test_repr_requires_grad_matches_torch(self):
        assert repr(sc.tensor([1.0, 2.0], requires_grad=True)) == \
            repr(torch.tensor([1.0, 2.0], requires_grad=True))

    def test_repr_dtype_and_grad_fn(self):
        assert "dtype=float64" in repr(sc.tensor([1.0], dtype=sc.float64))
        assert "dtype=int32" in repr(sc.tensor(np.array([1], dtype=np.int32)))
        text = repr(sc.tensor([1.0], requires_grad=True) * 2)
        assert text.startswith("tensor([2.]") and "grad_fn=<MulBackward0>" in text

    def test_repr_values_round_trip(self):
        text = repr(sc.tensor([1.5, -2.25]))
        assert "1.5" in text and "-2.25" in text
