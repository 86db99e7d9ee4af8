"""The worked example (``scratchcnn explain``'s trace) as pictures: for every step, the
arrays it computed as grids of numbers written by the trace's own formatter, in the order
the step uses them, so that the page draws them with arrows between them instead of
terminal text. The numbers are the trace's (the same code as the command).

>>> from scratchcnn.explain import explain
>>> import json
>>> steps = pictures(json.loads(explain().json()), 4)
>>> [f["name"] for f in steps[2]["figures"]][:3]
['input X', 'kernel W', 'feature map']
"""

import numpy as np

from .explorers import Formatter

NAMES = {"feature_map": "feature map", "activation": "A = ReLU", "pooled": "P (pooled)",
         "flat": "flattened P", "logits": "Z (logits)", "probabilities": "softmax(Z)",
         "target": "y (one-hot)", "dL_dZ": "dL/dZ", "dL_dW_fc": "dL/dW_fc",
         "dL_db_fc": "dL/db_fc", "dL_dP": "dL/dP", "dL_dA": "dL/dA",
         "dL_dpre": "dL/d(pre-activation)", "dL_dW": "dL/dW", "b_fc": "new b_fc",
         "W_fc": "new W_fc", "W": "new W", "b": "new b", "patch": "patch",
         "kernel": "kernel", "dL_db": "dL/db"}
SKIPPED = ("patches", "value", "loss", "dL_db")


def _figure(name, array, fmt, window=None):
    array = np.atleast_2d(np.asarray(array, dtype=np.float64))
    low, high = float(array.min()), float(array.max())
    figure = {"name": name, "values": array.tolist(),
              "labels": [[fmt.num(x) for x in row] for row in array],
              "range": {"low": low, "high": high, "labels": [fmt.num(low), fmt.num(high)]}}
    if window is not None:
        figure["window"] = window        # [first row, last row, first col, last col]
    return figure


def pictures(trace, decimals):
    """``[{"title", "figures": [...], "notes": [...]}]``, one per step of ``trace`` (the
    JSON form of :func:`scratchcnn.explain.explain`)."""
    fmt = Formatter(decimals)
    config = trace["config"]
    out = []
    for step in trace["steps"]:
        figures, notes = [], []
        data = step["data"]
        if "feature_map" in data:       # the convolution: input, kernel, output
            kh, kw = np.shape(config["kernel"])
            p = config["padding"]
            figures.append(_figure("input X", config["input"], fmt,
                                   window=[-p, kh - 1 - p, -p, kw - 1 - p]))
            figures.append(_figure("kernel W", config["kernel"], fmt))
        if "pooled" in data:
            size = config["pool"]["size"]
            figures.append(_figure("A (pooling input)", trace["values"]["relu"], fmt,
                                   window=[0, size - 1, 0, size - 1]))
        if "dL_dP" in data:
            figures.append(_figure("W_fc", config["fc_weight"], fmt))
        for key, value in data.items():
            if key in SKIPPED or not isinstance(value, list):
                if key in ("loss", "value", "dL_db") and not isinstance(value, list):
                    notes.append(f"{NAMES.get(key, key)} = {fmt.num(value)}")
                continue
            figure = _figure(NAMES.get(key, key), value, fmt)
            if key == "feature_map":
                figure["window"] = [0, 0, 0, 0]
            if key == "pooled":
                figure["window"] = [0, 0, 0, 0]
            figures.append(figure)
        out.append({"title": step["title"], "figures": figures, "notes": notes})
    return out
