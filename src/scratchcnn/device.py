"""Devices: scratchcnn computes on the CPU, and says so when asked for anything else.

PyTorch code names devices everywhere (``torch.device("cuda" if ... else "cpu")``,
``model.to(device)``, ``x.cuda()``). Here ``device("cpu")`` is the only place a tensor
can live; naming another device is allowed (as in PyTorch, where constructing
``torch.device("cuda")`` works on any machine) but moving a tensor or a module there
raises :class:`~scratchcnn.errors.DeviceError`.

>>> import scratchcnn as sc
>>> sc.device("cpu"), sc.device("cpu").type
(device(type='cpu'), 'cpu')
>>> sc.tensor([1.0]).to(sc.device("cpu")).device
device(type='cpu')
"""

from .errors import DeviceError

_KNOWN = ("cpu", "cuda", "mps", "xpu", "meta", "xla", "hip", "mtia", "privateuseone")


class device:
    """``device("cpu")``, ``device("cuda:0")``, ``device("cuda", 1)``: a named device."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002 - PyTorch's parameter name
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        elif isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type   # torch.device(0) means cuda:0
        elif not isinstance(type, str):
            raise TypeError(f"device() expects a string such as 'cpu', got "
                            f"{builtin_type(type).__name__}")
        else:
            name, _, number = type.partition(":")
            if number:
                if index is not None:
                    raise ValueError(f"device(): type {type!r} already names an index")
                if not number.isdigit():
                    raise ValueError(f"device(): invalid device string {type!r}")
                index = int(number)
            type = name
        if type not in _KNOWN:
            raise ValueError(f"device(): expected one of {', '.join(_KNOWN)} device type "
                             f"at start of device string: {type}")
        if index is not None and (not isinstance(index, int) or index < 0):
            raise ValueError(f"device(): the index must be a non-negative integer, got {index!r}")
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "index", index)

    def __setattr__(self, name, value):
        raise AttributeError("device objects are immutable")

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (TypeError, ValueError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"


builtin_type = type
CPU = device("cpu")


def is_device(value):
    """True for a :class:`device`, a device string (``"cpu"``, ``"cuda:0"``) or an int."""
    if isinstance(value, device):
        return True
    if isinstance(value, str):
        return value.partition(":")[0] in _KNOWN
    return False


def check_device(value, where="this call"):
    """The CPU device for ``value`` (None, ``"cpu"``, a device); any other device raises
    :class:`DeviceError` naming it and ``where`` it was given."""
    if value is None:
        return CPU
    try:
        dev = device(value)
    except (TypeError, ValueError) as error:
        raise DeviceError(f"{where}: {error}") from None
    if dev.type != "cpu":
        raise DeviceError(
            f"{where}: device {str(dev)!r} is not available: scratchcnn computes on the CPU "
            f"only (torch.cuda.is_available() and torch.backends.mps.is_available() are False "
            f"here). Use device='cpu', or pick it with "
            f"'cuda' if torch.cuda.is_available() else 'cpu'")
    return CPU
