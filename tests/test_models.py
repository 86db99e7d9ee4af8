"""The model zoo: structure and parameter counts against PyTorch models written here by
hand from each model's description, output shapes, and ``models.get`` / ``names``."""

import numpy as np
import pytest
import torch
from torch import nn as tnn

import scratchcnn as sc
from scratchcnn import models, nn
from scratchcnn.errors import ArgumentError

from test_alexnet_guide import GUIDE_ALEXNET_SOURCE, load_alexnet_class


# --------------------------------------------------------------------- torch twins, by hand
def torch_alexnet_features():
    return tnn.Sequential(
        tnn.Conv2d(3, 96, 11, stride=4), tnn.ReLU(), tnn.MaxPool2d(3, 2),
        tnn.Conv2d(96, 256, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(3, 2),
        tnn.Conv2d(256, 384, 3, padding=1), tnn.ReLU(),
        tnn.Conv2d(384, 384, 3, padding=1), tnn.ReLU(),
        tnn.Conv2d(384, 256, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(3, 2))


class TorchAlexNet(tnn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.features = torch_alexnet_features()
        self.flatten = tnn.Flatten()
        self.classifier = tnn.Sequential(
            tnn.Dropout(), tnn.Linear(9216, 4096), tnn.ReLU(),
            tnn.Dropout(), tnn.Linear(4096, 4096), tnn.ReLU(), tnn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))


class TorchLeNet5(tnn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = tnn.Sequential(
            tnn.Conv2d(1, 6, 5, padding=2), tnn.Tanh(), tnn.AvgPool2d(2),
            tnn.Conv2d(6, 16, 5), tnn.Tanh(), tnn.AvgPool2d(2),
            tnn.Conv2d(16, 120, 5), tnn.Tanh())
        self.flatten = tnn.Flatten()
        self.classifier = tnn.Sequential(tnn.Linear(120, 84), tnn.Tanh(),
                                         tnn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))


def torch_mnist_cnn(num_classes=10):
    return tnn.Sequential(
        tnn.Conv2d(1, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(32, 64, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(7 * 7 * 64, 128), tnn.ReLU(), tnn.Linear(128, num_classes))


def torch_digits_cnn(num_classes=10):
    return tnn.Sequential(
        tnn.Conv2d(1, 16, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(16, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(2 * 2 * 32, 64), tnn.ReLU(), tnn.Linear(64, num_classes))


def torch_tiny_vgg(num_classes=10, in_channels=3):
    # CNN Explainer: conv-relu-conv-relu-pool twice, 10 channels, 3x3 valid convolutions
    return tnn.Sequential(
        tnn.Conv2d(in_channels, 10, 3), tnn.ReLU(), tnn.Conv2d(10, 10, 3), tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Conv2d(10, 10, 3), tnn.ReLU(), tnn.Conv2d(10, 10, 3), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(13 * 13 * 10, num_classes))


TORCH_TWINS = {
    "alexnet": lambda: TorchAlexNet(),
    "alexnet_tiny_imagenet": lambda: load_alexnet_class(GUIDE_ALEXNET_SOURCE)(),
    "lenet5": lambda: TorchLeNet5(),
    "mnist_cnn": torch_mnist_cnn,
    "digits_cnn": torch_digits_cnn,
    "tiny_vgg": torch_tiny_vgg,
}

KNOWN_COUNTS = {
    "alexnet": 62_378_344,
    "alexnet_tiny_imagenet": 42_319_432,
    "lenet5": 61_706,
    "mnist_cnn": 421_642,
    "digits_cnn": 13_706,
    "tiny_vgg": 19_920,
}

NUM_CLASSES = {"alexnet": 1000, "alexnet_tiny_imagenet": 200}


def count(model):
    return sum(int(np.prod(p.shape)) for p in model.parameters())


def shapes(state):
    return {k: tuple(v.shape) for k, v in state.items() if not k.endswith("num_batches_tracked")}


# --------------------------------------------------------------------- structure
def test_names():
    assert models.names() == ["alexnet", "alexnet_tiny_imagenet", "digits_cnn", "lenet5",
                              "mnist_cnn", "tiny_vgg"]
    assert set(TORCH_TWINS) == set(models.names())


@pytest.mark.parametrize("name", sorted(TORCH_TWINS))
def test_parameters_match_a_torch_model_built_by_hand(name):
    ours, theirs = models.get(name), TORCH_TWINS[name]()
    assert count(ours) == count(theirs) == KNOWN_COUNTS[name]
    # same names, same order, same shapes: state_dicts load into each other
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert shapes(ours.state_dict()) == shapes(theirs.state_dict())


@pytest.mark.parametrize("name", sorted(TORCH_TWINS))
def test_outputs_match_the_torch_twin_with_the_same_weights(name):
    ours, theirs = models.get(name).eval(), TORCH_TWINS[name]().eval()
    ours.load_state_dict(theirs.state_dict())
    batch = 1 if name.startswith("alexnet") else 3
    x = np.random.default_rng(1).standard_normal((batch,) + models.input_size(name))
    x = x.astype(np.float32)
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    with sc.no_grad():
        got = ours(sc.tensor(x)).numpy()
    assert got.shape == (batch, NUM_CLASSES.get(name, 10))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_alexnet_submodules():
    model = models.alexnet()
    assert [name for name, _ in model.named_children()] == ["features", "flatten", "classifier"]
    assert isinstance(model.features, nn.Sequential) and len(model.features) == 13
    assert isinstance(model.classifier, nn.Sequential)
    assert isinstance(model, models.AlexNet)


def test_alexnet_tiny_imagenet_submodules_and_state_dict_names():
    model = models.alexnet_tiny_imagenet()
    assert [name for name, _ in model.named_children()] == [
        "feature_extraction", "flatten", "fc1", "dropout", "fc2"]
    guide = load_alexnet_class(GUIDE_ALEXNET_SOURCE)()
    assert list(model.state_dict()) == list(guide.state_dict())
    assert model.fc2.out_features == 200
    assert model.dropout.p == 0.5


@pytest.mark.parametrize("name, classes", [("alexnet", 10), ("alexnet_tiny_imagenet", 50),
                                           ("lenet5", 3), ("mnist_cnn", 7), ("digits_cnn", 4),
                                           ("tiny_vgg", 2)])
def test_num_classes(name, classes):
    model = models.get(name, num_classes=classes).eval()
    batch = 1 if name.startswith("alexnet") else 2
    shape = (batch,) + models.input_size(name)
    assert model.output_shape(shape) == (batch, classes)
    with sc.no_grad():
        assert model(sc.zeros(*shape)).shape == (batch, classes)
    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    assert last.out_features == classes


def test_input_sizes():
    assert {name: models.input_size(name) for name in models.names()} == {
        "alexnet": (3, 227, 227), "alexnet_tiny_imagenet": (3, 227, 227),
        "digits_cnn": (1, 8, 8), "lenet5": (1, 28, 28), "mnist_cnn": (1, 28, 28),
        "tiny_vgg": (3, 64, 64)}
    assert models.input_size("Tiny-VGG") == (3, 64, 64)


def intermediate_shapes(model, shape, kinds):
    """(C, H, W) after each layer of the given kinds, running real data."""
    seen = []
    for layer in model.modules():
        if isinstance(layer, kinds):
            layer.register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape[1:])))
    with sc.no_grad():
        model(sc.zeros(*shape))
    return seen


def test_small_model_shapes_follow_their_descriptions():
    assert intermediate_shapes(models.tiny_vgg(), (1, 3, 64, 64), (nn.Conv2d, nn.MaxPool2d)) == [
        (10, 62, 62), (10, 60, 60), (10, 30, 30), (10, 28, 28), (10, 26, 26), (10, 13, 13)]
    assert intermediate_shapes(models.mnist_cnn(), (1, 1, 28, 28), (nn.MaxPool2d,)) == [
        (32, 14, 14), (64, 7, 7)]
    assert intermediate_shapes(models.digits_cnn(), (1, 1, 8, 8), (nn.MaxPool2d,)) == [
        (16, 4, 4), (32, 2, 2)]
    assert intermediate_shapes(models.lenet5(), (1, 1, 28, 28), (nn.Conv2d, nn.AvgPool2d)) == [
        (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (120, 1, 1)]


def test_tiny_vgg_in_channels():
    model = models.tiny_vgg(in_channels=1)
    assert model[0].in_channels == 1
    assert model.output_shape((2, 1, 64, 64)) == (2, 10)
    assert count(model) == 19_920 - 2 * 10 * 9


def test_mnist_cnn_layers_in_order():
    kinds = [type(m).__name__ for m in models.mnist_cnn()]
    assert kinds == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Flatten",
                     "Linear", "ReLU", "Linear"]
    convs = [m for m in models.mnist_cnn() if isinstance(m, nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size) for c in convs] == [(32, (3, 3)), (64, (3, 3))]


# --------------------------------------------------------------------- get / names
@pytest.mark.parametrize("spelling, cls", [
    ("alexnet-tiny-imagenet", models.AlexNetTinyImageNet),
    ("alexnet_tiny_imagenet", models.AlexNetTinyImageNet),
    ("AlexNet", models.AlexNet),
    ("LeNet5", models.LeNet5),
])
def test_get_accepts_dashes_and_case(spelling, cls):
    assert type(models.get(spelling)) is cls


def test_get_with_dashes_builds_the_sequential_models():
    model = models.get("tiny-vgg", num_classes=3)
    assert isinstance(model, nn.Sequential) and model[-1].out_features == 3
    assert count(models.get("mnist-cnn")) == KNOWN_COUNTS["mnist_cnn"]
    assert count(models.get("digits-cnn")) == KNOWN_COUNTS["digits_cnn"]


def test_get_passes_keyword_arguments():
    model = models.get("lenet5", num_classes=5, activation="relu")
    assert model.classifier[-1].out_features == 5
    assert any(isinstance(m, nn.ReLU) for m in model.modules())
    with pytest.raises(TypeError):
        models.get("mnist_cnn", activation="relu")


@pytest.mark.parametrize("bad", ["resnet50", "", "alex net"])
def test_unknown_name(bad):
    with pytest.raises(ArgumentError) as info:
        models.get(bad)
    message = str(info.value)
    assert f"unknown model {bad!r}" in message
    for name in models.names():
        assert name in message
    with pytest.raises(ValueError):
        models.input_size(bad)


def test_each_get_builds_a_fresh_model():
    first, second = models.get("digits_cnn"), models.get("digits_cnn")
    assert first is not second
    assert not np.array_equal(first[0].weight.numpy(), second[0].weight.numpy())


# --------------------------------------------------------------------- LeNet-5 activations
@pytest.mark.parametrize("activation, cls, torch_fn", [
    ("tanh", nn.Tanh, torch.tanh), ("relu", nn.ReLU, torch.relu),
    ("sigmoid", nn.Sigmoid, torch.sigmoid)])
def test_lenet5_activation(activation, cls, torch_fn):
    model = models.lenet5(activation=activation).eval()
    acts = [m for m in model.modules() if isinstance(m, (nn.Tanh, nn.ReLU, nn.Sigmoid))]
    assert len(acts) == 4 and all(type(m) is cls for m in acts)
    # the forward really uses it: compare with a hand-written torch forward
    x = np.random.default_rng(2).standard_normal((2, 1, 28, 28)).astype(np.float32)
    w = {k: torch.from_numpy(v) for k, v in model.state_dict().items()}
    h = torch.from_numpy(x)
    h = torch.nn.functional.avg_pool2d(torch_fn(torch.nn.functional.conv2d(
        h, w["features.0.weight"], w["features.0.bias"], padding=2)), 2)
    h = torch.nn.functional.avg_pool2d(torch_fn(torch.nn.functional.conv2d(
        h, w["features.3.weight"], w["features.3.bias"])), 2)
    h = torch_fn(torch.nn.functional.conv2d(h, w["features.6.weight"], w["features.6.bias"]))
    h = torch_fn(h.flatten(1) @ w["classifier.0.weight"].T + w["classifier.0.bias"])
    h = h @ w["classifier.2.weight"].T + w["classifier.2.bias"]
    with sc.no_grad():
        np.testing.assert_allclose(model(sc.tensor(x)).numpy(), h.numpy(), rtol=1e-4, atol=1e-5)


def test_lenet5_default_is_tanh():
    assert isinstance(models.lenet5().features[1], nn.Tanh)
    assert isinstance(models.get("lenet5").classifier[1], nn.Tanh)


@pytest.mark.parametrize("bad", ["gelu", "ReLU ", None])
def test_lenet5_bad_activation(bad):
    with pytest.raises(ArgumentError) as info:
        models.lenet5(activation=bad)
    message = str(info.value)
    assert "activation must be one of" in message
    assert "'relu'" in message and "'sigmoid'" in message and "'tanh'" in message
    assert repr(bad) in message
