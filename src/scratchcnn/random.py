"""The library's one random number generator: weight init, dropout masks, shuffling.

``manual_seed(s)`` makes every random draw that follows reproducible, as in PyTorch
(the numbers differ from PyTorch's: the generators are different algorithms).
"""

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Reseed the global generator; returns it.

    >>> import scratchcnn as sc
    >>> _ = sc.manual_seed(0); a = sc.randn(3)
    >>> _ = sc.manual_seed(0); b = sc.randn(3)
    >>> bool((a == b).all())
    True
    """
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        from .errors import ArgumentError
        raise ArgumentError(f"manual_seed expects a non-negative int, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator():
    """The global ``numpy.random.Generator`` that every random op draws from."""
    return _generator


def get_rng_state():
    """The generator's state as a JSON-ready dict (saved in checkpoints)."""
    return _generator.bit_generator.state


def set_rng_state(state):
    """Restore a state returned by :func:`get_rng_state`."""
    _generator.bit_generator.state = state
