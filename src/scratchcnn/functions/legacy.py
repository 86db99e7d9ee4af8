"""PyTorch's legacy typed constructors, still common in older code:
``torch.FloatTensor([1, 2])``, ``torch.LongTensor(3)`` (a tensor of 3 zeros; PyTorch
leaves them uninitialised), ``torch.ByteTensor(...)``.

>>> import scratchcnn as sc
>>> sc.LongTensor([1, 2]).dtype, sc.FloatTensor(2, 3).shape
(dtype('int64'), torch.Size([2, 3]))
"""

import numpy as np

from ..tensor import Tensor


def _typed(name, dtype):
    dtype = np.dtype(dtype)

    def constructor(*args):
        if not args:
            return Tensor(np.zeros((0,), dtype))
        if all(type(a) is int for a in args):
            return Tensor(np.zeros(args, dtype))
        if len(args) != 1:
            raise TypeError(f"{name}() takes sizes (ints) or one sequence of numbers")
        data = args[0]
        array = data.numpy() if isinstance(data, Tensor) else np.asarray(data)
        return Tensor(array.astype(dtype))
    constructor.__name__ = constructor.__qualname__ = name
    constructor.__doc__ = f"``torch.{name}``: a {dtype} tensor from sizes or data."
    return constructor


FloatTensor = _typed("FloatTensor", "float32")
DoubleTensor = _typed("DoubleTensor", "float64")
HalfTensor = _typed("HalfTensor", "float16")
LongTensor = _typed("LongTensor", "int64")
IntTensor = _typed("IntTensor", "int32")
ShortTensor = _typed("ShortTensor", "int16")
CharTensor = _typed("CharTensor", "int8")
ByteTensor = _typed("ByteTensor", "uint8")
BoolTensor = _typed("BoolTensor", "bool")

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor",
           "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]
