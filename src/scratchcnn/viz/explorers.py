"""The convolution and pooling explorers: one small 2-D example, every position spelled out.

Everything is computed by the library: the output by ``nn.functional.conv2d`` /
``max_pool2d`` / ``avg_pool2d``; the padded input, the window of every output position,
its products and written-out sum, and the winner of each max-pooling window by
:mod:`scratchcnn.explain.window` (the one "explain a window", shared with ``scratchcnn
explain`` and the network explorer); the output size by ``shapes.conv_output_size``.
The page only looks values up in what is returned here.

>>> result = conv_explorer({"input": [[1, 6, 2], [5, 3, 1], [0, 2, 4]],
...                         "kernel": [[1, 2], [-1, 0]]})
>>> result["caption"]
'Input (3, 3) · After padding (3, 3) · Output (2, 2)'
>>> result["equations"][0][0]
'1*1 + 6*2 + 5*(-1) + 3*0 = 8'
>>> pool_explorer({"input": [[1, 6], [5, 3]], "kind": "max", "window": 2})["equations"][0][0]
'max(1, 6, 5, 3) = 6'
"""

import numpy as np

from ..errors import ScratchCNNError
from ..explain import factor  # noqa: F401  (re-exported: it was defined here)
from ..explain import Formatter as _ExplainFormatter
from ..explain.window import (at_position, bias_term, conv_equation, conv_window, padded as
                              padded_input, pool_equation, pool_window, product_terms,
                              window_coordinates)
from ..nn import functional as F
from ..shapes import conv_output_size
from ..summary import shape_formula as summary_formula
from ..tensor import Tensor
from . import validation as v

# Sizes the explorers accept (the page reads them from /api/info).
LIMITS = {"input": 16, "kernel": 7, "padding": 3, "stride": 4, "dilation": 3, "window": 7,
          "pool_stride": 7, "decimals": 8}

DEFAULT_INPUT = [
    [1, 6, 2, 0, 3, 1, 2],
    [5, 3, 1, 4, 0, 2, 1],
    [0, 2, 4, 1, 5, 3, 0],
    [3, 1, 0, 2, 1, 4, 2],
    [2, 5, 3, 1, 0, 1, 3],
    [1, 0, 2, 3, 4, 2, 1],
    [4, 2, 1, 0, 2, 5, 3],
]
DEFAULT_KERNEL = [[1, 2, 0], [-1, 0, 1], [0, 1, -1]]
DEFAULT_CONV = {"input": DEFAULT_INPUT, "kernel": DEFAULT_KERNEL, "padding": 1, "stride": 1,
                "dilation": 1, "bias": 0}
DEFAULT_POOL = {"input": DEFAULT_INPUT, "kind": "max", "window": 2, "stride": 2, "padding": 0}


class Formatter(_ExplainFormatter):
    """Numbers as ``scratchcnn explain`` writes them (the same class, so the page and the
    command agree): integers as integers, others with ``decimals`` places.

    >>> Formatter(4).num(8.0), Formatter(4).num(-0.5), Formatter(2).num(1 / 3)
    ('8', '-0.5000', '0.33')
    """

    def __init__(self, decimals=4):
        super().__init__(decimals)

    def labels(self, array):
        """Every entry of a 2-D array as text; non-finite ones (max pooling's padding) as
        ``−∞``. The page shows these strings, so it formats no number itself."""
        return [[self.num(value) if np.isfinite(value) else "−∞" for value in row]
                for row in np.asarray(array, dtype=np.float64)]


def json_matrix(array):
    """A nested list with non-finite entries (max pooling's -inf padding) as None."""
    out = np.asarray(array, dtype=object)
    out[~np.isfinite(np.asarray(array, dtype=np.float64))] = None
    return out.tolist()


def last_window_covering(coordinates, size):
    """For each of ``size`` padded rows (or columns): the last output index whose window
    covers it, or -1 when no window does."""
    owner = np.full(size, -1)
    index = np.broadcast_to(np.arange(len(coordinates))[:, None], coordinates.shape)
    np.maximum.at(owner, coordinates.ravel(), index.ravel())
    return owner


def _uncovered_warning(row_owner, col_owner, padding, shape, stride, dilation, kind=None):
    """A warning naming the input rows and columns that no window reaches, or None."""
    h, w = shape
    rows = [int(r) for r in np.flatnonzero(row_owner[padding:padding + h] < 0)]
    cols = [int(c) for c in np.flatnonzero(col_owner[padding:padding + w] < 0)]
    if not rows and not cols:
        return None, rows, cols
    named = []
    for what, items in (("row", rows), ("column", cols)):
        if items:
            named.append(f"{what}{'s' if len(items) > 1 else ''} "
                         f"{', '.join(map(str, items))}")
    how = f"stride {stride}" + (f" and dilation {dilation}" if dilation > 1 else "")
    what = "kernel" if kind is None else "window"
    return (f"With {how} the {what} never covers input {' and '.join(named)} (counted from 0): "
            "they do not affect the output."), rows, cols


def _caption(shape, padded, out):
    caption = f"Input ({shape[0]}, {shape[1]}) · After padding ({padded[0]}, {padded[1]})"
    return caption + (f" · Output ({out[0]}, {out[1]})" if out else "")


def _formula(shape, out, kernel, stride, padding, dilation=None):
    """The output-size arithmetic as ``scratchcnn summary --formulas`` prints it; pooling
    (``dilation=None``) has no dilation, and its formula does not mention one."""
    args = (kernel, (stride, stride), (padding, padding), (dilation or 1, dilation or 1))
    lines = (["out = (in - k + 2p) / s + 1, rounded down"] if dilation is None else
             ["out = (in - k_eff + 2p) / s + 1, rounded down; k_eff = d(k - 1) + 1"])
    dilation = dilation or 1
    if dilation > 1:
        effs = sorted({f"{dilation}*({k} - 1) + 1 = {dilation * (k - 1) + 1}" for k in kernel})
        lines.append("k_eff = " + "; ".join(effs))
    if out is not None:
        lines.append(summary_formula(shape, out, args))
    return lines


def _parse_common(body, allowed, defaults):
    v.require_object(body, allowed)
    image = v.matrix(body, "input", LIMITS["input"], default=defaults["input"])
    padding = v.integer(body, "padding", 0, LIMITS["padding"], default=0)
    decimals = v.integer(body, "decimals", 0, LIMITS["decimals"], default=4)
    return image, padding, Formatter(decimals)


def _windows_and_owners(padded_shape, kernel, stride, dilation, padding, shape, kind=None):
    """Window coordinates, the last window covering each padded row / column, and the
    uncovered input rows and columns with their warning: what both explorers return."""
    rows, cols = window_coordinates(padded_shape, kernel, (stride, stride),
                                    (dilation, dilation))
    row_owner = last_window_covering(rows, padded_shape[0])
    col_owner = last_window_covering(cols, padded_shape[1])
    warning, uncovered_rows, uncovered_cols = _uncovered_warning(
        row_owner, col_owner, padding, shape, stride, dilation, kind)
    return {"window_rows": rows.tolist(), "window_cols": cols.tolist(),
            "cell_rows": row_owner.tolist(), "cell_cols": col_owner.tolist(),
            "warning": warning, "uncovered": {"rows": uncovered_rows, "cols": uncovered_cols}}


def _range(fmt, array):
    """``[low, high]`` of the finite entries and their labels: a heat map's legend."""
    finite = np.asarray(array, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    return {"low": low, "high": high, "labels": [fmt.num(low), fmt.num(high)]}


def conv_explorer(body):
    """``{"input", "kernel", "padding", "stride", "dilation", "bias", "decimals"}`` ->
    the padded input, the output, and for every output position its window and dot product.
    A kernel larger than the padded input gives ``valid: false`` and the library's reason.

    ``terms[i][j][k]`` is the product of kernel weight ``k`` (row-major) in the dot product
    of output ``(i, j)``, so that the page can give each term its weight's colour:
    ``" + ".join(terms[i][j]) + bias_term + " = " + labels["output"][i][j]`` is
    ``equations[i][j]``."""
    allowed = ("input", "kernel", "padding", "stride", "dilation", "bias", "decimals")
    image, padding, fmt = _parse_common(body, allowed, DEFAULT_CONV)
    kernel = v.matrix(body, "kernel", LIMITS["kernel"], default=DEFAULT_KERNEL)
    stride = v.integer(body, "stride", 1, LIMITS["stride"], default=1)
    dilation = v.integer(body, "dilation", 1, LIMITS["dilation"], default=1)
    bias = v.number(body, "bias", default=0.0)

    x = image[None, None]
    padded = padded_input(image, padding)
    result = {
        "valid": True, "input": image.tolist(), "padded": padded.tolist(),
        "kernel": kernel.tolist(), "padding": padding, "stride": stride,
        "dilation": dilation, "bias": bias,
        "sizes": {"input": list(image.shape), "padded": list(padded.shape),
                  "kernel": list(kernel.shape),
                  "kernel_extent": [dilation * (k - 1) + 1 for k in kernel.shape]},
        "labels": {"input": fmt.labels(image), "padded": fmt.labels(padded),
                   "kernel": fmt.labels(kernel), "bias": fmt.num(bias)},
        "ranges": {"input": _range(fmt, image), "kernel": _range(fmt, kernel)},
    }
    try:
        out_size = conv_output_size(tuple(image.shape), tuple(kernel.shape), (stride, stride),
                                    padding, dilation)
    except ScratchCNNError as error:
        return dict(result, valid=False, problem=str(error), caption=_caption(
            image.shape, padded.shape, None), formula=_formula(
            image.shape, None, kernel.shape, stride, padding, dilation))

    output = F.conv2d(Tensor(x), Tensor(kernel[None, None]), Tensor(np.array([bias])),
                      stride=stride, padding=padding, dilation=dilation).numpy()[0, 0]
    window = conv_window(image[None], kernel[None], bias, stride, padding, dilation)
    positions = [[at_position(window, i, j) for j in range(out_size[1])]
                 for i in range(out_size[0])]
    terms = [[product_terms(at["patch"], kernel, fmt) for at in row] for row in positions]
    equations = [[conv_equation(at, fmt, output[i, j]) for j, at in enumerate(row)]
                 for i, row in enumerate(positions)]
    out_labels = fmt.labels(output)
    return dict(
        result, output=output.tolist(), caption=_caption(image.shape, padded.shape, out_size),
        formula=_formula(image.shape, out_size, kernel.shape, stride, padding, dilation),
        **_windows_and_owners(padded.shape, kernel.shape, stride, dilation, padding,
                              image.shape),
        products=window["products"][:, :, 0].tolist(), sums=window["sum"].tolist(),
        equations=equations, terms=terms, bias_term=bias_term(bias, fmt),
        labels=dict(result["labels"], output=out_labels),
        ranges=dict(result["ranges"], output=_range(fmt, output)),
        sizes=dict(result["sizes"], output=list(out_size)))


def _pool_padding_problem(padding, window):
    """The library's rule (padding at most half the window) in the page's words, or None."""
    if 2 * padding <= window:
        return None
    return (f"Padding {padding} is more than half the window ({window} / 2): pooling "
            f"allows a padding of at most {window // 2} with a window of {window}, so that "
            "every window holds at least one input cell.")


def pool_explorer(body):
    """``{"input", "kind": "max" | "avg", "window", "stride", "padding", "decimals"}`` ->
    the output, every window, and (max) which input won it. Settings the library refuses
    (padding over half the window, a window larger than the padded input) give
    ``valid: false`` and the reason; ``max_padding`` is the largest padding the window
    allows."""
    allowed = ("input", "kind", "window", "stride", "padding", "decimals")
    image, padding, fmt = _parse_common(body, allowed, DEFAULT_POOL)
    kind = v.choice(body, "kind", ("max", "avg"), default="max")
    window = v.integer(body, "window", 1, LIMITS["window"], default=2)
    stride = v.integer(body, "stride", 1, LIMITS["pool_stride"], default=window)

    x = image[None, None]
    padded = padded_input(image, padding, -np.inf if kind == "max" else 0.0)
    result = {"valid": True, "kind": kind, "input": image.tolist(), "padded": json_matrix(padded),
              "window": window, "stride": stride, "padding": padding,
              "max_padding": min(LIMITS["padding"], window // 2),
              "sizes": {"input": list(image.shape), "padded": list(padded.shape),
                        "kernel": [window, window]},
              "labels": {"input": fmt.labels(image), "padded": fmt.labels(padded)},
              "ranges": {"input": _range(fmt, image)}}
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    problem = _pool_padding_problem(padding, window)
    try:
        if problem is None:
            output = pool(Tensor(x), window, stride=stride, padding=padding).numpy()[0, 0]
    except ScratchCNNError as error:
        problem = str(error)
    if problem is not None:
        return dict(result, valid=False, problem=problem,
                    caption=_caption(image.shape, padded.shape, None),
                    formula=_formula(image.shape, None, (window, window), stride, padding))
    out_size = output.shape
    pooled = pool_window(image, kind, window, stride, padding)
    coordinates = _windows_and_owners(padded.shape, (window, window), stride, 1, padding,
                                      image.shape, kind)
    rows, cols = np.array(coordinates["window_rows"]), np.array(coordinates["window_cols"])
    out_labels = fmt.labels(output)
    equations = [[pool_equation(at_position(pooled, i, j), fmt, output[i, j])
                  for j in range(out_size[1])] for i in range(out_size[0])]
    winners = None
    if kind == "max":
        # The library's own choice of maximum (the first one in row-major window order on
        # ties), which is where max pooling's backward pass sends the gradient.
        offset = pooled["winner"]
        winner_rows = rows[np.arange(out_size[0])[:, None], offset // window]
        winner_cols = cols[np.arange(out_size[1])[None, :], offset % window]
        winners = np.stack([winner_rows, winner_cols], axis=-1)
    return dict(
        result, output=output.tolist(), caption=_caption(image.shape, padded.shape, out_size),
        formula=_formula(image.shape, out_size, (window, window), stride, padding),
        **coordinates, winners=None if winners is None else winners.tolist(),
        equations=equations, labels=dict(result["labels"], output=out_labels),
        ranges=dict(result["ranges"], output=_range(fmt, output)),
        sizes=dict(result["sizes"], output=list(out_size)))
