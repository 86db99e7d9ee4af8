"""``summary(model, input_size)``: every layer's output shape, parameters, cost and
receptive field, like torchinfo or Keras' ``model.summary()``.

The model runs once on zeros (batch 1 unless given) under ``no_grad``; forward hooks
record what each leaf layer produced. Per layer:

- multiply-adds (MACs) for the whole input batch: Conv2d ``O*OH*OW * C/G*kh*kw`` per image
  (G groups), ConvTranspose2d ``C_in*H*W * C_out/G*kh*kw`` (every input value times its
  group's kernels), Linear ``in*out`` per row; FLOPs = 2 x MACs. Pooling and activations
  count as 0.
- receptive field: how many input pixels one output value sees, per axis, by the
  recurrence ``r_out = r_in + (k_eff - 1) * j_in``, ``j_out = j_in * s`` (``j``: the
  distance in input pixels between two neighbouring outputs); an int when both axes
  agree, else [rows, columns]. A transposed convolution (stride s) brings outputs closer,
  ``j_out = j_in / s``, and one output is reached from ``floor((k_eff - 1) / s) + 1``
  inputs: ``r_out = r_in + floor((k_eff - 1) / s) * j_in`` (shown rounded up).
- with ``formulas=True``: the shape arithmetic, ``(227 - 11 + 2x0) / 4 + 1 = 55``.
- with ``algorithms=True``: the algorithm each Conv2d runs under the current
  ``backends.conv.algorithm`` (:func:`scratchcnn.dispatch.conv_algorithm`).

An input the model cannot take (too small for a kernel, or not the size its ``Linear``
expects) raises :class:`ShapeError` naming the smallest input that works, found by
:func:`smallest_input` with the layers' shape arithmetic (``scratchcnn.shapes``).

>>> from scratchcnn import models, summary
>>> s = summary(models.alexnet(), (3, 227, 227))
>>> [row["output"] for row in s.rows[:3]]
['55x55x96', '55x55x96', '27x27x96']
>>> s.total_params
62378344
"""

import fractions
import json
import math

import numpy as np

from . import dispatch, nn
from .cost import check_model_cost
from .autograd import no_grad
from .errors import ScratchCNNError, ShapeError
from .tensor import Tensor

MAX_SEARCH = 1024   # the largest side smallest_input tries

_SPATIAL = (nn.Conv2d, nn.ConvTranspose2d, nn.MaxPool2d, nn.AvgPool2d)


def _spatial_args(module):
    """(kernel, stride, padding, dilation) pairs of a conv/pool layer, else None. A
    Conv2d's padding='same' that differs by side becomes ((top, bottom), (left, right))."""
    if not isinstance(module, _SPATIAL):
        return None
    dilation = getattr(module, "dilation", (1, 1))
    padding = module.padding
    if padding == "same":
        padding = tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2)
                        for k, d in zip(module.kernel_size, dilation))
    return module.kernel_size, module.stride, padding, dilation


def _padding_text(p):
    return f"2x{p}" if not isinstance(p, tuple) else f"{p[0]}+{p[1]}"


def _transpose_formula(in_hw, out_hw, module):
    """'(5 - 1)x2 - 2x1 + 2 + 1 + 1 = 10': (in - 1)*s - 2p + d*(k - 1) + output_padding + 1."""
    parts = [f"({size} - 1)x{s} - 2x{p} + {d * (k - 1)} + {op} + 1 = {out}"
             for size, out, k, s, p, d, op in zip(in_hw, out_hw, module.kernel_size,
                                                  module.stride, module.padding,
                                                  module.dilation, module.output_padding)]
    return parts[0] if parts[0] == parts[1] else f"H: {parts[0]}; W: {parts[1]}"


def _formula(in_hw, out_hw, args):
    """'(227 - 11 + 2x0) / 4 + 1 = 55', once if both axes agree, else 'H: ...; W: ...'."""
    kernel, stride, padding, dilation = args
    parts = []
    for size, out, k, s, p, d in zip(in_hw, out_hw, kernel, stride, padding, dilation):
        k_eff = d * (k - 1) + 1
        total = sum(p) if isinstance(p, tuple) else 2 * p
        body = f"({size} - {k_eff} + {_padding_text(p)}) / {s}"
        if (size - k_eff + total) % s:
            body = f"floor({body})"
        parts.append(f"{body} + 1 = {out}")
    if parts[0] == parts[1]:
        return parts[0]
    return f"H: {parts[0]}; W: {parts[1]}"


shape_formula = _formula      # the public name (the visualizer's explorers use it)


def _format_shape(shape, layout):
    if layout == "nchw":
        return "[" + ", ".join(str(d) for d in shape) + "]"
    dims = shape[1:]
    if len(dims) == 3:           # (C, H, W) -> H x W x C, as the guide writes it
        dims = (dims[1], dims[2], dims[0])
    return "x".join(str(d) for d in dims)


def _format_field(field):
    if field is None:
        return ""
    rows, columns = (field, field) if isinstance(field, int) else field
    return f"{rows}x{columns}"


def _macs(module, in_shape, out_shape):
    if isinstance(module, nn.Conv2d):
        c, (kh, kw) = module.in_channels // module.groups, module.kernel_size
        return int(np.prod(out_shape)) * c * kh * kw
    if isinstance(module, nn.ConvTranspose2d):
        o, (kh, kw) = module.out_channels // module.groups, module.kernel_size
        return int(np.prod(in_shape)) * o * kh * kw
    if isinstance(module, nn.Linear):
        return int(np.prod(out_shape[:-1])) * module.in_features * module.out_features
    return 0


def _field_value(receptive):
    """None, an int when both axes agree, else [rows, columns]; fractions (after a
    transposed convolution) rounded up to whole pixels."""
    if receptive is None:
        return None
    rows, columns = (int(math.ceil(r)) for r in receptive)
    return rows if rows == columns else [rows, columns]


class Summary:
    """The result of :func:`summary`: ``str()`` is a table, ``.rows`` a list of dicts,
    ``.to_dict()`` JSON-ready, ``.to_markdown()`` a Markdown table."""

    def __init__(self, model_name, input_shape, rows, total_params, trainable_params,
                 param_bytes, activation_bytes, layout, formulas):
        self.model_name = model_name
        self.input_shape = input_shape
        self.rows = rows
        self.total_params = total_params
        self.trainable_params = trainable_params
        self.total_macs = sum(row["macs"] for row in rows)
        self.param_bytes = param_bytes
        self.activation_bytes = activation_bytes
        self.layout = layout
        self.formulas = formulas

    def totals(self):
        return {
            "total_params": self.total_params,
            "trainable_params": self.trainable_params,
            "non_trainable_params": self.total_params - self.trainable_params,
            "macs": self.total_macs,
            "flops": 2 * self.total_macs,
            "param_memory_mb": round(self.param_bytes / 1e6, 2),
            "activation_memory_mb": round(self.activation_bytes / 1e6, 2),
        }

    def to_dict(self):
        return {"model": self.model_name, "input_shape": list(self.input_shape),
                "layers": [dict(row) for row in self.rows], "totals": self.totals()}

    def _table(self):
        header = ["Layer", "Type", "Output", "Kernel / stride / pad", "Params", "MACs", "RF"]
        if self.formulas:
            header.append("Formula")
        if getattr(self, "algorithms", False):
            header.append("Algorithm")
        body = []
        for row in self.rows:
            cells = [row["name"], row["type"], row["output"], row["kernel"] or "",
                     f"{row['params']:,}", f"{row['macs']:,}",
                     _format_field(row["receptive_field"])]
            if self.formulas:
                cells.append(row["formula"] or "")
            if getattr(self, "algorithms", False):
                cells.append(row.get("algorithm") or "")
            body.append(cells)
        return header, body

    def _total_lines(self):
        t = self.totals()
        return [
            f"Total params: {t['total_params']:,}",
            f"Trainable params: {t['trainable_params']:,}",
            f"Non-trainable params: {t['non_trainable_params']:,}",
            f"Multiply-adds: {t['macs']:,} ({2 * t['macs'] / 1e9:.2f} GFLOPs per forward)",
            f"Parameter memory: {t['param_memory_mb']:.2f} MB",
            f"Activation memory (forward): {t['activation_memory_mb']:.2f} MB",
        ]

    total_lines = _total_lines    # the public name: the totals as the table prints them

    def __str__(self):
        header, body = self._table()
        widths = [max(len(str(c)) for c in column) for column in zip(header, *body)]
        numeric = {4, 5}

        def line(cells):
            return "  ".join(str(c).rjust(w) if i in numeric else str(c).ljust(w)
                             for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

        rule = "-" * len(line(header))
        title = (f"{self.model_name} — input "
                 f"{_format_shape(self.input_shape, self.layout)}")
        lines = [title, rule, line(header), rule] + [line(c) for c in body] + [rule]
        return "\n".join(lines + self._total_lines()) + "\n"

    __repr__ = __str__

    def to_markdown(self):
        header, body = self._table()
        lines = ["| " + " | ".join(header) + " |",
                 "|" + "|".join("---:" if i in (4, 5) else "---" for i in range(len(header))) + "|"]
        lines += ["| " + " | ".join(str(c) for c in cells) + " |" for cells in body]
        return "\n".join(lines + [""] + [f"- {t}" for t in self._total_lines()]) + "\n"

    def to_json(self):
        return json.dumps(self.to_dict(), indent=2)


def _normalize_input(input_size):
    shape = tuple(int(d) for d in input_size)
    if len(shape) == 3:
        shape = (1,) + shape
    if len(shape) != 4 and len(shape) != 2:
        raise ShapeError(f"summary() expects input_size (C, H, W) or (N, C, H, W), got "
                         f"{tuple(input_size)}")
    return shape


def _fits(model, shape):
    try:
        model.output_shape(shape)
    except ScratchCNNError:
        return False
    return True


def smallest_input(model, channels, limit=MAX_SEARCH):
    """The smallest square input ``(channels, s, s)`` (s = 1, 2, ... ``limit``) that
    ``model`` takes, or None. Each size is checked by the layers' ``output_shape``
    arithmetic (the formulas of :mod:`scratchcnn.shapes`), so no data is run.

    >>> from scratchcnn import models
    >>> smallest_input(models.lenet5(), 1)      # C3's 5x5 kernel needs S2 to give 5x5
    (1, 28, 28)
    """
    return next(((channels, side, side) for side in range(1, limit + 1)
                 if _fits(model, (1, channels, side, side))), None)


def _check_fits(model, shape, title):
    """ShapeError naming the smallest input that works when ``model`` cannot take
    ``shape`` (N, C, H, W)."""
    try:
        model.output_shape(shape)
    except ScratchCNNError as error:
        # the given channels first; then the usual gray and colour ones
        smallest = next(filter(None, (smallest_input(model, c)
                                      for c in dict.fromkeys((shape[1], 1, 3)))), None)
        if smallest is None:
            raise
        given = "x".join(map(str, shape[1:]))
        wanted = "x".join(map(str, smallest))
        raise ShapeError(f"{title} cannot take a {given} input: the smallest input that "
                         f"works is {wanted} (--input {wanted}). {error}") from None


def summary(model, input_size, formulas=False, layout="hwc", dtype=None, name=None,
            algorithms=False):
    """Summarise ``model`` for an input of ``input_size`` = (C, H, W) or (N, C, H, W);
    ``name`` titles the table (default: the model's class). An input the model cannot
    take raises :class:`ShapeError` naming the smallest one that works."""
    if layout not in ("hwc", "nchw"):
        raise ValueError(f"layout must be 'hwc' or 'nchw', got {layout!r}")
    shape = _normalize_input(input_size)
    if len(shape) == 4:   # costed by arithmetic first: a forward pass runs on zeros of it
        what = f"summary of {name or type(model).__name__} for {'x'.join(map(str, shape[1:]))}"
        try:
            check_model_cost(model, shape[1:], what)
            check_model_cost(model, (shape[0] * shape[1], *shape[2:]), what)
        except ShapeError:   # it does not fit at all: say which input would
            _check_fits(model, shape, name or type(model).__name__)
            raise
        _check_fits(model, shape, name or type(model).__name__)
    dtype = np.dtype(dtype) if dtype is not None else model.float_dtype()
    names = {id(m): name for name, m in model.named_modules()}
    records = []

    def record(module, inputs, output):
        records.append((module, tuple(inputs[0].shape), tuple(output.shape)))

    handles = [m.register_forward_hook(record) for m in model.modules()
               if not m._modules]   # leaf layers only
    was_training = model.training
    try:
        model.eval()
        with no_grad():
            model(Tensor(np.zeros(shape, dtype=dtype)))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()

    rows, seen_params = [], set()
    receptive, jump = (1, 1), (1, 1)      # per axis: rows, columns
    for module, in_shape, out_shape in records:
        own = [p for p in module.parameters() if id(p) not in seen_params]
        seen_params.update(id(p) for p in own)
        args = _spatial_args(module)
        formula = kernel = None
        if args is not None:
            (kh, kw), (sh, sw), (ph, pw), (dh, dw) = args
            transposed = isinstance(module, nn.ConvTranspose2d)
            if receptive is not None and transposed:
                receptive = tuple(r + (d * (k - 1) // s) * j for r, d, k, s, j in
                                  zip(receptive, (dh, dw), (kh, kw), (sh, sw), jump))
                jump = (fractions.Fraction(jump[0], sh), fractions.Fraction(jump[1], sw))
            elif receptive is not None:
                receptive = tuple(r + d * (k - 1) * j for r, d, k, j in
                                  zip(receptive, (dh, dw), (kh, kw), jump))
                jump = (jump[0] * sh, jump[1] * sw)
            pad_text = "same" if module.padding == "same" else ph
            kernel = f"{kh}x{kw} / {sh} / {pad_text}"
            formula = (_transpose_formula(in_shape[2:], out_shape[2:], module) if transposed
                       else _formula(in_shape[2:], out_shape[2:], args))
        elif len(out_shape) != 4:
            receptive = None  # past flattening every value sees the whole input
        rows.append({
            "name": names.get(id(module), type(module).__name__),
            "type": type(module).__name__,
            "output": _format_shape(out_shape, layout),
            "output_shape": list(out_shape),
            "kernel": kernel,
            "params": int(sum(p.numel() for p in own)),
            "macs": int(_macs(module, in_shape, out_shape)),
            "receptive_field": _field_value(receptive),
            "formula": formula,
        })
        if algorithms:      # the conv algorithm this layer runs (None for other layers)
            rows[-1]["algorithm"] = (dispatch.conv_algorithm(
                in_shape, tuple(module.weight.shape), module.stride, (0, 0), module.dilation,
                module.groups) if type(module) is nn.Conv2d else None)
    params = list(model.parameters())
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    param_bytes = sum(p._array.nbytes for p in params)
    activation_bytes = sum(int(np.prod(r["output_shape"])) * np.dtype(dtype).itemsize
                           for r in rows)
    result = Summary(name or type(model).__name__, shape, rows, total, trainable, param_bytes,
                   activation_bytes, layout, formulas)
    result.algorithms = algorithms
    return result
