"""F.pad, the smooth / hard activations, F.normalize, F.one_hot, F.embedding and
F.interpolate (and their modules) against PyTorch: values and input/weight gradients,
float64 to 1e-10 and float32 to rtol 1e-4; finite differences; in-place semantics."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import scratchcnn as sc
import scratchcnn.nn.functional as F
from scratchcnn import nn
from scratchcnn.errors import ArgumentError, DTypeError, ShapeError, TargetError

from conftest import assert_close, to_torch

DTYPES = st.sampled_from([np.float64, np.float32])


def check_against_torch(ours, theirs, arrays, dtype, seed=0):
    """Run ``ours`` on scratchcnn leaves and ``theirs`` on torch leaves made from the same
    ``arrays``; compare the outputs and every input's gradient for one random dL/dy."""
    arrays = [np.asarray(a, dtype) for a in arrays]
    xs = [sc.tensor(a, requires_grad=True) for a in arrays]
    xt = [to_torch(a, True) for a in arrays]
    ys, yt = ours(*xs), theirs(*xt)
    assert ys.shape == tuple(yt.shape)
    assert ys.dtype == dtype
    assert_close(ys, yt, dtype)
    g = np.random.default_rng(seed).standard_normal(ys.shape).astype(dtype)
    ys.backward(sc.tensor(g))
    yt.backward(torch.from_numpy(g))
    for a, b in zip(xs, xt):
        assert a.grad is not None and a.grad.dtype == dtype
        assert_close(a.grad, b.grad, dtype)


# --------------------------------------------------------------------- pad
@st.composite
def pad_cases(draw):
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    if mode == "constant":
        ndim = draw(st.integers(1, 4))
        axes = draw(st.integers(1, ndim))
    else:
        axes = draw(st.integers(1, 3))
        ndim = axes + draw(st.integers(1, 2))
    shape = [draw(st.integers(1, 3)) for _ in range(ndim - axes)] + \
        [draw(st.integers(2, 5)) for _ in range(axes)]
    pad = []
    for k in range(axes):
        size = shape[-1 - k]
        high = {"constant": 3, "reflect": size - 1, "replicate": 3, "circular": size}[mode]
        # Negative pads crop, leaving at least one element. Torch's circular mode copies
        # overlapping memory for negative pads (wrong values), so it gets none here.
        low = 0 if mode == "circular" else -((size - 1) // 2)
        pad += [draw(st.integers(low, high)), draw(st.integers(low, high))]
    value = draw(st.sampled_from([0.0, 1.5])) if mode == "constant" else None
    return shape, tuple(pad), mode, value


@given(case=pad_cases(), dtype=DTYPES, seed=st.integers(0, 100))
def test_pad_matches_torch(case, dtype, seed):
    shape, pad, mode, value = case
    x = np.random.default_rng(seed).standard_normal(shape)
    kwargs = {} if value is None else {"value": value}
    check_against_torch(lambda t: F.pad(t, pad, mode, **kwargs),
                        lambda t: TF.pad(t, pad, mode, **kwargs), [x], dtype, seed)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_gradcheck(mode):
    x = sc.randn(2, 3, 4, 5, dtype=sc.float64, requires_grad=True)
    assert sc.gradcheck(lambda t: F.pad(t, (2, -1, 3, 1), mode), (x,))


def test_pad_errors():
    x = sc.randn(1, 2, 4, 4)
    with pytest.raises(ArgumentError, match="divisible by 2"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(ArgumentError, match="mode must be one of"):
        F.pad(x, (1, 1), mode="mirror")
    with pytest.raises(ShapeError, match="smaller than the size 4"):
        F.pad(x, (4, 0, 0, 0), mode="reflect")
    with pytest.raises(ShapeError, match="not supported for a 1-D input"):
        F.pad(sc.randn(5), (1, 1), mode="replicate")
    with pytest.raises(ShapeError, match="has only 4"):
        F.pad(x, (1,) * 10)
    with pytest.raises(ArgumentError, match="doesn't take a value"):
        F.pad(x, (1, 1), mode="reflect", value=2.0)


@pytest.mark.parametrize("name, args", [("ZeroPad2d", ((1, 2, 0, 3),)), ("ConstantPad2d", (2, 3.5)),
                                        ("ReflectionPad2d", ((1, 2, 3, 0),)),
                                        ("ReplicationPad2d", (2,)), ("ReflectionPad1d", (2,)),
                                        ("CircularPad2d", ((1, 1, 2, 2),))])
def test_padding_modules_match_torch(name, args):
    shape = (2, 3, 6) if name.endswith("1d") else (2, 3, 5, 6)
    x = np.random.default_rng(3).standard_normal(shape)
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    check_against_torch(ours, theirs, [x], np.float64)
    assert ours.output_shape(x.shape) == tuple(theirs(torch.from_numpy(x)).shape)


# --------------------------------------------------------------------- activations
ACTIVATIONS = [
    ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 3.0}), ("relu6", {}),
    ("hardswish", {}), ("hardsigmoid", {}), ("mish", {}), ("gelu", {}),
    ("gelu", {"approximate": "tanh"}), ("silu", {}), ("elu", {}), ("elu", {"alpha": 0.5}),
    ("leaky_relu", {"negative_slope": 0.2}), ("hardtanh", {}),
    ("hardtanh", {"min_val": -2.0, "max_val": 0.5}), ("selu", {}), ("logsigmoid", {}),
    ("relu", {}),
]


@pytest.mark.parametrize("name, kwargs", ACTIVATIONS)
@given(dtype=DTYPES, seed=st.integers(0, 1000),
       shape=st.lists(st.integers(1, 4), min_size=0, max_size=3),
       scale=st.sampled_from([1.0, 5.0, 40.0]))
def test_activation_matches_torch(name, kwargs, dtype, seed, shape, scale):
    x = np.random.default_rng(seed).standard_normal(shape) * scale
    check_against_torch(lambda t: getattr(F, name)(t, **kwargs),
                        lambda t: getattr(TF, name)(t, **kwargs), [x], dtype, seed)


@pytest.mark.parametrize("name, kwargs", ACTIVATIONS)
def test_activation_at_kinks_matches_torch(name, kwargs):
    """Values exactly at the corners (0, +-3, 6, thresholds), where the derivative is a choice."""
    x = np.array([-6.0, -3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 3.0, 6.0, 10.0, 20.0, 25.0])
    check_against_torch(lambda t: getattr(F, name)(t, **kwargs),
                        lambda t: getattr(TF, name)(t, **kwargs), [x], np.float64)


@pytest.mark.parametrize("name, kwargs", ACTIVATIONS)
def test_activation_gradcheck(name, kwargs):
    # Away from the kinks, where finite differences are meaningful.
    x = np.random.default_rng(1).uniform(0.1, 0.9, (3, 4)) * np.array([-4.0, -1, 1, 4])
    t = sc.tensor(x, requires_grad=True)
    assert sc.gradcheck(lambda v: getattr(F, name)(v, **kwargs), (t,))


INPLACE = [("relu", {}), ("leaky_relu", {"negative_slope": 0.1}), ("relu6", {}),
           ("hardswish", {}), ("hardsigmoid", {}), ("silu", {}), ("mish", {}), ("elu", {}),
           ("selu", {}), ("hardtanh", {})]


@pytest.mark.parametrize("name, kwargs", INPLACE)
def test_inplace_activation_matches_torch(name, kwargs):
    """inplace=True writes into the input (same memory, version bumped) and the gradient
    flows back through the rebased graph, as in PyTorch."""
    x = np.random.default_rng(2).standard_normal((3, 5)) * 4
    a, b = sc.tensor(x, requires_grad=True), to_torch(x, True)
    ya, yb = a * 1.5, b * 1.5
    version = ya._version if hasattr(ya, "_version") else None
    za = getattr(F, name)(ya, inplace=True, **kwargs)
    zb = getattr(TF, name)(yb, inplace=True, **kwargs)
    assert za is ya
    if version is not None:
        assert ya._version == version + 1
    assert_close(ya, yb)
    (za * za).sum().backward()
    (zb * zb).sum().backward()
    assert_close(a.grad, b.grad)


def test_inplace_on_leaf_requiring_grad_is_an_error_like_torch():
    leaf = sc.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError):
        F.relu(leaf, inplace=True)
    with pytest.raises(RuntimeError):
        torch.nn.functional.relu(torch.randn(3, requires_grad=True), inplace=True)


def test_relu_module_inplace_without_grad_overwrites_input():
    x = sc.tensor([-1.0, 2.0, -3.0])
    y = nn.ReLU(inplace=True)(x)
    assert y is x
    assert x.tolist() == [0.0, 2.0, 0.0]


MODULES = [("GELU", ()), ("GELU", ("tanh",)), ("SiLU", ()), ("ReLU6", ()), ("Hardswish", ()),
           ("Hardsigmoid", ()), ("ELU", (0.7,)), ("Softplus", (2.0, 5.0)), ("Mish", ()),
           ("Hardtanh", (-0.5, 2.0)), ("SELU", ()), ("LogSigmoid", ()), ("ReLU", (True,)),
           ("LeakyReLU", (0.2, True))]


@pytest.mark.parametrize("name, args", MODULES)
def test_activation_modules_match_torch(name, args):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(4).standard_normal((2, 3, 4)) * 3
    # Through a multiply so that in-place modules do not write into a leaf.
    check_against_torch(lambda t: ours(t * 1.0), lambda t: theirs(t * 1.0), [x], np.float64)


def test_activation_argument_errors():
    with pytest.raises(ArgumentError, match="approximate"):
        F.gelu(sc.randn(3), approximate="fast")
    with pytest.raises(ArgumentError, match="min_val <= max_val"):
        F.hardtanh(sc.randn(3), 2.0, 1.0)
    with pytest.raises(DTypeError, match="floating point"):
        F.silu(sc.tensor([1, 2]))


# --------------------------------------------------------------------- normalize
@given(dtype=DTYPES, seed=st.integers(0, 100), p=st.sampled_from([1.0, 2.0, 3.0, float("inf")]),
       shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_normalize_matches_torch(dtype, seed, p, shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = np.random.default_rng(seed).standard_normal(shape)
    check_against_torch(lambda t: F.normalize(t, p, dim), lambda t: TF.normalize(t, p, dim),
                        [x], dtype, seed)


def test_normalize_zero_vector_and_eps():
    x = np.zeros((2, 3))
    x[1] = [1e-3, 0, 0]
    check_against_torch(lambda t: F.normalize(t, eps=1e-2), lambda t: TF.normalize(t, eps=1e-2),
                        [x], np.float64)


def test_normalize_gradcheck():
    x = sc.randn(3, 4, dtype=sc.float64, requires_grad=True)
    assert sc.gradcheck(lambda t: F.normalize(t, 3.0, 0), (x,))


# --------------------------------------------------------------------- one_hot and embedding
def test_one_hot_matches_torch():
    idx = np.random.default_rng(0).integers(0, 5, (3, 4))
    for classes in (-1, 7):
        ours = F.one_hot(sc.tensor(idx), classes)
        theirs = TF.one_hot(torch.from_numpy(idx), classes)
        assert ours.dtype == np.int64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(TargetError, match="too large"):
        F.one_hot(sc.tensor([0, 5]), 3)
    with pytest.raises(DTypeError, match="integer"):
        F.one_hot(sc.tensor([0.0, 1.0]))


@given(dtype=DTYPES, seed=st.integers(0, 1000), shape=st.lists(st.integers(1, 6), max_size=3),
       padding_idx=st.sampled_from([None, 0, 2, -1]), scale=st.booleans())
def test_embedding_matches_torch(dtype, seed, shape, padding_idx, scale):
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((5, 3))
    idx = rng.integers(0, 5, shape)          # repeats on purpose: gradients must add up
    check_against_torch(
        lambda w: F.embedding(sc.tensor(idx), w, padding_idx, scale_grad_by_freq=scale),
        lambda w: TF.embedding(torch.from_numpy(idx), w, padding_idx, scale_grad_by_freq=scale),
        [weight], dtype, seed)


def test_embedding_max_norm_renormalises_like_torch():
    w = np.random.default_rng(0).standard_normal((6, 4)) * 3
    idx = np.array([[0, 2, 2], [5, 0, 1]])
    ws, wt = sc.tensor(w.copy()), torch.tensor(w.copy())
    out = F.embedding(sc.tensor(idx), ws, max_norm=1.5)
    expected = TF.embedding(torch.from_numpy(idx), wt, max_norm=1.5)
    assert_close(out, expected)
    assert_close(ws, wt)           # the rows read were rescaled in place


def test_embedding_module_and_from_pretrained():
    emb = nn.Embedding(10, 4, padding_idx=3)
    assert repr(emb) == repr(torch.nn.Embedding(10, 4, padding_idx=3))
    assert (emb.weight.numpy()[3] == 0).all() and emb.weight.dtype == np.float32
    idx = sc.tensor([[3, 1, 1], [2, 3, 9]])
    emb(idx).sum().backward()
    grad = emb.weight.grad.numpy()
    assert (grad[3] == 0).all() and (grad[1] == 2).all() and (grad[9] == 1).all()
    pre = nn.Embedding.from_pretrained(sc.tensor(np.eye(3)))
    assert not pre.weight.requires_grad
    assert_close(pre(sc.tensor([2, 0])), np.eye(3)[[2, 0]])
    with pytest.raises(TargetError, match="out of range"):
        emb(sc.tensor([10]))
    with pytest.raises(DTypeError, match="integer"):
        emb(sc.tensor([1.0]))


# --------------------------------------------------------------------- interpolate
@st.composite
def interpolate_cases(draw):
    mode = draw(st.sampled_from(["nearest", "bilinear", "linear"]))
    spatial = {"bilinear": 2, "linear": 1}.get(mode) or draw(st.integers(1, 3))
    shape = [draw(st.integers(1, 2)), draw(st.integers(1, 3))] + \
        [draw(st.integers(1, 6)) for _ in range(spatial)]
    kwargs = {}
    if draw(st.booleans()):
        kwargs["size"] = tuple(draw(st.integers(1, 9)) for _ in range(spatial))
    else:
        kwargs["scale_factor"] = draw(st.sampled_from([0.5, 1.0, 1.5, 2.0, 2.7, 3.0]))
        if any(int(n * kwargs["scale_factor"]) == 0 for n in shape[2:]):
            kwargs["scale_factor"] = 2.0
        if draw(st.booleans()):
            kwargs["recompute_scale_factor"] = True
    if mode != "nearest":
        kwargs["align_corners"] = draw(st.booleans())
    return shape, mode, kwargs


@given(case=interpolate_cases(), dtype=DTYPES, seed=st.integers(0, 100))
def test_interpolate_matches_torch(case, dtype, seed):
    shape, mode, kwargs = case
    x = np.random.default_rng(seed).standard_normal(shape)
    check_against_torch(lambda t: F.interpolate(t, mode=mode, **kwargs),
                        lambda t: TF.interpolate(t, mode=mode, **kwargs), [x], dtype, seed)


@pytest.mark.parametrize("mode, align", [("nearest", None), ("bilinear", False),
                                         ("bilinear", True)])
def test_interpolate_gradcheck(mode, align):
    x = sc.randn(1, 2, 3, 4, dtype=sc.float64, requires_grad=True)
    assert sc.gradcheck(lambda t: F.interpolate(t, size=(5, 3), mode=mode,
                                                align_corners=align), (x,))


@pytest.mark.parametrize("module, args, kwargs", [
    ("Upsample", (), {"scale_factor": 2}),
    ("Upsample", (), {"size": (5, 7), "mode": "bilinear", "align_corners": False}),
    ("UpsamplingNearest2d", (), {"scale_factor": 3}),
    ("UpsamplingBilinear2d", (), {"size": 6})])
def test_upsample_modules_match_torch(module, args, kwargs):
    ours, theirs = getattr(nn, module)(*args, **kwargs), getattr(torch.nn, module)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(5).standard_normal((2, 3, 4, 3))
    check_against_torch(ours, theirs, [x], np.float32)


def test_interpolate_errors():
    x = sc.randn(1, 1, 4, 4)
    with pytest.raises(ArgumentError, match="exactly one"):
        F.interpolate(x)
    with pytest.raises(ArgumentError, match="mode must be one of"):
        F.interpolate(x, size=3, mode="bicubic")
    with pytest.raises(ShapeError, match=r"\(N, C, H, W\)"):
        F.interpolate(sc.randn(1, 4, 4), size=3, mode="bilinear")
    with pytest.raises(ArgumentError, match="align_corners"):
        F.interpolate(x, size=3, align_corners=True)
