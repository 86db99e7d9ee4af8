"""The library's one random number generator: weight init, dropout masks, shuffling.

``manual_seed(s)`` makes every random draw that follows reproducible, as in PyTorch
(the numbers differ from PyTorch's: the generators are different algorithms).
"""

import numpy as np

_generator = np.random.default_rng()
_last_seed = None


def manual_seed(seed):
    """Reseed the global generator; returns it.

    >>> import scratchcnn as sc
    >>> _ = sc.manual_seed(0); a = sc.randn(3)
    >>> _ = sc.manual_seed(0); b = sc.randn(3)
    >>> bool((a == b).all())
    True
    """
    global _generator, _last_seed
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        from .errors import ArgumentError
        raise ArgumentError(f"manual_seed expects a non-negative int, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    _last_seed = int(seed)
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


class Generator:
    """``torch.Generator``: a random number generator of its own, for code that passes
    one (``random_split(..., generator=torch.Generator().manual_seed(0))``). It wraps a
    ``numpy.random.Generator`` (``.numpy_generator``); the numbers differ from PyTorch's.

    >>> g = Generator().manual_seed(3)
    >>> g.initial_seed()
    3
    """

    def __init__(self, device="cpu"):
        if str(device).partition(":")[0] != "cpu":
            from .errors import DeviceError
            raise DeviceError(f"Generator(device={str(device)!r}): scratchcnn computes on "
                              "the CPU only")
        self._seed = int(np.random.SeedSequence().entropy % 2**63)
        self.numpy_generator = np.random.default_rng(self._seed)
        self.device = "cpu"

    def manual_seed(self, seed):
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            from .errors import ArgumentError
            raise ArgumentError(f"Generator.manual_seed expects an int, got {seed!r}")
        self._seed = int(seed) % 2**64
        self.numpy_generator = np.random.default_rng(self._seed)
        return self

    def seed(self):
        self.manual_seed(int(np.random.SeedSequence().entropy % 2**63))
        return self._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return self.numpy_generator.bit_generator.state

    def set_state(self, state):
        self.numpy_generator.bit_generator.state = state
        return self


def numpy_generator(generator=None):
    """The ``numpy.random.Generator`` to draw from: that of ``generator`` (a
    :class:`Generator`) if one is given, else the global one."""
    if generator is None:
        return _generator
    if isinstance(generator, Generator):
        return generator.numpy_generator
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"generator must be a scratchcnn Generator, got {type(generator).__name__}")


def initial_seed():
    """``torch.initial_seed()``: the seed of the last manual_seed (None if never seeded)."""
    return _last_seed


def seed():
    """Reseed the global generator from fresh entropy; returns the seed."""
    value = int(np.random.SeedSequence().entropy % 2**63)
    manual_seed(value)
    return value
