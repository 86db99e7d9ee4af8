"""The everyday nn.Module surface against PyTorch: apply, traversal, registration checks,
non-persistent buffers, get_submodule/get_parameter, zero_grad, train/eval, hooks with
kwargs, repr, state_dict arguments, load_state_dict's named tuple, all-or-nothing
validation and assign, containers (ModuleList, ModuleDict, Sequential, ParameterList)."""

import collections

import numpy as np
import pytest
import torch
from torch import nn as tnn

import scratchcnn as sc
from scratchcnn import nn
from scratchcnn.errors import DTypeError, StateDictError


def net(lib):
    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.features = lib.Sequential(lib.Conv2d(1, 2, 3), lib.ReLU())
            self.head = lib.ModuleList([lib.Linear(4, 3), lib.Linear(3, 2)])
            self.register_buffer("scale", (sc if lib is nn else torch).ones(2))
            self.register_buffer("cache", (sc if lib is nn else torch).zeros(3),
                                 persistent=False)

        def forward(self, x):
            return x
    return Net()


def names(pairs):
    return [name for name, _ in pairs]


def test_apply_visits_children_first_then_self_like_torch():
    seen = {}
    for lib in (nn, tnn):
        order = []
        model = net(lib)
        assert model.apply(lambda m: order.append(type(m).__name__)) is model
        seen[lib] = order
    assert seen[nn] == seen[tnn]


def test_traversal_matches_torch():
    ours, theirs = net(nn), net(tnn)
    assert names(ours.named_modules()) == names(theirs.named_modules())
    assert names(ours.named_children()) == names(theirs.named_children())
    assert names(ours.named_parameters(prefix="m")) == names(theirs.named_parameters(prefix="m"))
    assert names(ours.named_buffers()) == names(theirs.named_buffers()) == ["scale", "cache"]
    assert names(ours.named_parameters(recurse=False)) == []
    assert len(list(ours.buffers(recurse=False))) == 2
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "cache" not in ours.state_dict()


def test_shared_parameters_remove_duplicate_false_like_torch():
    for lib in (nn, tnn):
        a = lib.Linear(2, 2)
        model = lib.Sequential(a, a)
        assert names(model.named_parameters()) == ["0.weight", "0.bias"]
        assert names(model.named_parameters(remove_duplicate=False)) == [
            "0.weight", "0.bias", "1.weight", "1.bias"]
        assert names(model.named_modules(remove_duplicate=False)) == ["", "0", "1"]


def test_get_submodule_parameter_buffer():
    ours, theirs = net(nn), net(tnn)
    assert ours.get_submodule("head.1") is ours.head[1]
    assert ours.get_parameter("features.0.weight") is ours.features[0].weight
    assert ours.get_buffer("scale") is ours.scale
    assert ours.get_submodule("") is ours
    for model in (ours, theirs):
        with pytest.raises(AttributeError):
            model.get_submodule("head.7")
        with pytest.raises(AttributeError):
            model.get_parameter("features.0.nope")
        with pytest.raises(AttributeError):
            model.get_parameter("scale")


def test_registration_checks_like_torch():
    for lib, param in ((nn, nn.Parameter(sc.zeros(1))), (tnn, tnn.Parameter(torch.zeros(1)))):
        m = lib.Linear(1, 1)
        with pytest.raises(KeyError):
            m.register_parameter("a.b", param)
        with pytest.raises(KeyError):
            m.register_buffer("", None)
        with pytest.raises(KeyError):
            m.add_module("forward", lib.ReLU())   # an existing attribute
        with pytest.raises(TypeError):
            m.register_parameter("p", param * 1 if lib is tnn else sc.zeros(1))
        with pytest.raises(TypeError):
            m.add_module("child", 3)
        with pytest.raises(TypeError):
            m.register_buffer("b", 3)
        with pytest.raises(TypeError):
            m.weight = (sc if lib is nn else torch).zeros(1, 1)  # not a Parameter
        m.weight = None
        assert m.weight is None and "weight" not in dict(m.named_parameters())
        m.register_module("extra", lib.ReLU())
        assert "extra" in dict(m.named_children())


def test_parameter_from_tensor_array_list():
    p = nn.Parameter(sc.randn(3))
    assert p.requires_grad and p.dtype == np.float32 and p.is_leaf
    base = sc.zeros(2)
    shared = nn.Parameter(base)
    shared.data.fill_(4.0)
    assert base.numpy().tolist() == [4.0, 4.0]                 # shares memory, as torch
    assert nn.Parameter(np.ones(2)).dtype == np.float64
    assert nn.Parameter([1.0, 2.0]).dtype == np.float32
    assert nn.Parameter().shape == tuple(tnn.Parameter().shape) == (0,)


def test_zero_grad_and_modes():
    model = nn.Linear(2, 2)
    model(sc.ones(1, 2)).sum().backward()
    grad = model.weight.grad
    model.zero_grad(set_to_none=False)
    assert model.weight.grad is grad and (grad.numpy() == 0).all()   # zeroed in place
    model.zero_grad()
    assert model.weight.grad is None
    ours = net(nn).eval()
    assert not any(m.training for m in ours.modules())
    assert all(m.training for m in ours.train().modules())
    with pytest.raises(ValueError):
        ours.train("no")


def test_forward_hooks_with_kwargs_prepend_and_always_call():
    calls = {}
    for lib in (nn, tnn):
        class Scaled(lib.Module):
            def forward(self, x, scale=1.0):
                return x * scale

        m, log = Scaled(), []
        m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"scale": 3.0}),
                                    with_kwargs=True)
        m.register_forward_pre_hook(lambda mod, args: log.append("pre-first"), prepend=True)
        m.register_forward_hook(lambda mod, args, kwargs, out: (log.append(kwargs["scale"]),
                                                                out + 1)[1], with_kwargs=True)
        h = m.register_forward_hook(lambda mod, args, out: log.append("plain"))
        out = m((sc if lib is nn else torch).ones(2))
        calls[lib] = (log, out.tolist())
        h.remove()
    assert calls[nn] == calls[tnn] == (["pre-first", 3.0, "plain"], [4.0, 4.0])

    class Failing(nn.Module):
        def forward(self, x):
            raise ValueError("boom")
    f, seen = Failing(), []
    f.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        f(sc.ones(1))
    assert seen == [None]


def test_repr_matches_torch_including_modulelist_compression():
    def build(lib):
        return lib.Sequential(collections.OrderedDict(
            blocks=lib.ModuleList([lib.Linear(2, 2) for _ in range(3)] + [lib.ReLU()]),
            heads=lib.ModuleDict({"a": lib.Linear(2, 1), "b": lib.Identity()}),
            drop=lib.Dropout2d(0.1)))
    assert repr(build(nn)) == repr(build(tnn))

    class Multi(nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"
    assert repr(Multi()) == "Multi(\n  a=1\n  b=2\n)"


def test_state_dict_arguments():
    model = nn.Linear(2, 2)
    state = model.state_dict(prefix="lin.")
    assert list(state) == ["lin.weight", "lin.bias"]
    live = model.state_dict(keep_vars=True)
    assert live["weight"] is model.weight
    target = collections.OrderedDict(x=1)
    assert model.state_dict(destination=target) is target and list(target) == [
        "x", "weight", "bias"]
    assert isinstance(model.state_dict()["weight"], np.ndarray)   # a copy (see docs)


def test_load_state_dict_returns_named_tuple_like_torch():
    ours, theirs = nn.Linear(2, 2), tnn.Linear(2, 2)
    state = {"weight": np.ones((2, 2), np.float32), "extra": np.zeros(1)}
    result = ours.load_state_dict(state, strict=False)
    expected = theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()},
                                      strict=False)
    assert result.missing_keys == expected.missing_keys == ["bias"]
    assert result.unexpected_keys == expected.unexpected_keys == ["extra"]
    assert tuple(result) == (["bias"], ["extra"])


@pytest.mark.parametrize("bad", [np.array(["a", "b"]), np.ones(2, complex),
                                 np.array([object(), object()], dtype=object)])
def test_load_state_dict_refuses_non_numbers_and_changes_nothing(bad):
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    before = {k: v.copy() for k, v in model.state_dict().items()}
    state = dict(before, **{"0.weight": np.full((2, 2), 9.0), "1.bias": bad})
    with pytest.raises(DTypeError, match="1.bias"):
        model.load_state_dict(state)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_load_state_dict_late_wrong_shape_leaves_model_untouched():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    before = model[0].weight.numpy().copy()
    state = dict(model.state_dict(), **{"0.weight": np.full((2, 2), 9.0),
                                        "1.bias": np.zeros(5)})
    with pytest.raises(StateDictError, match="1.bias"):
        model.load_state_dict(state, strict=False)
    np.testing.assert_array_equal(model[0].weight.numpy(), before)


def test_load_copies_in_place_and_assign_replaces():
    model = nn.Linear(2, 2)
    weight = model.weight
    model.load_state_dict({"weight": np.full((2, 2), 2.0), "bias": np.zeros(2)})
    assert model.weight is weight and model.weight.dtype == np.float32
    new = np.full((2, 2), 3.0)      # float64: assign keeps the loaded dtype, as torch
    model.load_state_dict({"weight": new, "bias": np.zeros(2)}, assign=True)
    assert model.weight is not weight and isinstance(model.weight, nn.Parameter)
    assert model.weight.requires_grad and model.weight.dtype == np.float64
    new[0, 0] = 7.0
    assert model.weight.numpy()[0, 0] == 7.0     # shares the loaded array


def test_non_persistent_buffer_not_loaded_nor_expected():
    model = net(nn)
    state = model.state_dict()
    assert model.load_state_dict(state) == ([], [])


def test_module_list_api_like_torch():
    results = {}
    for lib in (nn, tnn):
        items = lib.ModuleList([lib.ReLU(), lib.Tanh()])
        items.append(lib.Sigmoid())
        items.extend([lib.Identity()])
        items.insert(1, lib.Linear(1, 1))
        items[-1] = lib.Softmax(dim=0)
        del items[0]
        items += [lib.ReLU()]
        popped = items.pop(0)
        results[lib] = ([type(m).__name__ for m in items], type(popped).__name__, len(items),
                        [type(m).__name__ for m in items[1:3]], type(items[1:3]).__name__,
                        list(items._modules))
    assert results[nn] == results[tnn]
    with pytest.raises(IndexError):
        nn.ModuleList([nn.ReLU()])[3]


def test_module_dict_and_sequential_api_like_torch():
    results = {}
    for lib in (nn, tnn):
        d = lib.ModuleDict({"a": lib.ReLU()})
        d["b"] = lib.Tanh()
        d.update([("c", lib.Sigmoid())])
        popped = d.pop("a")
        seq = lib.Sequential(collections.OrderedDict(x=lib.ReLU(), y=lib.Tanh(), z=lib.Sigmoid()))
        part = seq[1:]
        seq = lib.Sequential(lib.ReLU(), lib.Tanh())
        seq.append(lib.Identity())
        seq.insert(0, lib.Identity())
        del seq[1]
        seq.extend([lib.Sigmoid()])
        results[lib] = (list(d.keys()), "b" in d, len(d), type(popped).__name__,
                        type(part).__name__, list(part._modules), list(seq._modules),
                        [type(m).__name__ for m in seq], len(seq))
    assert results[nn] == results[tnn]


def test_parameter_list_and_dict_register_parameters():
    plist = nn.ParameterList([nn.Parameter(sc.zeros(2)), np.ones(3)])
    plist.append(sc.ones(1))
    assert [p.shape for p in plist] == [(2,), (3,), (1,)]
    assert names(plist.named_parameters()) == ["0", "1", "2"]
    pdict = nn.ParameterDict({"w": sc.ones(2)})
    pdict["b"] = nn.Parameter(sc.zeros(1))
    assert list(pdict.keys()) == ["w", "b"] and isinstance(pdict["w"], nn.Parameter)
    assert list(nn.Sequential(nn.Linear(1, 1)).state_dict()) == ["0.weight", "0.bias"]
