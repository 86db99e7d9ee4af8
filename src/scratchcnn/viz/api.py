"""The visualizer's JSON API: one function per endpoint, a dict in and a dict out.

:class:`Api` maps ``(method, path)`` to a handler; a handler receives the parsed JSON
body (POST) or the query parameters (GET) and returns a JSON-ready dict. Bad input raises
:class:`~scratchcnn.viz.validation.ValidationError` (HTTP 400, or its ``status``); other
library errors (:class:`~scratchcnn.errors.ScratchCNNError`) also answer 400. The HTTP
side (:mod:`scratchcnn.viz.server`) only moves bytes.

>>> api = Api(network=None)
>>> api.handle("POST", "/api/conv", {"input": [[1, 6], [5, 3]],
...                                  "kernel": [[1, 2], [-1, 0]]})["equations"]
[['1*1 + 6*2 + 5*(-1) + 3*0 = 8']]
>>> api.handle("POST", "/api/conv", {"kernel": [[1] * 9] * 9})
Traceback (most recent call last):
  ...
scratchcnn.viz.validation.ValidationError: kernel must have 1 to 7 rows, got 9
"""

import functools
import json
import re

from .. import models
from ..version import __version__
from ..errors import ScratchCNNError
from ..explain import explain
from ..summary import summary
from . import explorers, layers
from .pictures import pictures
from . import validation as v
from .backward import MAX_LR, MAX_SESSIONS, MAX_STEPS
from .network import MAX_DRAWING, MAX_EXAMPLES

DEFAULT_MODEL = "alexnet"
DEFAULT_LAYERS = """\
# LeNet-5. One layer per line: conv OUT KERNEL [stride= padding= dilation=],
# maxpool K [stride= padding=], avgpool K, relu, tanh, flatten, dropout [P], linear OUT
conv 6 5 padding=2
tanh
avgpool 2
conv 16 5
tanh
avgpool 2
conv 120 5
tanh
flatten
linear 84
tanh
linear 10
"""
MAX_INPUT_SIDE = 512
MAX_INPUT_CHANNELS = 64
MAX_LAYER_TEXT = 10_000


class NotFound(v.ValidationError):
    """No endpoint at this path (HTTP 404)."""

    def __init__(self, message):
        super().__init__(message, status=404)


class MethodNotAllowed(v.ValidationError):
    """The path exists, but not for this method (HTTP 405); ``allowed`` lists the others."""

    def __init__(self, message, allowed):
        super().__init__(message, status=405)
        self.allowed = allowed


@functools.lru_cache(maxsize=8)
def _zoo_summary(name, input_size, layout):
    """A zoo model's summary (cached: building AlexNet and running it once takes a
    moment), refused by arithmetic first when the input would make it too costly to run."""
    model = models.get(name)
    layers.check_model_cost(model, input_size,
                            f"{name} at a {'x'.join(map(str, input_size))} input")
    return summary(model, input_size, formulas=True, layout=layout, name=name)


def _channels_last_hint(input_size, channels_ok):
    """`` did you mean 3x227x227?`` when ``input_size`` reads as H x W x C (its last number
    would be a valid channel count and its first would not), else ``""``: the API and the
    page write sizes C x H x W, as PyTorch does."""
    h, w, c = input_size
    if channels_ok(c) and not channels_ok(h):
        return f" (sizes are C x H x W): did you mean {c}x{h}x{w}?"
    return ""


def _with_pictures(trace, decimals):
    """The trace plus ``pictures``: each step's arrays as grids of text (the page draws
    them), written by the trace's own formatter."""
    trace["pictures"] = pictures(trace, decimals)
    return trace


def _summary_dict(result):
    out = result.to_dict()
    out["text"] = str(result)
    out["total_lines"] = result.total_lines()
    return out


class Api:
    """The endpoints; ``network`` is a :class:`~scratchcnn.viz.network.NetworkService`
    (or None: the network endpoints then answer 503)."""

    def __init__(self, network):
        self.network = network
        self.routes = {
            ("GET", "/api/info"): self.info,
            ("POST", "/api/conv"): explorers.conv_explorer,
            ("POST", "/api/pool"): explorers.pool_explorer,
            ("POST", "/api/shapes"): self.shapes,
            ("GET", "/api/explain"): self.explain_default,
            ("POST", "/api/explain"): self.explain,
            ("GET", "/api/network/status"): self.network_status,
            ("POST", "/api/network/start"): self.network_start,
            ("GET", "/api/network/examples"): self.network_examples,
            ("POST", "/api/network/predict"): self.network_predict,
            ("POST", "/api/network/inspect"): self.network_inspect,
            ("POST", "/api/network/backward"): self.network_backward,
            ("POST", "/api/network/reset"): self.network_reset,
        }

    def endpoints(self):
        return [f"{method} {path}" for method, path in self.routes]

    def resolve(self, method, path):
        """The handler for ``method`` and ``path``; :class:`NotFound` or
        :class:`MethodNotAllowed` (with the methods the path accepts) otherwise."""
        handler = self.routes.get((method, path))
        if handler is None:
            allowed = sorted(m for m, p in self.routes if p == path)
            if allowed:
                raise MethodNotAllowed(f"{path} accepts {' and '.join(allowed)}, not {method}",
                                       allowed)
            raise NotFound(f"no endpoint {path[:100]}; GET /api/info lists them")
        return handler

    def handle(self, method, path, payload):
        """Run the endpoint for ``method`` and ``path``: ``payload`` is the JSON body for
        POST, the query parameters ({name: value}) for GET."""
        return self.resolve(method, path)(payload)

    # ------------------------------------------------------------------ endpoints
    def info(self, query):
        """Version, the limits every endpoint enforces, defaults and the zoo models."""
        v.require_object(query, ())
        return {
            "name": "scratchcnn visualizer", "version": __version__,
            "endpoints": self.endpoints(),
            "limits": dict(explorers.LIMITS, drawing=MAX_DRAWING, examples=MAX_EXAMPLES,
                           layers=layers.MAX_LAYERS, input_side=MAX_INPUT_SIDE,
                           input_channels=MAX_INPUT_CHANNELS,
                           value=v.MAX_ABS_VALUE, steps=MAX_STEPS, lr=MAX_LR,
                           sessions=MAX_SESSIONS),
            "defaults": {"conv": explorers.DEFAULT_CONV, "pool": explorers.DEFAULT_POOL,
                         "model": DEFAULT_MODEL, "layers": DEFAULT_LAYERS,
                         "layers_input": [1, 28, 28]},
            "models": [{"name": name, "input_size": list(models.input_size(name))}
                       for name in models.names()],
        }

    def shapes(self, body):
        """``{"model": name}`` or ``{"layers": text}``, optional ``"input": [C, H, W]`` and
        ``"layout": "hwc" | "nchw"`` -> ``scratchcnn summary --formulas`` as JSON (plus its
        text)."""
        v.require_object(body, ("model", "layers", "input", "layout"))
        if "model" in body and "layers" in body:
            raise v.ValidationError("give either model (a zoo model) or layers (a layer "
                                    "list), not both", "layers")
        layout = v.choice(body, "layout", ("hwc", "nchw"), default="hwc")
        size_args = ("input", 3, 1, MAX_INPUT_SIDE)
        if "layers" in body:
            text = v.text(body, "layers", MAX_LAYER_TEXT)
            input_size = v.int_list(body, *size_args, default=[1, 28, 28])
            hint = _channels_last_hint(input_size, lambda c: c <= MAX_INPUT_CHANNELS)
            if input_size[0] > MAX_INPUT_CHANNELS:
                raise v.ValidationError(f"input must have at most {MAX_INPUT_CHANNELS} "
                                        f"channels, got {input_size[0]}{hint}", "input")
            try:
                model = layers.build_model(text, input_size)
            except v.ValidationError as error:
                # A first convolution written as PyTorch's Conv2d(IN, ...) names the channels
                # it expects: an input whose last number is IN was given as H x W x C.
                wanted = re.fullmatch(r"line \d+: conv expects (\d+) input channels, but its "
                                      r"input has (\d+)", str(error))
                hint = wanted and int(wanted.group(2)) == input_size[0] and \
                    _channels_last_hint(input_size, lambda c: c == int(wanted.group(1)))
                if hint:
                    raise v.ValidationError(f"{error}{hint}", "input") from None
                raise
            try:
                return _summary_dict(summary(model, input_size, formulas=True, layout=layout,
                                             name="layer list"))
            except ScratchCNNError as error:
                raise v.ValidationError(str(error), "layers") from None
        name = v.choice(body, "model", tuple(models.names()), default=DEFAULT_MODEL)
        input_size = v.int_list(body, *size_args, default=list(models.input_size(name)))
        channels = models.input_size(name)[0]
        if input_size[0] != channels:
            hint = _channels_last_hint(input_size, lambda c: c == channels)
            raise v.ValidationError(f"{name} takes {channels} input channel(s), got "
                                    f"{input_size[0]}{hint}", "input")
        try:
            return _summary_dict(_zoo_summary(name, tuple(input_size), layout))
        except v.ValidationError:
            raise                         # too costly at this size: says so itself
        except ScratchCNNError as error:
            raise v.ValidationError(f"{name} does not fit a {'x'.join(map(str, input_size))} "
                                    f"input: {error}", "input") from None

    @functools.cached_property
    def _default_trace(self):
        return _with_pictures(json.loads(explain().json()), 4)

    def explain_default(self, query):
        """The worked example of ``scratchcnn explain``, as its JSON trace."""
        v.require_object(query, ())
        return self._default_trace

    def explain(self, body):
        """``{"config": {...}, "decimals": 0..12}``: the worked example for another network
        (the keys of ``scratchcnn explain --dump-config``)."""
        v.require_object(body, ("config", "decimals"))
        decimals = v.integer(body, "decimals", 0, 12, default=4)
        config = body.get("config")
        try:
            trace = json.loads(explain(config, decimals=decimals).json())
        except ScratchCNNError as error:
            raise v.ValidationError(str(error), "config") from None
        return _with_pictures(trace, decimals)

    def _network(self):
        if self.network is None:
            raise v.ValidationError("this server has no network explorer", status=503)
        return self.network

    def network_status(self, query):
        v.require_object(query, ())
        return self._network().status()

    def network_start(self, body):
        """Train the default model in the background if there is none yet."""
        v.require_object(body, ())
        return self._network().start()

    def network_examples(self, query):
        """``?count=N`` (1..100, default 30): test images to pick from."""
        v.require_object(query, ("count",))
        count = query.get("count", "30")
        if (len(count) > len(str(MAX_EXAMPLES)) or not (count.isascii() and count.isdigit())
                or not 1 <= int(count) <= MAX_EXAMPLES):
            raise v.ValidationError(f"count must be an integer in 1..{MAX_EXAMPLES}, got "
                                    f"{count[:20]!r}", "count")
        return self._network().examples(int(count))

    def network_predict(self, body):
        return self._network().predict(body)

    def network_inspect(self, body):
        return self._network().inspect(body)

    def network_backward(self, body):
        """As predict, plus ``label`` (the true class) and optional ``lr``, ``steps``,
        ``layer``, ``filter``, ``weight``, ``session``: the loss, every layer's dL/d(output),
        one filter's dL/dW, after ``steps`` SGD steps on a session copy of the weights."""
        return self._network().backward(body)

    def network_reset(self, body):
        """``{"session": id}``: drop that session's changed weights."""
        return self._network().reset(body)
