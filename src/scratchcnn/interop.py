"""Move models between scratchcnn and PyTorch, weights included.

``to_torch(model)`` builds the equivalent ``torch.nn.Module`` (same layers, same
parameter names, same weights, same train/eval mode); ``from_torch(module)`` goes the
other way. This is the path for users who outgrow one machine: prototype and
understand here, then continue in PyTorch with its GPUs and distributed training.

PyTorch is imported only when these functions run (install ``scratchcnn[torch]``).

>>> import scratchcnn as sc
>>> from scratchcnn import interop, models
>>> torch_model = interop.to_torch(models.digits_cnn())
>>> type(torch_model).__module__
'torch.nn.modules.container'
>>> back = interop.from_torch(torch_model)

Supported: every layer in :mod:`scratchcnn.nn`, ``Sequential``, and the zoo's model
classes. For another custom ``Module``, either register how to build its PyTorch twin
with :func:`register_converter`, or build the twin yourself and copy the weights with
``from_torch(torch_module, into=my_scratchcnn_model)`` / ``copy_weights``.
"""

import collections

import numpy as np

from . import models, nn
from .errors import ArgumentError


def _torch():
    try:
        import torch
    except ImportError:  # pragma: no cover - exercised only without torch
        raise ImportError("scratchcnn.interop needs PyTorch: pip install 'scratchcnn[torch]'") \
            from None
    return torch


# --------------------------------------------------------------------- layer twins
def _bias(m):
    return m.bias is not None


# Each layer's constructor arguments, read from attributes that both libraries name alike.
_LAYER_ARGS = {
    "Conv2d": lambda m: dict(in_channels=m.in_channels, out_channels=m.out_channels,
                             kernel_size=m.kernel_size, stride=m.stride, padding=m.padding,
                             dilation=m.dilation, groups=m.groups, bias=_bias(m)),
    "ConvTranspose2d": lambda m: dict(in_channels=m.in_channels, out_channels=m.out_channels,
                                      kernel_size=m.kernel_size, stride=m.stride,
                                      padding=m.padding, output_padding=m.output_padding,
                                      groups=m.groups, dilation=m.dilation, bias=_bias(m)),
    "Linear": lambda m: dict(in_features=m.in_features, out_features=m.out_features,
                             bias=_bias(m)),
    "MaxPool2d": lambda m: dict(kernel_size=m.kernel_size, stride=m.stride, padding=m.padding,
                                dilation=m.dilation),
    "AvgPool2d": lambda m: dict(kernel_size=m.kernel_size, stride=m.stride, padding=m.padding,
                                count_include_pad=m.count_include_pad),
    "BatchNorm2d": lambda m: dict(num_features=m.num_features, eps=m.eps, momentum=m.momentum,
                                  affine=m.affine, track_running_stats=m.track_running_stats),
    "AdaptiveAvgPool2d": lambda m: dict(output_size=m.output_size),
    "LocalResponseNorm": lambda m: dict(size=m.size, alpha=m.alpha, beta=m.beta, k=m.k),
    "LeakyReLU": lambda m: dict(negative_slope=m.negative_slope),
    "Softmax": lambda m: dict(dim=m.dim),
    "LogSoftmax": lambda m: dict(dim=m.dim),
    "Flatten": lambda m: dict(start_dim=m.start_dim, end_dim=m.end_dim),
    "Dropout": lambda m: dict(p=m.p),
    "ReLU": lambda m: {},
    "Tanh": lambda m: {},
    "Sigmoid": lambda m: {},
    "Identity": lambda m: {},
    "GELU": lambda m: dict(approximate=m.approximate),
    "SiLU": lambda m: {},
    "Mish": lambda m: {},
    "ReLU6": lambda m: {},
    "Hardswish": lambda m: {},
    "Hardsigmoid": lambda m: {},
    "SELU": lambda m: {},
    "LogSigmoid": lambda m: {},
    "ELU": lambda m: dict(alpha=m.alpha),
    "Softplus": lambda m: dict(beta=m.beta, threshold=m.threshold),
    "Hardtanh": lambda m: dict(min_val=m.min_val, max_val=m.max_val),
    "LayerNorm": lambda m: dict(normalized_shape=tuple(m.normalized_shape), eps=m.eps,
                                elementwise_affine=m.elementwise_affine,
                                bias=getattr(m, "bias", None) is not None),
    "GroupNorm": lambda m: dict(num_groups=m.num_groups, num_channels=m.num_channels, eps=m.eps,
                                affine=m.affine),
    "Embedding": lambda m: dict(num_embeddings=m.num_embeddings, embedding_dim=m.embedding_dim,
                                padding_idx=m.padding_idx),
    "Dropout2d": lambda m: dict(p=m.p),
    "ZeroPad2d": lambda m: dict(padding=m.padding),
    "Upsample": lambda m: dict(size=m.size, scale_factor=m.scale_factor, mode=m.mode,
                               align_corners=m.align_corners),
}

# PyTorch options scratchcnn does not implement: passed on, so that our constructor
# refuses them with its own clear error instead of silently dropping them.
_TORCH_ONLY_OPTIONS = {"Conv2d": ("padding_mode",), "ConvTranspose2d": ("padding_mode",),
                       "MaxPool2d": ("ceil_mode", "return_indices"),
                       "AvgPool2d": ("ceil_mode", "divisor_override")}


def _leaf_to_torch(module):
    """The torch layer with the same hyper-parameters, or None if not a known layer."""
    kind = type(module).__name__
    if kind not in _LAYER_ARGS or not isinstance(module, nn.Module):
        return None
    return getattr(_torch().nn, kind)(**_LAYER_ARGS[kind](module))


def _leaf_from_torch(module):
    kind = type(module).__name__
    if kind not in _LAYER_ARGS:
        return None
    args = _LAYER_ARGS[kind](module)
    args.update({name: getattr(module, name) for name in _TORCH_ONLY_OPTIONS.get(kind, ())})
    return getattr(nn, kind)(**args)


# --------------------------------------------------------------------- model classes
def _torch_twin_classes():
    """Torch versions of the zoo's model classes: same attribute names, same forward."""
    torch = _torch()

    class FeaturesClassifier(torch.nn.Module):
        """features -> flatten -> classifier (AlexNet, LeNet5); remembers which one."""

        def __init__(self, features, flatten, classifier, scratchcnn_class):
            super().__init__()
            self.features, self.flatten, self.classifier = features, flatten, classifier
            self.scratchcnn_class = scratchcnn_class

        def forward(self, x):
            return self.classifier(self.flatten(self.features(x)))

    class AlexNetTinyImageNet(torch.nn.Module):
        """The guide's class, as written in the guide."""

        def __init__(self, feature_extraction, flatten, fc1, dropout, fc2):
            super().__init__()
            self.feature_extraction, self.flatten = feature_extraction, flatten
            self.fc1, self.dropout, self.fc2 = fc1, dropout, fc2

        def forward(self, x):
            x = self.flatten(self.feature_extraction(x))
            return self.fc2(self.dropout(torch.nn.ReLU()(self.fc1(x))))

    return FeaturesClassifier, AlexNetTinyImageNet


_CONVERTERS = {}


def register_converter(module_class, build_torch_twin):
    """Teach :func:`to_torch` a custom class: ``build_torch_twin(module, convert)`` returns a
    ``torch.nn.Module`` whose submodules carry the same names (use ``convert(child)`` to
    convert each child); weights are copied afterwards by name."""
    _CONVERTERS[module_class] = build_torch_twin


def _convert_to_torch(module):
    torch = _torch()
    twin = _leaf_to_torch(module)
    if twin is not None:
        return twin
    if isinstance(module, nn.Sequential):
        return torch.nn.Sequential(collections.OrderedDict(
            (name, _convert_to_torch(child)) for name, child in module.named_children()))
    for cls, build in _CONVERTERS.items():
        if isinstance(module, cls):
            return build(module, _convert_to_torch)
    chain, tiny = _torch_twin_classes()
    if isinstance(module, (models.AlexNet, models.LeNet5)):
        return chain(_convert_to_torch(module.features), _convert_to_torch(module.flatten),
                     _convert_to_torch(module.classifier), type(module).__name__)
    if isinstance(module, models.AlexNetTinyImageNet):
        return tiny(*(_convert_to_torch(getattr(module, name)) for name in
                      ("feature_extraction", "flatten", "fc1", "dropout", "fc2")))
    raise ArgumentError(
        f"to_torch cannot convert {type(module).__name__}: build its PyTorch twin and copy "
        "the weights with copy_weights(), or teach to_torch with register_converter()")


def _convert_from_torch(module):
    torch = _torch()
    twin = _leaf_from_torch(module)
    if twin is not None:
        return twin
    if isinstance(module, torch.nn.Sequential):
        return nn.Sequential(collections.OrderedDict(
            (name, _convert_from_torch(child)) for name, child in module.named_children()))
    children = dict(module.named_children())
    if set(children) == {"features", "flatten", "classifier"}:
        cls = models.LeNet5 if getattr(module, "scratchcnn_class", "") == "LeNet5" else \
            models.AlexNet
        model = cls.__new__(cls)
        nn.Module.__init__(model)
        for name in ("features", "flatten", "classifier"):
            setattr(model, name, _convert_from_torch(children[name]))
        return model
    if set(children) == {"feature_extraction", "flatten", "fc1", "dropout", "fc2"}:
        model = models.AlexNetTinyImageNet.__new__(models.AlexNetTinyImageNet)
        nn.Module.__init__(model)
        for name in ("feature_extraction", "flatten", "fc1", "dropout", "fc2"):
            setattr(model, name, _convert_from_torch(children[name]))
        return model
    raise ArgumentError(
        f"from_torch cannot convert {type(module).__name__}: build the same model in "
        "scratchcnn and pass it as from_torch(module, into=model) to copy the weights")


# --------------------------------------------------------------------- weights
def copy_weights(source, target):
    """Copy every parameter and buffer from ``source`` to ``target`` by name; either may be
    a scratchcnn or a torch module. Raises if names or shapes differ."""
    torch = _torch()
    state = {key: (value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value)
             for key, value in source.state_dict().items()}
    if isinstance(target, torch.nn.Module):
        own = target.state_dict()
        mismatched = sorted(set(own) ^ set(state))
        if mismatched:
            raise ArgumentError(f"cannot copy weights: names differ: {', '.join(mismatched)}")
        target.load_state_dict({key: torch.from_numpy(np.array(state[key])).to(own[key].dtype)
                                for key in own})
    else:
        target.load_state_dict(state)
    target.train(source.training)
    return target


def _float_dtype(module):
    """The NumPy dtype of ``module``'s first floating parameter (None if it has none)."""
    for param in module.parameters():
        dtype = np.dtype(str(param.dtype).removeprefix("torch."))
        if dtype.kind == "f":
            return dtype
    return None


def to_torch(model):
    """An equivalent ``torch.nn.Module`` with a copy of ``model``'s weights, dtype and mode."""
    twin = _convert_to_torch(model)
    dtype = _float_dtype(model)
    if dtype is not None and dtype != np.float32:
        twin = twin.to(getattr(_torch(), dtype.name))
    return copy_weights(model, twin)


def from_torch(module, into=None):
    """A scratchcnn model equivalent to the torch ``module``, with a copy of its weights.
    ``into``: an existing scratchcnn model with the same parameter names to fill instead."""
    target = into
    if target is None:
        target = _convert_from_torch(module)
        dtype = _float_dtype(module)
        if dtype is not None and dtype != np.float32:
            target = target.to(dtype)
    return copy_weights(module, target)
