"""Dtypes under PyTorch's names. A scratchcnn dtype is a ``numpy.dtype``.

``torch.float`` is float32, ``torch.double`` float64, ``torch.long`` int64,
``torch.int`` int32, ``torch.half`` float16, ``torch.bool`` bool.

>>> import scratchcnn as sc
>>> sc.float is sc.float32, sc.long
(True, dtype('int64'))
"""

import numpy as np

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
