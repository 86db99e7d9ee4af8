"""How one value of a layer's output was computed, for the network explorer's inspector:
for a convolution the kernel, the window of the (padded) input under it, the dot product
and the bias; for pooling the window (and max pooling's winner); for an activation its
input; for a linear layer the largest products. Each recomputes the value from the
layer's own weights and the window ``ops.conv.windows`` reads."""

import numpy as np

from ..nn import AvgPool2d, Conv2d, LeakyReLU, Linear, MaxPool2d, ReLU, Sigmoid, Tanh
from ..ops.conv import pad_spatial, windows
from ..ops.pool import max_pool2d_forward
from .explorers import factor, json_matrix, window_coordinates

_ACTIVATIONS = {ReLU: "max(0, x)", LeakyReLU: "x if x > 0 else slope*x", Tanh: "tanh(x)",
                Sigmoid: "1 / (1 + e^-x)"}
# How an inspected convolution value's equation is written: every product while there are
# at most this many (one input channel under a kernel of up to 7x7: 49 terms) ...
MAX_WRITTEN_PRODUCTS = 49
# ... else one dot product per input channel while there are at most this many (the
# digits model's convolutions have 1 and 16), else only the number of products.
MAX_WRITTEN_CHANNELS = 64


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
    padded = pad_spatial(x, module.padding)
    patch = windows(padded, module.kernel_size, module.stride, module.dilation)[0, :, row, col]
    kernel = module.weight._array[channel]
    bias = float(module.bias._array[channel]) if module.bias is not None else 0.0
    products = patch.astype(np.float64) * kernel
    per_channel = products.sum(axis=(1, 2))
    total = float(per_channel.sum() + bias)
    rows, cols = window_coordinates(padded.shape[2:], module.kernel_size, module.stride,
                                    module.dilation)
    ph, pw = module.padding
    if products.size <= MAX_WRITTEN_PRODUCTS:
        terms = " + ".join(f"{factor(fmt, a)}*{factor(fmt, b)}"
                           for a, b in zip(patch.ravel(), kernel.ravel()))
    elif len(per_channel) <= MAX_WRITTEN_CHANNELS:
        terms = " + ".join(factor(fmt, s) for s in per_channel)
        terms = f"sum over {len(per_channel)} input channels of their dot products: {terms}"
    else:
        terms = f"{products.size} products"
    equation = f"{terms} + {factor(fmt, bias)} (bias) = {fmt.num(total)}"
    return {"kernel": kernel.tolist(), "patch": patch.tolist(), "bias": bias,
            "per_channel": per_channel.tolist(), "sum": total, "equation": equation,
            "rows": (rows[row] - ph).tolist(), "cols": (cols[col] - pw).tolist(),
            "padding": list(module.padding), "stride": list(module.stride),
            "dilation": list(module.dilation)}


def _explain_pool(module, x, y, at, fmt):
    _, channel, row, col = at
    is_max = isinstance(module, MaxPool2d)
    dilation = module.dilation if is_max else (1, 1)
    padded = pad_spatial(x, module.padding, value=-np.inf if is_max else 0.0)
    patch = windows(padded, module.kernel_size, module.stride, dilation)[0, channel, row, col]
    rows, cols = window_coordinates(padded.shape[2:], module.kernel_size, module.stride,
                                    dilation)
    ph, pw = module.padding
    result = {"patch": json_matrix(patch),
              "rows": (rows[row] - ph).tolist(), "cols": (cols[col] - pw).tolist(),
              "padding": list(module.padding), "stride": list(module.stride)}
    shown = [fmt.num(a) if np.isfinite(a) else "-inf" for a in patch.ravel()]
    if is_max:
        _, cache = max_pool2d_forward(x, module.kernel_size, module.stride, module.padding,
                                      module.dilation)
        offset = int(cache[1][0, channel, row, col])
        kw = module.kernel_size[1]
        result.update(winner=[offset // kw, offset % kw], sum=float(np.max(patch)),
                      equation=f"max({', '.join(shown)}) = {fmt.num(y[at])}")
    else:
        mean = float(patch.astype(np.float64).mean())
        result.update(sum=mean, equation=f"({' + '.join(shown)}) / {patch.size} = "
                                         f"{fmt.num(y[at])}")
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
