"""The model zoo: ``models.get(name, **kwargs)`` builds any of ``models.names()``.

>>> from scratchcnn import models
>>> models.names()
['alexnet', 'alexnet_tiny_imagenet', 'digits_cnn', 'lenet5', 'mnist_cnn', 'tiny_vgg']
>>> models.input_size("alexnet")
(3, 227, 227)
>>> models.natural_data("lenet5")
'mnist'
"""

from ..errors import ArgumentError
from .alexnet import AlexNet, AlexNetTinyImageNet, alexnet, alexnet_tiny_imagenet
from .small import LeNet5, digits_cnn, lenet5, mnist_cnn, tiny_vgg

# name -> (constructor, the (C, H, W) input it is designed for, the data set of
# scratchcnn.data.DATASET_NAMES whose images it takes as they load: its natural data)
_REGISTRY = {
    "alexnet": (alexnet, (3, 227, 227), "tiny-imagenet"),
    "alexnet_tiny_imagenet": (alexnet_tiny_imagenet, (3, 227, 227), "tiny-imagenet"),
    "digits_cnn": (digits_cnn, (1, 8, 8), "digits"),
    "lenet5": (lenet5, (1, 28, 28), "mnist"),
    "mnist_cnn": (mnist_cnn, (1, 28, 28), "mnist"),
    "tiny_vgg": (tiny_vgg, (3, 64, 64), "image-folder"),
}


def names():
    """Names accepted by :func:`get`, sorted."""
    return sorted(_REGISTRY)


def _entry(name):
    key = name.replace("-", "_").lower()
    if key not in _REGISTRY:
        raise ArgumentError(f"unknown model {name!r}; choose one of: {', '.join(names())}")
    return _REGISTRY[key]


def get(name, **kwargs):
    """Build the zoo model ``name`` (dashes or underscores), passing ``kwargs`` on."""
    return _entry(name)[0](**kwargs)


def input_size(name):
    """The (C, H, W) input the model ``name`` is built for."""
    return _entry(name)[1]


def natural_data(name):
    """The data set (a name of ``scratchcnn.data.DATASET_NAMES``) whose images, as they
    load, fit the model ``name``: what ``scratchcnn train --model NAME`` trains on."""
    return _entry(name)[2]


__all__ = ["get", "names", "input_size", "natural_data", "AlexNet", "AlexNetTinyImageNet", "LeNet5", "alexnet",
           "alexnet_tiny_imagenet", "lenet5", "mnist_cnn", "digits_cnn", "tiny_vgg"]
