"""F.batch_norm and nn.BatchNorm2d against PyTorch: forward, every gradient (training
and eval mode), running-statistics updates over several steps, state_dict
compatibility, finite differences and error messages."""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import scratchcnn as sc
import scratchcnn.nn.functional as F
from scratchcnn import nn
from scratchcnn.errors import ArgumentError, DTypeError, ShapeError

from conftest import assert_close, to_torch

DTYPES = st.sampled_from([np.float64, np.float32])


@st.composite
def bn_configs(draw, max_batch=4, max_channels=4, max_size=5):
    """Shapes (N, C, *spatial) with more than one value per channel, and options."""
    ndim = draw(st.sampled_from([2, 3, 4, 4, 4]))              # mostly images
    n = draw(st.integers(1, max_batch))
    c = draw(st.integers(1, max_channels))
    spatial = tuple(draw(st.integers(1, max_size)) for _ in range(ndim - 2))
    if n * int(np.prod(spatial)) == 1:
        n = 2
    return dict(shape=(n, c) + spatial, training=draw(st.booleans()),
                weight=draw(st.booleans()), bias=draw(st.booleans()),
                stats=draw(st.booleans()), momentum=draw(st.sampled_from([0.1, 0.5, 1.0])),
                eps=draw(st.sampled_from([1e-5, 1e-3])), seed=draw(st.integers(0, 2 ** 32 - 1)))


def tolerance(dtype, *arrays):
    """float32: loose, with an absolute tolerance scaled by the values' magnitude (the
    training-mode input gradient is a difference of terms of size |g| / std)."""
    if dtype == np.float64:
        return {}
    scale = max([1.0] + [float(np.abs(a).max()) for a in arrays if a is not None and a.size])
    return dict(atol=1e-5 * scale)


def _grad(t):
    return None if t is None else t.grad.numpy()


@given(cfg=bn_configs(), dtype=DTYPES)
def test_batch_norm_forward_gradients_and_running_stats_match_torch(cfg, dtype):
    rng = np.random.default_rng(cfg["seed"])
    c = cfg["shape"][1]
    x = (rng.standard_normal(cfg["shape"]) * 2 + 0.5).astype(dtype)
    w = rng.standard_normal(c).astype(dtype) if cfg["weight"] else None
    b = rng.standard_normal(c).astype(dtype) if cfg["bias"] else None
    if cfg["stats"] or not cfg["training"]:
        mean = rng.standard_normal(c).astype(dtype)
        var = rng.uniform(0.2, 2.0, c).astype(dtype)
    else:
        mean = var = None
    grad = rng.standard_normal(cfg["shape"]).astype(dtype)
    kwargs = dict(training=cfg["training"], momentum=cfg["momentum"], eps=cfg["eps"])

    def run(lib, make):
        inputs = [make(a, True) if a is not None else None for a in (x, w, b)]
        stats = [make(a, False) if a is not None else None for a in (mean, var)]
        y = lib.batch_norm(inputs[0], stats[0], stats[1], inputs[1], inputs[2], **kwargs)
        y.backward(make(grad, False))
        return [y] + [_grad(t) for t in inputs] + stats

    ours = run(F, lambda a, rg: sc.tensor(a, requires_grad=rg))
    theirs = run(torch.nn.functional, lambda a, rg: to_torch(a, rg))
    names = ["output", "dx", "dweight", "dbias", "running_mean", "running_var"]
    for name, mine, expected in zip(names, ours, theirs):
        if expected is None:
            assert mine is None, name
            continue
        assert mine.dtype == dtype, name
        expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else expected
        try:
            assert_close(mine, expected, dtype, **tolerance(dtype, expected))
        except AssertionError as error:
            raise AssertionError(f"{name} differs") from error


# --------------------------------------------------------------------- the module
def make_pair(num_features=3, seed=0, dtype=torch.float64, **kwargs):
    """The same BatchNorm2d in both libraries, with random affine parameters and
    non-trivial running statistics (copied from torch)."""
    torch.manual_seed(seed)
    theirs = torch.nn.BatchNorm2d(num_features, **kwargs).to(dtype)
    with torch.no_grad():
        if theirs.weight is not None:
            theirs.weight.uniform_(0.5, 1.5)
        if theirs.bias is not None:
            theirs.bias.normal_()
        if theirs.running_mean is not None:
            theirs.running_mean.normal_()
            theirs.running_var.uniform_(0.5, 2.0)
    ours = nn.BatchNorm2d(num_features, **kwargs).to(np.float64 if dtype == torch.float64
                                                     else np.float32)
    ours.load_state_dict(theirs.state_dict())
    return theirs, ours


def assert_same_state(theirs, ours, dtype=np.float64, step=None):
    state_t, state_o = theirs.state_dict(), ours.state_dict()
    assert list(state_o) == list(state_t)
    for key, value in state_t.items():
        assert state_o[key].dtype == value.numpy().dtype, key
        try:
            assert_close(state_o[key], value, dtype)
        except AssertionError as error:
            raise AssertionError(f"{key} differs after step {step}") from error


@pytest.mark.parametrize("momentum", [0.1, 0.7, None])
@pytest.mark.parametrize("affine", [True, False])
def test_module_running_statistics_follow_torch_over_steps(momentum, affine):
    theirs, ours = make_pair(4, momentum=momentum, affine=affine)
    rng = np.random.default_rng(1)
    for step in range(5):
        x = rng.standard_normal((3, 4, 5, 6)) * (step + 1) + step
        grad = rng.standard_normal(x.shape)
        xs, xt = sc.tensor(x, requires_grad=True), to_torch(x, True)
        ys, yt = ours(xs), theirs(xt)
        assert_close(ys, yt)
        ys.backward(sc.tensor(grad))
        yt.backward(torch.from_numpy(grad))
        assert_close(xs.grad, xt.grad)
        for name, param in theirs.named_parameters():
            assert_close(getattr(ours, name).grad, param.grad)
            param.grad = None
        ours.zero_grad()
        assert_same_state(theirs, ours, step=step)
    assert int(ours.num_batches_tracked.item()) == 5
    # eval mode: running statistics, nothing updated, the affine-only gradient
    ours.eval(), theirs.eval()
    x = rng.standard_normal((2, 4, 3, 3))
    xs, xt = sc.tensor(x, requires_grad=True), to_torch(x, True)
    ys, yt = ours(xs), theirs(xt)
    assert_close(ys, yt)
    ys.sum().backward(), yt.sum().backward()
    assert_close(xs.grad, xt.grad)
    assert_same_state(theirs, ours, step="eval")
    assert int(ours.num_batches_tracked.item()) == 5


def test_module_float32_training_matches_torch():
    theirs, ours = make_pair(5, dtype=torch.float32)
    assert ours.weight.dtype == np.float32 and ours.num_batches_tracked.dtype == np.int64
    rng = np.random.default_rng(2)
    for step in range(3):
        x = (rng.standard_normal((4, 5, 6, 6)) * 3 + 1).astype(np.float32)
        xs, xt = sc.tensor(x, requires_grad=True), to_torch(x, True)
        ys, yt = ours(xs), theirs(xt)
        assert ys.dtype == np.float32
        assert_close(ys, yt, np.float32)
        (ys * ys).sum().backward(), (yt * yt).sum().backward()
        assert_close(xs.grad, xt.grad, np.float32, atol=1e-4)
        assert_same_state(theirs, ours, np.float32, step)


def test_without_tracked_statistics_batch_statistics_are_used_in_eval_too():
    theirs, ours = make_pair(3, track_running_stats=False)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "bias"]
    assert ours.running_mean is None and ours.num_batches_tracked is None
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 4))
    for mode in (True, False):
        ours.train(mode), theirs.train(mode)
        assert_close(ours(sc.tensor(x)), theirs(to_torch(x)))


@pytest.mark.parametrize("kwargs", [{}, dict(affine=False), dict(bias=False),
                                    dict(track_running_stats=False),
                                    dict(affine=False, track_running_stats=False)])
def test_state_dict_keys_order_and_repr_equal_torch(kwargs):
    theirs = torch.nn.BatchNorm2d(6, **kwargs)
    ours = nn.BatchNorm2d(6, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)
    for key, value in theirs.state_dict().items():
        assert_close(ours.state_dict()[key], value)


def test_torch_state_dict_loads_and_gives_identical_outputs():
    torch.manual_seed(0)
    trained = torch.nn.BatchNorm2d(4).double()
    rng = np.random.default_rng(4)
    with torch.no_grad():
        for _ in range(3):  # give it non-trivial running statistics
            trained(torch.from_numpy(rng.standard_normal((5, 4, 3, 3)) * 2 + 1))
        trained.weight.normal_(), trained.bias.normal_()
    ours = nn.BatchNorm2d(4).double()
    ours.load_state_dict(trained.state_dict())
    assert int(ours.num_batches_tracked.item()) == 3
    x = rng.standard_normal((2, 4, 5, 5))
    for mode in (False, True):
        ours.train(mode), trained.train(mode)
        assert_close(ours(sc.tensor(x)), trained(to_torch(x)))
    # and back: our state_dict loads into torch
    fresh = torch.nn.BatchNorm2d(4).double()
    fresh.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    assert_same_state(fresh, ours)


def test_in_a_model_sgd_steps_match_torch():
    """Conv -> BatchNorm -> ReLU -> Flatten -> Linear trained with SGD in both libraries."""
    torch.manual_seed(0)
    make = lambda lib: lib.nn.Sequential(  # noqa: E731
        lib.nn.Conv2d(2, 3, 3), lib.nn.BatchNorm2d(3), lib.nn.ReLU(), lib.nn.Flatten(),
        lib.nn.Linear(3 * 4 * 4, 4))
    theirs, ours = make(torch), make(sc)
    ours.load_state_dict(theirs.state_dict())
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    opt_o = sc.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(5)
    for step in range(3):
        x = rng.standard_normal((4, 2, 6, 6)).astype(np.float32)
        y = rng.integers(0, 4, 4)
        for model, opt, lib, wrap in ((theirs, opt_t, torch, torch.from_numpy),
                                      (ours, opt_o, sc, sc.tensor)):
            opt.zero_grad()
            lib.nn.CrossEntropyLoss()(model(wrap(x)), wrap(y)).backward()
            opt.step()
        assert_same_state(theirs, ours, np.float32, step)
    theirs.eval(), ours.eval()
    x = rng.standard_normal((2, 2, 6, 6)).astype(np.float32)
    assert_close(ours(sc.tensor(x)), theirs(torch.from_numpy(x)), np.float32)


# --------------------------------------------------------------------- finite differences
@pytest.mark.parametrize("training", [True, False])
def test_gradcheck(training):
    rng = np.random.default_rng(6)
    x = sc.tensor(rng.standard_normal((3, 2, 2, 3)), requires_grad=True)
    w = sc.tensor(rng.uniform(0.5, 1.5, 2), requires_grad=True)
    b = sc.tensor(rng.standard_normal(2), requires_grad=True)
    mean, var = sc.tensor(rng.standard_normal(2)), sc.tensor(rng.uniform(0.5, 2, 2))
    assert sc.gradcheck(lambda x, w, b: F.batch_norm(
        x, None if training else mean, None if training else var, w, b, training=training),
        (x, w, b))
    # without weight and bias: the normalisation alone
    assert sc.gradcheck(lambda x: F.batch_norm(x, mean, var, training=training), (x,))


def test_module_gradcheck_in_training_mode():
    bn = nn.BatchNorm2d(2).double()
    x = sc.tensor(np.random.default_rng(7).standard_normal((2, 2, 3, 2)), requires_grad=True)
    assert sc.gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                        (x, bn.weight, bn.bias))


# --------------------------------------------------------------------- errors and shapes
def test_errors_name_the_layer_and_what_was_expected():
    bn = nn.BatchNorm2d(16)
    with pytest.raises(ShapeError, match=r"BatchNorm2d\(16.*expected input with 16 channels"
                                         r".*got 3 channels"):
        bn(sc.zeros(2, 3, 4, 4))
    with pytest.raises(ShapeError, match=r"BatchNorm2d\(16.*\(N, 16, H, W\).*got 3-D"):
        bn(sc.zeros(16, 4, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(sc.zeros(1, 16, 1, 1))
    assert int(bn.num_batches_tracked.item()) == 0      # a rejected batch is not counted
    bn.eval()
    assert bn(sc.zeros(1, 16, 1, 1)).shape == (1, 16, 1, 1)   # fine in eval mode
    with pytest.raises(DTypeError):
        bn(sc.zeros(2, 16, 2, 2, dtype=sc.float64))
    with pytest.raises(TypeError):
        bn(np.zeros((2, 16, 2, 2)))


def test_functional_errors():
    x = sc.randn(2, 3, 4, 4)
    with pytest.raises(ArgumentError, match="running_mean and running_var"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(ShapeError, match=r"running_mean of shape \(3,\).*got running_mean of "
                                         r"shape \(4,\)"):
        F.batch_norm(x, sc.zeros(4), sc.ones(3))
    with pytest.raises(ShapeError, match=r"weight of shape \(3,\)"):
        F.batch_norm(x, sc.zeros(3), sc.ones(3), weight=sc.ones(2))
    with pytest.raises(ShapeError, match="at least 2"):
        F.batch_norm(sc.randn(3), None, None, training=True)
    with pytest.raises(ArgumentError, match="momentum"):
        F.batch_norm(x, sc.zeros(3), sc.ones(3), training=True, momentum=None)
    with pytest.raises(ArgumentError, match="eps"):
        F.batch_norm(x, sc.zeros(3), sc.ones(3), eps=-1.0)
    with pytest.raises(ArgumentError, match="num_features"):
        nn.BatchNorm2d(0)
    with pytest.raises(TypeError):
        nn.BatchNorm2d(2.5)


def test_output_shape_and_buffers_follow_dtype():
    bn = nn.BatchNorm2d(8)
    assert bn.output_shape((5, 8, 7, 3)) == (5, 8, 7, 3)
    with pytest.raises(ShapeError, match=r"\(N, 8, H, W\)"):
        bn.output_shape((5, 4, 7, 3))
    assert nn.Sequential(nn.Conv2d(3, 8, 3), bn, nn.ReLU()).output_shape((1, 3, 9, 9)) == \
        (1, 8, 7, 7)
    bn.double()
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
    assert {n for n, _ in bn.named_buffers()} == {"running_mean", "running_var",
                                                  "num_batches_tracked"}


def test_running_stats_are_updated_in_place_under_no_grad():
    bn = nn.BatchNorm2d(2)
    mean_array = bn.running_mean.numpy()
    with sc.no_grad():
        bn(sc.randn(4, 2, 3, 3) + 5)
    assert mean_array is bn.running_mean.numpy()          # the same buffer, updated
    assert np.all(mean_array > 0.3)
