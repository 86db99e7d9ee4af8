"""Ops that rearrange or copy elements without computing new values: expand, repeat,
flip, roll, and the triangle masks tril/triu.

Every backward pass sends each output gradient back to the one input element it came
from; where an input element was used several times (expand, repeat) its gradient is
the sum over the copies.
"""

from .array_module import array_module
from .elementwise import unbroadcast


def expand_forward(x, shape):
    """``y = x`` broadcast to ``shape`` (a read-only view, no copy).

    Shapes: x ``(s_0, ..., s_{k-1})``, y ``shape`` with ``len(shape) >= k``; every
    ``s_i`` is 1 or equal to the matching trailing entry of ``shape``.
    Backward: dL/dx = dL/dy summed over the broadcast axes."""
    return array_module(x).broadcast_to(x, shape), x.shape


def expand_backward(grad, in_shape, needs_grad):
    return (unbroadcast(grad, in_shape),)


def repeat_forward(x, repeats):
    """``y`` = ``x`` tiled ``repeats[i]`` times along axis i (PyTorch's ``repeat``).

    Shapes: x ``(s_0, ..., s_{k-1})`` is first viewed with leading 1s as
    ``(t_0, ..., t_{n-1})``, ``n = len(repeats) >= k``; y is ``(r_i * t_i)``.
    ``y[..., r * t_i + j, ...] = x[..., j, ...]`` for every copy ``r``."""
    shape = (1,) * (len(repeats) - x.ndim) + x.shape
    return array_module(x).tile(x.reshape(shape), repeats), (x.shape, shape, tuple(repeats))


def repeat_backward(grad, cache, needs_grad):
    """dL/dx = sum over the copies: view y as ``(r_0, t_0, r_1, t_1, ...)`` and sum the
    ``r`` axes."""
    in_shape, shape, repeats = cache
    pairs = tuple(size for pair in zip(repeats, shape) for size in pair)
    summed = grad.reshape(pairs).sum(axis=tuple(range(0, 2 * len(shape), 2)))
    return (summed.reshape(in_shape),)


def flip_forward(x, dims):
    """``y`` = ``x`` reversed along each axis in ``dims`` (a copy, as in PyTorch).
    Shapes: y has x's shape. Backward: flip the gradient the same way."""
    return array_module(x).flip(x, dims).copy(), dims


def flip_backward(grad, dims, needs_grad):
    return (array_module(grad).flip(grad, dims),)


def roll_forward(x, shifts, dims):
    """``y[(i + shift) mod n] = x[i]`` along each axis of ``dims``; with ``dims=None``
    the flattened array is rolled and reshaped back. Shapes: y has x's shape.
    Backward: roll the gradient by ``-shifts``."""
    return array_module(x).roll(x, shifts, dims), (shifts, dims)


def roll_backward(grad, cache, needs_grad):
    shifts, dims = cache
    negated = tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts
    return (array_module(grad).roll(grad, negated, dims),)


def tril_forward(x, diagonal=0):
    """Lower triangle of the last two axes: ``y[..., i, j] = x[..., i, j]`` if
    ``j - i <= diagonal`` else 0. Shapes: x ``(*, m, n)``, y the same.
    Backward: the same mask applied to the gradient."""
    return array_module(x).tril(x, diagonal), diagonal


def tril_backward(grad, diagonal, needs_grad):
    return (array_module(grad).tril(grad, diagonal),)


def triu_forward(x, diagonal=0):
    """Upper triangle: ``y[..., i, j] = x[..., i, j]`` if ``j - i >= diagonal`` else 0.
    Shapes: x ``(*, m, n)``, y the same."""
    return array_module(x).triu(x, diagonal), diagonal


def triu_backward(grad, diagonal, needs_grad):
    return (array_module(grad).triu(grad, diagonal),)
