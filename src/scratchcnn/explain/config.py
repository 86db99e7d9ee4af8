"""The worked example's configuration: its defaults (the guide's network), the schema
``scratchcnn explain --help`` prints, and the checks that keep every number finite and
every size small."""

import copy
import numbers

import numpy as np

from ..errors import ArgumentError

DEFAULT_CONFIG = {
    "input": [[1, 2, 1, 0], [0, 1, 2, 1], [1, 0, 1, 2], [2, 1, 0, 1]],
    "kernel": [[1, 0], [0, -1]],
    "bias": 0.0,
    "stride": 1,
    "padding": 0,
    # The guide says stride 2, which leaves a 1x1 map; stride 1 gives the 4 features its
    # FC layer takes and reproduces all of its numbers (see the "guide" step).
    "pool": {"kind": "max", "size": 2, "stride": 1},
    # Written as the guide writes it: one row per input feature, one column per class.
    "fc_weight": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]],
    "fc_bias": [0.1, 0.2],
    "label": 0,
    "lr": 0.1,
}

CONFIG_SCHEMA = """\
Configuration (JSON object; every key optional, defaults from --dump-config):
  input      2-D list of numbers: the grayscale image (H x W), at most 16 x 16
  kernel     2-D list of numbers: the one filter (kh x kw), at most 7 x 7 and at most
             the padded input
  bias       number: the filter's bias
  stride     int in 1..32: convolution stride
  padding    int in 0..3: zero padding on every side of the input
  pool       {"kind": "max" | "avg", "size": int in 1..32, "stride": int in 1..32}
  fc_weight  2-D list, F rows x K columns: F = number of pooled values, K = classes (>= 2)
  fc_bias    list of K numbers
  label      int in [0, K): the true class
  lr         number > 0: the SGD learning rate
Every number is at most 1e6 in magnitude (so that every result stays finite)."""

# Bounds that keep every number of the trace finite and every size small: values and
# sizes beyond them describe no different network (a stride of 32 already passes any
# padded input of at most 16 + 2*3 = 22).
MAX_ABS_VALUE = 1e6
MAX_STEP = 32


class ConfigError(ArgumentError):
    """The explain configuration is invalid; the message names the key."""


# --------------------------------------------------------------------- configuration
def _matrix(config, key, max_size=16):
    value = config[key]
    try:
        array = np.array(value, dtype=np.float64)
    except OverflowError:             # an int too large for a float
        raise ConfigError(f"'{key}' values must be within ±{MAX_ABS_VALUE:g}") from None
    except (TypeError, ValueError, RecursionError):
        raise ConfigError(f"'{key}' must be a 2-D list of numbers (rows of equal length), "
                          f"got {_short(value)}") from None
    if array.ndim != 2 or array.size == 0:
        raise ConfigError(f"'{key}' must be a non-empty 2-D list of numbers, got shape "
                          f"{array.shape}")
    if max(array.shape) > max_size:
        raise ConfigError(f"'{key}' is at most {max_size} x {max_size}, got {array.shape}")
    if not np.isfinite(array).all():
        raise ConfigError(f"'{key}' must hold finite numbers")
    if (np.abs(array) > MAX_ABS_VALUE).any():
        raise ConfigError(f"'{key}' values must be within ±{MAX_ABS_VALUE:g}, got "
                          f"{array[np.abs(array) > MAX_ABS_VALUE][0]:g}")
    return array


def _short(value):
    """``repr(value)``, cut to 60 characters for error messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _int(config, key, minimum, value=None, maximum=None):
    value = config[key] if value is None else value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ConfigError(f"'{key}' must be an int >= {minimum}, got {_short(value)}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"'{key}' is at most {maximum}, got {_short(value)}")
    return int(value)


def _number(value, key):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"'{key}' must be a finite number, got {_short(value)}")
    try:
        number = float(value)
    except OverflowError:             # an int too large for a float
        number = MAX_ABS_VALUE * 2
    if not np.isfinite(number):
        raise ConfigError(f"'{key}' must be a finite number, got {_short(value)}")
    if abs(number) > MAX_ABS_VALUE:
        raise ConfigError(f"'{key}' must be within ±{MAX_ABS_VALUE:g}, got {_short(value)}")
    return number


def validate_config(user_config=None):
    """The full configuration (defaults filled in), checked; raises :class:`ConfigError`."""
    user_config = {} if user_config is None else user_config
    if not isinstance(user_config, dict):
        raise ConfigError(f"the configuration must be a JSON object, got "
                          f"{type(user_config).__name__}")
    unknown = sorted(set(user_config) - set(DEFAULT_CONFIG))
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(unknown)}; known: "
                          f"{', '.join(DEFAULT_CONFIG)}")
    config = copy.deepcopy(DEFAULT_CONFIG)
    config.update(copy.deepcopy(user_config))
    pool = dict(DEFAULT_CONFIG["pool"], **(config["pool"] if isinstance(config["pool"], dict)
                                           else {}))
    if not isinstance(config["pool"], dict) or set(config["pool"]) - {"kind", "size", "stride"}:
        raise ConfigError(f"'pool' must be an object with kind, size and stride, got "
                          f"{config['pool']!r}")
    if pool["kind"] not in ("max", "avg"):
        raise ConfigError(f"'pool.kind' must be 'max' or 'avg', got {pool['kind']!r}")
    _int(pool, "size", 1, pool["size"], MAX_STEP)
    _int(pool, "stride", 1, pool["stride"], MAX_STEP)
    config["pool"] = pool

    image, kernel = _matrix(config, "input"), _matrix(config, "kernel", 7)
    stride = _int(config, "stride", 1, maximum=MAX_STEP)
    padding = _int(config, "padding", 0)
    if padding > 3:
        raise ConfigError(f"'padding' is at most 3, got {padding}")
    _number(config["bias"], "bias")
    lr = _number(config["lr"], "lr")
    if lr <= 0:
        raise ConfigError(f"'lr' must be > 0, got {lr}")
    padded = np.array(image.shape) + 2 * padding
    if (np.array(kernel.shape) > padded).any():
        raise ConfigError(f"the {kernel.shape[0]}x{kernel.shape[1]} kernel is larger than the "
                          f"padded {padded[0]}x{padded[1]} input")
    conv_out = (padded - np.array(kernel.shape)) // stride + 1
    if (pool["size"] > conv_out).any():
        raise ConfigError(f"the {pool['size']}x{pool['size']} pooling window is larger than "
                          f"the {conv_out[0]}x{conv_out[1]} convolution output")
    pooled = (conv_out - pool["size"]) // pool["stride"] + 1
    features = int(np.prod(pooled))
    fc_weight = _matrix(config, "fc_weight", 256)
    if fc_weight.shape[0] != features or fc_weight.shape[1] < 2:
        raise ConfigError(
            f"'fc_weight' must be {features} x K (one row per pooled value: "
            f"{pooled[0]}x{pooled[1]} = {features}; K >= 2 classes), got "
            f"{fc_weight.shape[0]} x {fc_weight.shape[1]}")
    fc_bias = config["fc_bias"]
    if not isinstance(fc_bias, list) or len(fc_bias) != fc_weight.shape[1]:
        raise ConfigError(f"'fc_bias' must be a list of {fc_weight.shape[1]} numbers, got "
                          f"{fc_bias!r}")
    for value in fc_bias:
        _number(value, "fc_bias")
    label = _int(config, "label", 0)
    if label >= fc_weight.shape[1]:
        raise ConfigError(f"'label' must be < {fc_weight.shape[1]} (the number of classes), "
                          f"got {label}")
    return config
