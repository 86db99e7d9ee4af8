"""One output value of a convolution or pooling layer, explained: the window of the
(padded) input it reads, the kernel, the products and the written-out sum.

This is the one home of "explain a window": ``scratchcnn explain``'s worked example,
the visualizer's convolution and pooling explorers, the network explorer's inspector and
its backward pass all call it, so the numbers and the text agree everywhere. The windows
are the ones the engine's convolution reads (``ops.conv.windows`` on the padded input),
and max pooling's winner is the one the engine's backward pass sends the gradient to.

>>> from scratchcnn.explain import Formatter
>>> x = np.array([[[1.0, 6.0, 2.0], [5.0, 3.0, 1.0], [0.0, 2.0, 4.0]]])    # (C, H, W)
>>> w = conv_window(x, np.array([[[1.0, 2.0], [-1.0, 0.0]]]), at=(0, 0))
>>> w["sum"], conv_equation(w, Formatter(4))
(8.0, '1*1 + 6*2 + 5*(-1) + 3*0 = 8')
>>> p = pool_window(x[0], "max", (2, 2), (1, 1), (0, 0), at=(0, 0))
>>> pool_equation(p, Formatter(4)), p["winner"]
('max(1, 6, 5, 3) = 6', 1)
"""

import numpy as np

from ..ops.conv import pad_spatial, windows
from ..ops.pool import max_pool2d_forward
from .formatting import factor

# How a convolution value's equation is written: every product while there are at most
# this many (one input channel under a kernel of up to 7x7: 49 terms) ...
MAX_WRITTEN_PRODUCTS = 49
# ... else one dot product per input channel while there are at most this many (the
# digits model's convolutions have 1 and 16), else only the number of products.
MAX_WRITTEN_CHANNELS = 64


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def padded(x, padding, value=0.0):
    """``x`` (H, W) or (C, H, W) with ``padding`` (p or (ph, pw)) cells of ``value`` on
    every side: (Hp, Wp) or (C, Hp, Wp), Hp = H + 2ph."""
    x = np.asarray(x)
    out = pad_spatial(x.reshape((1,) * (4 - x.ndim) + x.shape), _pair(padding), value=value)
    return out.reshape(out.shape[4 - x.ndim:])


def window_coordinates(padded_shape, kernel, stride, dilation):
    """Per output row i the padded-input rows of its window, per output column j the
    columns: ``rows[i][u]`` (OH, kh), ``cols[j][v]`` (OW, kw); read off
    ``ops.conv.windows`` applied to an array of cell numbers, so they are exactly the
    cells the convolution reads."""
    hp, wp = padded_shape
    cells = np.arange(hp * wp).reshape(1, 1, hp, wp)
    view = windows(cells, _pair(kernel), _pair(stride), _pair(dilation))[0, 0]
    return view[:, 0, :, 0] // wp, view[0, :, 0, :] % wp


def input_windows(x, kernel_size, stride=1, padding=0, dilation=1, value=0.0):
    """The windows of ``x`` (C, H, W), padded with ``value``, that a kernel of
    ``kernel_size`` reads: a strided view (OH, OW, C, kh, kw) with
    ``out[i, j, c, u, v] == x_padded[c, i*sh + u*dh, j*sw + v*dw]`` (no copy)."""
    xp = padded(x, padding, value)
    view = windows(xp[None], _pair(kernel_size), _pair(stride), _pair(dilation))[0]
    return np.moveaxis(view, 0, 2)


def _select(array, at):
    return array if at is None else array[at[0], at[1]]


def conv_window(x, weight, bias=0.0, stride=1, padding=0, dilation=1, at=None):
    """One filter of a convolution over one image, as the numbers of its dot products.

    ``x`` (C, H, W) is the layer's input, ``weight`` (C, kh, kw) one filter, ``bias`` a
    number; ``stride``, ``padding``, ``dilation`` are ints or pairs. Returns a dict:

    - ``padded`` (C, Hp, Wp): the zero-padded input;
    - ``patch`` (OH, OW, C, kh, kw): the window each output reads;
    - ``products`` (OH, OW, C, kh, kw): ``patch * weight`` in float64;
    - ``per_channel`` (OH, OW, C): each input channel's dot product;
    - ``sum`` (OH, OW): ``per_channel`` summed, plus ``bias``: the output values;
    - ``rows`` (OH, kh), ``cols`` (OW, kw): padded-input coordinates of each window;
    - ``weight``, ``bias``: as given.

    With ``at=(i, j)`` only that output position: the leading (OH, OW) (and OH, OW of
    ``rows``, ``cols``) are dropped, and ``sum`` is a float.
    """
    weight = np.asarray(weight)
    bias = float(bias)
    xp = padded(x, padding)
    patch = _select(input_windows(xp, weight.shape[1:], stride, 0, dilation), at)
    products = patch.astype(np.float64) * weight
    per_channel = products.sum(axis=(-2, -1))
    total = per_channel.sum(axis=-1) + bias
    rows, cols = window_coordinates(xp.shape[1:], weight.shape[1:], stride, dilation)
    if at is not None:
        rows, cols, total = rows[at[0]], cols[at[1]], float(total)
    return {"padded": xp, "patch": patch, "weight": weight, "bias": bias,
            "products": products, "per_channel": per_channel, "sum": total,
            "rows": rows, "cols": cols}


def pool_window(x, kind, kernel_size, stride, padding, dilation=1, at=None):
    """One channel of a max or average pooling, as its windows.

    ``x`` (H, W) is one channel of the layer's input; ``kind`` is "max" or "avg".
    Returns a dict:

    - ``padded`` (Hp, Wp): the input padded with -inf (max) or 0 (avg);
    - ``patch`` (OH, OW, kh, kw): the window each output reads;
    - ``winner`` (OH, OW) ints (max only, else None): the offset ``u*kw + v`` in its
      window of each output's maximum, the engine's choice (the first one in row-major
      order on ties), which is where max pooling's backward pass sends the gradient;
    - ``sum`` (OH, OW): the window's maximum or mean;
    - ``rows`` (OH, kh), ``cols`` (OW, kw): padded-input coordinates of each window.

    With ``at=(i, j)`` only that output position (``winner`` an int, ``sum`` a float).
    """
    is_max = kind == "max"
    kernel_size, stride = _pair(kernel_size), _pair(stride)
    padding, dilation = _pair(padding), _pair(dilation)
    xp = padded(x, padding, -np.inf if is_max else 0.0)
    patch = _select(input_windows(xp[None], kernel_size, stride, 0, dilation)[:, :, 0], at)
    winner = None
    if is_max:
        _, cache = max_pool2d_forward(np.asarray(x)[None, None], kernel_size, stride, padding,
                                      dilation)
        winner = _select(cache[1][0, 0].astype(np.int64), at)
        total = patch.max(axis=(-2, -1))
    else:
        total = patch.astype(np.float64).mean(axis=(-2, -1))
    rows, cols = window_coordinates(xp.shape, kernel_size, stride, dilation)
    if at is not None:
        rows, cols, total, winner = rows[at[0]], cols[at[1]], float(total), (
            None if winner is None else int(winner))
    return {"kind": kind, "padded": xp, "patch": patch, "winner": winner, "sum": total,
            "rows": rows, "cols": cols}


def at_position(window, i, j):
    """A :func:`conv_window` or :func:`pool_window` result for every position narrowed
    to output (i, j), the same as calling it with ``at=(i, j)``."""
    out = dict(window, patch=window["patch"][i, j], rows=window["rows"][i],
               cols=window["cols"][j], sum=float(window["sum"][i, j]))
    if "products" in window:
        out.update(products=window["products"][i, j], per_channel=window["per_channel"][i, j])
    if window.get("winner") is not None:
        out["winner"] = int(window["winner"][i, j])
    return out


def product_terms(values, weights, fmt, grouped=False):
    """The products of a dot product written out, one string per pair of ``values`` and
    ``weights`` (any shapes of equal size, read row-major): ``5*(-1)`` (negative factors
    in parentheses), or with ``grouped`` ``(5*-1)`` (each product in parentheses, as the
    worked example writes them)."""
    if grouped:
        return [f"({fmt.num(a)}*{fmt.num(b)})"
                for a, b in zip(np.ravel(values), np.ravel(weights))]
    return [f"{factor(fmt, a)}*{factor(fmt, b)}"
            for a, b in zip(np.ravel(values), np.ravel(weights))]


def bias_term(bias, fmt, grouped=False, always=False):
    """The bias as the last addend of a written sum: ``" + 0.5"`` (``" + (-0.5)"``, or
    ``" + -0.5"`` when ``grouped``), ``""`` for a zero bias; with ``always``
    ``" + 0 (bias)"`` even for a zero one."""
    if always:
        return f" + {factor(fmt, bias)} (bias)"
    if not bias:
        return ""
    return f" + {fmt.num(bias) if grouped else factor(fmt, bias)}"


def conv_equation(window, fmt, value=None, grouped=False, always_bias=False):
    """The written-out sum of one output of :func:`conv_window` (called with ``at``):
    every product while there are at most :data:`MAX_WRITTEN_PRODUCTS`, else each input
    channel's dot product while there are at most :data:`MAX_WRITTEN_CHANNELS`, else the
    number of products; then the bias (see :func:`bias_term`) and ``= value`` (the
    window's own ``sum`` unless given, e.g. the engine's output)."""
    products, per_channel = window["products"], window["per_channel"]
    if products.size <= MAX_WRITTEN_PRODUCTS:
        terms = " + ".join(product_terms(window["patch"], window["weight"], fmt, grouped))
    elif len(per_channel) <= MAX_WRITTEN_CHANNELS:
        terms = " + ".join(factor(fmt, s) for s in per_channel)
        terms = f"sum over {len(per_channel)} input channels of their dot products: {terms}"
    else:
        terms = f"{products.size} products"
    value = window["sum"] if value is None else value
    return f"{terms}{bias_term(window['bias'], fmt, grouped, always_bias)} = {fmt.num(value)}"


def pool_equation(window, fmt, value=None):
    """The written-out maximum or mean of one output of :func:`pool_window` (called with
    ``at``): ``max(1, 6, 5, 3) = 6`` (padding shown as ``-inf``) or
    ``(1 + 6 + 5 + 3) / 4 = 3.75``; ``value`` as in :func:`conv_equation`."""
    patch = window["patch"]
    shown = [fmt.num(a) if np.isfinite(a) else "-inf" for a in np.ravel(patch)]
    value = fmt.num(window["sum"] if value is None else value)
    if window["kind"] == "max":
        return f"max({', '.join(shown)}) = {value}"
    return f"({' + '.join(shown)}) / {patch.size} = {value}"
