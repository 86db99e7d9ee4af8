"""Arithmetic methods and top-level functions (``add(alpha=)``, ``div(rounding_mode=)``,
``remainder``, ``clamp``, ``where``, ``masked_fill``, ``maximum``, ``matmul`` forms, unary
math, comparisons, in-place forms) against PyTorch: values, dtypes and gradients, over
hypothesis-drawn broadcasting shapes, plus finite differences (``sc.gradcheck``)."""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import scratchcnn as sc
from scratchcnn.errors import ArgumentError, GraphError, ShapeError

from conftest import assert_close, to_torch

FLOATS = [np.float64, np.float32]


def compare(ours, theirs, arrays, dtype=np.float64, grad=True, seed=0):
    """``ours(*sc_tensors)`` against ``theirs(*torch_tensors)`` on the same ``arrays``:
    output(s), dtype, and (if ``grad``) every input's gradient for one random dL/dout.
    Returns our output."""
    xs = [sc.tensor(np.asarray(a, dtype), requires_grad=grad) for a in arrays]
    ts = [to_torch(np.asarray(a, dtype), requires_grad=grad) for a in arrays]
    out, tout = ours(*xs), theirs(*ts)
    outs = out if isinstance(out, tuple) else (out,)
    touts = tout if isinstance(tout, tuple) else (tout,)
    for o, t in zip(outs, touts):
        assert o.shape == tuple(t.shape), (o.shape, t.shape)
        assert str(o.dtype) == str(t.dtype).removeprefix("torch."), (o.dtype, t.dtype)
        assert_close(o, t, dtype if o.dtype.kind == "f" else np.float64)
    if grad:
        g = np.random.default_rng(seed).standard_normal(outs[0].shape).astype(dtype)
        outs[0].backward(g)
        touts[0].backward(torch.from_numpy(g))
        for x, t in zip(xs, ts):
            expected = t.grad if t.grad is not None else torch.zeros_like(t)
            got = x.grad if x.grad is not None else np.zeros(x.shape, dtype)
            assert_close(got, expected, dtype)
    return out


def values(rng, shape, low=0.5, high=2.0):
    """Random signs, magnitudes in [low, high]: away from 0 for division and logs."""
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


broadcast_pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                    max_side=3)

BINARY = {
    "add": (lambda a, b: a.add(b), lambda a, b: a.add(b)),
    "add_alpha": (lambda a, b: a.add(b, alpha=-2.5), lambda a, b: a.add(b, alpha=-2.5)),
    "sub_alpha": (lambda a, b: a.sub(b, alpha=3), lambda a, b: a.sub(b, alpha=3)),
    "mul": (lambda a, b: a.mul(b), lambda a, b: a.mul(b)),
    "div": (lambda a, b: a.div(b), lambda a, b: a.div(b)),
    "true_divide": (lambda a, b: a.true_divide(b), lambda a, b: a.true_divide(b)),
    "div_floor": (lambda a, b: a.div(b, rounding_mode="floor"),
                  lambda a, b: a.div(b, rounding_mode="floor")),
    "div_trunc": (lambda a, b: a.div(b, rounding_mode="trunc"),
                  lambda a, b: a.div(b, rounding_mode="trunc")),
    "remainder": (lambda a, b: a.remainder(b), lambda a, b: a.remainder(b)),
    "mod_operator": (lambda a, b: a % b, lambda a, b: a % b),
    "fmod": (lambda a, b: a.fmod(b), lambda a, b: a.fmod(b)),
    "pow": (lambda a, b: a.abs().pow(b), lambda a, b: a.abs().pow(b)),
    "maximum": (lambda a, b: a.maximum(b), lambda a, b: a.maximum(b)),
    "minimum": (lambda a, b: a.minimum(b), lambda a, b: a.minimum(b)),
    "max_two": (lambda a, b: a.max(b), lambda a, b: a.max(b)),
    "min_two": (lambda a, b: sc.min(a, b), lambda a, b: torch.min(a, b)),
    "sc_add": (lambda a, b: sc.add(a, b, alpha=2), lambda a, b: torch.add(a, b, alpha=2)),
    "sc_sub": (lambda a, b: sc.sub(a, b), lambda a, b: torch.sub(a, b)),
    "sc_div": (lambda a, b: sc.div(a, b, rounding_mode="floor"),
               lambda a, b: torch.div(a, b, rounding_mode="floor")),
    "sc_remainder": (lambda a, b: sc.remainder(a, b), lambda a, b: torch.remainder(a, b)),
    "sc_fmod": (lambda a, b: sc.fmod(a, b), lambda a, b: torch.fmod(a, b)),
    "sc_maximum": (lambda a, b: sc.maximum(a, b), lambda a, b: torch.maximum(a, b)),
    "sc_mul": (lambda a, b: sc.mul(a, b), lambda a, b: torch.mul(a, b)),
    "sc_pow": (lambda a, b: sc.pow(a.abs(), b), lambda a, b: torch.pow(a.abs(), b)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(shapes=broadcast_pairs, dtype=st.sampled_from(FLOATS), seed=st.integers(0, 2 ** 16))
def test_binary_values_and_grads_match_torch(name, shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    a, b = (values(rng, shape) for shape in shapes.input_shapes)
    compare(*BINARY[name], [a, b], dtype, seed=seed)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "remainder", "fmod", "pow",
                                  "true_divide"])
@pytest.mark.parametrize("scalar", [2, -1.5])
def test_number_operand_on_either_side_matches_torch(name, scalar):
    array = values(np.random.default_rng(1), (2, 3))
    if name == "pow":
        array = np.abs(array)
    compare(lambda a: getattr(sc, name)(a, scalar), lambda a: getattr(torch, name)(a, scalar),
            [array])
    if name in ("add", "sub", "mul", "div", "remainder", "pow", "true_divide"):
        compare(lambda a: getattr(sc, name)(abs(scalar) * 1.0 if name == "pow" else scalar, a),
                lambda a: getattr(torch, name)(abs(scalar) * 1.0 if name == "pow" else scalar, a),
                [array], grad=name != "remainder")   # torch has no derivative there


@pytest.mark.parametrize("op", ["div_floor", "div_trunc", "remainder", "fmod", "floordiv",
                                "mod", "true_div"])
def test_integer_division_forms_match_torch(op):
    a = np.array([-7, -6, -1, 0, 5, 7, 9], dtype=np.int64)
    b = np.array([2, -3, 4, 3, -2, 7, -4], dtype=np.int64)
    forms = {"div_floor": lambda x, y: x.div(y, rounding_mode="floor"),
             "div_trunc": lambda x, y: x.div(y, rounding_mode="trunc"),
             "remainder": lambda x, y: x.remainder(y), "fmod": lambda x, y: x.fmod(y),
             "floordiv": lambda x, y: x // y, "mod": lambda x, y: x % y,
             "true_div": lambda x, y: x.div(y)}
    ours, theirs = forms[op](sc.tensor(a), sc.tensor(b)), forms[op](torch.tensor(a),
                                                                      torch.tensor(b))
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    reflected = {"floordiv": (lambda y: 20 // y), "mod": (lambda y: 20 % y)}
    if op in reflected:
        np.testing.assert_array_equal(reflected[op](sc.tensor(b)).numpy(),
                                      reflected[op](torch.tensor(b)).numpy())


def test_floor_divide_values_match_torch_and_backward_raises_like_torch():
    rng = np.random.default_rng(3)
    a, b = values(rng, (3, 4)), values(rng, (4,))
    x = sc.tensor(a, requires_grad=True)
    out = x // sc.tensor(b)
    assert_close(out, torch.tensor(a) // torch.tensor(b))
    assert_close(sc.floor_divide(x, 2.0), torch.floor_divide(torch.tensor(a), 2.0))
    with pytest.raises(GraphError, match="floor_divide"):
        out.sum().backward()


def test_div_rejects_unknown_rounding_mode():
    with pytest.raises(ArgumentError, match="rounding_mode"):
        sc.ones(2).div(2, rounding_mode="round")


# --------------------------------------------------------------------- unary
UNARY = {  # name: (lowest allowed value, sign allowed)
    "neg": (0.5, True), "negative": (0.5, True), "abs": (0.5, True), "absolute": (0.5, True),
    "sqrt": (0.5, False), "rsqrt": (0.5, False), "exp": (0.5, True), "log": (0.5, False),
    "sin": (0.1, True), "cos": (0.1, True), "tan": (0.1, True), "log2": (0.5, False),
    "log10": (0.5, False), "log1p": (0.1, False), "expm1": (0.1, True),
    "square": (0.1, True), "reciprocal": (0.5, True), "floor": (0.1, True),
    "ceil": (0.1, True), "round": (0.1, True), "trunc": (0.1, True), "fix": (0.1, True),
    "sign": (0.1, True), "relu": (0.1, True), "sigmoid": (0.1, True), "tanh": (0.1, True),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
       dtype=st.sampled_from(FLOATS), seed=st.integers(0, 2 ** 16))
def test_unary_methods_and_functions_match_torch(name, shape, dtype, seed):
    low, signed = UNARY[name]
    rng = np.random.default_rng(seed)
    x = rng.uniform(low, 1.4, shape) * (rng.choice([-1.0, 1.0], shape) if signed else 1)
    compare(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), [x], dtype, seed=seed)
    compare(lambda t: getattr(sc, name)(t), lambda t: getattr(torch, name)(t), [x], dtype,
            seed=seed)


@pytest.mark.parametrize("name", ["rsqrt", "sin", "cos", "tan", "log2", "log10", "log1p",
                                  "expm1", "square", "reciprocal"])
def test_unary_gradcheck(name):
    x = sc.tensor(np.random.default_rng(4).uniform(0.3, 1.2, (2, 3)), requires_grad=True)
    assert sc.gradcheck(lambda t: getattr(t, name)(), (x,))


@pytest.mark.parametrize("name", ["sin", "cos", "log2", "rsqrt", "log1p", "floor", "sign",
                                  "square", "abs", "neg", "round", "reciprocal"])
def test_unary_dtype_on_integer_tensors_matches_torch(name):
    data = [1, 2, 4]
    ours, theirs = getattr(sc.tensor(data), name)(), getattr(torch.tensor(data), name)()
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_round_decimals_matches_torch():
    x = np.array([1.2345, -2.5, 0.5, 1.5, 12.3456])
    compare(lambda t: t.round(decimals=2), lambda t: t.round(decimals=2), [x])
    compare(lambda t: sc.round(t, decimals=-1), lambda t: torch.round(t, decimals=-1), [x])


# --------------------------------------------------------------------- clamp
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
       dtype=st.sampled_from(FLOATS), seed=st.integers(0, 2 ** 16),
       bounds=st.sampled_from([(-0.5, 0.5), (None, 0.2), (-0.3, None), (0.4, -0.4)]))
def test_clamp_number_bounds_match_torch(shape, dtype, seed, bounds):
    x = np.random.default_rng(seed).standard_normal(shape)
    low, high = bounds
    compare(lambda t: t.clamp(low, high), lambda t: t.clamp(low, high), [x], dtype)
    compare(lambda t: sc.clip(t, min=low, max=high), lambda t: torch.clip(t, low, high), [x],
            dtype)


@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3),
       dtype=st.sampled_from(FLOATS), seed=st.integers(0, 2 ** 16))
def test_clamp_tensor_bounds_values_and_all_grads_match_torch(shapes, dtype, seed):
    """Including min > max somewhere and x equal to a bound (PyTorch's tie rules)."""
    rng = np.random.default_rng(seed)
    low, high = (np.round(rng.standard_normal(s), 1) for s in shapes.input_shapes[1:])
    x = np.round(rng.standard_normal(shapes.result_shape), 1)   # bounds must not grow x
    compare(lambda a, b, c: a.clamp(b, c), lambda a, b, c: a.clamp(b, c), [x, low, high],
            dtype)
    compare(lambda a, b: sc.clamp(a, min=b), lambda a, b: torch.clamp(a, min=b), [x, low],
            dtype)
    compare(lambda a, c: a.clamp_max(c), lambda a, c: a.clamp_max(c), [x, high], dtype)


def test_clamp_dtypes_and_errors_match_torch():
    ints = [3, -4, 7]
    for bounds in [dict(min=0.5), dict(min=0, max=4), dict(max=sc.tensor(2.5))]:
        tbounds = {k: torch.tensor(v.numpy()) if isinstance(v, sc.Tensor) else v
                   for k, v in bounds.items()}
        ours, theirs = sc.tensor(ints).clamp(**bounds), torch.tensor(ints).clamp(**tbounds)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(ArgumentError, match="at least one"):
        sc.ones(2).clamp()
    with pytest.raises(ShapeError, match="broadcast"):     # torch: the same RuntimeError
        sc.ones(2).clamp(min=sc.zeros(3, 2))


# --------------------------------------------------------------------- where, masked_fill
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3),
       dtype=st.sampled_from(FLOATS), seed=st.integers(0, 2 ** 16))
def test_where_values_and_grads_match_torch(shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    condition = rng.random(shapes.input_shapes[0]) < 0.5
    a, b = (rng.standard_normal(s) for s in shapes.input_shapes[1:])
    compare(lambda x, y: sc.where(sc.tensor(condition), x, y),
            lambda x, y: torch.where(torch.tensor(condition), x, y), [a, b], dtype)
    compare(lambda x, y: x.where(sc.tensor(condition), y),
            lambda x, y: x.where(torch.tensor(condition), y), [a, b], dtype)
    compare(lambda x: sc.where(sc.tensor(condition), x, 0.5),
            lambda x: torch.where(torch.tensor(condition), x, 0.5), [a], dtype)


def test_where_dtype_promotion_and_single_argument_match_torch():
    c = [True, False, True]
    cases = [(1, 2.5), (sc.tensor([1, 2, 3]), 2.5), (sc.tensor([1.0, 2, 3]), 2),
             (sc.tensor([1, 2, 3], dtype=sc.int32), sc.tensor([1, 2, 3]))]
    for x, y in cases:
        tx, ty = (torch.tensor(v.numpy()) if isinstance(v, sc.Tensor) else v for v in (x, y))
        ours, theirs = sc.where(sc.tensor(c), x, y), torch.where(torch.tensor(c), tx, ty)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    mask = np.array([[True, False], [False, True]])
    for ours, theirs in zip(sc.where(sc.tensor(mask)), torch.where(torch.tensor(mask))):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
       dtype=st.sampled_from(FLOATS), seed=st.integers(0, 2 ** 16))
def test_masked_fill_values_and_grads_match_torch(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    mask = rng.random(shape[-1:]) < 0.5          # broadcasts over the leading axes
    compare(lambda t: t.masked_fill(sc.tensor(mask), -3.0),
            lambda t: t.masked_fill(torch.tensor(mask), -3.0), [x], dtype)
    compare(lambda t, v: t.masked_fill(sc.tensor(mask), v.sum()),    # a 0-d tensor value
            lambda t, v: t.masked_fill(torch.tensor(mask), v.sum()), [x, x[..., :1]], dtype)
    compare(lambda t: sc.masked_fill(t, sc.tensor(mask), 1),
            lambda t: torch.masked_fill(t, torch.tensor(mask), 1), [x], dtype)


def test_masked_fill_integer_dtype_and_errors():
    ours = sc.tensor([1, 2]).masked_fill(sc.tensor([True, False]), 2.7)
    np.testing.assert_array_equal(ours.numpy(), torch.tensor([1, 2]).masked_fill(
        torch.tensor([True, False]), 2.7).numpy())
    assert ours.dtype == np.int64
    with pytest.raises(ArgumentError, match="boolean"):
        sc.ones(2).masked_fill(sc.tensor([1, 0]), 0.0)
    with pytest.raises(ShapeError):
        sc.ones(2, 3).masked_fill(sc.tensor([True, False]), 0.0)


def test_maximum_minimum_ties_share_gradient_like_torch():
    a, b = np.array([1.0, 2.0, 3.0, 2.0]), np.array([1.0, 3.0, 1.0, 2.0])
    compare(lambda x, y: x.maximum(y), lambda x, y: x.maximum(y), [a, b])
    compare(lambda x, y: x.minimum(y), lambda x, y: x.minimum(y), [a, b])


# --------------------------------------------------------------------- matrix products
@pytest.mark.parametrize("name, shape_a, shape_b", [
    ("matmul", (3,), (3,)), ("matmul", (2, 3), (3,)), ("matmul", (4, 1, 2, 3), (5, 3, 2)),
    ("mm", (2, 3), (3, 4)), ("bmm", (2, 3, 4), (2, 4, 5)), ("dot", (4,), (4,)),
    ("inner", (3,), (3,)), ("mv", (2, 3), (3,)), ("outer", (3,), (4,))])
@pytest.mark.parametrize("dtype", FLOATS)
def test_matrix_products_match_torch(name, shape_a, shape_b, dtype):
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    compare(lambda x, y: getattr(x, name)(y), lambda x, y: getattr(x, name)(y), [a, b], dtype)
    compare(lambda x, y: getattr(sc, name)(x, y), lambda x, y: getattr(torch, name)(x, y),
            [a, b], dtype)


@pytest.mark.parametrize("call", [
    lambda: sc.ones(2, 3).mm(sc.ones(4, 2)), lambda: sc.ones(2, 3, 1).mm(sc.ones(1, 2)),
    lambda: sc.ones(2, 3, 4).bmm(sc.ones(3, 4, 5)), lambda: sc.ones(3).dot(sc.ones(4)),
    lambda: sc.matmul(sc.ones(2, 3), sc.ones(2, 3)), lambda: sc.ones(3).mv(sc.ones(3)),
    lambda: sc.outer(sc.ones(2, 2), sc.ones(2))])
def test_matrix_product_shape_errors(call):
    with pytest.raises(ShapeError):
        call()


def test_matmul_gradcheck():
    rng = np.random.default_rng(6)
    a = sc.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    b = sc.tensor(rng.standard_normal((4, 2)), requires_grad=True)
    assert sc.gradcheck(lambda x, y: x.matmul(y), (a, b))


# --------------------------------------------------------------------- comparisons
@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge", "greater", "less",
                                  "greater_equal", "less_equal", "not_equal", "logical_and",
                                  "logical_or", "logical_xor"])
def test_comparison_methods_and_functions_match_torch(name):
    rng = np.random.default_rng(7)
    a, b = rng.integers(-2, 3, (3, 4)).astype(float), rng.integers(-2, 3, (4,)).astype(float)
    for ours, theirs in [(getattr(sc.tensor(a), name)(sc.tensor(b)),
                          getattr(torch.tensor(a), name)(torch.tensor(b))),
                         (getattr(sc, name)(sc.tensor(a), sc.tensor(b)),
                          getattr(torch, name)(torch.tensor(a), torch.tensor(b)))]:
        assert ours.dtype == np.bool_ and not ours.requires_grad
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite", "isposinf", "isneginf",
                                  "logical_not"])
def test_value_tests_match_torch(name):
    data = np.array([0.0, 1.5, np.nan, np.inf, -np.inf, -2.0])
    np.testing.assert_array_equal(getattr(sc.tensor(data), name)().numpy(),
                                  getattr(torch.tensor(data), name)().numpy())
    np.testing.assert_array_equal(getattr(sc, name)(sc.tensor(data)).numpy(),
                                  getattr(torch, name)(torch.tensor(data)).numpy())


def test_isclose_allclose_equal_match_torch():
    a, b = np.array([1.0, 2.0, np.nan]), np.array([1.0 + 1e-9, 2.1, np.nan])
    for kwargs in [{}, dict(equal_nan=True), dict(atol=0.2)]:
        np.testing.assert_array_equal(sc.tensor(a).isclose(sc.tensor(b), **kwargs).numpy(),
                                      torch.tensor(a).isclose(torch.tensor(b), **kwargs))
        assert sc.allclose(sc.tensor(a), sc.tensor(b), **kwargs) == \
            torch.allclose(torch.tensor(a), torch.tensor(b), **kwargs)
    assert sc.equal(sc.tensor([1, 2]), sc.tensor([1, 2]))
    assert not sc.tensor([1, 2]).equal(sc.tensor([[1, 2]]))
    assert not sc.tensor([1, 2]).equal(sc.tensor([1, 3]))


# --------------------------------------------------------------------- in place
@pytest.mark.parametrize("name, args", [
    ("pow_", (2.0,)), ("neg_", ()), ("abs_", ()), ("sqrt_", ()), ("exp_", ()), ("log_", ()),
    ("clamp_", (-0.5, 0.8)), ("clip_", (None, 0.3)), ("reciprocal_", ()), ("sign_", ()),
    ("masked_fill_", ("mask", 2.0))])
def test_inplace_forms_inside_a_graph_match_torch(name, args):
    rng = np.random.default_rng(8)
    data = rng.uniform(0.2, 1.5, (3, 4)) * (1 if name in ("sqrt_", "log_") else
                                             rng.choice([-1.0, 1.0], (3, 4)))
    mask = rng.random((3, 4)) < 0.5

    def run(lib, x):
        y = x * 1.5                     # a non-leaf, as in-place ops need under grad
        lib_args = [lib.tensor(mask) if a == "mask" else a for a in args]
        result = getattr(y, name)(*lib_args)
        assert result is y
        return y
    compare(lambda x: run(sc, x), lambda x: run(torch, x), [data])


def test_inplace_without_grad_changes_memory_and_version():
    x = sc.tensor([-1.0, 4.0])
    before = x._version
    x.abs_().sqrt_().clamp_(max=1.5)
    np.testing.assert_array_equal(x.numpy(), [1.0, 1.5])
    assert x._version == before + 3


@pytest.mark.parametrize("name", ["remainder", "fmod", "maximum", "div"])
def test_binary_gradcheck(name):
    rng = np.random.default_rng(9)
    a = sc.tensor(values(rng, (3, 2)) * 3.3, requires_grad=True)
    b = sc.tensor(values(rng, (2,)), requires_grad=True)
    assert sc.gradcheck(lambda x, y: getattr(x, name)(y), (a, b))


def test_top_level_helpers():
    x = sc.ones(2, 3)
    assert sc.is_tensor(x) and not sc.is_tensor(np.ones(2)) and sc.numel(x) == 6
    assert sc.is_floating_point(x) and not sc.is_floating_point(sc.tensor([1]))
