"""Ranges in PyTorch's forms: ``arange`` (PyTorch's length rule), ``linspace`` and
``logspace`` (PyTorch's two-ended formula, so the last value is ``end`` exactly).

>>> import scratchcnn as sc
>>> sc.arange(0, 1, 0.25).tolist(), sc.linspace(0, 1, 3).tolist()
([0.0, 0.25, 0.5, 0.75], [0.0, 0.5, 1.0])
"""

import math
import operator

import numpy as np

from ..errors import ArgumentError, ShapeError
from ..tensor import Tensor
from .creation import _check_options, _dtype, _make


def _number(value, where, name):
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ShapeError(f"{where}: {name} must be a number or a one-element tensor, "
                             f"got shape {tuple(value.shape)}")
        return value.item()
    if not isinstance(value, (int, float, np.number)) or isinstance(value, complex):
        raise ArgumentError(f"{where}: {name} must be a number, got {type(value).__name__}")
    return value.item() if isinstance(value, np.number) else value


def arange(start=0, end=None, step=1, *, out=None, dtype=None, device=None,
           requires_grad=False, **options):
    """``arange(end)``, ``arange(start, end[, step])``: ``start + i * step`` for
    ``i < ceil((end - start) / step)`` (PyTorch's length rule, computed in float64).
    int64 if every argument is an int, else the default dtype."""
    _check_options(options, "arange()")
    if end is None:
        start, end = 0, start
    start, end, step = (_number(v, "arange()", n) for v, n in
                        ((start, "start"), (end, "end"), (step, "step")))
    integral = all(isinstance(v, int) for v in (start, end, step))
    dtype = _dtype(dtype, "arange()", default=np.int64 if integral else None)
    if dtype.kind in "iub" and not integral:   # PyTorch truncates the arguments first
        start, end, step = (int(v) for v in (start, end, step))
        integral = True
    if step == 0:
        raise ArgumentError("arange(): step must be nonzero")
    if not all(math.isfinite(v) for v in (start, end)):
        raise ArgumentError(f"arange(): unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise ArgumentError("arange(): upper bound and lower bound inconsistent with step "
                            "sign")
    length = math.ceil((float(end) - float(start)) / float(step))
    if integral and dtype.kind in "iu":
        values = start + step * np.arange(length, dtype=np.int64)
    else:
        values = float(start) + float(step) * np.arange(length, dtype=np.float64)
    return _make(values.astype(dtype), requires_grad, device, "arange()", out)


def _linear(start, end, steps, where):
    """PyTorch's linspace values in float64: from both ends towards the middle, so that
    the last value is ``end`` exactly."""
    steps = operator.index(steps)
    if steps < 0:
        raise ArgumentError(f"{where}: number of steps must be non-negative, got {steps}")
    start, end = float(_number(start, where, "start")), float(_number(end, where, "end"))
    if steps == 1:
        return np.array([start])
    step = (end - start) / max(steps - 1, 1)
    i = np.arange(steps, dtype=np.float64)
    return np.where(i < steps // 2, start + step * i, end - step * (steps - 1 - i))


def linspace(start, end, steps, *, out=None, dtype=None, device=None, requires_grad=False,
             **options):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    _check_options(options, "linspace()")
    values = _linear(start, end, steps, "linspace()")
    return _make(values.astype(_dtype(dtype, "linspace()")), requires_grad, device,
                 "linspace()", out)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, device=None,
             requires_grad=False, **options):
    """``base ** linspace(start, end, steps)``."""
    _check_options(options, "logspace()")
    values = np.power(float(base), _linear(start, end, steps, "logspace()"))
    return _make(values.astype(_dtype(dtype, "logspace()")), requires_grad, device,
                 "logspace()", out)


__all__ = ["arange", "linspace", "logspace"]
