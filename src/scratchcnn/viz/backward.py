"""The network explorer's backward pass: the loss for a chosen true label, the gradient of
the loss with respect to every layer's output, dL/dW of one filter, and SGD steps on a
copy of the weights.

Everything is computed by the engine's autograd, the code that trains the model: the
forward pass records each leaf layer's output with a forward hook and calls
``retain_grad()`` on it, ``loss.backward()`` fills in ``.grad``, and a step is
``optim.SGD.step()``. The written-out sum for one weight is recomputed from the layer's
input and dL/d(output) (the windows of :func:`scratchcnn.explain.window.input_windows`,
the ones the convolution reads) and checked against the
autograd value by the tests.

Steps act on a copy of the served model (``NetworkService.copy_model``), kept in
:class:`Sessions` under a random id that the page sends back: at most
:data:`MAX_SESSIONS` copies, the least recently used dropped first, and none kept once
idle for :data:`SESSION_SECONDS`. The served model never changes.
"""

import math
import re
import secrets
import threading
import time
from collections import OrderedDict

import numpy as np

from .. import workflow
from ..explain import factor
from ..explain.window import input_windows, product_terms
from ..nn import Conv2d, Linear
from ..nn import functional as F
from ..optim import SGD
from ..tensor import Tensor
from . import validation as v
from .explorers import Formatter

MAX_SESSIONS = 8          # weight copies kept at once (each the size of the model)
SESSION_SECONDS = 1800    # a copy unused this long is dropped
MAX_STEPS = 20            # SGD steps in one request
MAX_LR = 10.0
DEFAULT_LR = 0.1
MAX_WRITTEN_TERMS = 24    # terms of one weight's gradient written out (the largest ones)
SESSION_PATTERN = re.compile(r"[0-9a-f]{32}")
FIELDS = ("index", "image", "center", "label", "lr", "steps", "layer", "filter", "weight",
          "session", "decimals")


class Sessions:
    """Copies of the served model's weights that SGD steps change, one per page session,
    bounded in number (:data:`MAX_SESSIONS`) and in idle time (:data:`SESSION_SECONDS`)."""

    def __init__(self, limit=MAX_SESSIONS, seconds=SESSION_SECONDS):
        self.limit, self.seconds = limit, seconds
        self._lock = threading.Lock()
        self._items = OrderedDict()    # id -> {"model", "base", "steps", "used"}

    def __len__(self):
        with self._lock:
            self._expire()
            return len(self._items)

    def _expire(self):
        now = time.monotonic()
        for key in [k for k, item in self._items.items() if now - item["used"] > self.seconds]:
            del self._items[key]

    def get(self, key, base):
        """The session ``key`` (its copy of ``base``, the served model); a 400 naming
        ``session`` when it is unknown, expired or was made for another model."""
        with self._lock:
            self._expire()
            item = self._items.get(key)
            if item is None or item["base"] is not base:
                raise v.ValidationError("session is unknown or has expired (the server keeps "
                                        f"at most {self.limit} sessions, each for "
                                        f"{self.seconds // 60} minutes unused): send no "
                                        "session to start again from the trained weights",
                                        "session")
            item["used"] = time.monotonic()
            self._items.move_to_end(key)
            return item

    def add(self, model, base):
        """Keep ``model`` (a copy of ``base``) as a new session; its id."""
        key = secrets.token_hex(16)
        with self._lock:
            self._expire()
            self._items[key] = {"model": model, "base": base, "steps": 0,
                                "used": time.monotonic()}
            while len(self._items) > self.limit:
                self._items.popitem(last=False)
        return key

    def drop(self, key):
        """Forget session ``key``; whether it existed."""
        with self._lock:
            return self._items.pop(key, None) is not None


def _session_id(body):
    key = body.get("session")
    if key is None:
        return None
    if not isinstance(key, str) or not SESSION_PATTERN.fullmatch(key):
        raise v.ValidationError("session must be the id an earlier answer gave (32 hex "
                                f"digits), got {v._describe(key)}", "session")
    return key


def reset(sessions, body):
    """``{"session": id}``: forget that session's weights (the page then starts again from
    the trained ones)."""
    v.require_object(body, ("session",))
    key = _session_id(body)
    if key is None:
        raise v.ValidationError("session is required", "session")
    return {"reset": sessions.drop(key), "session": None}


def _weighted_layers(leaves):
    return [k for k, (_, m) in enumerate(leaves) if isinstance(m, (Conv2d, Linear))]


def _run(model, leaves, batch, label, record=False):
    """Forward and backward once: (loss tensor, records) where records are (input,
    output) tensors of every leaf layer, outputs with ``retain_grad()``."""
    records = {}

    def hook(module, inputs, output):
        output.retain_grad()
        records[id(module)] = (inputs[0], output)

    handles = ([m.register_forward_hook(hook) for _, m in leaves] if record else [])
    try:
        model.zero_grad()
        logits = model(Tensor(batch))
        loss = F.cross_entropy(logits, Tensor(np.array([label])))
        loss.backward()
    finally:
        for handle in handles:
            handle.remove()
    return loss, logits, [records.get(id(m)) for _, m in leaves]


def _finite(model, loss, records):
    """Whether the loss, every parameter and every layer's output are finite."""
    arrays = [loss.numpy()] + [p._array for p in model.parameters()] + \
        [y._array for _, y in records] + [y.grad._array for _, y in records]
    return all(np.isfinite(a).all() for a in arrays)


def _decimals(array, least=4):
    """Enough decimals to show three significant digits of ``array``'s largest value
    (gradients are often 0.001 or smaller), at most 8."""
    top = float(np.max(np.abs(array))) if array.size else 0.0
    if top == 0 or not math.isfinite(top):
        return least
    return int(min(8, max(least, 2 - math.floor(math.log10(top)))))


def _map(fmt, array):
    """An array as numbers, text (written by ``fmt``) and its range for a legend."""
    low, high = float(array.min()), float(array.max())
    return {"values": array.tolist(),
            "labels": np.vectorize(fmt.num, otypes=[object])(array).tolist(),
            "range": {"low": low, "high": high, "labels": [fmt.num(low), fmt.num(high)]}}


def _choose(body, leaves, weight_grads):
    """The layer (with weights), filter and weight whose gradient is written out."""
    weighted = _weighted_layers(leaves)
    names = ", ".join(str(k) for k in weighted)
    layer = v.integer(body, "layer", 0, len(leaves) - 1, default=weighted[0])
    if layer not in weighted:
        raise v.ValidationError(f"layer {layer} ({type(leaves[layer][1]).__name__}) has no "
                                f"weights: choose one of the layers {names}", "layer")
    module = leaves[layer][1]
    grad = weight_grads[layer]
    filt = v.integer(body, "filter", 0, grad.shape[0] - 1, default=0)
    shape = list(grad.shape[1:])
    if "weight" in body:
        weight = body["weight"]
        if (not isinstance(weight, list) or len(weight) != len(shape) or not all(
                v.is_int(w) and 0 <= w < n for w, n in zip(weight, shape))):
            raise v.ValidationError(f"weight must be a list of {len(shape)} integers below "
                                    f"{shape} (the position in the filter), got "
                                    f"{v._describe(weight)}", "weight")
        at = tuple(int(w) for w in weight)
    else:                      # the weight whose gradient is largest
        at = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(grad[filt])), shape))
    return layer, module, filt, at


def _weight_sum(module, x, dy, filt, at, fmt):
    """dL/dW[filt][at] written out from the layer's input ``x`` and ``dy`` = dL/d(output):
    (terms, total). For a convolution the sum over output positions (i, j) of
    dy[filt, i, j] * x_padded[c, i*s + u*d, j*s + v*d]; for a linear layer one product."""
    if isinstance(module, Linear):
        a, b = float(dy[filt]), float(x[at[0]])
        return product_terms([a], [b], fmt), a * b, 1
    c, u, w = at
    patches = input_windows(x, module.kernel_size, module.stride, module.padding,
                            module.dilation)[:, :, c, u, w]               # (OH, OW)
    products = dy[filt].astype(np.float64) * patches
    total = float(products.sum())
    order = np.argsort(-np.abs(products), axis=None)
    nonzero = [k for k in order if products.flat[k] != 0][:MAX_WRITTEN_TERMS]
    terms = product_terms([dy[filt].flat[k] for k in nonzero],
                          [patches.flat[k] for k in nonzero], fmt)
    return terms, total, int(products.size)


def backward(service, sessions, body):
    """The backward pass for one image and its true ``label`` (see the module's doc)."""
    v.require_object(body, FIELDS)
    image = service.image_from(body)
    base, checkpoint = service.served()
    classes = [str(c) for c in checkpoint["classes"]]
    label = v.integer(body, "label", 0, len(classes) - 1)
    lr = v.number(body, "lr", default=DEFAULT_LR, limit=MAX_LR)
    if not lr > 0:
        raise v.ValidationError(f"lr must be a number in (0, {MAX_LR:g}], got {lr:g}", "lr")
    steps = v.integer(body, "steps", 0, MAX_STEPS, default=0)
    decimals = v.integer(body, "decimals", 0, 8, default=4)
    key = _session_id(body)
    if key is not None:
        item = sessions.get(key, base)
    else:
        item = None
    batch = workflow.normalize(image[None], checkpoint["preprocessing"])
    with _compute_lock:
        if item is None:
            model = service.copy_model(base)
        else:
            model = item["model"]
        batch = batch.astype(model.float_dtype())
        leaves = [(name, m) for name, m in model.named_modules() if not m._modules]
        loss, logits, records = _run(model, leaves, batch, label, record=True)
        losses, stopped, taken = [float(loss.item())], None, 0
        optimizer = SGD(model.parameters(), lr=lr)
        for _ in range(steps):
            saved = [p._array.copy() for p in model.parameters()]
            optimizer.step()
            loss, logits, records = _run(model, leaves, batch, label, record=True)
            if not _finite(model, loss, records):
                # Too large a learning rate: undo the step rather than serve NaN or inf.
                for p, array in zip(model.parameters(), saved):
                    p._array[...] = array
                loss, logits, records = _run(model, leaves, batch, label, record=True)
                stopped = (f"step {taken + 1} stopped: with lr {lr:g} the weights or the "
                           "loss would become infinite; take a smaller learning rate")
                break
            losses.append(float(loss.item()))
            taken += 1
        if taken:
            if item is None:
                key = sessions.add(model, base)
                item = sessions.get(key, base)
            item["steps"] += taken
        weight_grads = [m.weight.grad.numpy().copy() if k in _weighted_layers(leaves) else None
                        for k, (_, m) in enumerate(leaves)]
        weights = [m.weight.numpy().copy() if k in _weighted_layers(leaves) else None
                   for k, (_, m) in enumerate(leaves)]
        layer, module, filt, at = _choose(body, leaves, weight_grads)
        bias_grad = (float(module.bias.grad.numpy()[filt]) if module.bias is not None
                     else None)
        arrays = [(x.numpy()[0].copy(), y.numpy()[0].copy(), y.grad.numpy()[0].copy())
                  for x, y in records]
        probabilities = F.softmax(logits.detach(), dim=1).numpy()[0]
        steps_taken = item["steps"] if item is not None else 0
    fmt = Formatter(decimals)
    best = int(np.argmax(probabilities))
    layers = []
    for index, ((name, m), (_, y, dy)) in enumerate(zip(leaves, arrays)):
        gfmt = Formatter(max(decimals, _decimals(dy)))
        layers.append({"index": index, "name": name, "type": type(m).__name__,
                       "shape": list(y.shape), "output": _map(fmt, y), "grad": _map(gfmt, dy)})
    x, _, dy = arrays[layer]
    grad = weight_grads[layer][filt]
    wfmt = Formatter(max(decimals, _decimals(grad)))
    terms, total, count = _weight_sum(module, x, dy, filt, at, wfmt)
    where = ", ".join(map(str, (filt, *at)))
    shown = " + ".join(terms) if terms else "0"
    left = count - len(terms)
    note = (f" (+ {left} more term{'s' if left != 1 else ''}, "
            f"{'zero' if len(terms) < MAX_WRITTEN_TERMS else 'smaller'})" if left else "")
    equation = f"dL/dW[{where}] = {shown}{note} = {wfmt.num(total)}"
    return {
        "loss": losses[-1], "loss_text": fmt.num(losses[-1]),
        "losses": losses, "losses_text": [fmt.num(value) for value in losses],
        "label": label, "class": classes[label], "classes": classes, "lr": lr,
        "steps": taken, "stopped": stopped, "steps_taken": steps_taken, "session": key if steps_taken else None,
        "probabilities": probabilities.tolist(),
        "prediction": {"index": best, "class": classes[best],
                       "probability": float(probabilities[best])},
        "layers": layers,
        "weights": {
            "layer": layer, "name": leaves[layer][0], "type": type(module).__name__,
            "filter": filt, "weight": list(at), "layers": _weighted_layers(leaves),
            "filters": int(weight_grads[layer].shape[0]),
            "value": float(weights[layer][filt][at]),
            "value_text": fmt.num(weights[layer][filt][at]),
            "grad": _map(wfmt, grad), "bias_grad": bias_grad,
            "bias_grad_text": None if bias_grad is None else wfmt.num(bias_grad),
            "sum": total, "autograd": float(grad[at]), "terms": terms, "count": count,
            "equation": equation,
            "update": (f"W[{where}] - lr * dL/dW[{where}] = {fmt.num(weights[layer][filt][at])}"
                       f" - {factor(fmt, lr)}*{factor(wfmt, grad[at])} = "
                       f"{wfmt.num(weights[layer][filt][at] - lr * grad[at])}")},
    }

# One backward pass at a time: a session's copy must not be stepped by two requests at
# once, and the work per request is bounded (MAX_STEPS), so serializing costs little.
_compute_lock = threading.Lock()
