"""A tiny CNN trained by hand, one step at a time, with every number shown.

The default network is the guide's: a 4x4 image, one 2x2 filter, ReLU, 2x2 max pooling,
a fully connected layer to 2 classes, softmax and cross-entropy, then the backward pass
and one SGD step. Every number printed comes from the engine itself: the network is
built from :mod:`scratchcnn.nn` layers, forward hooks capture each layer's output,
``retain_grad`` keeps the intermediate gradients, and ``sc.optim.SGD`` makes the update.
Only the *text* (the written-out dot products) is assembled here.

The modules, one concept each: :mod:`~scratchcnn.explain.config` (defaults and checks),
:mod:`~scratchcnn.explain.formatting` (numbers as text),
:mod:`~scratchcnn.explain.window` (one output value of a convolution or pooling layer,
explained: also used by the visualizer), :mod:`~scratchcnn.explain.worked` (the run),
:mod:`~scratchcnn.explain.steps` (its steps as text), :mod:`~scratchcnn.explain.trace`
(the result and its renderings).

>>> from scratchcnn.explain import explain
>>> trace = explain()
>>> [round(float(p), 3) for p in trace.values["softmax"]]
[0.475, 0.525]
>>> round(trace.values["loss"], 3)
0.744
"""

from .config import (CONFIG_SCHEMA, DEFAULT_CONFIG, MAX_ABS_VALUE, MAX_STEP, ConfigError,
                     validate_config)
from .formatting import Formatter, factor
from .trace import Trace
from .window import (MAX_WRITTEN_CHANNELS, MAX_WRITTEN_PRODUCTS, at_position, bias_term,
                     conv_equation, conv_window, input_windows, padded, pool_equation,
                     pool_window, product_terms, window_coordinates)
from .worked import explain

__all__ = ["CONFIG_SCHEMA", "DEFAULT_CONFIG", "MAX_ABS_VALUE", "MAX_STEP", "ConfigError",
           "validate_config", "Formatter", "factor", "Trace", "explain",
           "MAX_WRITTEN_CHANNELS", "MAX_WRITTEN_PRODUCTS", "at_position", "bias_term",
           "conv_equation", "conv_window", "input_windows", "padded", "pool_equation",
           "pool_window", "product_terms", "window_coordinates"]
