"""Checks for the visualizer's JSON requests: each failure names the field and the rule.

A :class:`ValidationError` becomes an HTTP error (400 unless ``status`` says otherwise)
with the body ``{"error": message, "field": field}``.

>>> integer({"kernel": 9}, "kernel", 1, 7)
Traceback (most recent call last):
  ...
scratchcnn.viz.validation.ValidationError: kernel must be an integer in 1..7, got 9
>>> matrix({"input": [[1, 2], [3, 4]]}, "input", 4).shape
(2, 2)
"""

import numbers

import numpy as np

from ..errors import ScratchCNNError

MISSING = object()
# Numbers in matrices are bounded so that products and sums stay finite (JSON has no inf).
MAX_ABS_VALUE = 1e6


class ValidationError(ScratchCNNError, ValueError):
    """A request field is missing, of the wrong type or out of range."""

    def __init__(self, message, field=None, status=400):
        super().__init__(message)
        self.field = field
        self.status = status

    def to_dict(self):
        body = {"error": str(self)}
        if self.field is not None:
            body["field"] = self.field
        return body


def _describe(value):
    """A short rendering of a rejected value for error messages."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def require_object(body, allowed):
    """``body`` must be a JSON object whose keys are all in ``allowed``."""
    if not isinstance(body, dict):
        raise ValidationError(f"the request body must be a JSON object, got "
                              f"{type(body).__name__}")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ValidationError(f"unknown field {unknown[0]!r}; known fields: "
                              f"{', '.join(sorted(allowed))}", unknown[0])
    return body


def _get(body, key, default):
    if key in body:
        return body[key]
    if default is MISSING:
        raise ValidationError(f"{key} is required", key)
    return default


def is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def integer(body, key, low, high, default=MISSING):
    """``body[key]`` as an int in ``low..high`` (a default when absent, if given)."""
    value = _get(body, key, default)
    if not is_int(value) or not low <= value <= high:
        raise ValidationError(f"{key} must be an integer in {low}..{high}, got "
                              f"{_describe(value)}", key)
    return int(value)


def number(body, key, default=MISSING, limit=MAX_ABS_VALUE):
    """``body[key]`` as a finite float of magnitude at most ``limit``."""
    value = _get(body, key, default)
    try:
        magnitude = abs(float(value)) if is_number(value) else None
    except OverflowError:             # an int too large for a float
        magnitude = None
    if magnitude is None or not magnitude <= limit:
        raise ValidationError(f"{key} must be a number between {-limit:g} and {limit:g}, got "
                              f"{_describe(value)}", key)
    return float(value)


def boolean(body, key, default=MISSING):
    value = _get(body, key, default)
    if not isinstance(value, bool):
        raise ValidationError(f"{key} must be true or false, got {_describe(value)}", key)
    return value


def choice(body, key, options, default=MISSING):
    value = _get(body, key, default)
    if not isinstance(value, str) or value not in options:
        raise ValidationError(f"{key} must be one of {', '.join(map(repr, options))}, got "
                              f"{_describe(value)}", key)
    return value


def text(body, key, max_length, default=MISSING):
    value = _get(body, key, default)
    if not isinstance(value, str):
        raise ValidationError(f"{key} must be a string, got {_describe(value)}", key)
    if len(value) > max_length:
        raise ValidationError(f"{key} is at most {max_length} characters, got {len(value)}",
                              key)
    return value


def matrix(body, key, max_side, low=-MAX_ABS_VALUE, high=MAX_ABS_VALUE, default=MISSING):
    """``body[key]``: a rectangular list of rows of numbers, 1..``max_side`` on each side,
    every value in ``low..high``; returned as a float64 array."""
    value = _get(body, key, default)
    if not isinstance(value, list):
        raise ValidationError(f"{key} must be a list of rows of numbers, got "
                              f"{_describe(value)}", key)
    if not 1 <= len(value) <= max_side:
        raise ValidationError(f"{key} must have 1 to {max_side} rows, got {len(value)}", key)
    for index, row in enumerate(value):   # at most max_side rows: bounded work
        if not isinstance(row, list):
            raise ValidationError(f"{key} row {index} must be a list of numbers, got "
                                  f"{_describe(row)}", key)
        if not 1 <= len(row) <= max_side:
            raise ValidationError(f"{key} rows must have 1 to {max_side} values, row {index} "
                                  f"has {len(row)}", key)
        if len(row) != len(value[0]):
            raise ValidationError(f"{key} rows must all have the same length: row 0 has "
                                  f"{len(value[0])} values, row {index} has {len(row)}", key)
    for row in value:
        for item in row:
            if not is_number(item):
                raise ValidationError(f"{key} must hold numbers only, got {_describe(item)}",
                                      key)
    try:
        array = np.array(value, dtype=np.float64)
    except OverflowError:
        raise ValidationError(f"{key} values must be between {low:g} and {high:g}", key) from None
    outside = ~((array >= low) & (array <= high))
    if outside.any():
        bad = array[outside][0]
        raise ValidationError(f"{key} values must be between {low:g} and {high:g}, got "
                              f"{bad:g}", key)
    return array


def nesting_depth(value):
    """How deeply JSON lists and objects are nested in ``value`` (0 for a number or a
    string), counted without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth + 1)
            stack.extend((child, depth + 1)
                         for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def int_list(body, key, length, low, high, default=MISSING):
    """A list of ``length`` ints in ``low..high`` (e.g. an input size [C, H, W])."""
    value = _get(body, key, default)
    if (not isinstance(value, list) or len(value) != length
            or not all(is_int(v) and low <= v <= high for v in value)):
        raise ValidationError(f"{key} must be a list of {length} integers in {low}..{high}, "
                              f"got {_describe(value)}", key)
    return [int(v) for v in value]
