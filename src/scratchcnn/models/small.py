"""Small CNNs that train in seconds to minutes on a laptop CPU."""

from .. import nn
from ..shapes import conv_output_size, pool_output_size
from ..nn.module import chain_output_shape
from ..errors import ArgumentError

_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}


class LeNet5(nn.Module):
    """LeCun et al. (1998) for 28x28 grayscale digits (C1 padded by 2 to act as 32x32).

    28x28x1 -> C1 conv5 p2 -> 28x28x6 -> S2 avg-pool 2 -> 14x14x6 -> C3 conv5 -> 10x10x16
    -> S4 avg-pool 2 -> 5x5x16 -> C5 conv5 -> 1x1x120 -> F6 84 -> num_classes.
    """

    def __init__(self, num_classes=10, activation="tanh"):
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ArgumentError(f"activation must be one of {sorted(_ACTIVATIONS)}, "
                                f"got {activation!r}", "LeNet5()")
        act = _ACTIVATIONS[activation]
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), act(), nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5), act(), nn.AvgPool2d(2),
            nn.Conv2d(16, 120, 5), act(),
        )
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(nn.Linear(120, 84), act(), nn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))

    def output_shape(self, input_shape):
        return chain_output_shape(self, (self.features, self.flatten, self.classifier), input_shape)


def lenet5(num_classes=10, activation="tanh"):
    """LeNet-5 for 28x28x1 input; ``activation`` is "tanh" (LeCun's), "relu" or "sigmoid"."""
    return LeNet5(num_classes, activation)


def mnist_cnn(num_classes=10):
    """conv3x3 32 - pool - conv3x3 64 - pool - fc 128 - num_classes, for 28x28x1 input
    (the network of the benchmarks)."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # 14x14x32
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 7x7x64
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
        nn.Linear(128, num_classes),
    )


def digits_cnn(num_classes=10):
    """A small CNN for scikit-learn's 8x8 digits (the default model): 8x8x1 -> 4x4x16 ->
    2x2x32 -> 64 -> num_classes."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # 4x4x16
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 2x2x32
        nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(),
        nn.Linear(64, num_classes),
    )


def tiny_vgg(num_classes=10, in_channels=3, image_size=64):
    """CNN Explainer's Tiny VGG for 64x64x3: two blocks of conv-relu-conv-relu-maxpool with
    10 channels (3x3 kernels, no padding): 64 -> 62 -> 60 -> 30 -> 28 -> 26 -> 13.
    ``image_size`` sizes the classifier for other square images (CIFAR-10's 32: ... -> 5)."""
    size = image_size
    for _ in range(2):   # each block: two 3x3 convolutions, then a 2x2 max-pool
        size = pool_output_size(conv_output_size(conv_output_size(size, 3), 3), 2)
    return nn.Sequential(
        nn.Conv2d(in_channels, 10, 3), nn.ReLU(), nn.Conv2d(10, 10, 3), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(10, 10, 3), nn.ReLU(), nn.Conv2d(10, 10, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(10 * size * size, num_classes),
    )
