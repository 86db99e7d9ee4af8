"""Dtypes under PyTorch's names. A scratchcnn dtype is a ``numpy.dtype``.

``torch.float`` is float32, ``torch.double`` float64, ``torch.long`` int64,
``torch.int`` int32, ``torch.half`` float16, ``torch.bool`` bool.

>>> import scratchcnn as sc
>>> sc.float is sc.float32, sc.long
(True, dtype('int64'))
"""

import numpy as np

from .errors import DTypeError

float16 = np.dtype("float16")
float32 = np.dtype("float32")
float64 = np.dtype("float64")
int8 = np.dtype("int8")
int16 = np.dtype("int16")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
uint8 = np.dtype("uint8")
bool_ = np.dtype("bool")
complex64 = np.dtype("complex64")
complex128 = np.dtype("complex128")

half = float16
double = float64
short = int16
long = int64
cfloat = complex64
cdouble = complex128

# The names that shadow Python builtins, exported as `sc.float`, `sc.int`, `sc.bool`.
ALIASES = {"float": float32, "int": int32, "bool": bool_}

NAMES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool_",
         "complex64", "complex128", "half", "double", "short", "long", "cfloat", "cdouble"]

# The dtype of new floating tensors and parameters: float32, as PyTorch, until
# set_default_dtype. One home: creation, type promotion and layers all read it here.
_default_float = [float32]


def get_default_dtype():
    """The dtype of new floating tensors and layer parameters (float32 by default)."""
    return _default_float[0]


def set_default_dtype(d):
    """Make ``d`` (float16, float32 or float64) the dtype of new floating tensors and
    layer parameters: ``tensor([1.5])``, ``zeros(2)``, ``nn.Linear(2, 3)``, int / int."""
    try:
        dtype = np.dtype(d)
    except TypeError:
        raise DTypeError(f"set_default_dtype(): {d!r} is not a dtype") from None
    if dtype.kind != "f":
        raise DTypeError("only floating-point types are supported as the default type, got "
                         f"{dtype}")
    _default_float[0] = dtype


def float_or_default(dtype):
    """``dtype`` as a NumPy dtype, or the default float when it is None."""
    return np.dtype(dtype) if dtype is not None else _default_float[0]
