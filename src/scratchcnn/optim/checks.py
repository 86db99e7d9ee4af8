"""Hyper-parameter checks shared by the optimizers.

The messages start as PyTorch's do (``Invalid learning rate: -1``), so code that matches
on them keeps working, and then say what was expected. Unlike PyTorch, non-finite values
(``nan``, ``inf``) are refused too: they would silently turn every parameter into nan.
"""

import math
import numbers

from ..errors import ArgumentError

# PyTorch's wording for each hyper-parameter in its "Invalid ..." messages.
_LABELS = {
    "lr": "learning rate",
    "eps": "epsilon value",
    "momentum": "momentum value",
    "weight_decay": "weight_decay value",
    "rho": "rho value",
    "alpha": "alpha value",
    "lr_decay": "lr_decay value",
    "initial_accumulator_value": "initial_accumulator_value value",
    "dampening": "dampening value",
}


def check_number(value, name, where, low=0.0, high=None, high_open=False):
    """Raise :class:`ArgumentError` unless ``value`` is a finite real number in
    ``[low, high]`` (``[low, high)`` with ``high_open``; no upper bound when ``high`` is
    None, no lower bound when ``low`` is None). ``where`` names the optimizer."""
    label = _LABELS.get(name, name)
    if not isinstance(value, numbers.Real):
        raise ArgumentError(f"Invalid {label}: {value!r} ({where} expects a real number, "
                            f"got {type(value).__name__})")
    bounds = []
    if low is not None:
        bounds.append(f">= {low}")
    if high is not None:
        bounds.append(f"{'<' if high_open else '<='} {high}")
    too_low = low is not None and value < low
    too_high = high is not None and (value >= high if high_open else value > high)
    if not math.isfinite(value) or too_low or too_high:
        expected = "a finite number" + (" " + " and ".join(bounds) if bounds else "")
        raise ArgumentError(f"Invalid {label}: {value} ({where} expects {expected})")


def check_betas(betas, where):
    """``betas`` must be a pair of finite numbers, each in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ArgumentError(f"Invalid betas: {betas!r} ({where} expects a pair "
                            "(beta1, beta2))")
    for index, beta in enumerate(betas):
        check_number(beta, f"beta parameter at index {index}", where, 0.0, 1.0,
                     high_open=True)


def check_implementation_flags(where, foreach=None, fused=None, capturable=False,
                               differentiable=False):
    """PyTorch's implementation switches. ``foreach``, ``fused`` and ``capturable`` choose
    among implementations of the same formulas (here there is one, on the CPU), so they
    are accepted and ignored; ``differentiable`` (a graph through the update) is refused."""
    if differentiable:
        raise ArgumentError(f"{where}(differentiable=True) is not supported: updates are "
                            "not recorded in the autograd graph")
