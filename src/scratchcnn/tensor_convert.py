"""Tensor methods that convert: dtypes (``to``, ``type``, ``float``, ``long``...) and
devices (``to(device)``, ``cpu``, ``cuda``). Mixed into :class:`~scratchcnn.Tensor`.

Only the CPU exists: a CUDA or MPS device anywhere raises
:class:`~scratchcnn.errors.DeviceError` (:mod:`scratchcnn.device`).
"""

import numpy as np

from . import autograd
from .device import check_device, is_device
from .dtypes import bool_, float16, float32, float64, int32, int64, uint8
from .errors import ArgumentError, DTypeError
from .ops import shape as sh

_TYPE_NAMES = {float32: "FloatTensor", float64: "DoubleTensor", float16: "HalfTensor",
               int64: "LongTensor", int32: "IntTensor", np.dtype("int16"): "ShortTensor",
               np.dtype("int8"): "CharTensor", uint8: "ByteTensor", bool_: "BoolTensor"}


def _is_tensor(value):
    return isinstance(value, autograd.engine.tensor_type())


class ConvertMethods:
    __slots__ = ()

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``, with the
        keywords ``dtype=``, ``device=``, ``non_blocking=``, ``copy=`` (differentiable).
        Only the CPU exists here: any other device raises a clear error."""
        dtype, copy = _to_arguments(args, kwargs, "Tensor.to()")
        if dtype is None or dtype == self._array.dtype:
            return self.clone() if copy else self
        return autograd.apply(sh.cast_forward, sh.cast_backward, self, dtype=dtype)

    def type(self, dtype=None, non_blocking=False):
        """Without ``dtype``: PyTorch's type name (``"torch.FloatTensor"``); with one,
        this tensor converted to it (a dtype or such a name)."""
        if dtype is None:
            return "torch." + _TYPE_NAMES.get(self._array.dtype, "Tensor")
        if isinstance(dtype, str) and dtype.startswith("torch."):
            names = {name: dt for dt, name in _TYPE_NAMES.items()}
            if dtype[len("torch."):] not in names:
                raise DTypeError(f"type(): unknown tensor type {dtype!r}")
            dtype = names[dtype[len("torch."):]]
        return self.to(np.dtype(dtype))

    def float(self):
        return self.to(float32)

    def double(self):
        return self.to(float64)

    def half(self):
        return self.to(float16)

    def long(self):
        return self.to(int64)

    def int(self):
        return self.to(int32)

    def short(self):
        return self.to(np.dtype("int16"))

    def bool(self):
        return self.to(bool_)

    def byte(self):
        return self.to(uint8)

    def cpu(self):
        return self

    def cuda(self, device=None, non_blocking=False):
        check_device("cuda" if device is None else device, "Tensor.cuda()")

    def is_floating_point(self):
        return self._array.dtype.kind == "f"

    def element_size(self):
        return self._array.itemsize

    def nelement(self):
        return int(self._array.size)

    def is_contiguous(self):
        return bool(self._array.flags.c_contiguous)

    def __index__(self):
        if self._array.size != 1 or self._array.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted "
                            f"to an index (this one has {self._array.size} elements of "
                            f"{self._array.dtype})")
        return int(self._array.item())


def _to_arguments(args, kwargs, where):
    """Parse ``to(...)``'s PyTorch forms into ``(dtype or None, copy)``; check the device."""
    unknown = set(kwargs) - {"dtype", "device", "non_blocking", "copy", "memory_format"}
    if unknown:
        raise ArgumentError(f"{where} got unexpected keyword argument(s) {sorted(unknown)}")
    dtype, device = kwargs.get("dtype"), kwargs.get("device")
    positional = list(args)
    if positional and _is_tensor(positional[0]):
        other = positional.pop(0)
        dtype = other.dtype if dtype is None else dtype
    if positional and (is_device(positional[0]) or isinstance(positional[0], int) and
                       not isinstance(positional[0], bool)):
        device = positional.pop(0)
    if positional and not isinstance(positional[0], bool):
        dtype = positional.pop(0)
    if positional:   # non_blocking, copy as positional bools
        kwargs.setdefault("non_blocking", positional.pop(0))
    if positional:
        kwargs.setdefault("copy", positional.pop(0))
    if device is not None:
        check_device(device, where)
    if dtype is not None:
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise DTypeError(f"{where}: {dtype!r} is neither a dtype nor a device") from None
    return dtype, bool(kwargs.get("copy", False))
