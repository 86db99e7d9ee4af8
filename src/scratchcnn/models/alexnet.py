"""AlexNet, twice: the guide's output-size exercise, and the guide's PyTorch class.

Shapes for a 227x227x3 image (H x W x C), ``out = floor((in - k + 2p) / s) + 1``::

    conv1 11x11/4        (227 - 11) / 4 + 1 = 55     55x55x96
    max-pool 3x3/2       (55 - 3) / 2 + 1   = 27     27x27x96
    conv2 5x5/1, p2      (27 - 5 + 4) + 1   = 27     27x27x256
    max-pool 3x3/2                            13     13x13x256
    conv3, conv4, conv5 3x3/1, p1             13     13x13x384, 13x13x384, 13x13x256
    max-pool 3x3/2                             6     6x6x256 -> flatten 9216
"""

from .. import nn
from ..nn.module import chain_output_shape


def _features():
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), nn.MaxPool2d(3, stride=2),
        nn.Conv2d(96, 256, 5, stride=1, padding=2), nn.ReLU(), nn.MaxPool2d(3, stride=2),
        nn.Conv2d(256, 384, 3, stride=1, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, stride=1, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(3, stride=2),
    )


class AlexNet(nn.Module):
    """The guide's exercise: 5 convolutions, 3 max-pools, FC 4096-4096-num_classes with
    dropout before each of the first two FC layers (62,378,344 parameters for 1000 classes).
    Input (N, 3, 227, 227)."""

    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = _features()
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(9216, 4096), nn.ReLU(),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))

    def output_shape(self, input_shape):
        return chain_output_shape(self, (self.features, self.flatten, self.classifier), input_shape)


class AlexNetTinyImageNet(nn.Module):
    """The guide's PyTorch class, kept as written (its state_dict names match the guide's
    code): two FC layers 9216 -> 4096 -> num_classes; 42,319,432 parameters for 200 classes."""

    def __init__(self, num_classes=200):
        super().__init__()
        self.feature_extraction = _features()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(9216, 4096)
        self.dropout = nn.Dropout(p=0.5)
        self.fc2 = nn.Linear(4096, num_classes)

    def forward(self, x):
        x = self.feature_extraction(x)
        x = self.flatten(x)
        x = self.fc1(x)
        x = nn.ReLU()(x)
        x = self.dropout(x)
        return self.fc2(x)

    def output_shape(self, input_shape):
        return chain_output_shape(self, (self.feature_extraction, self.flatten, self.fc1, self.dropout,
                                   self.fc2), input_shape)


def alexnet(num_classes=1000):
    """AlexNet of the guide's exercise, for 227x227x3 input."""
    return AlexNet(num_classes)


def alexnet_tiny_imagenet(num_classes=200):
    """The guide's AlexNet class, for Tiny ImageNet's 200 classes at 227x227x3."""
    return AlexNetTinyImageNet(num_classes)
