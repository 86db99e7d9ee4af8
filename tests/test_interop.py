"""``interop.to_torch`` / ``from_torch``: every zoo model (and any model of supported
layers) becomes an equivalent torch.nn.Module and back, with identical outputs and
gradients, weights and train/eval mode."""

import collections
import warnings

import numpy as np
import pytest
import torch

import scratchcnn as sc
from scratchcnn import interop, models, nn
from scratchcnn.errors import ArgumentError

from test_alexnet_guide import GUIDE_ALEXNET_SOURCE, load_alexnet_class

TOL = dict(rtol=1e-4, atol=1e-5)


def batch_for(name):
    return 2 if name.startswith("alexnet") else 3


def inputs(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def forward_backward_ours(model, x, y):
    out = model(sc.tensor(x))
    loss = sc.nn.CrossEntropyLoss()(out, sc.tensor(y))
    loss.backward()
    return out.numpy(), loss.item(), {n: p.grad.numpy() for n, p in model.named_parameters()}


def forward_backward_torch(model, x, y):
    # PyTorch's oneDNN convolution backward loses precision in float32 on some CPUs (the
    # first AlexNet layers' weight gradients come out ~2% off the float64 values, where
    # scratchcnn's are within 1e-6): the reference runs on PyTorch's native kernels.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with torch.backends.mkldnn.flags(enabled=False):
            out = model(torch.from_numpy(x))
            loss = torch.nn.functional.cross_entropy(out, torch.from_numpy(y))
            loss.backward()
    return (out.detach().numpy(), loss.item(),
            {n: p.grad.numpy() for n, p in model.named_parameters()})


def assert_same_run(ours, theirs):
    out, loss, grads = ours
    t_out, t_loss, t_grads = theirs
    np.testing.assert_allclose(out, t_out, **TOL)
    assert loss == pytest.approx(t_loss, rel=1e-5)
    assert list(grads) == list(t_grads)
    # float32: compare each gradient relative to its own size, with a floor for those
    # that are zero up to rounding (a conv bias followed by BatchNorm)
    overall = max(float(np.abs(g).max()) for g in t_grads.values())
    for name in grads:
        scale = float(np.abs(t_grads[name]).max())
        np.testing.assert_allclose(grads[name], t_grads[name], rtol=1e-3,
                                   atol=1e-4 * scale + 1e-6 * overall, err_msg=name)


# --------------------------------------------------------------------- every zoo model
@pytest.mark.parametrize("name", models.names())
def test_to_torch_gives_the_same_outputs_and_gradients(name):
    model = models.get(name).eval()
    twin = interop.to_torch(model)
    assert isinstance(twin, torch.nn.Module)
    assert not twin.training
    assert list(twin.state_dict()) == list(model.state_dict())
    shape = (batch_for(name),) + models.input_size(name)
    x = inputs(shape)
    classes = 200 if name == "alexnet_tiny_imagenet" else 1000 if name == "alexnet" else 10
    y = np.arange(shape[0]) * 7 % classes
    ours = forward_backward_ours(model, x, y)
    theirs = forward_backward_torch(twin, x, y)
    assert ours[0].shape == (shape[0], classes)
    assert_same_run(ours, theirs)
    # gradients are real: not all zero
    assert any(np.abs(g).max() > 0 for g in theirs[2].values())


@pytest.mark.parametrize("name", models.names())
def test_round_trip_gives_identical_outputs(name):
    model = models.get(name).eval()
    back = interop.from_torch(interop.to_torch(model))
    assert type(back) is type(model)
    assert not back.training
    assert back is not model
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[key], value)
    x = sc.tensor(inputs((1,) + models.input_size(name), seed=3))
    with sc.no_grad():
        np.testing.assert_array_equal(back(x).numpy(), model(x).numpy())


def test_round_trip_copies_instead_of_sharing_weights():
    model = models.digits_cnn()
    twin = interop.to_torch(model)
    with torch.no_grad():
        twin[0].weight.zero_()
    assert np.abs(model[0].weight.numpy()).max() > 0
    back = interop.from_torch(twin)
    back[-1].bias.data[...] = 5.0
    assert not torch.all(twin[-1].bias == 5.0)


def test_torch_twins_of_zoo_classes_keep_their_submodule_names():
    twin = interop.to_torch(models.lenet5())
    assert [n for n, _ in twin.named_children()] == ["features", "flatten", "classifier"]
    assert isinstance(twin.features[1], torch.nn.Tanh)
    twin = interop.to_torch(models.alexnet_tiny_imagenet())
    assert [n for n, _ in twin.named_children()] == ["feature_extraction", "flatten", "fc1",
                                                     "dropout", "fc2"]
    assert isinstance(interop.to_torch(models.mnist_cnn()), torch.nn.Sequential)


def test_trained_torch_weights_come_back():
    """Train the torch twin for a few steps; the converted-back model gives its outputs."""
    model = models.digits_cnn()
    twin = interop.to_torch(model)
    optimizer = torch.optim.SGD(twin.parameters(), lr=0.1)
    x, y = inputs((8, 1, 8, 8)), np.arange(8) % 10
    for _ in range(3):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(twin(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        optimizer.step()
    back = interop.from_torch(twin.eval())
    with sc.no_grad():
        got = back(sc.tensor(x)).numpy()
    np.testing.assert_allclose(got, twin(torch.from_numpy(x)).detach().numpy(), **TOL)
    with sc.no_grad():
        assert not np.allclose(got, model.eval()(sc.tensor(x)).numpy(), atol=1e-3)


# --------------------------------------------------------------------- every supported layer
def every_layer_model():
    return nn.Sequential(collections.OrderedDict([
        ("conv", nn.Conv2d(3, 6, 3, stride=1, padding=2, dilation=2)),
        ("bn", nn.BatchNorm2d(6)),
        ("lrelu", nn.LeakyReLU(0.1)),
        ("lrn", nn.LocalResponseNorm(3, alpha=1e-2, beta=0.75, k=2.0)),
        ("maxpool", nn.MaxPool2d(3, stride=2, padding=1)),
        ("conv2", nn.Conv2d(6, 4, (3, 2), stride=(1, 2), padding=(1, 0), bias=False)),
        ("tanh", nn.Tanh()),
        ("avgpool", nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)),
        ("adaptive", nn.AdaptiveAvgPool2d((3, 2))),
        ("sigmoid", nn.Sigmoid()),
        ("identity", nn.Identity()),
        ("flatten", nn.Flatten()),
        ("drop", nn.Dropout(0.25)),
        ("fc", nn.Linear(24, 12, bias=False)),
        ("relu", nn.ReLU()),
        ("fc2", nn.Linear(12, 5)),
        ("logsoftmax", nn.LogSoftmax(dim=1)),
        ("softmax", nn.Softmax(dim=1)),
    ]))


def test_every_supported_layer_converts():
    model = every_layer_model().eval()
    model.bn.running_mean.data[...] = np.linspace(-0.5, 0.5, 6, dtype=np.float32)
    model.bn.running_var.data[...] = np.linspace(0.5, 2.0, 6, dtype=np.float32)
    twin = interop.to_torch(model)
    kinds = [type(m).__name__ for m in twin]
    assert kinds == [type(m).__name__ for m in model]
    assert twin.conv.dilation == (2, 2) and twin.conv.padding == (2, 2)
    assert twin.conv2.bias is None and twin.fc.bias is None
    assert twin.avgpool.count_include_pad is False
    assert twin.lrelu.negative_slope == 0.1 and twin.drop.p == 0.25
    assert twin.lrn.size == 3 and twin.lrn.k == 2.0
    assert twin.adaptive.output_size == (3, 2)
    x = inputs((2, 3, 9, 10), seed=5)
    y = np.array([1, 4])
    assert_same_run(forward_backward_ours(model, x, y), forward_backward_torch(twin, x, y))
    back = interop.from_torch(twin)
    assert [type(m) for m in back] == [type(m) for m in model]
    with sc.no_grad():
        np.testing.assert_array_equal(back(sc.tensor(x)).numpy(), model(sc.tensor(x)).numpy())


def test_batchnorm_in_training_mode_matches_and_updates_the_same_running_stats():
    model = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4, momentum=0.3), nn.ReLU(),
                          nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    twin = interop.to_torch(model)
    assert twin.training and twin[1].training and twin[1].momentum == 0.3
    x, y = inputs((4, 2, 6, 6), seed=7), np.array([0, 1, 2, 1])
    assert_same_run(forward_backward_ours(model, x, y), forward_backward_torch(twin, x, y))
    np.testing.assert_allclose(model[1].running_mean.numpy(), twin[1].running_mean.numpy(), **TOL)
    np.testing.assert_allclose(model[1].running_var.numpy(), twin[1].running_var.numpy(), **TOL)
    assert int(model[1].num_batches_tracked.numpy()) == int(twin[1].num_batches_tracked) == 1
    # and back: the buffers travel too
    back = interop.from_torch(twin)
    np.testing.assert_allclose(back[1].running_var.numpy(), twin[1].running_var.numpy(), **TOL)


def test_a_native_torch_model_converts():
    torch.manual_seed(3)
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 4, 3)).eval()
    ours = interop.from_torch(theirs)
    assert isinstance(ours, nn.Sequential) and not ours.training
    x, y = inputs((3, 1, 8, 8), seed=4), np.array([0, 2, 1])
    assert_same_run(forward_backward_ours(ours, x, y), forward_backward_torch(theirs, x, y))


# --------------------------------------------------------------------- into=
def test_from_torch_into_the_guides_class():
    torch.manual_seed(1)
    guide = load_alexnet_class(GUIDE_ALEXNET_SOURCE)().eval()
    target = models.alexnet_tiny_imagenet()
    result = interop.from_torch(guide, into=target)
    assert result is target
    assert not target.training
    x = inputs((1, 3, 227, 227), seed=2)
    with sc.no_grad():
        got = target(sc.tensor(x)).numpy()
    np.testing.assert_allclose(got, guide(torch.from_numpy(x)).detach().numpy(), **TOL)
    # without into= the five submodule names are recognised as the guide's class
    auto = interop.from_torch(guide)
    assert type(auto) is models.AlexNetTinyImageNet
    with sc.no_grad():
        np.testing.assert_array_equal(auto(sc.tensor(x)).numpy(), got)


def test_from_torch_into_a_mismatched_model_fails_clearly():
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    with pytest.raises(ValueError, match="missing|unexpected"):
        interop.from_torch(theirs, into=nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2)))
    with pytest.raises(ValueError, match="shape|size"):
        interop.from_torch(theirs, into=nn.Sequential(nn.Linear(4, 3), nn.ReLU(),
                                                      nn.Linear(3, 5)))


def test_copy_weights_into_torch_with_other_names_fails_clearly():
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3))
    with pytest.raises(ArgumentError, match="names differ: .*weight"):
        interop.copy_weights(nn.Sequential(nn.Identity(), nn.Linear(4, 3)), theirs)


# --------------------------------------------------------------------- unsupported, custom
class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding=1)
        self.head = nn.Linear(2 * 5 * 5, 3)

    def forward(self, x):
        return self.head((x + self.conv(x).relu()).flatten(1))


def test_custom_module_raises_a_clear_error():
    with pytest.raises(ArgumentError) as info:
        interop.to_torch(nn.Sequential(Residual()))
    message = str(info.value)
    assert "to_torch cannot convert Residual" in message
    assert "register_converter" in message and "copy_weights" in message


def test_unsupported_torch_layers_raise_clear_errors():
    with pytest.raises(ArgumentError, match="from_torch cannot convert PReLU"):
        interop.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.PReLU()))
    with pytest.raises(ArgumentError, match="padding_mode"):
        interop.from_torch(torch.nn.Conv2d(4, 4, 3, padding=1, padding_mode="reflect"))
    with pytest.raises(ArgumentError, match="into=model"):
        interop.from_torch(torch.nn.TransformerEncoderLayer(8, 2))


def test_register_converter(monkeypatch):
    monkeypatch.setattr(interop, "_CONVERTERS", {})   # keep the registry clean for other tests

    class TorchResidual(torch.nn.Module):
        def __init__(self, conv, head):
            super().__init__()
            self.conv, self.head = conv, head

        def forward(self, x):
            return self.head((x + torch.relu(self.conv(x))).flatten(1))

    calls = []

    def build(module, convert):
        calls.append(type(module).__name__)
        return TorchResidual(convert(module.conv), convert(module.head))

    interop.register_converter(Residual, build)
    model = nn.Sequential(collections.OrderedDict(block=Residual()))
    twin = interop.to_torch(model)
    assert calls == ["Residual"]
    assert isinstance(twin.block, TorchResidual)
    x, y = inputs((2, 2, 5, 5), seed=9), np.array([2, 0])
    assert_same_run(forward_backward_ours(model, x, y), forward_backward_torch(twin, x, y))
    # a subclass is converted by its base class's converter
    class Deeper(Residual):
        pass
    assert isinstance(interop.to_torch(Deeper()), TorchResidual)


# --------------------------------------------------------------------- modes
@pytest.mark.parametrize("training", [True, False])
def test_mode_is_preserved_both_ways(training):
    model = models.lenet5().train(training)
    twin = interop.to_torch(model)
    assert all(m.training is training for m in twin.modules())
    back = interop.from_torch(twin)
    assert all(m.training is training for m in back.modules())
    twin.train(not training)
    assert all(m.training is (not training) for m in interop.from_torch(twin).modules())


def test_dropout_is_active_after_conversion_in_training_mode():
    model = nn.Sequential(nn.Dropout(0.5)).train()
    twin = interop.to_torch(model)
    out = twin(torch.ones(1000))
    assert (out == 0).any() and (out == 2).any()
    twin.eval()
    assert torch.equal(twin(torch.ones(10)), torch.ones(10))


def test_a_model_run_in_float64_converts_in_float64():
    model = models.digits_cnn().double().eval()
    twin = interop.to_torch(model)
    assert all(p.dtype == torch.float64 for p in twin.parameters())
    x = np.random.default_rng(0).standard_normal((2, 1, 8, 8))
    with sc.no_grad():
        got = model(sc.tensor(x)).numpy()
    np.testing.assert_allclose(got, twin(torch.from_numpy(x)).detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    back = interop.from_torch(twin)
    assert back[0].weight.dtype == np.float64


@pytest.mark.parametrize("make, shape", [
    (lambda: nn.Sequential(nn.Conv2d(4, 6, 3, groups=2), nn.GroupNorm(3, 6), nn.GELU("tanh"),
                           nn.ZeroPad2d(1), nn.ConvTranspose2d(6, 4, 3, stride=2), nn.SiLU(),
                           nn.Upsample(scale_factor=2), nn.Hardswish(), nn.ELU(0.5),
                           nn.Softplus(2.0), nn.Mish(), nn.ReLU6(), nn.Hardtanh(-1, 1)),
     (2, 4, 6, 6)),
    (lambda: nn.Sequential(nn.Linear(5, 8), nn.LayerNorm(8), nn.SELU(), nn.Hardsigmoid(),
                           nn.LogSigmoid(), nn.Dropout2d(0.3)), (3, 5)),
])
def test_new_layers_round_trip_with_the_same_outputs(make, shape):
    model = make().double().eval()
    twin = interop.to_torch(model).eval()
    assert next(twin.parameters()).dtype == torch.float64
    x = np.random.default_rng(0).standard_normal(shape)
    expected = model(sc.tensor(x)).numpy()
    np.testing.assert_allclose(twin(torch.tensor(x)).detach().numpy(), expected, rtol=1e-10,
                               atol=1e-12)
    back = interop.from_torch(twin).eval()
    np.testing.assert_allclose(back(sc.tensor(x)).numpy(), expected, rtol=1e-12, atol=1e-12)
