"""``x.new_zeros``, ``new_ones``, ``new_full``, ``new_empty``, ``new_tensor``: new tensors
that take their dtype from ``x`` unless ``dtype=`` says otherwise (PyTorch's factory
methods, common in model code that must not hard-code a dtype). Mixed into
:class:`~scratchcnn.Tensor`.

>>> import scratchcnn as sc
>>> x = sc.zeros(2, dtype=sc.float64)
>>> x.new_ones(2, 3).dtype, x.new_tensor([1, 2]).dtype, x.new_full((2,), 7).tolist()
(dtype('float64'), dtype('float64'), [7.0, 7.0])
"""

import numpy as np

from . import autograd
from .device import check_device
from .dims import shape_arguments
from .errors import ArgumentError, DTypeError, ShapeError

_IGNORED = {"layout", "pin_memory", "memory_format"}


def _unwrap(data):
    """Tensors (also inside nested lists) -> their arrays, so NumPy can read the data."""
    if hasattr(data, "_array"):
        return data._array
    if isinstance(data, (list, tuple)):
        return [_unwrap(item) for item in data]
    return data


class NewMethods:
    __slots__ = ()

    def _new(self, array, device, requires_grad, options, where):
        unknown = set(options) - _IGNORED
        if unknown:
            raise ArgumentError(f"{where} got unexpected keyword argument(s) {sorted(unknown)}")
        check_device(device, where)
        result = autograd.constant(array)
        if requires_grad:
            result.requires_grad_(True)
        return result

    def _new_dtype(self, dtype, where):
        if dtype is None:
            return self.dtype
        try:
            return np.dtype(dtype)
        except TypeError:
            raise DTypeError(f"{where}: {dtype!r} is not a dtype") from None

    def _new_shape(self, args, size, where):
        if size is not None:
            if args:
                raise ArgumentError(f"{where} got the size both positionally and as size=")
            args = (size,)
        shape = shape_arguments(args, where)
        if any(d < 0 for d in shape):
            raise ShapeError(f"{where}: dimension sizes must be non-negative, got {list(shape)}")
        return shape

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, **options):
        """Zeros of shape ``size`` (ints or one sequence), with this tensor's dtype."""
        where = "new_zeros()"
        shape = self._new_shape(size, options.pop("size", None), where)
        return self._new(np.zeros(shape, self._new_dtype(dtype, where)), device,
                         requires_grad, options, where)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False, **options):
        """Ones of shape ``size``, with this tensor's dtype."""
        where = "new_ones()"
        shape = self._new_shape(size, options.pop("size", None), where)
        return self._new(np.ones(shape, self._new_dtype(dtype, where)), device,
                         requires_grad, options, where)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False, **options):
        """An uninitialised tensor of shape ``size``, with this tensor's dtype."""
        where = "new_empty()"
        shape = self._new_shape(size, options.pop("size", None), where)
        return self._new(np.empty(shape, self._new_dtype(dtype, where)), device,
                         requires_grad, options, where)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
                 **options):
        """``fill_value`` everywhere in shape ``size`` (a sequence), this tensor's dtype."""
        where = "new_full()"
        shape = self._new_shape((size,), None, where)
        fill = _unwrap(fill_value)
        return self._new(np.full(shape, fill, self._new_dtype(dtype, where)), device,
                         requires_grad, options, where)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, **options):
        """A copy of ``data`` (numbers, nested lists, arrays, tensors) with this tensor's
        dtype (not the data's), unless ``dtype`` is given; never part of a graph."""
        where = "new_tensor()"
        try:
            array = np.array(_unwrap(data), dtype=self._new_dtype(dtype, where))
        except (TypeError, ValueError) as error:
            raise ArgumentError(f"{where}: cannot make a tensor from {type(data).__name__}: "
                                f"{error}") from None
        return self._new(array, device, requires_grad, options, where)
