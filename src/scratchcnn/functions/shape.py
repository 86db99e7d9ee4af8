"""Top-level shape and indexing functions (``torch.flatten``, ``torch.split``,
``torch.gather``, ``torch.cat``, ``torch.meshgrid``...). Each is a front for the Tensor
method of the same name (see :mod:`scratchcnn.tensor_shape`), with PyTorch's
argument names so that keyword calls work too.
"""

import numpy as np

from ..dims import shape_arguments
from ..errors import ArgumentError, ShapeError
from ..tensor import Tensor, cat, common_dtype, stack, tensor

concat = concatenate = cat


def _as_tensor(value, where):
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (np.ndarray, list, tuple, int, float, bool)):
        return tensor(value)
    raise ArgumentError(f"{where} expects a Tensor, got {type(value).__name__}")


def flatten(input, start_dim=0, end_dim=-1):  # noqa: A002 - PyTorch's parameter name
    """``input.flatten(start_dim, end_dim)``."""
    return _as_tensor(input, "flatten()").flatten(start_dim, end_dim)


def unflatten(input, dim, sizes):  # noqa: A002
    return _as_tensor(input, "unflatten()").unflatten(dim, sizes)


def reshape(input, shape):  # noqa: A002
    """``input.reshape(shape)``; one entry of ``shape`` may be -1."""
    return _as_tensor(input, "reshape()").reshape(shape)


def squeeze(input, dim=None):  # noqa: A002
    return _as_tensor(input, "squeeze()").squeeze(dim)


def unsqueeze(input, dim):  # noqa: A002
    return _as_tensor(input, "unsqueeze()").unsqueeze(dim)


def transpose(input, dim0, dim1):  # noqa: A002
    return _as_tensor(input, "transpose()").transpose(dim0, dim1)


swapaxes = swapdims = transpose


def permute(input, dims):  # noqa: A002
    return _as_tensor(input, "permute()").permute(dims)


def t(input):  # noqa: A002
    return _as_tensor(input, "t()").t()


def movedim(input, source, destination):  # noqa: A002
    return _as_tensor(input, "movedim()").movedim(source, destination)


moveaxis = movedim


def split(tensor, split_size_or_sections, dim=0):  # noqa: F811 - PyTorch's parameter name
    """``tensor.split(...)``: a tuple of views along ``dim``."""
    return _as_tensor(tensor, "split()").split(split_size_or_sections, dim)


def chunk(input, chunks, dim=0):  # noqa: A002
    return _as_tensor(input, "chunk()").chunk(chunks, dim)


def unbind(input, dim=0):  # noqa: A002
    return _as_tensor(input, "unbind()").unbind(dim)


def flip(input, dims):  # noqa: A002
    return _as_tensor(input, "flip()").flip(dims)


def fliplr(input):  # noqa: A002
    return _as_tensor(input, "fliplr()").fliplr()


def flipud(input):  # noqa: A002
    return _as_tensor(input, "flipud()").flipud()


def roll(input, shifts, dims=None):  # noqa: A002
    return _as_tensor(input, "roll()").roll(shifts, dims)


def gather(input, dim, index, sparse_grad=False):  # noqa: A002
    return _as_tensor(input, "gather()").gather(dim, index)


def scatter(input, dim, index, src=None, value=None, reduce=None):  # noqa: A002
    return _as_tensor(input, "scatter()").scatter(dim, index, src, value, reduce)


def scatter_add(input, dim, index, src):  # noqa: A002
    return _as_tensor(input, "scatter_add()").scatter_add(dim, index, src)


def index_select(input, dim, index):  # noqa: A002
    return _as_tensor(input, "index_select()").index_select(dim, index)


def narrow(input, dim, start, length):  # noqa: A002
    return _as_tensor(input, "narrow()").narrow(dim, start, length)


def select(input, dim, index):  # noqa: A002
    return _as_tensor(input, "select()").select(dim, index)


def take(input, index):  # noqa: A002
    return _as_tensor(input, "take()").take(index)


def masked_select(input, mask):  # noqa: A002
    return _as_tensor(input, "masked_select()").masked_select(mask)


def nonzero(input, as_tuple=False):  # noqa: A002
    return _as_tensor(input, "nonzero()").nonzero(as_tuple=as_tuple)


def argwhere(input):  # noqa: A002
    return _as_tensor(input, "argwhere()").nonzero()


def tril(input, diagonal=0):  # noqa: A002
    return _as_tensor(input, "tril()").tril(diagonal)


def triu(input, diagonal=0):  # noqa: A002
    return _as_tensor(input, "triu()").triu(diagonal)


def clone(input, memory_format=None):  # noqa: A002
    return _as_tensor(input, "clone()").clone()


def broadcast_to(input, size):  # noqa: A002
    """``input.expand(size)``: a view with size-1 dims repeated."""
    return _as_tensor(input, "broadcast_to()").expand(size)


def broadcast_shapes(*shapes):
    """The shape that tensors of ``shapes`` broadcast to (PyTorch's rules)."""
    shapes = [shape_arguments((s,), "broadcast_shapes()") for s in shapes]
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ShapeError(f"broadcast_shapes(): shapes {shapes} cannot be broadcast "
                         "together") from None


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (views)."""
    tensors = [_as_tensor(x, "broadcast_tensors()") for x in tensors]
    shape = broadcast_shapes(*(x.shape for x in tensors))
    return tuple(x.expand(shape) for x in tensors)


def _promoted(tensors, where):
    """The tensors cast to their common dtype (PyTorch's rule: a float beats an int)."""
    tensors = [_as_tensor(x, where) for x in tensors]
    if not tensors:
        raise ArgumentError(f"{where} expects a non-empty sequence of tensors")
    target = common_dtype(tensors)
    return [x if x.dtype == target else x.to(target) for x in tensors]


def hstack(tensors):
    """Join along dim 1, or dim 0 for 1-D tensors."""
    tensors = _promoted(tensors, "hstack()")
    return cat(tensors, 0 if tensors[0].ndim <= 1 else 1) if tensors[0].ndim else \
        cat([x.reshape(1) for x in tensors], 0)


def vstack(tensors):
    """Join along dim 0, after making 0-d and 1-D tensors 2-D ``(1, n)``."""
    tensors = _promoted(tensors, "vstack()")
    return cat([x.reshape(1, -1) if x.ndim < 2 else x for x in tensors], 0)


row_stack = vstack


def dstack(tensors):
    """Join along dim 2, after making tensors 3-D (``(1, n, 1)``, ``(m, n, 1)``)."""
    tensors = _promoted(tensors, "dstack()")
    def at_least_3d(x):
        return x.reshape(1, -1, 1) if x.ndim < 2 else x.unsqueeze(-1) if x.ndim == 2 else x
    return cat([at_least_3d(x) for x in tensors], 2)


def column_stack(tensors):
    tensors = _promoted(tensors, "column_stack()")
    return cat([x.reshape(-1, 1) if x.ndim < 2 else x for x in tensors], 1)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids: for 1-D inputs of sizes ``n_0, ..., n_{k-1}``, k tensors of
    shape ``(n_0, ..., n_{k-1})`` (``indexing="xy"`` swaps the first two sizes)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ArgumentError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    tensors = [_as_tensor(x, "meshgrid()") for x in tensors]
    if any(x.ndim > 1 for x in tensors):
        raise ShapeError(f"meshgrid expects 0-D or 1-D tensors, got shapes "
                         f"{[tuple(x.shape) for x in tensors]}")
    flat = [x.reshape(-1) for x in tensors]
    swap = indexing == "xy" and len(flat) >= 2
    order = [1, 0] + list(range(2, len(flat))) if swap else list(range(len(flat)))
    shape = tuple(flat[i].shape[0] for i in order)
    grids = []
    for position, i in enumerate(order):
        view = [1] * len(flat)
        view[position] = -1
        grids.append((i, flat[i].reshape(view).expand(shape)))
    return tuple(grid for _, grid in sorted(grids, key=lambda pair: pair[0]))



__all__ = ["flatten", "unflatten", "reshape", "squeeze", "unsqueeze", "transpose", "swapaxes",
           "swapdims", "permute", "t", "movedim", "moveaxis", "split", "chunk", "unbind",
           "flip", "fliplr", "flipud", "roll", "gather", "scatter", "scatter_add",
           "index_select", "narrow", "select", "take", "masked_select", "nonzero", "argwhere",
           "tril", "triu", "clone", "broadcast_to", "broadcast_shapes", "broadcast_tensors",
           "cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack",
           "column_stack", "meshgrid"]
