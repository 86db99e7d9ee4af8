"""Parsing of PyTorch's dimension and shape arguments, shared by the Tensor methods and
the top-level functions: ``dim`` with negative values, ``*shape`` given as separate ints,
one tuple/list/Size, or 0-d integer tensors.

>>> from scratchcnn.dims import normalize_dim, shape_arguments
>>> normalize_dim(-1, 3, "squeeze()"), shape_arguments(((2, 3),), "view()")
(2, (2, 3))
"""

import operator

from .errors import ArgumentError, ShapeError


def normalize_dim(dim, ndim, where, extra=0):
    """``dim`` as an axis in ``0 .. ndim + extra - 1`` (``extra=1`` for positions that may
    be one past the end, as in ``unsqueeze``). A 0-d tensor accepts dims -1 and 0."""
    try:
        dim = operator.index(dim)
    except TypeError:
        raise ArgumentError(f"{where}: dim must be an int, got {type(dim).__name__} "
                            f"{dim!r}") from None
    size = max(ndim + extra, 1)
    if not -size <= dim < size:
        raise ShapeError(f"{where}: dimension out of range (expected to be in range of "
                         f"[{-size}, {size - 1}], but got {dim})")
    return dim % size


def normalize_dims(dims, ndim, where):
    """A sequence of dims (or one int) as a tuple of distinct axes, in the given order."""
    dims = (dims,) if not isinstance(dims, (tuple, list)) else tuple(dims)
    axes = tuple(normalize_dim(d, ndim, where) for d in dims)
    repeated = [a for position, a in enumerate(axes) if a in axes[:position]]
    if repeated:
        raise ShapeError(f"{where}: dim {repeated[0]} appears multiple times in the list of "
                         f"dims {tuple(dims)}")
    return axes


def shape_arguments(args, where):
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])``, ``f(Size(...))`` -> ``(2, 3)``; entries
    may be ints, NumPy ints or one-element integer tensors."""
    if len(args) == 1 and not _is_int(args[0]):
        args = args[0]
        if not isinstance(args, (tuple, list)):
            raise ArgumentError(f"{where}: expected a sequence of ints for the shape, got "
                                f"{type(args).__name__}")
    try:
        return tuple(operator.index(a) for a in args)
    except TypeError:
        raise ArgumentError(f"{where}: the shape must be ints, got {tuple(args)!r}") from None


def _is_int(value):
    try:
        operator.index(value)
    except TypeError:
        return False
    return True


def resolve_shape(shape, current, where):
    """Replace one ``-1`` in ``shape`` so that it holds as many elements as ``current``."""
    size = 1
    for d in current:
        size *= d
    known = 1
    for d in shape:
        known *= d if d != -1 else 1
    if shape.count(-1) > 1 or any(d < -1 for d in shape):
        raise ShapeError(f"{where}: shape {list(shape)} is invalid: at most one -1 and no "
                         "other negative sizes")
    if -1 in shape:
        if known == 0 or size % known:
            raise ShapeError(f"{where}: shape {list(shape)} is invalid for input of shape "
                             f"{tuple(current)} ({size} elements)")
        shape = tuple(size // known if d == -1 else d for d in shape)
    elif known != size:
        raise ShapeError(f"{where}: shape {list(shape)} is invalid for input of shape "
                         f"{tuple(current)} ({size} elements)")
    return tuple(int(d) for d in shape)
