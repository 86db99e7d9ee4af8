"""The worked example: the guide's tiny CNN built from the engine's layers, run forward
and backward once, and one SGD step, every number captured for the :class:`Trace`."""

import collections

import numpy as np

from .. import nn
from .. import optim
from ..nn import functional as F
from ..tensor import Tensor
from .config import validate_config
from .steps import backward_steps, describe_network, first_example, forward_steps, update_step
from .trace import Trace


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

    describe_network(trace, model, image)
    first_example(trace)
    forward_steps(trace, config, model, image, outputs, logits, probs, loss)
    backward_steps(trace, config, model, outputs, logits, probs)
    old = {name: p._array.copy() for name, p in model.named_parameters()}
    optim.SGD(model.parameters(), lr=config["lr"]).step()
    update_step(trace, config, model, old)
    _guide_notes(trace, config, image, outputs)
    return trace


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
