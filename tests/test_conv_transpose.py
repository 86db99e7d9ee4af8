"""F.conv_transpose2d and nn.ConvTranspose2d: output and every gradient against PyTorch
(stride, padding, output_padding, dilation, groups, bias), against a naive loop written
from the definition, against finite differences, and the identity the docs teach: the
input gradient of a convolution is the transposed convolution of its output gradient."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import scratchcnn as sc
import scratchcnn.nn.functional as F
from scratchcnn import conv_transpose_output_size, interop, nn, summary
from scratchcnn.errors import ArgumentError, ShapeError

from conftest import assert_close, to_torch
from test_conv_groups import compare_with_torch


@st.composite
def transpose_configs(draw):
    """A valid transposed convolution (positive output size, output_padding below
    max(stride, dilation)) and a data seed."""
    groups = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(2))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(2))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(2))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    size = tuple(draw(st.integers(1, 5)) for _ in range(2))
    # padding at most what keeps the output positive
    padding = tuple(draw(st.integers(0, max(0, min(2, ((n - 1) * s + d * (k - 1) + op) // 2))))
                    for n, s, d, k, op in zip(size, stride, dilation, kernel, output_padding))
    return dict(groups=groups, c=groups * draw(st.integers(1, 2)),
                o=groups * draw(st.integers(1, 2)), n=draw(st.integers(1, 2)), size=size,
                kernel=kernel, stride=stride, padding=padding, output_padding=output_padding,
                dilation=dilation, bias=draw(st.booleans()), seed=draw(st.integers(0, 2 ** 32 - 1)))


def arrays_for(cfg, dtype):
    rng = np.random.default_rng(cfg["seed"])
    x = rng.standard_normal((cfg["n"], cfg["c"]) + cfg["size"]).astype(dtype)
    w = rng.standard_normal((cfg["c"], cfg["o"] // cfg["groups"]) + cfg["kernel"]).astype(dtype)
    b = rng.standard_normal(cfg["o"]).astype(dtype) if cfg["bias"] else None
    return x, w, b


def hyper(cfg):
    return {k: cfg[k] for k in ("stride", "padding", "output_padding", "groups", "dilation")}


def naive_conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation):
    """The definition, one input value at a time: x[n, c, i, j] * w[c, o', u, v] lands
    on padded output position (i*s + u*d, j*s + v*d) of channel o = g*C_out/G + o'."""
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    oh, ow = (conv_transpose_output_size((h, wd), (kh, kw), stride, padding, output_padding,
                                         dilation))
    out = np.zeros((n, og * groups, oh + 2 * padding[0], ow + 2 * padding[1]))
    cg = c // groups
    for ni in range(n):
        for ci in range(c):
            g = ci // cg
            for i in range(h):
                for j in range(wd):
                    for o in range(og):
                        for u in range(kh):
                            for v in range(kw):
                                out[ni, g * og + o, i * stride[0] + u * dilation[0],
                                    j * stride[1] + v * dilation[1]] += x[ni, ci, i, j] * w[ci, o, u, v]
    out = out[:, :, padding[0]:padding[0] + oh, padding[1]:padding[1] + ow]
    return out + (b.reshape(1, -1, 1, 1) if b is not None else 0)


# --------------------------------------------------------------------- vs PyTorch
@given(cfg=transpose_configs(), dtype=st.sampled_from([np.float64, np.float32]))
def test_conv_transpose2d_forward_and_gradients_match_torch(cfg, dtype):
    compare_with_torch(lambda x, w, b: F.conv_transpose2d(x, w, b, **hyper(cfg)),
                       lambda x, w, b: torch.nn.functional.conv_transpose2d(x, w, b, **hyper(cfg)),
                       arrays_for(cfg, dtype), dtype, cfg["seed"] % 100)


@settings(max_examples=20)
@given(cfg=transpose_configs())
def test_conv_transpose2d_matches_the_naive_definition(cfg):
    x, w, b = arrays_for(cfg, np.float64)
    y = F.conv_transpose2d(sc.tensor(x), sc.tensor(w), sc.tensor(b) if b is not None else None,
                           **hyper(cfg))
    np.testing.assert_allclose(y.numpy(), naive_conv_transpose2d(x, w, b, **hyper(cfg)),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kwargs", [dict(stride=2, padding=1, output_padding=1),
                                    dict(stride=(1, 3), dilation=(2, 1), groups=2),
                                    dict(stride=1, dilation=2, output_padding=1)])
def test_conv_transpose2d_gradcheck(kwargs):
    x = sc.randn(2, 4, 3, 4, dtype=sc.float64, requires_grad=True)
    w = sc.randn(4, 3, 3, 2, dtype=sc.float64, requires_grad=True)      # C_out = 3 * groups
    b = sc.randn(3 * kwargs.get("groups", 1), dtype=sc.float64, requires_grad=True)
    assert sc.gradcheck(lambda *t: F.conv_transpose2d(*t, **kwargs), (x, w, b))


@settings(max_examples=20)
@given(cfg=transpose_configs())
def test_conv_input_gradient_is_the_transposed_convolution_of_the_output_gradient(cfg):
    """conv2d's backward-data pass == conv_transpose2d's forward pass, same weight and
    arguments, for the input size the transposed convolution produces (output_padding
    below the stride: a larger one, allowed by dilation, makes conv2d's output larger)."""
    cfg = dict(cfg, output_padding=tuple(min(op, s - 1) for op, s in
                                         zip(cfg["output_padding"], cfg["stride"])))
    x, w, _ = arrays_for(cfg, np.float64)        # x plays conv2d's output gradient
    kwargs = {k: cfg[k] for k in ("stride", "padding", "dilation", "groups")}
    y = F.conv_transpose2d(sc.tensor(x), sc.tensor(w), **hyper(cfg))
    z = sc.zeros(*y.shape, dtype=sc.float64, requires_grad=True)
    out = F.conv2d(z, sc.tensor(w), **kwargs)
    assert out.shape == x.shape
    out.backward(sc.tensor(x))
    np.testing.assert_allclose(z.grad.numpy(), y.numpy(), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------- nn.ConvTranspose2d
@settings(max_examples=15)
@given(cfg=transpose_configs())
def test_module_matches_torch_module_and_its_shapes(cfg):
    kwargs = dict(hyper(cfg), bias=cfg["bias"])
    theirs = torch.nn.ConvTranspose2d(cfg["c"], cfg["o"], cfg["kernel"], dtype=torch.float64,
                                      **kwargs)
    ours = nn.ConvTranspose2d(cfg["c"], cfg["o"], cfg["kernel"], dtype=sc.float64, **kwargs)
    assert ours.weight.shape == tuple(theirs.weight.shape)
    assert repr(ours) == repr(theirs)
    ours.load_state_dict(theirs.state_dict())
    x, _, _ = arrays_for(cfg, np.float64)
    y = ours(sc.tensor(x))
    assert_close(y, theirs(to_torch(x)))
    assert ours.output_shape(x.shape) == y.shape


def test_output_size_argument_picks_the_output_padding_as_torch():
    ours = nn.ConvTranspose2d(3, 2, 3, stride=3, padding=1, dtype=sc.float64)
    theirs = torch.nn.ConvTranspose2d(3, 2, 3, stride=3, padding=1, dtype=torch.float64)
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(2).standard_normal((1, 3, 4, 5))
    for size in ((10, 13), (12, 15), [1, 2, 11, 14]):
        assert_close(ours(sc.tensor(x), output_size=size),
                     theirs(to_torch(x), output_size=size))
    with pytest.raises(ShapeError, match=r"valid sizes range from \(10, 13\) to \(12, 15\)"):
        ours(sc.tensor(x), output_size=(13, 13))


def test_default_init_has_torch_bounds():
    """fan_in from the weight (C_in, C_out/G, kh, kw): C_out/G * kh * kw."""
    layer = nn.ConvTranspose2d(300, 4, 3, groups=2)    # fan_in = 2 * 9 = 18
    bound = 1 / np.sqrt(18)
    assert np.abs(layer.weight.numpy()).max() <= bound
    assert np.abs(layer.weight.numpy()).max() > 0.9 * bound
    assert np.abs(layer.bias.numpy()).max() <= bound


def test_output_size_formula():
    assert conv_transpose_output_size(27, 3, stride=2) == 55
    assert conv_transpose_output_size((7, 7), 4, stride=2, padding=1) == (14, 14)
    assert conv_transpose_output_size(5, 3, stride=2, padding=1, output_padding=1) == 10
    assert conv_transpose_output_size(4, 3, dilation=2) == 8
    for kwargs in (dict(stride=2, output_padding=2), dict(padding=-1)):
        with pytest.raises(ArgumentError):
            conv_transpose_output_size(5, 3, **kwargs)
    with pytest.raises(ShapeError, match="padding is too large"):
        conv_transpose_output_size(1, 1, padding=1)


# --------------------------------------------------------------------- errors
def test_errors_are_clear():
    with pytest.raises(ArgumentError, match="output_padding must be smaller than stride"):
        nn.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2)
    with pytest.raises(ShapeError, match="out_channels=3 is not divisible by groups=2"):
        nn.ConvTranspose2d(2, 3, 3, groups=2)
    with pytest.raises(ShapeError, match="expects input with 4 channels"):
        F.conv_transpose2d(sc.zeros(1, 3, 5, 5), sc.zeros(4, 2, 3, 3))
    with pytest.raises(ShapeError, match="padding is too large"):
        F.conv_transpose2d(sc.zeros(1, 4, 1, 1), sc.zeros(4, 2, 3, 3), padding=3)
    with pytest.raises(ShapeError, match=r"bias of shape \(4,\)"):
        F.conv_transpose2d(sc.zeros(1, 4, 2, 2), sc.zeros(4, 2, 3, 3), sc.zeros(2), groups=2)
    with pytest.raises(ShapeError, match="expected input with 4 channels"):
        nn.ConvTranspose2d(4, 2, 3).output_shape((1, 3, 5, 5))


def test_unbatched_input():
    layer = nn.ConvTranspose2d(3, 2, 2, stride=2)
    x = sc.randn(3, 4, 5)
    assert layer(x).shape == (2, 8, 10)
    assert_close(layer(x), layer(x.unsqueeze(0))[0], np.float32)


# --------------------------------------------------------------------- summary, interop
def test_summary_row_of_a_transposed_convolution():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1))
    s = summary(model, (1, 8, 8), formulas=True)
    row = s.rows[1]
    assert row["output_shape"] == [1, 2, 12, 12]
    assert row["params"] == 4 * 2 * 16 + 2
    assert row["macs"] == 4 * 6 * 6 * 2 * 16           # every input value x (C_out * kh * kw)
    assert row["formula"] == "(6 - 1)x2 - 2x1 + 3 + 0 + 1 = 12"
    # one output sees floor(3 / 2) + 1 = 2 of the conv's outputs, 3 + 1 * 1 = 4 pixels
    assert row["receptive_field"] == 4


def test_receptive_field_after_a_transposed_convolution_matches_the_gradient():
    """Count the input pixels that reach one output value through autograd."""
    model = nn.Sequential(nn.Conv2d(1, 1, 3), nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1))
    model.double()
    for p in model.parameters():
        nn.init.ones_(p)        # no cancellation: every path carries gradient
    x = sc.zeros(1, 1, 12, 12, dtype=sc.float64, requires_grad=True)
    model(x)[0, 0, 9, 9].backward()
    rows = np.flatnonzero(np.abs(x.grad.numpy()[0, 0]).sum(axis=1))
    assert rows.max() - rows.min() + 1 == summary(model, (1, 12, 12)).rows[1]["receptive_field"]


def test_interop_round_trip():
    model = nn.Sequential(nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1,
                                             groups=2, dilation=1))
    twin = interop.to_torch(model)
    assert isinstance(twin[0], torch.nn.ConvTranspose2d)
    assert (twin[0].groups, twin[0].output_padding) == (2, (1, 1))
    x = np.random.default_rng(0).standard_normal((1, 4, 5, 5)).astype(np.float32)
    assert_close(model(sc.tensor(x)), twin(torch.from_numpy(x)), np.float32)
    back = interop.from_torch(twin)
    assert isinstance(back[0], nn.ConvTranspose2d)
    assert_close(back(sc.tensor(x)), model(sc.tensor(x)), np.float32)
