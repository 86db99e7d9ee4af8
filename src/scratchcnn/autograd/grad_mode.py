"""Grad mode: whether ops record a graph (``no_grad``, ``enable_grad``,
``inference_mode``, ``set_grad_enabled``), per thread as in PyTorch."""

import functools
import threading

_state = threading.local()


def is_grad_enabled():
    """True unless inside ``no_grad()``: only then are graphs recorded."""
    return getattr(_state, "grad_enabled", True)


def _set_grad_enabled(mode):
    _state.grad_enabled = bool(mode)


class _GradMode:
    """A context manager that is also a decorator, with or without parentheses
    (``@no_grad`` and ``@no_grad()``), as in PyTorch."""

    enabled = True

    def __new__(cls, *args, **kwargs):
        if cls is not set_grad_enabled and len(args) == 1 and callable(args[0]) and \
                not kwargs and not isinstance(args[0], bool):
            return cls()(args[0])  # used as @no_grad without parentheses
        return super().__new__(cls)

    def __enter__(self):
        self.previous = is_grad_enabled()
        _set_grad_enabled(self.enabled)
        return self

    def __exit__(self, *exc):
        _set_grad_enabled(self.previous)
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with type(self)(*self._args()):
                return function(*args, **kwargs)
        return wrapper

    def _args(self):
        return ()

    def clone(self):
        return type(self)(*self._args())


class no_grad(_GradMode):
    """Context manager / decorator: run without recording a graph (inference, updates).

    >>> import scratchcnn as sc
    >>> w = sc.ones(2, requires_grad=True)
    >>> with sc.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """

    enabled = False


class enable_grad(_GradMode):
    """Context manager / decorator: record graphs again inside a ``no_grad`` block."""

    enabled = True


class inference_mode(_GradMode):
    """``no_grad`` for inference, as ``torch.inference_mode(mode=True)``."""

    def __init__(self, mode=True):
        self.enabled = not mode

    def _args(self):
        return (not self.enabled,)


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(False)`` switches recording off at once; used with ``with``,
    the previous mode comes back at the end of the block (PyTorch's semantics)."""

    def __init__(self, mode):
        if not isinstance(mode, (bool, int)):
            raise TypeError(f"set_grad_enabled expects a bool, got {type(mode).__name__}")
        self.enabled = bool(mode)
        self.previous = is_grad_enabled()
        _set_grad_enabled(self.enabled)

    def __enter__(self):
        return self

    def __call__(self, function):
        _set_grad_enabled(self.previous)   # as a decorator it only applies inside calls
        return super().__call__(function)

    def _args(self):
        return (self.enabled,)


class set_detect_anomaly:
    """``torch.autograd.set_detect_anomaly(mode)``: accepted (as a call or a context).
    scratchcnn's errors already name the op and the shapes where a backward fails."""

    def __init__(self, mode, check_nan=True):
        self.mode = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


detect_anomaly = set_detect_anomaly
