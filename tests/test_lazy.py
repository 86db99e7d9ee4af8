"""LazyLinear and LazyConv2d: the input size comes from the first call; the parameters
are materialized in place (an optimizer built before the first call still updates
them), initialized with PyTorch's bounds, and the layer becomes Linear / Conv2d.
Compared with torch's lazy layers after the same first call and optimizer steps."""

import numpy as np
import pytest
import torch

import scratchcnn as sc
from scratchcnn import nn, summary
from scratchcnn.errors import ShapeError

from conftest import assert_close, to_torch


def test_before_the_first_call_the_parameters_are_uninitialized():
    ours, theirs = nn.LazyLinear(3), torch.nn.LazyLinear(3)
    assert repr(ours) == repr(theirs) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    params = list(ours.parameters())
    assert len(params) == 2
    assert all(isinstance(p, nn.UninitializedParameter) for p in params)
    assert ours.has_uninitialized_params()
    conv = nn.LazyConv2d(4, 3, groups=2)
    assert conv.in_channels == 0
    assert all(isinstance(p, nn.UninitializedParameter) for p in conv.parameters())


def test_first_call_materializes_in_place_and_becomes_linear():
    layer = nn.LazyLinear(4)
    weight, bias = layer.weight, layer.bias
    y = layer(sc.randn(2, 7, 5))
    assert y.shape == (2, 7, 4)
    assert type(layer) is nn.Linear
    assert layer.in_features == 5
    assert layer.weight is weight and layer.bias is bias        # the same objects
    assert type(weight) is nn.Parameter and weight.shape == (4, 5)
    assert repr(layer) == "Linear(in_features=5, out_features=4, bias=True)"
    assert list(layer.state_dict()) == ["weight", "bias"]
    bound = 1 / np.sqrt(5)                                      # PyTorch's init
    assert 0.5 * bound < np.abs(weight.numpy()).max() <= bound
    assert np.abs(bias.numpy()).max() <= bound


@pytest.mark.parametrize("make_optimizer", [
    lambda lib, params: lib.optim.SGD(params, lr=0.1, momentum=0.9),
    lambda lib, params: lib.optim.Adam(params, lr=0.01),
])
def test_an_optimizer_built_before_the_first_call_trains_like_torch(make_optimizer):
    ours = nn.Sequential(nn.LazyConv2d(4, 3, padding=1, groups=2), nn.ReLU(), nn.Flatten(),
                         nn.LazyLinear(3)).double()
    theirs = torch.nn.Sequential(torch.nn.LazyConv2d(4, 3, padding=1, groups=2),
                                 torch.nn.ReLU(), torch.nn.Flatten(),
                                 torch.nn.LazyLinear(3)).double()
    our_opt = make_optimizer(sc, ours.parameters())
    their_opt = make_optimizer(torch, theirs.parameters())
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 5, 5))
    target = rng.integers(0, 3, 2)
    ours(sc.tensor(x))
    theirs(to_torch(x))                                 # both materialized now
    ours.load_state_dict(theirs.state_dict())           # same starting weights
    assert [type(m).__name__ for m in ours] == ["Conv2d", "ReLU", "Flatten", "Linear"]
    for _ in range(3):
        for model, opt, lib, inp, tgt in ((ours, our_opt, sc, sc.tensor(x), sc.tensor(target)),
                                          (theirs, their_opt, torch, to_torch(x),
                                           torch.from_numpy(target))):
            opt.zero_grad()
            lib.nn.functional.cross_entropy(model(inp), tgt).backward()
            opt.step()
    for key, value in theirs.state_dict().items():
        assert_close(ours.state_dict()[key], value)


def test_lazy_conv2d_reads_channels_and_checks_groups():
    layer = nn.LazyConv2d(6, (3, 2), stride=2, groups=3, bias=False)
    assert layer.output_shape((1, 9, 8, 8)) == (1, 6, 3, 4)    # known before the call
    y = layer(sc.zeros(9, 8, 8))                                 # unbatched works too
    assert y.shape == (6, 3, 4)
    assert type(layer) is nn.Conv2d and layer.in_channels == 9
    assert layer.weight.shape == (6, 3, 3, 2) and layer.bias is None
    with pytest.raises(ShapeError, match="not divisible by groups=3"):
        nn.LazyConv2d(6, 3, groups=3)(sc.zeros(1, 4, 5, 5))
    with pytest.raises(ShapeError, match="divisible by groups=2"):
        nn.LazyConv2d(6, 3, groups=2).output_shape((1, 3, 5, 5))


def test_summary_reports_the_materialized_type():
    model = nn.Sequential(nn.LazyConv2d(4, 3), nn.Flatten(), nn.LazyLinear(2))
    s = summary(model, (3, 6, 6))
    assert [row["type"] for row in s.rows] == ["Conv2d", "Flatten", "Linear"]
    assert s.total_params == 4 * 3 * 9 + 4 + 4 * 16 * 2 + 2


def test_loading_a_state_dict_materializes_with_its_shapes():
    source = nn.Conv2d(5, 4, 3)
    lazy = nn.LazyConv2d(4, 3)
    lazy.load_state_dict(source.state_dict())
    assert type(lazy) is nn.Conv2d and lazy.in_channels == 5
    np.testing.assert_array_equal(lazy.weight.numpy(), source.weight.numpy())
    linear = nn.LazyLinear(2)
    linear.load_state_dict(nn.Linear(7, 2).state_dict())
    assert type(linear) is nn.Linear and linear.in_features == 7


def test_float64_lazy_layer_matches_torch_after_copying_weights():
    ours, theirs = nn.LazyLinear(3, dtype=sc.float64), torch.nn.LazyLinear(3, dtype=torch.float64)
    x = np.random.default_rng(3).standard_normal((4, 6))
    ours(sc.tensor(x))
    theirs(to_torch(x))
    ours.load_state_dict(theirs.state_dict())
    assert ours.weight.dtype == np.float64
    assert_close(ours(sc.tensor(x)), theirs(to_torch(x)))
