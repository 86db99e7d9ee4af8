"""Argument types for the command line (argparse ``type=``): each checks a value where
it is parsed and names what was expected, so ``--epochs 0`` is an error, not a default.
Shared by ``scratchcnn``'s commands and the benchmark options."""

import argparse
import math


def dims(text):
    """'3x227x227' -> (3, 227, 227)."""
    try:
        dims = tuple(int(part) for part in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 3x227x227, got {text!r}") from None
    if not dims or min(dims) <= 0:
        raise argparse.ArgumentTypeError(f"sizes must be positive, got {text!r}")
    if max(dims) > 1_000_000:
        raise argparse.ArgumentTypeError(f"sizes must be at most 1000000, got {text!r}")
    return dims


def bounded_int(low, high):
    """An argparse type: an integer in ``low..high`` (named in the error otherwise)."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be an integer in {low}..{high}, got {text}")
        return value
    parse.__name__ = "integer"
    return parse


def positive_float(text):
    """An argparse type: a finite number > 0 (a learning rate, a timeout)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return value


def fraction(text):
    """An argparse type: a number in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value
