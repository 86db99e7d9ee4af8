"""nn.Module behaviour compared with torch.nn: registration, traversal, hooks, state
dicts, modes, dtype conversion, containers, repr and weight initialisation."""

import collections
import math

import numpy as np
import pytest
import torch
import torch.nn as tnn

import scratchcnn as sc
from scratchcnn import nn
from scratchcnn.errors import StateDictError
from conftest import assert_close


# =========================================================================== model builders
def cnn(lib):
    """The same small CNN in either library (``lib`` is ``nn`` or ``torch.nn``)."""
    return lib.Sequential(
        lib.Conv2d(1, 4, 3, padding=1), lib.ReLU(), lib.MaxPool2d(2),
        lib.Conv2d(4, 6, 3), lib.ReLU(), lib.Flatten(), lib.Linear(6 * 2 * 2, 5))


def nested(lib, param_factory):
    """Custom modules nested three deep, a ModuleList, a bare Parameter, a shared layer."""

    class Block(lib.Module):
        def __init__(self):
            super().__init__()
            self.conv = lib.Conv2d(2, 3, 3)
            self.act = lib.ReLU()

        def forward(self, x):
            return self.act(self.conv(x))

    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.scale = lib.Parameter(param_factory())
            self.block = Block()
            self.layers = lib.ModuleList([lib.Linear(4, 4), lib.Linear(4, 2)])
            self.shared = self.layers[0]            # the same layer under two names
            self.head = lib.Sequential(lib.Flatten(), lib.Linear(3, 2))

        def forward(self, x):
            return x

    return Net()


def sc_nested():
    return nested(nn, lambda: sc.ones(1))


def torch_nested():
    return nested(tnn, lambda: torch.ones(1))


def copy_torch_weights(model, torch_model):
    model.load_state_dict({k: v.detach().numpy() for k, v in torch_model.state_dict().items()})
    return model


# =========================================================================== registration
class TestRegistration:
    def test_attributes_register_params_and_submodules(self):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.w = nn.Parameter(sc.zeros(3))
                self.fc = nn.Linear(3, 2)
                self.plain = sc.zeros(2)        # a Tensor, not a Parameter: not registered
                self.number = 5

        net = Net()
        assert list(net._parameters) == ["w"]
        assert list(net._modules) == ["fc"]
        assert [name for name, _ in net.named_parameters()] == ["w", "fc.weight", "fc.bias"]
        assert net.fc.weight.shape == (2, 3)
        assert net.number == 5

    def test_reassigning_replaces_registration(self):
        net = nn.Sequential(nn.Linear(2, 2))
        net.extra = nn.Linear(2, 3)
        assert "extra" in dict(net.named_children())
        net.extra = 3                                # no longer a module
        assert "extra" not in dict(net.named_children()) and net.extra == 3
        del net.extra
        with pytest.raises(AttributeError):
            net.extra

    def test_replacing_submodule_keeps_its_position_like_torch(self):
        ours, theirs = cnn(nn), cnn(tnn)
        ours[0].weight = nn.Parameter(sc.zeros(4, 1, 3, 3))
        theirs[0].weight = tnn.Parameter(torch.zeros(4, 1, 3, 3))
        ours.head = nn.Linear(5, 2)
        theirs.head = tnn.Linear(5, 2)
        setattr(ours, "3", nn.Conv2d(4, 6, 3, bias=False))
        setattr(theirs, "3", tnn.Conv2d(4, 6, 3, bias=False))
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]

    def test_parameter_defaults(self):
        p = nn.Parameter(sc.zeros(2))
        assert p.requires_grad and p.is_leaf and isinstance(p, sc.Tensor)
        assert not nn.Parameter(sc.zeros(2), requires_grad=False).requires_grad
        assert repr(p).startswith("Parameter containing:\n")

    def test_setattr_before_init_raises(self):
        class Bad(nn.Module):
            def __init__(self):
                self.fc = nn.Linear(1, 1)

        with pytest.raises(AttributeError) as info:
            Bad()
        assert "super().__init__()" in str(info.value)

    def test_missing_attribute(self):
        with pytest.raises(AttributeError):
            nn.Linear(2, 2).nope

    def test_register_parameter_none_and_bias_false(self):
        lin, tlin = nn.Linear(3, 2, bias=False), tnn.Linear(3, 2, bias=False)
        assert lin.bias is None
        assert [n for n, _ in lin.named_parameters()] == [n for n, _ in tlin.named_parameters()]
        assert list(lin.state_dict()) == list(tlin.state_dict())

    def test_register_buffer_in_state_dict_not_parameters(self):
        class WithBuffer(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 2)
                self.register_buffer("running", np.arange(3.0))

        m = WithBuffer()
        assert "running" in m.state_dict()
        assert "running" not in dict(m.named_parameters())
        np.testing.assert_array_equal(m.state_dict()["running"], np.arange(3.0))
        assert [n for n, _ in m.named_buffers()] == ["running"]


# =========================================================================== traversal
class TestTraversal:
    def test_named_parameters_match_torch_for_nested_model(self):
        ours, theirs = sc_nested(), torch_nested()
        names = [n for n, _ in ours.named_parameters()]
        assert names == [n for n, _ in theirs.named_parameters()]
        assert [p.shape for _, p in ours.named_parameters()] == \
            [tuple(p.shape) for _, p in theirs.named_parameters()]
        assert len(list(ours.parameters())) == len(list(theirs.parameters()))

    def test_shared_parameter_counted_once(self):
        net = sc_nested()
        params = list(net.parameters())
        assert len({id(p) for p in params}) == len(params)
        assert sum(p is net.layers[0].weight for p in params) == 1
        assert "shared.weight" not in dict(net.named_parameters())

    def test_tied_weights_counted_once_like_torch(self):
        def tied(lib):
            model = lib.Sequential(lib.Linear(3, 3), lib.ReLU(), lib.Linear(3, 3))
            model[2].weight = model[0].weight
            return model

        ours, theirs = tied(nn), tied(tnn)
        assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
        assert list(ours.state_dict()) == list(theirs.state_dict())

    def test_named_modules_and_modules_match_torch(self):
        ours, theirs = sc_nested(), torch_nested()
        assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
        assert [type(m).__name__ for m in ours.modules()] == \
            [type(m).__name__ for m in theirs.modules()]
        assert next(iter(ours.modules())) is ours

    def test_children_match_torch(self):
        ours, theirs = sc_nested(), torch_nested()
        assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
        assert [type(m).__name__ for m in ours.children()] == \
            [type(m).__name__ for m in theirs.children()]

    def test_parameters_recurse_false(self):
        net = sc_nested()
        assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]
        assert len(list(net.parameters(recurse=False))) == 1

    def test_cnn_parameter_names_match_torch(self):
        assert [n for n, _ in cnn(nn).named_parameters()] == \
            [n for n, _ in cnn(tnn).named_parameters()]


# =========================================================================== hooks
class TestForwardHooks:
    def test_hook_called_with_module_inputs_output(self):
        layer = nn.Linear(3, 2)
        calls = []
        handle = layer.register_forward_hook(lambda m, inputs, out: calls.append((m, inputs, out)))
        x = sc.randn(4, 3)
        y = layer(x)
        assert len(calls) == 1
        module, inputs, out = calls[0]
        assert module is layer
        assert isinstance(inputs, tuple) and len(inputs) == 1 and inputs[0] is x
        assert out is y

    def test_handle_remove(self):
        layer = nn.Linear(3, 2)
        calls = []
        handle = layer.register_forward_hook(lambda *args: calls.append(1))
        layer(sc.randn(1, 3))
        handle.remove()
        layer(sc.randn(1, 3))
        assert calls == [1]
        handle.remove()   # removing twice is harmless

    def test_returned_value_replaces_output(self):
        layer = nn.Linear(3, 2)
        layer.register_forward_hook(lambda m, i, out: out * 0 + 7)
        np.testing.assert_array_equal(layer(sc.randn(2, 3)).numpy(), np.full((2, 2), 7.0))

    def test_hook_in_nested_model_sees_intermediate(self):
        model = cnn(nn)
        seen = {}

        def record(module, inputs, out):
            seen["pool"] = out.shape

        model[2].register_forward_hook(record)
        model(sc.randn(2, 1, 8, 8))
        assert seen["pool"] == (2, 4, 4, 4)

    def test_forward_pre_hook_can_replace_input(self):
        layer = nn.Identity()
        handle = layer.register_forward_pre_hook(lambda m, inputs: (inputs[0] * 2,))
        np.testing.assert_array_equal(layer(sc.ones(2)).numpy(), [2.0, 2.0])
        handle.remove()
        np.testing.assert_array_equal(layer(sc.ones(2)).numpy(), [1.0, 1.0])

    def test_hooks_match_torch_order(self):
        order, torder = [], []
        ours, theirs = nn.Sequential(nn.ReLU(), nn.Tanh()), tnn.Sequential(tnn.ReLU(), tnn.Tanh())
        for model, log in ((ours, order), (theirs, torder)):
            for name, m in model.named_modules():
                m.register_forward_hook(lambda m, i, o, name=name, log=log: log.append(name))
        ours(sc.ones(2))
        theirs(torch.ones(2))
        assert order == torder


# =========================================================================== state_dict
class TestStateDict:
    def test_state_dict_names_and_shapes_match_torch(self):
        ours, theirs = cnn(nn).state_dict(), cnn(tnn).state_dict()
        assert isinstance(ours, collections.OrderedDict)
        assert list(ours) == list(theirs)
        assert [v.shape for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]
        assert all(isinstance(v, np.ndarray) for v in ours.values())

    def test_nested_state_dict_matches_torch_including_shared_module(self):
        ours, theirs = sc_nested().state_dict(), torch_nested().state_dict()
        assert list(ours) == list(theirs)
        assert [v.shape for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]

    def test_state_dict_is_a_copy(self):
        model = nn.Linear(2, 2)
        state = model.state_dict()
        state["weight"][...] = 100.0
        assert not (model.weight.numpy() == 100.0).any()

    def test_load_from_torch_numpy_gives_identical_outputs(self):
        ours, theirs = cnn(nn), cnn(tnn)
        result = copy_torch_weights(ours, theirs)
        assert result is ours
        x = np.random.default_rng(0).standard_normal((3, 1, 8, 8)).astype(np.float32)
        assert_close(ours(sc.tensor(x)), theirs(torch.tensor(x)), np.float32)
        for key, value in theirs.state_dict().items():
            np.testing.assert_array_equal(ours.state_dict()[key], value.numpy())

    def test_load_from_torch_tensors_directly(self):
        ours, theirs = cnn(nn), cnn(tnn)
        missing, unexpected = ours.load_state_dict(theirs.state_dict())
        assert missing == [] and unexpected == []
        x = np.random.default_rng(1).standard_normal((2, 1, 8, 8)).astype(np.float32)
        assert_close(ours(sc.tensor(x)), theirs(torch.tensor(x)), np.float32)

    def test_load_torch_state_with_shared_module(self):
        ours, theirs = sc_nested(), torch_nested()
        ours.load_state_dict(theirs.state_dict())
        np.testing.assert_array_equal(ours.shared.weight.numpy(),
                                      theirs.layers[0].weight.detach().numpy())

    def test_load_keeps_parameter_identity_and_dtype(self):
        model = nn.Linear(2, 2)
        weight = model.weight
        model.load_state_dict({"weight": np.ones((2, 2)), "bias": np.zeros(2)})  # float64 in
        assert model.weight is weight and weight.dtype == np.float32
        np.testing.assert_array_equal(weight.numpy(), np.ones((2, 2)))

    def test_loaded_arrays_are_copied(self):
        model = nn.Linear(2, 2)
        state = {"weight": np.ones((2, 2), np.float32), "bias": np.zeros(2, np.float32)}
        model.load_state_dict(state)
        state["weight"][...] = 5.0
        assert (model.weight.numpy() == 1.0).all()

    def test_round_trip_between_scratchcnn_models(self):
        a, b = cnn(nn), cnn(nn)
        b.load_state_dict(a.state_dict())
        x = sc.randn(2, 1, 8, 8)
        np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())

    def test_missing_keys_error_lists_names(self):
        model = cnn(nn)
        state = model.state_dict()
        del state["0.bias"], state["6.weight"]
        with pytest.raises(StateDictError) as info:
            model.load_state_dict(state)
        message = str(info.value)
        assert "missing" in message and "0.bias" in message and "6.weight" in message
        assert isinstance(info.value, RuntimeError)

    def test_unexpected_keys_error_lists_names(self):
        model = nn.Linear(2, 2)
        state = dict(model.state_dict(), extra=np.zeros(1), **{"other.w": np.zeros(2)})
        with pytest.raises(StateDictError) as info:
            model.load_state_dict(state)
        assert "unexpected" in str(info.value)
        assert "extra" in str(info.value) and "other.w" in str(info.value)

    def test_wrong_shape_error_lists_names_and_shapes(self):
        model = nn.Linear(3, 2)
        state = {"weight": np.zeros((3, 2)), "bias": np.zeros(4)}
        before = model.weight.numpy().copy()
        with pytest.raises(StateDictError) as info:
            model.load_state_dict(state)
        message = str(info.value)
        assert "weight" in message and "(3, 2)" in message and "(2, 3)" in message
        assert "bias" in message and "(4,)" in message and "(2,)" in message
        np.testing.assert_array_equal(model.weight.numpy(), before)   # nothing loaded

    def test_wrong_shape_raises_even_when_not_strict(self):
        with pytest.raises(StateDictError):
            nn.Linear(3, 2).load_state_dict({"weight": np.zeros((1, 1))}, strict=False)

    def test_strict_false_returns_missing_and_unexpected(self):
        ours, theirs = nn.Linear(3, 2), tnn.Linear(3, 2)
        state = {"weight": np.full((2, 3), 0.5, np.float32), "junk": np.zeros(1)}
        missing, unexpected = ours.load_state_dict(state, strict=False)
        result = theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()},
                                        strict=False)
        assert list(missing) == list(result.missing_keys) == ["bias"]
        assert list(unexpected) == list(result.unexpected_keys) == ["junk"]
        np.testing.assert_array_equal(ours.weight.numpy(), state["weight"])


# =========================================================================== modes, grads
class TestModesAndGrads:
    def test_train_eval_propagate(self):
        model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5), nn.ReLU()))
        assert all(m.training for m in model.modules())
        assert model.eval() is model
        assert not any(m.training for m in model.modules())
        model.train()
        assert all(m.training for m in model.modules())
        model.train(False)
        assert not any(m.training for m in model.modules())

    def test_dropout_behaviour_follows_mode(self):
        model = nn.Sequential(nn.Sequential(nn.Dropout(0.5)))
        x = sc.ones(1000)
        out = model(x).numpy()
        assert set(np.unique(out)) <= {0.0, 2.0}            # zeroed or scaled by 1/(1-p)
        assert 0.4 < (out == 0).mean() < 0.6
        model.eval()
        np.testing.assert_array_equal(model(x).numpy(), x.numpy())

    def test_zero_grad_set_to_none(self):
        model = nn.Linear(3, 2)
        model(sc.randn(4, 3)).sum().backward()
        assert model.weight.grad is not None
        model.zero_grad()
        assert model.weight.grad is None and model.bias.grad is None

    def test_zero_grad_set_to_zeros(self):
        model = nn.Linear(3, 2)
        model(sc.randn(4, 3)).sum().backward()
        model.zero_grad(set_to_none=False)
        for p in model.parameters():
            assert p.grad is not None and p.grad.shape == p.shape
            assert (p.grad.numpy() == 0).all()
        model(sc.ones(1, 3)).sum().backward()            # then accumulates from zero
        np.testing.assert_array_equal(model.bias.grad.numpy(), [1.0, 1.0])

    def test_gradients_match_torch(self):
        ours, theirs = cnn(nn), cnn(tnn)
        copy_torch_weights(ours, theirs)
        x = np.random.default_rng(2).standard_normal((2, 1, 8, 8)).astype(np.float32)
        ours(sc.tensor(x)).sum().backward()
        theirs(torch.tensor(x)).sum().backward()
        for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert name == tname
            assert_close(p.grad, tp.grad, np.float32)

    def test_requires_grad_false_freezes(self):
        model = nn.Linear(2, 2).requires_grad_(False)
        assert not any(p.requires_grad for p in model.parameters())
        assert not model(sc.ones(1, 2)).requires_grad


# =========================================================================== dtype conversion
class TestDtypeConversion:
    @pytest.mark.parametrize("convert", [lambda m: m.double(), lambda m: m.to(sc.float64),
                                         lambda m: m.to("cpu", sc.float64)])
    def test_double_matches_torch_double_tightly(self, convert):
        ours, theirs = cnn(nn), cnn(tnn)
        copy_torch_weights(ours, theirs)
        assert convert(ours) is ours
        theirs.double()
        assert all(p.dtype == np.float64 for p in ours.parameters())
        x = np.random.default_rng(3).standard_normal((2, 1, 8, 8))
        y, ty = ours(sc.tensor(x)), theirs(torch.tensor(x))
        assert y.dtype == np.float64
        assert_close(y, ty, np.float64)
        y.sum().backward()
        ty.sum().backward()
        for p, tp in zip(ours.parameters(), theirs.parameters()):
            assert p.grad.dtype == np.float64
            assert_close(p.grad, tp.grad, np.float64)

    def test_float_converts_back(self):
        model = nn.Linear(2, 2).double()
        param_ids = [id(p) for p in model.parameters()]
        model.float()
        assert all(p.dtype == np.float32 for p in model.parameters())
        assert [id(p) for p in model.parameters()] == param_ids   # same Parameter objects
        assert model(sc.ones(1, 2)).dtype == np.float32
        model.to(sc.float64)
        assert model(sc.ones(1, 2, dtype=sc.float64)).dtype == np.float64

    def test_conversion_keeps_requires_grad_and_converts_grads(self):
        model = nn.Linear(2, 2)
        model(sc.ones(1, 2)).sum().backward()
        model.double()
        assert all(p.requires_grad for p in model.parameters())
        assert model.weight.grad.dtype == np.float64

    def test_double_keeps_values(self):
        model = nn.Linear(3, 2)
        before = model.weight.numpy().copy()
        model.double()
        np.testing.assert_array_equal(model.weight.numpy(), before.astype(np.float64))


# =========================================================================== containers
class TestContainers:
    def test_sequential_index_len_iter(self):
        layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
        model = nn.Sequential(*layers)
        assert len(model) == 3
        assert model[0] is layers[0] and model[-1] is layers[2]
        assert list(model) == layers
        with pytest.raises(IndexError):
            model[3]

    def test_sequential_slice_is_sequential_sharing_modules(self):
        ours, theirs = cnn(nn), cnn(tnn)
        copy_torch_weights(ours, theirs)
        head = ours[3:]
        assert isinstance(head, nn.Sequential) and len(head) == len(theirs[3:])
        assert head[0] is ours[3]
        assert [n for n, _ in head.named_parameters()] == \
            [n for n, _ in theirs[3:].named_parameters()]
        x = np.random.default_rng(4).standard_normal((2, 4, 4, 4)).astype(np.float32)
        assert_close(head(sc.tensor(x)), theirs[3:](torch.tensor(x)), np.float32)

    def test_sequential_append(self):
        model = nn.Sequential(nn.Linear(2, 3))
        assert model.append(nn.ReLU()) is model
        assert len(model) == 2 and isinstance(model[1], nn.ReLU)
        assert [n for n, _ in model.named_children()] == ["0", "1"]

    def test_sequential_from_ordered_dict(self):
        spec = collections.OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())])
        tspec = collections.OrderedDict([("fc", tnn.Linear(2, 2)), ("act", tnn.ReLU())])
        model, tmodel = nn.Sequential(spec), tnn.Sequential(tspec)
        assert model.fc is spec["fc"]
        assert list(model.state_dict()) == list(tmodel.state_dict())

    def test_sequential_forward_composes(self):
        model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        x = sc.randn(4, 2)
        np.testing.assert_array_equal(model(x).numpy(), model[1](model[0](x)).numpy())

    def test_module_list(self):
        layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 3)])
        tlayers = tnn.ModuleList([tnn.Linear(2, 2), tnn.Linear(2, 3)])
        assert len(layers) == 2 and isinstance(layers[1], nn.Linear)
        layers.append(nn.Linear(3, 1))
        tlayers.append(tnn.Linear(3, 1))
        layers.extend([nn.ReLU()])
        tlayers.extend([tnn.ReLU()])
        assert [n for n, _ in layers.named_parameters()] == \
            [n for n, _ in tlayers.named_parameters()]
        assert [type(m).__name__ for m in layers] == [type(m).__name__ for m in tlayers]
        assert len(layers[1:3]) == 2 and isinstance(layers[1:3], nn.ModuleList)
        replacement = nn.Linear(2, 2)
        layers[0] = replacement
        assert layers[0] is replacement

    def test_module_list_in_model_registers_parameters(self):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = nn.ModuleList(nn.Linear(2, 2) for _ in range(3))

            def forward(self, x):
                for block in self.blocks:
                    x = block(x)
                return x

        net = Net()
        assert len(list(net.parameters())) == 6
        assert net(sc.ones(1, 2)).shape == (1, 2)

    def test_module_without_forward(self):
        with pytest.raises(TypeError):
            nn.Module()(sc.ones(1))


# =========================================================================== repr
class TestRepr:
    def test_sequential_repr_matches_torch(self):
        def build(lib):
            return lib.Sequential(lib.Conv2d(3, 8, 5, stride=2, padding=1), lib.ReLU(),
                                  lib.Conv2d(8, 8, 3, bias=False), lib.Flatten(),
                                  lib.Linear(10, 4), lib.Tanh(), lib.Linear(4, 2, bias=False))
        assert repr(build(nn)) == repr(build(tnn))

    def test_nested_custom_model_repr_matches_torch(self):
        assert repr(sc_nested()) == repr(torch_nested())

    def test_nested_indentation(self):
        text = repr(nn.Sequential(nn.Sequential(nn.Linear(1, 1))))
        assert text.splitlines() == [
            "Sequential(",
            "  (0): Sequential(",
            "    (0): Linear(in_features=1, out_features=1, bias=True)",
            "  )",
            ")",
        ]

    def test_leaf_repr(self):
        assert repr(nn.ReLU()) == "ReLU()"
        assert repr(nn.Linear(9216, 4096)) == repr(tnn.Linear(9216, 4096))
        assert "p=0.5" in repr(nn.Dropout(0.5))
        assert "kernel_size=(3, 3)" in repr(nn.MaxPool2d(3))


# =========================================================================== init
class TestInit:
    @pytest.mark.parametrize("shape", [(300, 400), (64, 32, 3, 3)])
    @pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
    def test_kaiming_uniform_bounds(self, shape, mode):
        w = sc.zeros(*shape)
        assert nn.init.kaiming_uniform_(w, mode=mode, nonlinearity="relu") is w
        fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        fan = fan_in if mode == "fan_in" else fan_out
        bound = torch.nn.init.calculate_gain("relu") * math.sqrt(3.0 / fan)
        values = w.numpy()
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.98 * bound          # fills the whole range
        assert abs(values.mean()) < 0.02 * bound
        assert abs(values.var() - bound ** 2 / 3) < 0.05 * bound ** 2 / 3

    def test_kaiming_uniform_default_leaky_relu_gain(self):
        w = sc.zeros(200, 500)
        nn.init.kaiming_uniform_(w, a=math.sqrt(5))
        bound = torch.nn.init.calculate_gain("leaky_relu", math.sqrt(5)) * math.sqrt(3 / 500)
        assert np.abs(w.numpy()).max() <= bound
        assert np.abs(w.numpy()).max() > 0.98 * bound

    @pytest.mark.parametrize("shape", [(300, 200), (16, 8, 5, 5)])
    @pytest.mark.parametrize("gain", [1.0, 2.0])
    def test_xavier_uniform_bounds(self, shape, gain):
        w = sc.zeros(*shape)
        nn.init.xavier_uniform_(w, gain=gain)
        fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
        assert np.abs(w.numpy()).max() <= bound
        assert np.abs(w.numpy()).max() > 0.98 * bound

    def test_normal_statistics(self):
        w = sc.zeros(400, 500)
        nn.init.normal_(w, mean=2.0, std=3.0)
        values = w.numpy()
        n = values.size
        assert abs(values.mean() - 2.0) < 5 * 3.0 / math.sqrt(n)
        assert abs(values.std() - 3.0) < 5 * 3.0 / math.sqrt(2 * n)

    @pytest.mark.parametrize("init,kwargs,std", [
        ("kaiming_normal_", dict(nonlinearity="relu"), lambda fi, fo: math.sqrt(2 / fi)),
        ("xavier_normal_", dict(), lambda fi, fo: math.sqrt(2 / (fi + fo)))])
    def test_normal_inits_std(self, init, kwargs, std):
        w = sc.zeros(300, 600)
        getattr(nn.init, init)(w, **kwargs)
        expected = std(600, 300)
        assert abs(w.numpy().std() - expected) < 0.02 * expected
        assert abs(w.numpy().mean()) < 0.02 * expected

    def test_constant_zeros_ones_uniform(self):
        w = sc.zeros(3, 4)
        nn.init.constant_(w, 2.5)
        assert (w.numpy() == 2.5).all()
        nn.init.ones_(w)
        assert (w.numpy() == 1).all()
        nn.init.zeros_(w)
        assert (w.numpy() == 0).all()
        nn.init.uniform_(w, -0.1, 0.3)
        assert w.numpy().min() >= -0.1 and w.numpy().max() <= 0.3

    def test_init_on_parameter_keeps_dtype_and_graph_free(self):
        layer = nn.Linear(5, 4)
        nn.init.normal_(layer.weight)
        assert layer.weight.dtype == np.float32 and layer.weight.is_leaf
        assert layer.weight.requires_grad

    @pytest.mark.parametrize("name,param", [("linear", None), ("relu", None), ("tanh", None),
                                            ("sigmoid", None), ("leaky_relu", None),
                                            ("leaky_relu", 0.2), ("conv2d", None)])
    def test_calculate_gain_matches_torch(self, name, param):
        assert math.isclose(nn.init.calculate_gain(name, param),
                            torch.nn.init.calculate_gain(name, param))

    def test_fan_in_fan_out_match_torch(self):
        for shape in [(5, 3), (8, 4, 3, 2), (2, 6, 5)]:
            assert nn.init.calculate_fan_in_and_fan_out(sc.zeros(*shape)) == \
                torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        with pytest.raises(ValueError):
            nn.init.calculate_fan_in_and_fan_out(sc.zeros(3))

    @pytest.mark.parametrize("fan_in,out", [(400, 300), (9, 2000)])
    def test_linear_default_init_bounds(self, fan_in, out):
        layer = nn.Linear(fan_in, out)
        bound = 1 / math.sqrt(fan_in)
        w, b = layer.weight.numpy(), layer.bias.numpy()
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
        assert np.abs(b).max() <= bound and np.abs(b).max() > 0.9 * bound
        assert abs(w.var() - bound ** 2 / 3) < 0.05 * bound ** 2 / 3
        assert w.dtype == np.float32 and b.dtype == np.float32

    def test_conv_default_init_bounds(self):
        layer = nn.Conv2d(16, 64, 3)
        bound = 1 / math.sqrt(16 * 3 * 3)
        w, b = layer.weight.numpy(), layer.bias.numpy()
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
        assert np.abs(b).max() <= bound

    def test_default_init_std_matches_torch_distribution(self):
        """Different generators, same distribution: compare standard deviations."""
        ours = nn.Linear(256, 512).weight.numpy()
        theirs = tnn.Linear(256, 512).weight.detach().numpy()
        assert abs(ours.std() - theirs.std()) < 0.03 * theirs.std()
