"""Lazy layers: ``LazyLinear`` and ``LazyConv2d`` learn their input size from the first
batch they see, as in PyTorch.

Until then their ``weight`` and ``bias`` are :class:`UninitializedParameter` objects (no
shape yet). The first call *materializes* them in place: the same Parameter objects get
their array and become plain Parameters, so an optimizer built before the first call
(which holds those objects) updates them afterwards. The module then turns into the
class it stands for (``Linear`` / ``Conv2d``): ``type()``, ``repr``, ``summary`` and
``state_dict`` name it as such, exactly as PyTorch's ``cls_to_become`` does.

>>> import scratchcnn as sc
>>> layer = sc.nn.LazyLinear(10)
>>> layer(sc.zeros(4, 300)).shape, type(layer).__name__, layer.in_features
(torch.Size([4, 10]), 'Linear', 300)
"""

import numpy as np

from ..dtypes import float_or_default
from ..device import check_device
from ..errors import ShapeError
from .conv import Conv2d
from .linear import Linear
from .module import Module, Parameter


class UninitializedParameter(Parameter):
    """A Parameter whose shape is not known yet (``torch.nn.UninitializedParameter``).
    ``materialize(shape)`` gives it an (uninitialized) array of that shape and turns it,
    in place, into a plain :class:`Parameter`."""

    __slots__ = ()

    def __init__(self, requires_grad=True, device=None, dtype=None):
        check_device(device, "UninitializedParameter")
        super().__init__(np.empty((0,), float_or_default(dtype)), requires_grad=requires_grad)

    def materialize(self, shape, device=None, dtype=None):
        """Allocate the array of ``shape`` (values undefined until initialized) and become
        a Parameter, keeping this object's identity."""
        check_device(device, "UninitializedParameter.materialize()")
        self._array = np.empty(tuple(shape), np.dtype(dtype) if dtype else self._array.dtype)
        self.__class__ = Parameter

    def __repr__(self):
        return "<UninitializedParameter>"


def is_lazy(param):
    """True for a parameter that has not been materialized yet."""
    return isinstance(param, UninitializedParameter)


class LazyModuleMixin:
    """The first call (or loading a state_dict with the real shapes) sets the input size,
    materializes the parameters, initializes them and switches to ``cls_to_become``."""

    cls_to_become = None

    def has_uninitialized_params(self):
        return any(is_lazy(p) for p in self._parameters.values() if p is not None)

    def __call__(self, *args, **kwargs):
        if self.has_uninitialized_params():
            if not args:
                raise ShapeError(f"{type(self).__name__} needs its input as the first "
                                 "argument of its first call to learn its input size")
            self.initialize_parameters(args[0])
        # Module's, by name: once initialized, self is no longer a LazyModuleMixin (super()
        # would refuse it).
        return Module.__call__(self, *args, **kwargs)

    def _become(self):
        self.__class__ = self.cls_to_become

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Loading real weights into a lazy layer materializes it with their shapes."""
        shape = np.shape(_as_array(state_dict["weight"])) if "weight" in state_dict else ()
        if self.has_uninitialized_params() and len(shape) >= 2 and 0 not in shape:
            self._materialize_from_weight_shape(shape)
        return Module.load_state_dict(self, state_dict, strict, assign)



def _as_array(value):
    return value.numpy() if hasattr(value, "numpy") else value


def _lazy_parameters(module, bias, dtype):
    module.weight = UninitializedParameter(dtype=dtype)
    module.register_parameter("bias", UninitializedParameter(dtype=dtype) if bias else None)


class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` whose ``in_features`` is read from the last axis of the first input.

    >>> import scratchcnn as sc
    >>> sc.nn.LazyLinear(3)
    LazyLinear(in_features=0, out_features=3, bias=True)
    """

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        check_device(device, f"LazyLinear({out_features})")
        Linear.__init__(self, 0, out_features, bias=bias, dtype=dtype)   # checks out_features
        _lazy_parameters(self, bias, float_or_default(dtype))

    def output_shape(self, input_shape):
        """(..., out_features): known before the first call, any last axis accepted."""
        if not input_shape:
            raise ShapeError("expected input (..., in_features), got a scalar", repr(self))
        return (*input_shape[:-1], self.out_features)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            Linear.reset_parameters(self)

    def initialize_parameters(self, input):
        """Materialize (out, in) from ``input`` (..., in) and initialize as Linear does."""
        if input.ndim == 0:
            raise ShapeError("LazyLinear expects an input of shape (..., in_features), got "
                             "a scalar", repr(self))
        self._materialize_from_weight_shape((self.out_features, input.shape[-1]))

    def _materialize_from_weight_shape(self, shape):
        self.in_features = int(shape[1])
        self.weight.materialize((self.out_features, self.in_features))
        if self.bias is not None:
            self.bias.materialize((self.out_features,))
        self._become()
        self.reset_parameters()


class LazyConv2d(LazyModuleMixin, Conv2d):
    """``Conv2d`` whose ``in_channels`` is read from the first input (N, C, H, W) or
    (C, H, W); it must be divisible by ``groups``.

    >>> import scratchcnn as sc
    >>> conv = sc.nn.LazyConv2d(8, 3, padding=1)
    >>> conv(sc.zeros(2, 5, 7, 7)).shape, conv.weight.shape
    (torch.Size([2, 8, 7, 7]), torch.Size([8, 5, 3, 3]))
    """

    cls_to_become = Conv2d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        Module.__init__(self)
        subject = f"LazyConv2d({out_channels})"
        self._configure(None, out_channels, kernel_size, stride, padding, dilation, groups,
                        padding_mode, device, subject)
        self.in_channels = 0      # as PyTorch, until the first call
        self._set_padding(padding, subject)
        _lazy_parameters(self, bias, float_or_default(dtype))

    def _check_channels(self, input_shape):
        """Before the first call any channel count divisible by groups will do."""
        if len(input_shape) < 3 or input_shape[-3] % self.groups:
            raise ShapeError(f"expected input (N, C, H, W) or (C, H, W) with C divisible by "
                             f"groups={self.groups}, got {tuple(input_shape)}", repr(self))

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            Conv2d.reset_parameters(self)

    def initialize_parameters(self, input):
        """Materialize (out, C/groups, kh, kw) from ``input``'s channel axis and initialize
        as Conv2d does."""
        if input.ndim not in (3, 4):
            raise ShapeError(f"expected input of shape (N, C, H, W) or (C, H, W), got "
                             f"{input.ndim}-D input of shape {tuple(input.shape)}", repr(self))
        channels = input.shape[-3]
        if channels % self.groups:
            raise ShapeError(f"input has {channels} channels, which is not divisible by "
                             f"groups={self.groups}", repr(self))
        self._materialize_from_weight_shape((self.out_channels, channels // self.groups))

    def _materialize_from_weight_shape(self, shape):
        self.in_channels = int(shape[1]) * self.groups
        self.weight.materialize(self._weight_shape())
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self._become()
        self.reset_parameters()
