"""Layers and models, named and shaped as in ``torch.nn``.

Replace ``from torch import nn`` with ``from scratchcnn import nn`` and PyTorch model
code built from these layers runs unchanged.
"""

from . import functional, init, utils
from .activation import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .activation import PReLU, Softmax2d, Threshold
from .activation import (ELU, GELU, SELU, Hardsigmoid, Hardswish, Hardtanh, LogSigmoid, Mish,
                         ReLU6, SiLU, Softplus)
from .embedding import Embedding
from .padding import (CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d,
                      ConstantPad2d, ConstantPad3d, ReflectionPad1d, ReflectionPad2d,
                      ReflectionPad3d, ReplicationPad1d, ReplicationPad2d, ReplicationPad3d,
                      ZeroPad1d, ZeroPad2d)
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
from .batchnorm import BatchNorm2d
from .batchnorm import (BatchNorm1d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d,
                        InstanceNorm3d)
from .conv1d import Conv1d
from .conv import Conv2d, ConvTranspose2d
from .dropout import Dropout, Dropout1d, Dropout2d, Dropout3d
from .lazy import LazyConv2d, LazyLinear, UninitializedParameter
from .linear import Flatten, Identity, Linear
from .linear import Unflatten
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss,
                   MSELoss, NLLLoss, SmoothL1Loss)
from .container import (ModuleDict, ModuleList, ParameterDict, ParameterList,
                        Sequential)
from .module import Module, Parameter
from .normalization import GroupNorm, LayerNorm, LocalResponseNorm
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .pooling import (AdaptiveAvgPool1d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d,
                      MaxPool1d)

__all__ = [
    "functional", "init", "utils", "Module", "ModuleList", "Parameter", "Sequential", "Conv2d",
    "Linear", "Flatten", "Identity", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Softmax",
    "LogSoftmax", "MaxPool2d", "AvgPool2d", "Dropout", "CrossEntropyLoss", "NLLLoss",
    "BatchNorm2d", "AdaptiveAvgPool2d", "LocalResponseNorm",
    "ConvTranspose2d", "LazyLinear", "LazyConv2d", "UninitializedParameter",
    # layers and functional ops (docs/ops.md)
    "ELU", "GELU", "SELU", "Hardsigmoid", "Hardswish", "Hardtanh", "LogSigmoid", "Mish",
    "ReLU6", "SiLU", "Softplus", "Embedding", "LayerNorm", "GroupNorm", "Upsample",
    "UpsamplingNearest2d", "UpsamplingBilinear2d", "ZeroPad1d", "ZeroPad2d", "ConstantPad1d",
    "ConstantPad2d", "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
    "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
    "CircularPad2d", "CircularPad3d",
    # containers (docs/engine.md)
    "ModuleDict", "ParameterList", "ParameterDict",
    "Dropout1d", "Dropout2d", "Dropout3d", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss",
    "BCELoss", "BCEWithLogitsLoss", "KLDivLoss",
    # 1-d layers, instance norm, PReLU & co (docs/ops.md)
    "BatchNorm1d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
    "Conv1d", "MaxPool1d", "AvgPool1d", "AdaptiveAvgPool1d", "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d", "PReLU", "Softmax2d", "Threshold", "Unflatten",
]
