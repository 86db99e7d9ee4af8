"""A :class:`~scratchcnn.nn.Module`'s modes and numbers: training or evaluation mode,
``requires_grad``, ``zero_grad``, dtype conversions (``to``, ``float``, ``double``) and the
device calls PyTorch code makes (``cpu``, ``cuda``). A mixin of ``Module``; it reaches
the tree through ``children``, ``parameters`` and ``buffers`` only."""

import itertools

import numpy as np

from ..device import check_device
from ..errors import ArgumentError, DTypeError
from ..tensor import Tensor
from ..tensor_convert import _to_arguments


class ConvertMethods:
    """``train``/``eval``, ``requires_grad_``, ``zero_grad``, ``to`` and the dtype and device
    shorthands, as in PyTorch."""

    # ----------------------------------------------------------------- modes and grads
    def train(self, mode=True):
        """Set training mode (``mode=True``) or evaluation mode on this module and every
        submodule; returns this module."""
        if not isinstance(mode, bool):
            raise ArgumentError(f"training mode is expected to be boolean, got {mode!r}")
        object.__setattr__(self, "training", mode)
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """Evaluation mode (``train(False)``); returns this module."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` of every parameter; returns this module."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Drop every parameter's ``.grad`` (``set_to_none=True``) or zero it in place."""
        for param in self.parameters():
            if param.grad is not None:
                if set_to_none:
                    param.grad = None
                else:
                    param.grad.detach_()
                    param.grad.zero_()

    def to(self, *args, **kwargs):
        """Convert every parameter and floating buffer, in place: ``to(dtype)``,
        ``to(device)``, ``to(device, dtype)``, ``to(tensor)`` as in PyTorch. Only the CPU
        exists here: another device raises :class:`~scratchcnn.errors.DeviceError`."""
        dtype, _ = _to_arguments(args, kwargs, f"{type(self).__name__}.to()")
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise DTypeError(f"{type(self).__name__}.to() only accepts floating point "
                             f"dtypes, but got desired dtype={dtype}")
        for tensor in itertools.chain(self.parameters(), self.buffers()):
            if tensor.dtype.kind == "f":
                tensor._array = tensor._array.astype(dtype)
                if tensor.grad is not None:
                    tensor.grad = Tensor(tensor.grad._array.astype(dtype))
        return self

    def float(self):
        """Floating parameters and buffers to float32, in place."""
        return self.to(np.float32)

    def double(self):
        """Floating parameters and buffers to float64, in place."""
        return self.to(np.float64)

    def half(self):
        """Floating parameters and buffers to float16, in place."""
        return self.to(np.float16)

    def type(self, dst_type):
        """Floating parameters and buffers to ``dst_type``, in place."""
        return self.to(dst_type)

    def cpu(self):
        """This module (everything already lives on the CPU)."""
        return self

    def cuda(self, device=None):
        """Raises :class:`~scratchcnn.errors.DeviceError`: there is no CUDA here."""
        check_device("cuda" if device is None else device, f"{type(self).__name__}.cuda()")

    def float_dtype(self):
        """The dtype of this module's floating parameters (float32 if it has none)."""
        return next((p.dtype for p in self.parameters() if p.dtype.kind == "f"),
                    np.dtype(np.float32))
