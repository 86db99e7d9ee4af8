"""How one value of a layer's output was computed, for the network explorer's inspector:
for a convolution the kernel, the window of the (padded) input under it, the dot product
and the bias; for pooling the window (and max pooling's winner); for an activation its
input; for a linear layer the largest products. Each recomputes the value from the
layer's own weights; convolution and pooling windows are explained by
:mod:`scratchcnn.explain.window` (the code ``scratchcnn explain`` and the explorers use)."""

import numpy as np

from ..nn import AvgPool2d, Conv2d, LeakyReLU, Linear, MaxPool2d, ReLU, Sigmoid, Tanh
from ..explain import factor
from ..explain.window import (MAX_WRITTEN_CHANNELS, MAX_WRITTEN_PRODUCTS, conv_equation,
                              conv_window, pool_equation, pool_window)
from .explorers import json_matrix

_ACTIVATIONS = {ReLU: "max(0, x)", LeakyReLU: "x if x > 0 else slope*x", Tanh: "tanh(x)",
                Sigmoid: "1 / (1 + e^-x)"}
# How an inspected convolution value's equation is written (every product, one dot product
# per input channel, or only their number): MAX_WRITTEN_PRODUCTS, MAX_WRITTEN_CHANNELS of
# scratchcnn.explain.window, re-exported here.
__all__ = ["EXPLAIN", "MAX_WRITTEN_CHANNELS", "MAX_WRITTEN_PRODUCTS", "input_window",
           "inspect_kind"]


def inspect_kind(module):
    """What ``inspect`` can say about a layer's values: conv, pool, activation, linear."""
    if isinstance(module, Conv2d):
        return "conv"
    if isinstance(module, (MaxPool2d, AvgPool2d)):
        return "pool"
    if type(module) in _ACTIVATIONS:
        return "activation"
    if isinstance(module, Linear):
        return "linear"
    return None


def _explain_conv(module, x, y, at, fmt):
    _, channel, row, col = at
    bias = float(module.bias._array[channel]) if module.bias is not None else 0.0
    window = conv_window(x[0], module.weight._array[channel], bias, module.stride,
                         module.padding, module.dilation, at=(row, col))
    ph, pw = module.padding
    return {"kernel": window["weight"].tolist(), "patch": window["patch"].tolist(),
            "bias": bias, "per_channel": window["per_channel"].tolist(),
            "sum": window["sum"], "equation": conv_equation(window, fmt, always_bias=True),
            "rows": (window["rows"] - ph).tolist(), "cols": (window["cols"] - pw).tolist(),
            "padding": list(module.padding), "stride": list(module.stride),
            "dilation": list(module.dilation)}


def _explain_pool(module, x, y, at, fmt):
    _, channel, row, col = at
    is_max = isinstance(module, MaxPool2d)
    window = pool_window(x[0, channel], "max" if is_max else "avg", module.kernel_size,
                         module.stride, module.padding,
                         module.dilation if is_max else (1, 1), at=(row, col))
    ph, pw = module.padding
    result = {"patch": json_matrix(window["patch"]),
              "rows": (window["rows"] - ph).tolist(), "cols": (window["cols"] - pw).tolist(),
              "padding": list(module.padding), "stride": list(module.stride)}
    if is_max:
        kw = module.kernel_size[1]
        result["winner"] = [window["winner"] // kw, window["winner"] % kw]
    result.update(sum=window["sum"], equation=pool_equation(window, fmt, y[at]))
    return result


def _explain_activation(module, x, y, at, fmt):
    value = float(x[at])
    rule = _ACTIVATIONS[type(module)]
    name = type(module).__name__
    return {"input": value, "sum": float(y[at]),
            "equation": f"{name}(x) = {rule}: {name}({fmt.num(value)}) = {fmt.num(y[at])}"}


def _explain_linear(module, x, y, at, fmt):
    unit = at[1]
    weights = module.weight._array[unit]
    inputs = x[0]
    products = inputs.astype(np.float64) * weights
    bias = float(module.bias._array[unit]) if module.bias is not None else 0.0
    total = float(products.sum() + bias)
    top = np.argsort(-np.abs(products))[:8]
    largest = " + ".join(f"{factor(fmt, inputs[k])}*{factor(fmt, weights[k])}" for k in top)
    return {"weights": weights.tolist(), "inputs": inputs.tolist(), "bias": bias, "sum": total,
            "largest": [int(k) for k in top],
            "equation": f"{len(products)} products (largest: {largest}) + {factor(fmt, bias)} "
                        f"(bias) = {fmt.num(total)}"}


# kind (as inspect_kind names it) -> f(module, x, y, at, fmt) -> the explanation's fields
EXPLAIN = {"conv": _explain_conv, "pool": _explain_pool, "activation": _explain_activation,
           "linear": _explain_linear}


def input_window(modules, layer, row, col, input_shape):
    """The rows and columns ``[first, last]`` of the model's input that value (row, col)
    of leaf layer ``layer``'s output depends on (its receptive field, clipped to the
    image), walking back through ``modules`` (the leaf layers in order): a convolution or
    pooling window of k taps at stride s, padding p, dilation d turns output rows
    [a, b] into input rows [a*s - p, b*s - p + d*(k - 1)]; element-wise layers keep
    them; anything that mixes all positions (flatten, linear) gives the whole image."""
    _, height, width = input_shape
    rows, cols = [row, row], [col, col]
    for module in reversed(modules[:layer + 1]):
        if isinstance(module, (Conv2d, MaxPool2d, AvgPool2d)):
            dilation = module.dilation if isinstance(module, (Conv2d, MaxPool2d)) else (1, 1)
            for span, k, s, p, d in ((rows, *(a[0] for a in (
                    module.kernel_size, module.stride, module.padding, dilation))),
                    (cols, *(a[1] for a in (module.kernel_size, module.stride,
                                            module.padding, dilation)))):
                span[0], span[1] = span[0] * s - p, span[1] * s - p + d * (k - 1)
        elif inspect_kind(module) != "activation":
            return {"rows": [0, height - 1], "cols": [0, width - 1]}
    return {"rows": [max(rows[0], 0), min(rows[1], height - 1)],
            "cols": [max(cols[0], 0), min(cols[1], width - 1)]}
