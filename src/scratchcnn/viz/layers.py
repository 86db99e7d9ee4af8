"""Layer lists typed or pasted into the shape calculator, turned into ``nn`` layers.

One layer per line; ``#`` starts a comment. Arguments are positional or ``name=value``,
separated by spaces or commas, with or without parentheses, so both of these work::

    conv 96 11 stride=4            # OUT KERNEL: the input channels are inferred
    Conv2d(3, 96, 11, stride=4)    # PyTorch's order IN OUT KERNEL (IN is checked)

Layers: ``conv OUT K [stride= padding= dilation=]``, ``maxpool K [stride= padding=]``,
``avgpool K [stride= padding=]``, ``linear OUT`` (or ``IN OUT``), ``relu``, ``tanh``,
``sigmoid``, ``flatten``, ``dropout [P]``, ``batchnorm``, ``lrn [SIZE]``,
``adaptiveavgpool SIZE``.

>>> model = build_model("conv 6 5 padding=2\\nrelu\\nmaxpool 2\\nflatten\\nlinear 10", (1, 28, 28))
>>> model
Sequential(
  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
  (1): ReLU()
  (2): MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))
  (3): Flatten(start_dim=1, end_dim=-1)
  (4): Linear(in_features=1176, out_features=10, bias=True)
)
"""

import math
import re

from .. import nn
from ..errors import ScratchCNNError
from .validation import ValidationError

MAX_LAYERS = 64
# Guards on what a pasted list may allocate and compute (AlexNet, the largest zoo model,
# has 62 million parameters and 1.1 billion multiply-adds at 227x227).
MAX_PARAMS = 80_000_000
MAX_MACS = 3_000_000_000
MAX_CHANNELS = 4096
MAX_UNITS = 16384
MAX_KERNEL = 31
MAX_ACTIVATIONS = 32_000_000   # output values of all layers together, for one image

_ALIASES = {
    "conv": "conv", "conv2d": "conv", "maxpool": "maxpool", "maxpool2d": "maxpool",
    "avgpool": "avgpool", "avgpool2d": "avgpool", "linear": "linear", "fc": "linear",
    "dense": "linear", "relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid",
    "flatten": "flatten", "dropout": "dropout", "batchnorm": "batchnorm",
    "batchnorm2d": "batchnorm", "lrn": "lrn", "localresponsenorm": "lrn",
    "adaptiveavgpool": "adaptiveavgpool", "adaptiveavgpool2d": "adaptiveavgpool",
}
_KEYWORDS = {
    "conv": ("stride", "padding", "dilation", "kernel_size", "in_channels", "out_channels",
             "bias"),
    "maxpool": ("stride", "padding", "kernel_size"),
    "avgpool": ("stride", "padding", "kernel_size"),
    "linear": ("in_features", "out_features", "bias"),
    "dropout": ("p",), "lrn": ("size",), "adaptiveavgpool": ("output_size",),
    "relu": (), "tanh": (), "sigmoid": (), "flatten": (), "batchnorm": (),
}
_TOKEN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=[^=]+$|^[^=]+$")


def _value(text, where):
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise ValidationError(f"{where}: {text!r} is not a number", "layers") from None


def parse_line(line, number):
    """``"conv 96 11 stride=4"`` -> ``("conv", [96, 11], {"stride": 4})``."""
    where = f"line {number}"
    text = line.replace("(", " ").replace(")", " ").replace(",", " ")
    text = re.sub(r"\s*=\s*", "=", text).replace("nn.", "")
    tokens = text.split()
    name = tokens[0].lower().replace("_", "")
    if name not in _ALIASES:
        raise ValidationError(f"{where}: unknown layer {tokens[0]!r}; known: "
                              f"{', '.join(sorted(set(_ALIASES.values())))}", "layers")
    kind = _ALIASES[name]
    args, kwargs = [], {}
    for token in tokens[1:]:
        if not _TOKEN.match(token):
            raise ValidationError(f"{where}: cannot read {token!r}", "layers")
        if "=" in token:
            key, raw = token.split("=", 1)
            if key not in _KEYWORDS[kind]:
                raise ValidationError(f"{where}: {kind} takes no argument {key!r}"
                                      + (f"; it takes {', '.join(_KEYWORDS[kind])}"
                                         if _KEYWORDS[kind] else ""), "layers")
            kwargs[key] = _value(raw, where)
        else:
            if kwargs:
                raise ValidationError(f"{where}: positional argument {token!r} after a "
                                      "keyword argument", "layers")
            args.append(_value(token, where))
    return kind, args, kwargs


def _int_arg(value, name, low, high, where):
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{where}: {name} must be an integer in {low}..{high}, got "
                              f"{value!r}", "layers")
    return value


def _positional(kind, args, kwargs, names, where):
    """Merge positional arguments into ``kwargs`` under ``names`` (in order)."""
    if len(args) > len(names):
        raise ValidationError(f"{where}: {kind} takes at most {len(names)} positional "
                              f"argument(s) ({' '.join(n.upper() for n in names)}), got "
                              f"{len(args)}", "layers")
    merged = dict(zip(names, args))
    for key, value in kwargs.items():
        if key in merged:
            raise ValidationError(f"{where}: {key} given twice", "layers")
        merged[key] = value
    return merged


def _names(args, kwargs, full):
    """Which arguments the positional ones are: PyTorch's full order (``full``, e.g. IN OUT
    KERNEL) when they fill it, else the short form without the first (the input size,
    inferred); keyword arguments take their names out of the order."""
    missing = tuple(name for name in full if name not in kwargs)
    if len(args) >= len(missing) or full[0] not in missing:
        return missing
    return missing[1:]


def _spec(kind, args, kwargs, shape, where):
    """(layer class, its keyword arguments) for one parsed line, given the (C, H, W) or
    (F,) shape it receives; nothing is allocated yet."""
    if kind in ("conv", "maxpool", "avgpool", "batchnorm", "lrn", "adaptiveavgpool") \
            and len(shape) != 3:
        raise ValidationError(f"{where}: {kind} needs an image input (C, H, W), but the "
                              f"layers before it produce flat features of shape "
                              f"{tuple(shape)}", "layers")
    if kind == "conv":
        a = _positional(kind, args, kwargs, _names(args, kwargs, (
            "in_channels", "out_channels", "kernel_size")), where)
        if "out_channels" not in a or "kernel_size" not in a:
            raise ValidationError(f"{where}: conv needs OUT KERNEL, e.g. 'conv 96 11 "
                                  "stride=4'", "layers")
        channels = a.pop("in_channels", shape[0])
        if channels != shape[0]:
            raise ValidationError(f"{where}: conv expects {channels} input channels, but the "
                                  f"previous layer gives {shape[0]}", "layers")
        spec = {"in_channels": channels,
                "out_channels": _int_arg(a.pop("out_channels"), "out_channels", 1,
                                         MAX_CHANNELS, where),
                "kernel_size": _int_arg(a.pop("kernel_size"), "kernel_size", 1, MAX_KERNEL,
                                        where)}
        for key, low in (("stride", 1), ("padding", 0), ("dilation", 1)):
            if key in a:
                spec[key] = _int_arg(a.pop(key), key, low, MAX_KERNEL, where)
        if "bias" in a:
            spec["bias"] = _boolean(a.pop("bias"), where)
        return nn.Conv2d, spec
    if kind in ("maxpool", "avgpool"):
        a = _positional(kind, args, kwargs, ("kernel_size", "stride", "padding"), where)
        if "kernel_size" not in a:
            raise ValidationError(f"{where}: {kind} needs a window size, e.g. '{kind} 2'",
                                  "layers")
        spec = {key: _int_arg(a[key], key, low, MAX_KERNEL, where)
                for key, low in (("kernel_size", 1), ("stride", 1), ("padding", 0)) if key in a}
        return (nn.MaxPool2d if kind == "maxpool" else nn.AvgPool2d), spec
    if kind == "linear":
        a = _positional(kind, args, kwargs, _names(args, kwargs, ("in_features",
                                                                 "out_features")), where)
        if len(shape) != 1:
            raise ValidationError(f"{where}: linear needs flat features; add 'flatten' "
                                  f"before it (its input is {tuple(shape)})", "layers")
        features = a.pop("in_features", shape[0])
        if features != shape[0]:
            raise ValidationError(f"{where}: linear expects {features} input features, but "
                                  f"the previous layer gives {shape[0]}", "layers")
        if "out_features" not in a:
            raise ValidationError(f"{where}: linear needs OUT, e.g. 'linear 10'", "layers")
        spec = {"in_features": features,
                "out_features": _int_arg(a.pop("out_features"), "out_features", 1, MAX_UNITS,
                                         where)}
        if "bias" in a:
            spec["bias"] = _boolean(a.pop("bias"), where)
        return nn.Linear, spec
    simple = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "flatten": nn.Flatten}
    if kind in simple:
        _positional(kind, args, kwargs, (), where)
        return simple[kind], {}
    if kind == "dropout":
        a = _positional(kind, args, kwargs, ("p",), where)
        p = a.get("p", 0.5)
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
            raise ValidationError(f"{where}: dropout p must be in [0, 1), got {p!r}", "layers")
        return nn.Dropout, {"p": float(p)}
    if kind == "batchnorm":
        _positional(kind, args, kwargs, (), where)
        return nn.BatchNorm2d, {"num_features": shape[0]}
    if kind == "lrn":
        a = _positional(kind, args, kwargs, ("size",), where)
        return nn.LocalResponseNorm, {"size": _int_arg(a.get("size", 5), "size", 1, 99, where)}
    a = _positional(kind, args, kwargs, ("output_size",), where)
    if "output_size" not in a:
        raise ValidationError(f"{where}: adaptiveavgpool needs an output size", "layers")
    return nn.AdaptiveAvgPool2d, {"output_size": _int_arg(a["output_size"], "output_size", 1,
                                                           64, where)}


def _boolean(value, where):
    if not isinstance(value, bool):
        raise ValidationError(f"{where}: bias must be true or false, got {value!r}", "layers")
    return value


def _params(cls, spec):
    """The parameters a layer will hold, before its weights are allocated."""
    bias = spec.get("bias", True)
    if cls is nn.Conv2d:
        o = spec["out_channels"]
        return o * spec["in_channels"] * spec["kernel_size"] ** 2 + (o if bias else 0)
    if cls is nn.Linear:
        o = spec["out_features"]
        return o * spec["in_features"] + (o if bias else 0)
    return 2 * spec["num_features"] if cls is nn.BatchNorm2d else 0


def _macs(layer, out_shape):
    """Multiply-adds for one image, as ``summary`` counts them."""
    if isinstance(layer, nn.Conv2d):
        (kh, kw) = layer.kernel_size
        return layer.out_channels * out_shape[1] * out_shape[2] * layer.in_channels * kh * kw
    if isinstance(layer, nn.Linear):
        return layer.in_features * layer.out_features
    return 0


def build_model(text, input_shape):
    """An ``nn.Sequential`` from a layer list for a (C, H, W) input; a
    :class:`ValidationError` naming the line when a layer is unknown, malformed, does not
    fit the shape it receives, or the whole would be too large to run."""
    lines = [(number, line.split("#", 1)[0].strip())
             for number, line in enumerate(text.splitlines(), 1)]
    lines = [(number, line) for number, line in lines if line]
    if not lines:
        raise ValidationError("the layer list is empty: one layer per line, e.g. "
                              "'conv 96 11 stride=4'", "layers")
    if len(lines) > MAX_LAYERS:
        raise ValidationError(f"at most {MAX_LAYERS} layers, got {len(lines)}", "layers")
    layers, shape, params, macs, values = [], tuple(input_shape), 0, 0, 0
    for number, line in lines:
        where = f"line {number}"
        cls, spec = _spec(*parse_line(line, number), shape, where)
        params += _params(cls, spec)
        if params > MAX_PARAMS:
            raise ValidationError(f"{where}: the network would have {params:,} parameters; "
                                  f"the calculator builds at most {MAX_PARAMS:,}", "layers")
        try:
            layer = cls(**spec)
            out_shape = tuple(layer.output_shape((1,) + shape))[1:]
        except ScratchCNNError as error:
            raise ValidationError(f"{where} ({line}): {error}", "layers") from None
        macs += _macs(layer, out_shape)
        values += math.prod(out_shape)
        if values > MAX_ACTIVATIONS:
            raise ValidationError(f"{where}: the layers' outputs would hold {values:,} values "
                                  f"per image; the calculator runs at most "
                                  f"{MAX_ACTIVATIONS:,}", "layers")
        if macs > MAX_MACS:
            raise ValidationError(f"{where}: the network would need {macs:,} multiply-adds "
                                  f"per image; the calculator runs at most {MAX_MACS:,}",
                                  "layers")
        layers.append(layer)
        shape = out_shape
    return nn.Sequential(*layers)
