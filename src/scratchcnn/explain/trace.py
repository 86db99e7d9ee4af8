"""The worked example's result, :class:`Trace`: its steps and key numbers, rendered as
text, Markdown or JSON."""

import json

import numpy as np

from .formatting import Formatter


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
    """``value`` with NumPy arrays and scalars as lists and Python numbers."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
