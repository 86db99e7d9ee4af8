"""The 1-d layers, adaptive max pooling, batch norm 1d/3d, instance norm, PReLU, Threshold,
Softmax2d, Unflatten, softmax's implicit dim and the ``x.new_*`` factory methods, all
against PyTorch: outputs, input and parameter gradients, running statistics, reprs and
state_dict keys."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given, strategies as st

import scratchcnn as sc
import scratchcnn.nn.functional as F
from scratchcnn import nn
from scratchcnn.errors import ArgumentError, ShapeError

from conftest import assert_close, to_torch
from test_functional_extra import check_against_torch

DTYPES = st.sampled_from([np.float64, np.float32])
SEEDS = st.integers(0, 2**16)


def random(shape, dtype, seed, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def copy_state(ours, theirs):
    """Load ``theirs``'s state_dict (random affine parameters first) into ``ours``."""
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(-1.5, 1.5)
    ours.load_state_dict({k: sc.tensor(v.numpy()) for k, v in theirs.state_dict().items()})


def check_module(ours, theirs, x, dtype, seed=0, steps=1):
    """Forward ``steps`` times, backward once; compare output, input and parameter
    gradients, and every buffer, with PyTorch's module."""
    xs, xt = sc.tensor(x, requires_grad=True), to_torch(x, True)
    for _ in range(steps):
        ys, yt = ours(xs), theirs(xt)
    assert ys.shape == tuple(yt.shape) and ys.dtype == dtype
    assert_close(ys, yt, dtype)
    g = random(ys.shape, dtype, seed + 1)
    ys.backward(sc.tensor(g))
    yt.backward(torch.from_numpy(g))
    assert_close(xs.grad, xt.grad, dtype)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert p.grad is not None, name
        assert_close(p.grad, q.grad, dtype)
    for (name, b), (_, c) in zip(ours.named_buffers(), theirs.named_buffers()):
        np.testing.assert_allclose(b.numpy(), c.numpy(), rtol=1e-6 if dtype == np.float32
                                   else 1e-12, atol=1e-7 if dtype == np.float32 else 1e-12)


# --------------------------------------------------------------------- reprs and state dicts
MODULES = [
    ("BatchNorm1d", (3,), {}), ("BatchNorm1d", (4,), dict(affine=False, momentum=None)),
    ("BatchNorm3d", (2,), dict(track_running_stats=False)),
    ("InstanceNorm1d", (3,), {}), ("InstanceNorm2d", (3,), {}),
    ("InstanceNorm2d", (3,), dict(affine=True, track_running_stats=True)),
    ("InstanceNorm3d", (2,), dict(affine=True)),
    ("Conv1d", (3, 8, 3), {}),
    ("Conv1d", (4, 8, 3), dict(stride=2, padding=1, dilation=2, groups=2, bias=False,
                               padding_mode="reflect")),
    ("Conv1d", (3, 8, 4), dict(padding="same")), ("Conv1d", (3, 8, 4), dict(padding="valid")),
    ("MaxPool1d", (2,), {}), ("MaxPool1d", (3, 2, 1, 2), dict(ceil_mode=True)),
    ("AvgPool1d", (3,), {}), ("AvgPool1d", (3, 2, 1), dict(count_include_pad=False)),
    ("AdaptiveAvgPool1d", (5,), {}), ("AdaptiveMaxPool1d", (3,), {}),
    ("AdaptiveMaxPool2d", ((5, None),), {}), ("AdaptiveMaxPool2d", (3,), {}),
    ("PReLU", (), {}), ("PReLU", (3,), dict(init=0.1)), ("Softmax2d", (), {}),
    ("Threshold", (0.1, 20), {}), ("Threshold", (0.5, -1.0), dict(inplace=True)),
    ("Unflatten", (1, (2, 3)), {}), ("Softmax", (), {}), ("LogSoftmax", (), {}),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES)
def test_repr_and_state_dict_keys_match_torch(name, args, kwargs):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert ours.state_dict()[key].shape == tuple(value.shape)
        if name != "Conv1d":                           # the initial values where fixed
            assert_close(ours.state_dict()[key], value)


# --------------------------------------------------------------------- conv1d
@st.composite
def conv1d_cases(draw):
    groups = draw(st.integers(1, 3))
    cin, cout = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    k, d = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    padding = draw(st.one_of(st.integers(0, 3), st.sampled_from(["same", "valid"])))
    stride = 1 if padding == "same" else draw(st.integers(1, 3))
    length = draw(st.integers(1, 12))
    pad_total = d * (k - 1) if padding == "same" else 0 if padding == "valid" else 2 * padding
    assume(d * (k - 1) + 1 <= length + pad_total)
    n = draw(st.sampled_from([None, 1, 3]))       # None: the unbatched (C, L) input
    shape = (cin, length) if n is None else (n, cin, length)
    return shape, (cout, cin // groups, k), draw(st.booleans()), dict(
        stride=stride, padding=padding, dilation=d, groups=groups)


@pytest.mark.filterwarnings("ignore:Using padding='same'")      # PyTorch's performance note
@given(case=conv1d_cases(), dtype=DTYPES, seed=SEEDS)
def test_conv1d_matches_torch(case, dtype, seed):
    shape, weight_shape, bias, kwargs = case
    arrays = [random(shape, dtype, seed), random(weight_shape, dtype, seed + 1)]
    if bias:
        arrays.append(random(weight_shape[:1], dtype, seed + 2))
    check_against_torch(lambda *a: F.conv1d(*a, **kwargs), lambda *a: TF.conv1d(*a, **kwargs),
                        arrays, dtype, seed)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, 2, "same"])
def test_conv1d_module_with_padding_modes_matches_torch(mode, padding):
    kwargs = dict(padding=padding, padding_mode=mode, dilation=2 if padding == 2 else 1)
    ours = nn.Conv1d(4, 6, 3, **kwargs).double()
    theirs = torch.nn.Conv1d(4, 6, 3, **kwargs).double()
    copy_state(ours, theirs)
    x = random((2, 4, 9), np.float64, 3)
    check_module(ours, theirs, x, np.float64)
    assert ours.output_shape(x.shape) == tuple(theirs(torch.from_numpy(x)).shape)


def test_conv1d_default_init_is_pytorchs_distribution():
    weight = nn.Conv1d(8, 64, 5).weight.numpy()
    bound = 1 / np.sqrt(8 * 5)                 # kaiming_uniform(a=sqrt(5)) on fan_in = 40
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound
    assert weight.dtype == np.float32


# --------------------------------------------------------------------- 1-d pooling
@st.composite
def pool1d_cases(draw, dilated):
    k = draw(st.integers(1, 4))
    d = draw(st.integers(1, 3)) if dilated else 1
    p = draw(st.integers(0, k // 2))
    s = draw(st.integers(1, 4))
    length = draw(st.integers(1, 14))
    assume(d * (k - 1) + 1 <= length + 2 * p)
    ceil_mode = draw(st.booleans())
    # PyTorch's kernel corrupts memory when a dilated window holds only padding
    # (k=2, d=2, p=1, L=1): such degenerate windows are left out.
    span = length + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    assume(all(any(0 <= j * s - p + u * d < length for u in range(k)) for j in range(out)))
    n = draw(st.sampled_from([None, 2]))
    shape = (3, length) if n is None else (n, 3, length)
    return shape, dict(kernel_size=k, stride=s, padding=p, ceil_mode=ceil_mode,
                       **(dict(dilation=d) if dilated else {}))


@given(case=pool1d_cases(dilated=True), dtype=DTYPES, seed=SEEDS)
def test_max_pool1d_matches_torch_with_indices(case, dtype, seed):
    shape, kwargs = case
    check_against_torch(lambda x: F.max_pool1d(x, **kwargs), lambda x: TF.max_pool1d(x, **kwargs),
                        [random(shape, dtype, seed)], dtype, seed)
    x = random(shape, dtype, seed)
    ours = F.max_pool1d(sc.tensor(x), **kwargs, return_indices=True)
    theirs = TF.max_pool1d(torch.from_numpy(x), **kwargs, return_indices=True)
    assert ours[1].dtype == np.int64
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


def test_max_pool1d_ties_take_the_first_maximum_like_torch():
    x = np.array([[[1., 3., 3., 0., 3., 3., 2.]]])
    ours = F.max_pool1d(sc.tensor(x), 3, 2, 1, return_indices=True)
    theirs = TF.max_pool1d(torch.from_numpy(x), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


@given(case=pool1d_cases(dilated=False), include=st.booleans(), dtype=DTYPES, seed=SEEDS)
def test_avg_pool1d_matches_torch(case, include, dtype, seed):
    shape, kwargs = case
    kwargs = dict(kwargs, count_include_pad=include)
    check_against_torch(lambda x: F.avg_pool1d(x, **kwargs), lambda x: TF.avg_pool1d(x, **kwargs),
                        [random(shape, dtype, seed)], dtype, seed)


@given(n=st.sampled_from([None, 2]), length=st.integers(1, 17), out=st.integers(1, 9),
       dtype=DTYPES, seed=SEEDS)
def test_adaptive_pool1d_match_torch(n, length, out, dtype, seed):
    shape = (3, length) if n is None else (n, 3, length)
    arrays = [random(shape, dtype, seed)]
    check_against_torch(lambda x: F.adaptive_avg_pool1d(x, out),
                        lambda x: TF.adaptive_avg_pool1d(x, out), arrays, dtype, seed)
    check_against_torch(lambda x: F.adaptive_max_pool1d(x, out),
                        lambda x: TF.adaptive_max_pool1d(x, out), arrays, dtype, seed)
    ours = F.adaptive_max_pool1d(sc.tensor(arrays[0]), out, return_indices=True)[1]
    theirs = TF.adaptive_max_pool1d(torch.from_numpy(arrays[0]), out, return_indices=True)[1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name, args, kwargs, shape", [
    ("MaxPool1d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 10)),
    ("AvgPool1d", (4,), dict(stride=3, padding=2, ceil_mode=True, count_include_pad=False),
     (2, 3, 11)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 10)), ("AdaptiveMaxPool1d", (4,), {}, (3, 10)),
    ("AdaptiveMaxPool2d", ((3, None),), {}, (2, 3, 7, 5)),
])
def test_pool_modules_match_torch(name, args, kwargs, shape):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    check_module(ours, theirs, random(shape, np.float64, 0), np.float64)
    assert ours.output_shape(shape) == tuple(theirs(torch.zeros(shape)).shape)


# --------------------------------------------------------------------- adaptive max pool 2d
@given(n=st.sampled_from([None, 1, 2]), h=st.integers(1, 13), w=st.integers(1, 13),
       oh=st.one_of(st.none(), st.integers(1, 8)), ow=st.integers(1, 8), dtype=DTYPES,
       seed=SEEDS)
def test_adaptive_max_pool2d_matches_torch(n, h, w, oh, ow, dtype, seed):
    shape = (3, h, w) if n is None else (n, 3, h, w)
    x = random(shape, dtype, seed)
    check_against_torch(lambda t: F.adaptive_max_pool2d(t, (oh, ow)),
                        lambda t: TF.adaptive_max_pool2d(t, (oh, ow)), [x], dtype, seed)
    ours = F.adaptive_max_pool2d(sc.tensor(x), (oh, ow), return_indices=True)
    theirs = TF.adaptive_max_pool2d(torch.from_numpy(x), (oh, ow), return_indices=True)
    assert ours[1].dtype == np.int64
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


def test_adaptive_max_pool2d_ties_and_overlapping_bins_route_gradients_like_torch():
    # Small integers: many ties, and 5 -> 3 bins overlap, so an input can win two bins.
    x = np.random.default_rng(1).integers(0, 3, (2, 2, 5, 7)).astype(np.float64)
    check_against_torch(lambda t: F.adaptive_max_pool2d(t, (3, 4)),
                        lambda t: TF.adaptive_max_pool2d(t, (3, 4)), [x], np.float64)
    ours = F.adaptive_max_pool2d(sc.tensor(x), (3, 4), return_indices=True)[1]
    theirs = TF.adaptive_max_pool2d(torch.from_numpy(x), (3, 4), return_indices=True)[1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_adaptive_max_pool2d_gradcheck():
    x = sc.tensor(random((1, 2, 5, 6), np.float64, 4), requires_grad=True)
    assert sc.gradcheck(lambda t: F.adaptive_max_pool2d(t, (3, 4)), (x,))


# --------------------------------------------------------------------- batch norm 1d / 3d
@pytest.mark.parametrize("kwargs", [{}, dict(affine=False), dict(momentum=None),
                                    dict(track_running_stats=False), dict(bias=False)])
@pytest.mark.parametrize("name, shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)),
                                         ("BatchNorm3d", (2, 3, 3, 2, 4))])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batch_norm_1d_3d_match_torch_in_train_and_eval(name, shape, kwargs, dtype):
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    ours = getattr(nn, name)(3, dtype=dtype, **kwargs)
    theirs = getattr(torch.nn, name)(3, dtype=torch_dtype, **kwargs)
    copy_state(ours, theirs)
    for seed in range(3):                     # the running statistics after 3 batches
        check_module(ours, theirs, random(shape, dtype, seed, 2.0) + 1, dtype, seed)
    ours.eval(), theirs.eval()
    check_module(ours, theirs, random(shape, dtype, 9), dtype, 9)


def test_batch_norm1d_rejects_wrong_inputs():
    with pytest.raises(ShapeError, match=r"BatchNorm1d\(3.*\(N, 3\) or \(N, 3, L\).*4-D"):
        nn.BatchNorm1d(3)(sc.zeros(2, 3, 4, 4))
    with pytest.raises(ShapeError, match="3 channels"):
        nn.BatchNorm1d(3)(sc.zeros(2, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(sc.zeros(1, 3))
    with pytest.raises(ShapeError, match=r"\(N, 3, D, H, W\)"):
        nn.BatchNorm3d(3)(sc.zeros(2, 3, 4, 4))


# --------------------------------------------------------------------- instance norm
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("track", [False, True])
@pytest.mark.parametrize("name, shape", [("InstanceNorm1d", (3, 4, 6)),
                                         ("InstanceNorm2d", (2, 4, 5, 3)),
                                         ("InstanceNorm2d", (4, 5, 3)),       # unbatched
                                         ("InstanceNorm3d", (2, 4, 2, 3, 3))])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_instance_norm_matches_torch_in_train_and_eval(name, shape, affine, track, dtype):
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    kwargs = dict(affine=affine, track_running_stats=track, momentum=0.3)
    ours = getattr(nn, name)(4, dtype=dtype, **kwargs)
    theirs = getattr(torch.nn, name)(4, dtype=torch_dtype, **kwargs)
    copy_state(ours, theirs)
    for seed in range(2):
        check_module(ours, theirs, random(shape, dtype, seed, 3.0) - 1, dtype, seed)
    ours.eval(), theirs.eval()
    check_module(ours, theirs, random(shape, dtype, 7), dtype, 7)


@given(n=st.integers(1, 3), c=st.integers(1, 3), spatial=st.lists(st.integers(1, 4), min_size=1,
       max_size=2).map(tuple), affine=st.booleans(), dtype=DTYPES, seed=SEEDS)
def test_functional_instance_norm_matches_torch(n, c, spatial, affine, dtype, seed):
    assume(np.prod(spatial) > 1)
    arrays = [random((n, c) + spatial, dtype, seed)]
    if affine:
        arrays += [random((c,), dtype, seed + 1), random((c,), dtype, seed + 2)]

    def run(functional, *a):
        return functional(a[0], weight=a[1] if affine else None, bias=a[2] if affine else None,
                          eps=1e-3)
    check_against_torch(lambda *a: run(F.instance_norm, *a),
                        lambda *a: run(TF.instance_norm, *a), arrays, dtype, seed)


def test_functional_instance_norm_updates_and_uses_running_stats_like_torch():
    x = random((3, 2, 4, 4), np.float64, 0) * 2 + 1
    stats = [np.zeros(2), np.ones(2)]
    ours, theirs = [sc.tensor(s.copy()) for s in stats], [torch.tensor(s.copy()) for s in stats]
    assert_close(F.instance_norm(sc.tensor(x), *ours, momentum=0.2),
                 TF.instance_norm(torch.from_numpy(x), *theirs, momentum=0.2))
    for a, b in zip(ours, theirs):
        assert_close(a, b)
    assert_close(F.instance_norm(sc.tensor(x), *ours, use_input_stats=False),
                 TF.instance_norm(torch.from_numpy(x), *theirs, use_input_stats=False))


def test_instance_norm_errors_and_warning():
    with pytest.raises(ShapeError, match="more than 1 spatial element"):
        F.instance_norm(sc.zeros(2, 3, 1, 1))
    with pytest.raises(ShapeError, match=r"InstanceNorm2d\(3.*3-D or 4-D"):
        nn.InstanceNorm2d(3)(sc.zeros(2, 3))
    with pytest.raises(ShapeError, match="3 channels"):
        nn.InstanceNorm2d(3, affine=True)(sc.zeros(2, 4, 3, 3))
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm2d(3)(sc.zeros(2, 4, 3, 3))
    with pytest.raises(ArgumentError, match="running_mean and running_var"):
        F.instance_norm(sc.zeros(2, 3, 4), use_input_stats=False)


# --------------------------------------------------------------------- activations
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple),
       per_channel=st.booleans(), dtype=DTYPES, seed=SEEDS)
def test_prelu_matches_torch(shape, per_channel, dtype, seed):
    x = random(shape, dtype, seed)
    x.flat[::3] = 0                            # the kink: PyTorch uses the slope there
    weight = random((shape[1] if per_channel else 1,), dtype, seed + 1)
    check_against_torch(F.prelu, TF.prelu, [x, weight], dtype, seed)


def test_prelu_module_learns_its_weight_like_torch():
    ours, theirs = nn.PReLU(3).double(), torch.nn.PReLU(3).double()
    copy_state(ours, theirs)
    check_module(ours, theirs, random((2, 3, 4, 4), np.float64, 0), np.float64)
    one, torch_one = nn.PReLU(), torch.nn.PReLU()
    check_module(one, torch_one, random((5,), np.float32, 1), np.float32)
    with pytest.raises(ShapeError, match="3 channels"):
        nn.PReLU(3)(sc.zeros(2, 4))


@pytest.mark.parametrize("inplace", [False, True])
def test_threshold_matches_torch(inplace):
    x = random((3, 5), np.float64, 0)
    x[0, 0] = 0.1                              # exactly at the threshold: replaced
    ours, theirs = sc.tensor(x), torch.from_numpy(x.copy())
    assert_close(F.threshold(ours, 0.1, 20.0, inplace), TF.threshold(theirs, 0.1, 20.0, inplace))
    assert_close(ours, theirs)                 # in place: the input was overwritten too
    check_against_torch(lambda t: F.threshold(t, 0.1, -2.0), lambda t: TF.threshold(t, 0.1, -2.0),
                        [x], np.float64)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 4, 5)])
def test_softmax2d_matches_torch(shape):
    check_module(nn.Softmax2d(), torch.nn.Softmax2d(), random(shape, np.float64, 0), np.float64)
    with pytest.raises(ShapeError, match="Softmax2d"):
        nn.Softmax2d()(sc.zeros(2, 3))


def test_unflatten_matches_torch():
    check_module(nn.Unflatten(1, (2, -1, 3)), torch.nn.Unflatten(1, (2, -1, 3)),
                 random((4, 12, 5), np.float64, 0), np.float64)
    check_module(nn.Unflatten(-1, [2, 2]), torch.nn.Unflatten(-1, [2, 2]),
                 random((3, 4), np.float64, 1), np.float64)


# --------------------------------------------------------------------- implicit softmax dim
@pytest.mark.parametrize("ndim", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_without_dim_picks_torchs_dim_and_warns_at_the_caller(ndim, name):
    x = random((3, 4, 2, 5)[:ndim], np.float64, ndim)
    with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name}") as record:
        ours = getattr(F, name)(sc.tensor(x))
    assert record[0].filename == __file__       # points at this line, as PyTorch's does
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(TF, name)(torch.tensor(x))
    assert_close(ours, theirs)


@pytest.mark.parametrize("ours, theirs", [(nn.Softmax, torch.nn.Softmax),
                                          (nn.LogSoftmax, torch.nn.LogSoftmax)])
@pytest.mark.parametrize("shape", [(5,), (2, 5), (3, 2, 5)])
def test_softmax_modules_without_dim_match_torch(ours, theirs, shape):
    x = random(shape, np.float32, 0)
    with pytest.warns(UserWarning, match="Implicit dimension choice") as record:
        result = ours()(sc.tensor(x))
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_close(result, theirs()(torch.from_numpy(x)), np.float32)


def test_softmax_dtype_argument_casts_first_like_torch():
    x = np.arange(6).reshape(2, 3)
    ours = F.softmax(sc.tensor(x), dim=1, dtype=sc.float64)
    assert ours.dtype == np.float64
    assert_close(ours, TF.softmax(torch.from_numpy(x), dim=1, dtype=torch.float64))
    assert F.log_softmax(sc.randn(2, 3), 1, dtype=sc.float64).dtype == np.float64


# --------------------------------------------------------------------- argument errors
def test_one_d_layers_reject_bad_arguments_clearly():
    with pytest.raises(ShapeError, match=r"conv1d\(\).*\(N, C_in, L\)"):
        F.conv1d(sc.zeros(2, 3, 4, 5), sc.zeros(4, 3, 3))
    with pytest.raises(ShapeError, match="expects input with 6 channels"):
        F.conv1d(sc.zeros(2, 3, 8), sc.zeros(4, 3, 3), groups=2)
    with pytest.raises(ArgumentError, match="same"):
        nn.Conv1d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ArgumentError, match="padding_mode"):
        nn.Conv1d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ArgumentError, match="half"):
        F.max_pool1d(sc.zeros(1, 2, 8), 2, padding=2)
    with pytest.raises(ShapeError, match="larger than the padded input"):
        F.avg_pool1d(sc.zeros(1, 2, 2), 4)
    with pytest.raises(ArgumentError, match="output_size"):
        nn.AdaptiveMaxPool2d((2, 3, 4))
    with pytest.raises(ArgumentError, match="num_parameters"):
        nn.PReLU(0)


# --------------------------------------------------------------------- x.new_* methods
@pytest.mark.parametrize("dtype", [sc.float64, sc.float32, sc.int64])
def test_new_factory_methods_take_the_tensors_dtype_like_torch(dtype):
    torch_dtype = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32,
                   np.dtype(np.int64): torch.int64}[dtype]
    x, t = sc.zeros(2, dtype=dtype), torch.zeros(2, dtype=torch_dtype)
    cases = [("new_zeros", (2, 3), {}), ("new_zeros", ((2, 3),), {}), ("new_ones", (4,), {}),
             ("new_full", ((2, 2), 7), {}), ("new_tensor", ([[1, 2], [3, 4]],), {}),
             ("new_tensor", ([1.5, 2.5],), {}), ("new_ones", (3,), dict(dtype=sc.float64))]
    for name, args, kwargs in cases:
        theirs = getattr(t, name)(*args, **{k: torch.float64 for k in kwargs})
        ours = getattr(x, name)(*args, **kwargs)
        assert ours.dtype == np.dtype(str(theirs.dtype).replace("torch.", "")), name
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert x.new_empty(3, 4).shape == (3, 4) and x.new_empty((0,)).dtype == dtype


def test_new_tensor_copies_and_requires_grad():
    x = sc.zeros(2)
    source = np.array([1.0, 2.0])
    y = x.new_tensor(source, requires_grad=True)
    source[0] = 9
    assert y.tolist() == [1.0, 2.0] and y.requires_grad and y.is_leaf
    z = x.new_tensor(sc.tensor([3.0, 4.0], requires_grad=True))
    assert not z.requires_grad and z.tolist() == [3.0, 4.0]
    with pytest.raises(sc.errors.DeviceError):
        x.new_zeros(2, device="cuda")
    with pytest.raises(ShapeError):
        x.new_ones(-1)
