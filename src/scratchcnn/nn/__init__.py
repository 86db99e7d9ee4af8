"""Layers and models, named and shaped as in ``torch.nn``.

Replace ``from torch import nn`` with ``from scratchcnn import nn`` and PyTorch model
code built from these layers runs unchanged.
"""

from . import functional, init
from .activation import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .batchnorm import BatchNorm2d
from .conv import Conv2d
from .dropout import Dropout
from .linear import Flatten, Identity, Linear
from .loss import CrossEntropyLoss, NLLLoss
from .module import Module, ModuleList, Parameter, Sequential
from .normalization import LocalResponseNorm
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

__all__ = [
    "functional", "init", "Module", "ModuleList", "Parameter", "Sequential", "Conv2d",
    "Linear", "Flatten", "Identity", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Softmax",
    "LogSoftmax", "MaxPool2d", "AvgPool2d", "Dropout", "CrossEntropyLoss", "NLLLoss",
    "BatchNorm2d", "AdaptiveAvgPool2d", "LocalResponseNorm",
]
