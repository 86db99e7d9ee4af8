"""Channel-wise dropout (Dropout1d/2d/3d, F.dropout1d/2d/3d) and F.dropout's inplace:
whole channels dropped, survivors scaled by 1/(1-p), identity in eval, gradients equal
to the mask, PyTorch's warnings and errors for other ranks."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import scratchcnn as sc
import scratchcnn.nn.functional as F
from scratchcnn import nn
from scratchcnn.errors import ArgumentError, ShapeError


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(p=st.sampled_from([0.2, 0.5, 0.8]), n=st.integers(1, 4), c=st.integers(1, 6))
def test_dropout2d_drops_whole_channels_and_scales(p, n, c, dtype):
    x = np.random.default_rng(0).uniform(1, 2, (n, c, 3, 4)).astype(dtype)
    xs = sc.tensor(x, requires_grad=True)
    out = F.dropout2d(xs, p)
    ratio = out.numpy() / x
    per_channel = ratio[:, :, :1, :1]
    np.testing.assert_allclose(ratio, np.broadcast_to(per_channel, ratio.shape), rtol=1e-6)
    assert set(np.round(per_channel.ravel(), 5)) <= {0.0, round(1 / (1 - p), 5)}
    out.backward(sc.ones(*out.shape).to(dtype))
    np.testing.assert_allclose(xs.grad.numpy(), ratio, rtol=1e-6)   # d out / d x = mask/(1-p)


def test_dropout2d_rate_and_expectation():
    x = sc.ones(400, 50, 2, 2)
    out = F.dropout2d(x, 0.3).numpy()
    dropped = (out[:, :, 0, 0] == 0).mean()
    assert abs(dropped - 0.3) < 0.02
    assert abs(out.mean() - 1.0) < 0.03
    torch_out = torch.nn.functional.dropout2d(torch.ones(400, 50, 2, 2), 0.3)
    assert abs((torch_out[:, :, 0, 0] == 0).float().mean().item() - dropped) < 0.03


def test_modules_eval_identity_and_repr_like_torch():
    for cls, shape in (("Dropout1d", (2, 3, 5)), ("Dropout2d", (2, 3, 4, 4)),
                       ("Dropout3d", (2, 3, 2, 2, 2)), ("Dropout", (2, 3))):
        module = getattr(nn, cls)(0.4).eval()
        x = sc.randn(*shape)
        assert module(x) is x or np.array_equal(module(x).numpy(), x.numpy())
        assert repr(module) == repr(getattr(torch.nn, cls)(0.4))
        trained = module.train()(sc.ones(200, *shape[1:])).numpy()
        assert (trained == 0).any() and np.isclose(trained[trained != 0], 1 / 0.6).all()


def test_p_zero_and_one():
    x = sc.randn(2, 3, 4, 4)
    assert np.array_equal(F.dropout2d(x, 0.0).numpy(), x.numpy())
    assert (F.dropout2d(x, 1.0).numpy() == 0).all()


def test_dropout1d_batched_and_unbatched():
    for shape, axes in (((4, 6, 5), 2), ((6, 5), 1)):
        x = np.random.default_rng(1).uniform(1, 2, shape)
        out = F.dropout1d(sc.tensor(x), 0.5).numpy()
        ratio = out / x
        np.testing.assert_allclose(ratio, np.broadcast_to(ratio[..., :1], ratio.shape))
    with pytest.raises(ShapeError, match="Expected 2D or 3D input"):
        F.dropout1d(sc.randn(2, 3, 4, 5), 0.5)
    with pytest.raises(RuntimeError):
        torch.nn.functional.dropout1d(torch.randn(2, 3, 4, 5), 0.5)


def test_dropout2d_3d_input_warns_like_torch_and_drops_per_row():
    x = np.random.default_rng(2).uniform(1, 2, (3, 4, 5))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        out = F.dropout2d(sc.tensor(x), 0.5).numpy()
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        torch.nn.functional.dropout2d(torch.tensor(x), 0.5)
    ratio = out / x   # read as (N, C, L): one draw per (n, c)
    np.testing.assert_allclose(ratio, np.broadcast_to(ratio[..., :1], ratio.shape))
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        F.dropout2d(sc.randn(3, 4), 0.5)


def test_inplace_writes_into_input_and_grads_flow():
    x = np.random.default_rng(3).uniform(1, 2, (2, 3, 2, 2))
    leaf = sc.tensor(x, requires_grad=True)
    y = leaf * 1.0
    out = F.dropout2d(y, 0.5, inplace=True)
    assert out is y
    out.sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), y.numpy() / x)
    z = sc.tensor(x.copy())
    F.dropout(z, 0.5, True, True)
    assert ((z.numpy() == 0) | np.isclose(z.numpy(), 2 * x)).all() and (z.numpy() == 0).any()
    same = sc.tensor(x.copy())
    assert F.dropout(same, 0.5, training=False, inplace=True) is same


def test_bad_p_raises():
    for bad in (-0.1, 1.5, "0.5", True):
        with pytest.raises(ArgumentError, match="between 0 and 1"):
            nn.Dropout2d(bad)
        with pytest.raises(ArgumentError, match="between 0 and 1"):
            F.dropout2d(sc.randn(1, 2, 2, 2), bad)


def test_dropout2d_in_model_registers_mode():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Dropout2d(0.5))
    model.eval()
    x = sc.randn(1, 1, 5, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(model(x).numpy(), model[0](x).numpy())
