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

from .. import cost, nn
from ..errors import ScratchCNNError
from ..shapes import conv_output_size, pool_output_size
from .validation import ValidationError

MAX_LAYERS = 64
# Guards on what a pasted list (or a zoo model at another input size) may allocate and
# compute, all checked by arithmetic before any layer is built or run (AlexNet, the
# largest zoo model, has 62 million parameters and 1.1 billion multiply-adds at 227x227).
MAX_PARAMS, MAX_MACS = cost.MAX_PARAMS, cost.MAX_MACS
MAX_CHANNELS = 4096
MAX_UNITS = 16384
MAX_KERNEL = 31
MAX_ACTIVATIONS = cost.MAX_ACTIVATIONS   # output values of all layers, for one image
# A convolution runs as im2col: one (C*kh*kw) x (OH*OW) matrix per image, 4 bytes a value.
# 50 million values (200 MB) is far above any zoo model's (AlexNet's largest: 1.8 million).
MAX_UNFOLDED = cost.MAX_UNFOLDED

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
    if not tokens:
        raise ValidationError(f"{where}: cannot read {line.strip()[:40]!r}: a line starts "
                              "with a layer name, e.g. 'conv 96 11'", "layers")
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
        channels = _int_arg(a.pop("in_channels", shape[0]), "in_channels", 1,
                            max(MAX_CHANNELS, shape[0]), where)
        if channels != shape[0]:
            raise ValidationError(f"{where}: conv expects {channels} input channels, but its "
                                  f"input has {shape[0]}", "layers")
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
        features = _int_arg(a.pop("in_features", shape[0]), "in_features", 1,
                            max(MAX_ACTIVATIONS, shape[0]), where)
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


def _output_shape(cls, spec, shape):
    """The (C, H, W) or (F,) output of a layer given as (class, keyword arguments), by
    the shape arithmetic of :mod:`scratchcnn.shapes` (nothing is built)."""
    if cls is nn.Conv2d:
        hw = conv_output_size(tuple(shape[1:]), spec["kernel_size"], spec.get("stride", 1),
                              spec.get("padding", 0), spec.get("dilation", 1))
        return (spec["out_channels"], *hw)
    if cls in (nn.MaxPool2d, nn.AvgPool2d):
        hw = pool_output_size(tuple(shape[1:]), spec["kernel_size"], spec.get("stride"),
                              spec.get("padding", 0))
        return (shape[0], *hw)
    if cls is nn.Linear:
        return (spec["out_features"],)
    if cls is nn.Flatten:
        return (math.prod(shape),)
    if cls is nn.AdaptiveAvgPool2d:
        return (shape[0], spec["output_size"], spec["output_size"])
    return tuple(shape)


def _refuser(field):
    """``refuse(message)`` for :class:`scratchcnn.cost.Budget`: the page's
    ``ValidationError`` naming the request ``field``."""
    def refuse(message):
        raise ValidationError(message, field)
    return refuse


def Budget(field="layers"):  # noqa: N802 - a constructor of the library's one Budget
    """The library's :class:`scratchcnn.cost.Budget`, refusing with a ValidationError on
    ``field`` (the same limits as ``scratchcnn summary`` and checkpoint loading)."""
    return cost.Budget(refuse=_refuser(field))


def check_model_cost(model, input_shape, what):
    """:func:`scratchcnn.cost.check_model_cost`, refused as a ``ValidationError`` on
    ``input`` (a zoo model at a size from the page)."""
    cost.check_model_cost(model, input_shape, what, refuse=_refuser("input"))


def build_model(text, input_shape):
    """An ``nn.Sequential`` from a layer list for a (C, H, W) input; a
    :class:`ValidationError` naming the line when a layer is unknown, malformed, does not
    fit the shape it receives, or the whole would be too large to run. Every line is
    parsed, its output shape and cost computed and the limits checked before the first
    layer is built."""
    lines = [(number, line.split("#", 1)[0].strip())
             for number, line in enumerate(text.splitlines(), 1)]
    lines = [(number, line) for number, line in lines if line]
    if not lines:
        raise ValidationError("the layer list is empty: one layer per line, e.g. "
                              "'conv 96 11 stride=4'", "layers")
    if len(lines) > MAX_LAYERS:
        raise ValidationError(f"at most {MAX_LAYERS} layers, got {len(lines)}", "layers")
    specs, shape, budget = [], tuple(input_shape), Budget()
    for number, line in lines:
        where = f"line {number}"
        cls, spec = _spec(*parse_line(line, number), shape, where)
        budget.add_params(where, _params(cls, spec))
        try:
            out_shape = _output_shape(cls, spec, shape)
        except ScratchCNNError as error:
            raise ValidationError(f"{where} ({line}): {error}", "layers") from None
        conv = ((spec["in_channels"], spec["out_channels"], (spec["kernel_size"],) * 2)
                if cls is nn.Conv2d else None)
        linear = ((spec["in_features"], spec["out_features"]) if cls is nn.Linear
                  else None)
        budget.add(where, out_shape, conv, linear)
        specs.append((where, line, cls, spec, shape, out_shape))
        shape = out_shape
    layers = []
    for where, line, cls, spec, in_shape, out_shape in specs:
        try:
            layer = cls(**spec)
            built = tuple(layer.output_shape((1,) + in_shape))[1:]
        except ScratchCNNError as error:
            raise ValidationError(f"{where} ({line}): {error}", "layers") from None
        if built != out_shape:            # the arithmetic above must be the layer's own
            raise ValidationError(f"{where} ({line}): output shape {built} where "
                                  f"{out_shape} was expected", "layers")
        layers.append(layer)
    return nn.Sequential(*layers)
