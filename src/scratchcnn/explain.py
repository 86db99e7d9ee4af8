"""A tiny CNN trained by hand, one step at a time, with every number shown.

The default network is the guide's: a 4x4 image, one 2x2 filter, ReLU, 2x2 max pooling,
a fully connected layer to 2 classes, softmax and cross-entropy, then the backward pass
and one SGD step. Every number printed comes from the engine itself: the network is
built from :mod:`scratchcnn.nn` layers, forward hooks capture each layer's output,
``retain_grad`` keeps the intermediate gradients, and ``sc.optim.SGD`` makes the update.
Only the *text* (the written-out dot products) is assembled here.

>>> from scratchcnn.explain import explain
>>> trace = explain()
>>> [round(float(p), 3) for p in trace.values["softmax"]]
[0.475, 0.525]
>>> round(trace.values["loss"], 3)
0.744
"""

import collections
import copy
import json
import numbers

import numpy as np

from . import nn
from . import optim
from .errors import ArgumentError
from .nn import functional as F
from .ops.conv import pad_spatial, windows
from .tensor import Tensor

DEFAULT_CONFIG = {
    "input": [[1, 2, 1, 0], [0, 1, 2, 1], [1, 0, 1, 2], [2, 1, 0, 1]],
    "kernel": [[1, 0], [0, -1]],
    "bias": 0.0,
    "stride": 1,
    "padding": 0,
    # The guide says stride 2, which leaves a 1x1 map; stride 1 gives the 4 features its
    # FC layer takes and reproduces all of its numbers (see the "guide" step).
    "pool": {"kind": "max", "size": 2, "stride": 1},
    # Written as the guide writes it: one row per input feature, one column per class.
    "fc_weight": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]],
    "fc_bias": [0.1, 0.2],
    "label": 0,
    "lr": 0.1,
}

CONFIG_SCHEMA = """\
Configuration (JSON object; every key optional, defaults from --dump-config):
  input      2-D list of numbers: the grayscale image (H x W), at most 16 x 16
  kernel     2-D list of numbers: the one filter (kh x kw), at most 7 x 7 and at most
             the padded input
  bias       number: the filter's bias
  stride     int in 1..32: convolution stride
  padding    int in 0..3: zero padding on every side of the input
  pool       {"kind": "max" | "avg", "size": int in 1..32, "stride": int in 1..32}
  fc_weight  2-D list, F rows x K columns: F = number of pooled values, K = classes (>= 2)
  fc_bias    list of K numbers
  label      int in [0, K): the true class
  lr         number > 0: the SGD learning rate
Every number is at most 1e6 in magnitude (so that every result stays finite)."""

# Bounds that keep every number of the trace finite and every size small: values and
# sizes beyond them describe no different network (a stride of 32 already passes any
# padded input of at most 16 + 2*3 = 22).
MAX_ABS_VALUE = 1e6
MAX_STEP = 32


class ConfigError(ArgumentError):
    """The explain configuration is invalid; the message names the key."""


# --------------------------------------------------------------------- configuration
def _matrix(config, key, max_size=16):
    value = config[key]
    try:
        array = np.array(value, dtype=np.float64)
    except OverflowError:             # an int too large for a float
        raise ConfigError(f"'{key}' values must be within ±{MAX_ABS_VALUE:g}") from None
    except (TypeError, ValueError, RecursionError):
        raise ConfigError(f"'{key}' must be a 2-D list of numbers (rows of equal length), "
                          f"got {_short(value)}") from None
    if array.ndim != 2 or array.size == 0:
        raise ConfigError(f"'{key}' must be a non-empty 2-D list of numbers, got shape "
                          f"{array.shape}")
    if max(array.shape) > max_size:
        raise ConfigError(f"'{key}' is at most {max_size} x {max_size}, got {array.shape}")
    if not np.isfinite(array).all():
        raise ConfigError(f"'{key}' must hold finite numbers")
    if (np.abs(array) > MAX_ABS_VALUE).any():
        raise ConfigError(f"'{key}' values must be within ±{MAX_ABS_VALUE:g}, got "
                          f"{array[np.abs(array) > MAX_ABS_VALUE][0]:g}")
    return array


def _short(value):
    """``repr(value)``, cut to 60 characters for error messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _int(config, key, minimum, value=None, maximum=None):
    value = config[key] if value is None else value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ConfigError(f"'{key}' must be an int >= {minimum}, got {_short(value)}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"'{key}' is at most {maximum}, got {_short(value)}")
    return int(value)


def _number(value, key):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"'{key}' must be a finite number, got {_short(value)}")
    try:
        number = float(value)
    except OverflowError:             # an int too large for a float
        number = MAX_ABS_VALUE * 2
    if not np.isfinite(number):
        raise ConfigError(f"'{key}' must be a finite number, got {_short(value)}")
    if abs(number) > MAX_ABS_VALUE:
        raise ConfigError(f"'{key}' must be within ±{MAX_ABS_VALUE:g}, got {_short(value)}")
    return number


def validate_config(user_config=None):
    """The full configuration (defaults filled in), checked; raises :class:`ConfigError`."""
    user_config = {} if user_config is None else user_config
    if not isinstance(user_config, dict):
        raise ConfigError(f"the configuration must be a JSON object, got "
                          f"{type(user_config).__name__}")
    unknown = sorted(set(user_config) - set(DEFAULT_CONFIG))
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(unknown)}; known: "
                          f"{', '.join(DEFAULT_CONFIG)}")
    config = copy.deepcopy(DEFAULT_CONFIG)
    config.update(copy.deepcopy(user_config))
    pool = dict(DEFAULT_CONFIG["pool"], **(config["pool"] if isinstance(config["pool"], dict)
                                           else {}))
    if not isinstance(config["pool"], dict) or set(config["pool"]) - {"kind", "size", "stride"}:
        raise ConfigError(f"'pool' must be an object with kind, size and stride, got "
                          f"{config['pool']!r}")
    if pool["kind"] not in ("max", "avg"):
        raise ConfigError(f"'pool.kind' must be 'max' or 'avg', got {pool['kind']!r}")
    _int(pool, "size", 1, pool["size"], MAX_STEP)
    _int(pool, "stride", 1, pool["stride"], MAX_STEP)
    config["pool"] = pool

    image, kernel = _matrix(config, "input"), _matrix(config, "kernel", 7)
    stride = _int(config, "stride", 1, maximum=MAX_STEP)
    padding = _int(config, "padding", 0)
    if padding > 3:
        raise ConfigError(f"'padding' is at most 3, got {padding}")
    _number(config["bias"], "bias")
    lr = _number(config["lr"], "lr")
    if lr <= 0:
        raise ConfigError(f"'lr' must be > 0, got {lr}")
    padded = np.array(image.shape) + 2 * padding
    if (np.array(kernel.shape) > padded).any():
        raise ConfigError(f"the {kernel.shape[0]}x{kernel.shape[1]} kernel is larger than the "
                          f"padded {padded[0]}x{padded[1]} input")
    conv_out = (padded - np.array(kernel.shape)) // stride + 1
    if (pool["size"] > conv_out).any():
        raise ConfigError(f"the {pool['size']}x{pool['size']} pooling window is larger than "
                          f"the {conv_out[0]}x{conv_out[1]} convolution output")
    pooled = (conv_out - pool["size"]) // pool["stride"] + 1
    features = int(np.prod(pooled))
    fc_weight = _matrix(config, "fc_weight", 256)
    if fc_weight.shape[0] != features or fc_weight.shape[1] < 2:
        raise ConfigError(
            f"'fc_weight' must be {features} x K (one row per pooled value: "
            f"{pooled[0]}x{pooled[1]} = {features}; K >= 2 classes), got "
            f"{fc_weight.shape[0]} x {fc_weight.shape[1]}")
    fc_bias = config["fc_bias"]
    if not isinstance(fc_bias, list) or len(fc_bias) != fc_weight.shape[1]:
        raise ConfigError(f"'fc_bias' must be a list of {fc_weight.shape[1]} numbers, got "
                          f"{fc_bias!r}")
    for value in fc_bias:
        _number(value, "fc_bias")
    label = _int(config, "label", 0)
    if label >= fc_weight.shape[1]:
        raise ConfigError(f"'label' must be < {fc_weight.shape[1]} (the number of classes), "
                          f"got {label}")
    return config


# --------------------------------------------------------------------- formatting
class Formatter:
    def __init__(self, decimals):
        self.decimals = decimals

    def num(self, value):
        """Integers as integers (1, -1), everything else with ``decimals`` places."""
        value = float(value)
        if value == int(value) and abs(value) < 1e12:
            return str(int(value))
        return f"{value:.{self.decimals}f}"

    def vector(self, values):
        return "[" + ", ".join(self.num(v) for v in np.ravel(values)) + "]"

    def matrix(self, array, indent="    "):
        cells = [[self.num(v) for v in row] for row in np.atleast_2d(array)]
        width = max(len(c) for row in cells for c in row)
        return [indent + "  ".join(c.rjust(width) for c in row) for row in cells]


def _dot_product(patch, kernel, fmt):
    terms = [f"({fmt.num(p)}*{fmt.num(k)})" for p, k in zip(patch.ravel(), kernel.ravel())]
    return " + ".join(terms)


# --------------------------------------------------------------------- the trace
class Trace:
    """The result of :func:`explain`: ``steps`` (title, text lines, numbers), ``values``
    (the key numbers by name), and renderers ``text()``, ``markdown()``, ``json()``."""

    def __init__(self, config, decimals):
        self.config = config
        self.fmt = Formatter(decimals)
        self.steps = []
        self.values = {}

    def add(self, title, lines, **data):
        self.steps.append({"title": title, "lines": list(lines),
                           "data": {k: _jsonable(v) for k, v in data.items()}})

    def text(self):
        out = []
        for number, step in enumerate(self.steps, 1):
            heading = f"{number}. {step['title']}"
            out += [heading, "-" * len(heading)] + step["lines"] + [""]
        return "\n".join(out)

    def markdown(self):
        out = ["# The guide's CNN, trained by hand", ""]
        for number, step in enumerate(self.steps, 1):
            out += [f"## {number}. {step['title']}", "", "```text"] + step["lines"] + ["```", ""]
        return "\n".join(out)

    def json(self):
        return json.dumps({"config": self.config, "values": _jsonable(self.values),
                           "steps": self.steps}, indent=2)


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _build_network(config):
    """The engine's layers, loaded with the configuration's numbers (float64, exact)."""
    kernel = np.array(config["kernel"], dtype=np.float64)
    fc_weight = np.array(config["fc_weight"], dtype=np.float64)
    pool = config["pool"]
    conv = nn.Conv2d(1, 1, kernel.shape, stride=config["stride"], padding=config["padding"])
    pool_layer = (nn.MaxPool2d if pool["kind"] == "max" else nn.AvgPool2d)(
        pool["size"], stride=pool["stride"])
    fc = nn.Linear(*fc_weight.shape)
    model = nn.Sequential(collections.OrderedDict(
        conv=conv, relu=nn.ReLU(), pool=pool_layer, flatten=nn.Flatten(), fc=fc)).double()
    model.load_state_dict({
        "conv.weight": kernel[None, None], "conv.bias": np.array([config["bias"]]),
        "fc.weight": fc_weight.T,  # the engine stores (out, in): the guide's matrix transposed
        "fc.bias": np.array(config["fc_bias"], dtype=np.float64),
    })
    return model


def explain(config=None, decimals=4):
    """Run the worked example for ``config`` (default: the guide's) and return a :class:`Trace`."""
    config = validate_config(config)
    trace = Trace(config, decimals)
    model = _build_network(config)
    outputs = {}

    def keep(name):
        def hook(module, inputs, output):
            output.retain_grad()
            outputs[name] = output
        return hook

    for name in ("conv", "relu", "pool", "flatten"):
        getattr(model, name).register_forward_hook(keep(name))
    image = np.array(config["input"], dtype=np.float64)
    x = Tensor(image[None, None])
    logits = model(x)
    logits.retain_grad()
    probs = F.softmax(logits, dim=1)
    label = config["label"]
    loss = nn.CrossEntropyLoss()(logits, Tensor(np.array([label])))
    loss.backward()

    _describe_network(trace, model, image)
    _first_example(trace)
    _forward_steps(trace, config, model, image, outputs, logits, probs, loss)
    _backward_steps(trace, config, model, outputs, logits, probs)
    old = {name: p._array.copy() for name, p in model.named_parameters()}
    optim.SGD(model.parameters(), lr=config["lr"]).step()
    _update_step(trace, config, model, old)
    _guide_notes(trace, config, image, outputs)
    return trace


def _describe_network(trace, model, image):
    fmt = trace.fmt
    fc = model.fc
    shape = (1, 1) + image.shape
    lines = [f"input X ({image.shape[0]}x{image.shape[1]}):"] + fmt.matrix(image)
    for name in ("conv", "relu", "pool", "flatten", "fc"):
        layer = getattr(model, name)
        new_shape = layer.output_shape(shape)
        detail = ""
        if name in ("conv", "pool"):
            k, s, p = layer.kernel_size[0], layer.stride[0], layer.padding[0]
            detail = f"   ({shape[2]} - {k} + 2x{p}) / {s} + 1 = {new_shape[2]}"
        lines.append(f"{name:8s} {type(layer).__name__}({layer.extra_repr()}) -> "
                     f"{tuple(new_shape[1:])}{detail}")
        shape = new_shape
    lines.append(f"The fully connected weights are written as the guide writes them, "
                 f"W_fc ({fc.in_features}x{fc.out_features}, one row per input feature); "
                 f"the engine's Linear.weight is its transpose "
                 f"({fc.out_features}x{fc.in_features}, PyTorch's layout).")
    trace.add("The network", lines)


def _first_example(trace):
    """The guide's opening example, through the engine's conv2d."""
    fmt = trace.fmt
    patch = np.array([[1.0, 6.0], [5.0, 3.0]])
    kernel = np.array([[1.0, 2.0], [-1.0, 0.0]])
    value = F.conv2d(Tensor(patch[None, None]), Tensor(kernel[None, None])).item()
    line = (" + ".join(f"{fmt.num(p)}*{fmt.num(k) if k >= 0 else f'({fmt.num(k)})'}"
                       for p, k in zip(patch.ravel(), kernel.ravel())) + f" = {fmt.num(value)}")
    trace.values["first_example"] = value
    trace.add("A dot product (the guide's first example)",
              ["patch [[1, 6], [5, 3]], kernel [[1, 2], [-1, 0]]:", "    " + line],
              patch=patch, kernel=kernel, value=value)


def _forward_steps(trace, config, model, image, outputs, logits, probs, loss):
    fmt = trace.fmt
    conv = model.conv
    kernel = conv.weight._array[0, 0]
    bias = conv.bias._array[0]
    padded = pad_spatial(image[None, None], conv.padding)
    patches = windows(padded, conv.kernel_size, conv.stride, conv.dilation)[0, 0]
    pre = outputs["conv"]._array[0, 0]
    oh, ow = pre.shape
    lines = [f"{oh} x {ow} = {oh * ow} positions of the {kernel.shape[0]}x{kernel.shape[1]} "
             f"filter W (stride {conv.stride[0]}, padding {conv.padding[0]}), bias "
             f"{fmt.num(bias)}:"] + fmt.matrix(kernel)
    for i in range(oh):
        for j in range(ow):
            patch = patches[i, j]
            text = _dot_product(patch, kernel, fmt)
            if bias:
                text += f" + {fmt.num(bias)}"
            lines.append(f"  position ({i}, {j}): patch {fmt.vector(patch)} -> {text} = "
                         f"{fmt.num(pre[i, j])}")
    lines += ["feature map (pre-activation):"] + fmt.matrix(pre)
    trace.values["conv"] = pre
    trace.add("Convolution", lines, feature_map=pre, patches=patches)

    activated = outputs["relu"]._array[0, 0]
    trace.values["relu"] = activated
    trace.add("ReLU: A = max(0, x)", fmt.matrix(activated), activation=activated)

    pooled = outputs["pool"]._array[0, 0]
    pool = config["pool"]
    trace.values["pool"] = pooled
    trace.add(f"{pool['kind'].capitalize()} pooling {pool['size']}x{pool['size']}, stride "
              f"{pool['stride']}", [f"P ({pooled.shape[0]}x{pooled.shape[1]}):"]
              + fmt.matrix(pooled), pooled=pooled)

    flat = outputs["flatten"]._array[0]
    z = logits._array[0]
    w_fc = model.fc.weight._array.T
    b_fc = model.fc.bias._array
    lines = [f"flatten P: {fmt.vector(flat)}", "Z = W_fc^T . P + b_fc:"]
    for k in range(len(z)):
        terms = " + ".join(f"({fmt.num(w)}*{fmt.num(p)})" for w, p in zip(w_fc[:, k], flat))
        lines.append(f"  Z[{k}] = {terms} + {fmt.num(b_fc[k])} = {fmt.num(z[k])}")
    trace.values["flat"], trace.values["logits"] = flat, z
    trace.add("Fully connected layer", lines, flat=flat, logits=z)

    p = probs._array[0]
    exps = " + ".join(f"e^{fmt.num(v)}" for v in z)
    lines = [f"softmax(Z)[{k}] = e^{fmt.num(z[k])} / ({exps}) = {fmt.num(p[k])}"
             for k in range(len(z))]
    trace.values["softmax"] = p
    trace.add("Softmax", lines, probabilities=p)

    label = config["label"]
    onehot = np.eye(len(z))[label]
    trace.values["loss"] = loss.item()
    trace.add("Cross-entropy loss",
              [f"true class {label}: y = {fmt.vector(onehot)}",
               f"L = -sum y_i log p_i = -log({fmt.num(p[label])}) = {fmt.num(loss.item())}"],
              loss=loss.item(), target=onehot)


def _backward_steps(trace, config, model, outputs, logits, probs):
    fmt = trace.fmt
    label = config["label"]
    p = probs._array[0]
    onehot = np.eye(len(p))[label]
    dz = logits.grad._array[0]
    trace.values["dL_dZ"] = dz
    trace.add("Backward: softmax and cross-entropy",
              ["dL/dZ = softmax(Z) - y = "
               + fmt.vector(p) + " - " + fmt.vector(onehot) + " = " + fmt.vector(dz),
               "(a vector with one entry per class)"], dL_dZ=dz)

    flat = outputs["flatten"]._array[0]
    dw_fc = model.fc.weight.grad._array.T     # back to the guide's (inputs x outputs) layout
    db_fc = model.fc.bias.grad._array
    trace.values["dL_dW_fc"], trace.values["dL_db_fc"] = dw_fc, db_fc
    lines = [f"dL/dW_fc = P (outer) dL/dZ, a {dw_fc.shape[0]}x{dw_fc.shape[1]} matrix "
             f"(P has {len(flat)} values, dL/dZ has {len(dz)}):"] + fmt.matrix(dw_fc)
    lines.append(f"dL/db_fc = dL/dZ = {fmt.vector(db_fc)}")
    trace.add("Backward: fully connected weights", lines, dL_dW_fc=dw_fc, dL_db_fc=db_fc)

    dp = outputs["pool"].grad._array[0, 0]
    w_fc = model.fc.weight._array.T
    lines = ["dL/dP = W_fc . dL/dZ, one value per pooled feature:"]
    for f, row in enumerate(w_fc):
        terms = " + ".join(f"({fmt.num(w)}*{fmt.num(g)})" for w, g in zip(row, dz))
        lines.append(f"  dL/dP[{f}] = {terms} = {fmt.num(dp.ravel()[f])}")
    trace.values["dL_dP"] = dp
    trace.add("Backward: into the pooled features", lines, dL_dP=dp)

    da = outputs["relu"].grad._array[0, 0]
    how = ("the whole gradient of each window goes to the element that was its maximum "
           "(the first one when several tie)" if config["pool"]["kind"] == "max" else
           "each window's gradient is shared equally by its elements")
    trace.values["dL_dA"] = da
    trace.add("Backward: through pooling", [f"dL/dA: {how}; windows that overlap add up:"]
              + fmt.matrix(da), dL_dA=da)

    pre = outputs["conv"]._array[0, 0]
    dpre = outputs["conv"].grad._array[0, 0]
    lines = ["ReLU passes the gradient where its input was > 0 and blocks it elsewhere "
             "(its derivative at exactly 0 is 0, PyTorch's convention):",
             "dL/d(pre-activation) = dL/dA * [x > 0]:"] + fmt.matrix(dpre)
    trace.values["dL_dpre"] = dpre
    trace.add("Backward: through ReLU", lines, dL_dpre=dpre)

    dw = model.conv.weight.grad._array[0, 0]
    db = model.conv.bias.grad._array[0]
    lines = ["dL/dW = sum over positions of dL/d(pre-activation)[i, j] * patch(i, j):"]
    lines += fmt.matrix(dw)
    lines.append(f"dL/db = sum of dL/d(pre-activation) = {fmt.num(db)}")
    if not dw.any() and not db:
        if (pre == 0).all() and da.any():
            lines.append("Both are 0 although dL/dA is not: every pre-activation is exactly 0, "
                         "and ReLU's derivative at 0 is 0, so no gradient reaches the filter.")
        elif not (pre > 0).any():
            lines.append("Both are 0: no pre-activation is > 0, so ReLU blocks every gradient.")
    trace.values["dL_dW"], trace.values["dL_db"] = dw, db
    trace.add("Backward: the filter", lines, dL_dW=dw, dL_db=db)


def _update_step(trace, config, model, old):
    fmt = trace.fmt
    lr = config["lr"]
    lines = [f"SGD with learning rate {fmt.num(lr)}: parameter <- parameter - lr * gradient"]
    names = {"fc.bias": "b_fc", "fc.weight": "W_fc", "conv.weight": "W", "conv.bias": "b"}
    for key in ("fc.bias", "fc.weight", "conv.weight", "conv.bias"):
        new = model.state_dict()[key]
        before = old[key]
        if key == "fc.weight":
            new, before = new.T, before.T
        if key == "conv.weight":
            new, before = new[0, 0], before[0, 0]
        unchanged = np.array_equal(new, before)
        if new.ndim == 2:
            lines.append(f"{names[key]}{' (unchanged)' if unchanged else ''}:")
            lines += fmt.matrix(new)
        else:
            lines.append(f"{names[key]}: {fmt.vector(before)} -> {fmt.vector(new)}"
                         f"{' (unchanged)' if unchanged else ''}")
        trace.values[f"new_{names[key]}"] = new
    trace.add("Update", lines, **{names[k]: trace.values[f"new_{names[k]}"] for k in names})


def _guide_notes(trace, config, image, outputs):
    """Where the guide's text and a consistent network part ways, said plainly."""
    lines = []
    pre = outputs["conv"]._array[0, 0]
    kernel = np.array(config["kernel"])
    if config["padding"] == 0 and config["stride"] == 1:
        lines.append(f"A {image.shape[0]}x{image.shape[1]} input and a "
                     f"{kernel.shape[0]}x{kernel.shape[1]} kernel at stride 1 give "
                     f"{pre.shape[0]}x{pre.shape[1]} = {pre.size} positions; the guide lists "
                     "only four.")
    pool = config["pool"]
    if config == validate_config(None):
        lines.append("The guide pools 2x2 at stride 2; on a 3x3 map that leaves 1x1, not the 4 "
                     "values its FC layer takes. This network pools at stride 1 "
                     "(3x3 -> 2x2 -> 4 features), which reproduces all of the guide's numbers.")
        lines.append("The guide writes Softmax(Z) - y as a 2x2 matrix; it is the vector "
                     "[0.475 - 1, 0.525 - 0]. dL/dW_fc is the 4x2 outer product of P and dL/dZ.")
        lines.append("The guide says dL/dW is 0 because dL/dA is 0. It is not: dL/dP = "
                     "W_fc . dL/dZ = 0.0525 per feature reaches A through the max-pool. The "
                     "gradient dies one step later, at ReLU, because every pre-activation is "
                     "exactly 0.")
    else:
        lines.append(f"This run uses a custom configuration (pooling {pool['kind']} "
                     f"{pool['size']}x{pool['size']} at stride {pool['stride']}).")
    trace.add("Notes on the guide", lines)
