"""Exceptions that say what was wrong, where, and what was expected.

Each class derives from the Python exception a user would catch (``ValueError``,
``TypeError``) *and* from the one PyTorch raises in the same situation
(``RuntimeError``, ``IndexError``), so code written against either keeps working.

When an error escapes a module's ``forward``, every enclosing ``Module.__call__``
records itself on the exception; ``str(err)`` then starts with the layer's path in
the model, e.g. ``in feature_extraction.0: Conv2d(3, 96, ...) expected ...``.
"""


class ScratchCNNError(Exception):
    """Base of every error this library raises on purpose.

    ``subject`` names who complains (e.g. ``"conv2d()"``) when the message is phrased
    as a predicate (``"expected input (N, 3, H, W), got (2, 1, 8, 8)"``); raised inside a
    module, the module itself (with its arguments) becomes the subject.
    """

    def __init__(self, message, subject=None):
        super().__init__(message)
        self.subject = subject
        self.module_stack = []  # innermost module first, filled by Module.__call__

    def layer_path(self):
        """Dotted path of the failing layer inside the outermost module, or ''."""
        names = []
        for parent, child in zip(self.module_stack[1:], self.module_stack[:-1]):
            for name, module in parent._modules.items():
                if module is child:
                    names.append(name)
                    break
        return ".".join(reversed(names))

    def __str__(self):
        message = Exception.__str__(self)  # the plain text: KeyError's would be quoted
        if self.subject is not None:
            subject = self.subject
            if self.module_stack:
                layer = self.module_stack[0]
                subject = f"{type(layer).__name__}({layer.extra_repr()})"
            message = f"{subject} {message}"
        path = self.layer_path()
        return f"in {path}: {message}" if path else message


class ShapeError(ScratchCNNError, ValueError, RuntimeError):
    """An array has the wrong rank, size or number of channels."""


class DTypeError(ScratchCNNError, TypeError, RuntimeError):
    """Two arrays that must share a dtype do not (PyTorch raises RuntimeError)."""


class ArgumentError(ScratchCNNError, ValueError):
    """A hyper-parameter is out of its valid range (stride 0, negative padding, p > 1)."""


class TargetError(ScratchCNNError, ValueError, IndexError):
    """A class label is out of range (PyTorch raises IndexError)."""


class GraphError(ScratchCNNError, ValueError, RuntimeError):
    """Misuse of autograd: backward on a non-scalar, or through a freed graph."""


class StateDictError(ScratchCNNError, KeyError, ValueError, RuntimeError):
    """``load_state_dict`` found missing, unexpected or wrongly shaped entries."""

    def __str__(self):  # KeyError would quote the message; show it plainly
        return ScratchCNNError.__str__(self)


class DeviceError(ScratchCNNError, RuntimeError):
    """A device other than the CPU was asked for: scratchcnn computes on the CPU only."""


class DimensionError(ShapeError, IndexError):
    """A dimension index is out of range (PyTorch raises IndexError)."""
