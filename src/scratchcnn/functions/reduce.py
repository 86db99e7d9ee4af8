"""Top-level reductions and sorting (``torch.sum``, ``torch.max``, ``torch.std``,
``torch.sort``, ``torch.topk``, ``torch.norm``...). Each is a front for the Tensor method
of the same name (see :mod:`scratchcnn.tensor_reduce`), with PyTorch's argument names.
``torch.max(a, b)`` and ``torch.min(a, b)`` with two tensors are element-wise.
"""

from ..errors import ArgumentError
from ..tensor import Tensor, tensor
from ..tensor_reduce import ReduceMethods


def _as_tensor(value, who):
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (list, tuple, int, float, bool)) or hasattr(value, "__array__"):
        return tensor(value)
    raise ArgumentError(f"{who} expects a Tensor, got {type(value).__name__}")


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None):  # noqa: A001,A002
    """Sum over ``dim`` (all elements when None)."""
    return _as_tensor(input, "sum()").sum(dim, keepdim, dtype=dtype, axis=axis)


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None):  # noqa: A002
    """Mean over ``dim`` (all elements when None)."""
    return _as_tensor(input, "mean()").mean(dim, keepdim, dtype=dtype, axis=axis)


def nansum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """Sum over ``dim``, NaN counted as 0."""
    return _as_tensor(input, "nansum()").nansum(dim, keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """Mean over ``dim`` of the elements that are not NaN."""
    return _as_tensor(input, "nanmean()").nanmean(dim, keepdim, dtype=dtype)


def prod(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """Product over one axis ``dim`` (all elements when None)."""
    return _as_tensor(input, "prod()").prod(dim, keepdim, dtype=dtype)


def cumsum(input, dim, *, dtype=None):  # noqa: A002
    """Running sum along ``dim``."""
    return _as_tensor(input, "cumsum()").cumsum(dim, dtype=dtype)


def cumprod(input, dim, *, dtype=None):  # noqa: A002
    """Running product along ``dim``."""
    return _as_tensor(input, "cumprod()").cumprod(dim, dtype=dtype)


def logsumexp(input, dim, keepdim=False):  # noqa: A002
    """log(sum(exp(input))) over ``dim``, without overflow."""
    return _as_tensor(input, "logsumexp()").logsumexp(dim, keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    """Variance over ``dim`` with Bessel's ``correction`` (1 by default)."""
    return _as_tensor(input, "var()").var(dim, unbiased, keepdim, correction=correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    """Standard deviation over ``dim`` (see :func:`var`)."""
    return _as_tensor(input, "std()").std(dim, unbiased, keepdim, correction=correction)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    """``(var, mean)`` over ``dim``."""
    x = _as_tensor(input, "var_mean()")
    dim_only = None if isinstance(dim, bool) else dim
    return x.var(dim, unbiased, keepdim, correction=correction), x.mean(dim_only, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    """``(std, mean)`` over ``dim``."""
    x = _as_tensor(input, "std_mean()")
    dim_only = None if isinstance(dim, bool) else dim
    return x.std(dim, unbiased, keepdim, correction=correction), x.mean(dim_only, keepdim)


def max(input, dim=None, keepdim=False, *, other=None, axis=None):  # noqa: A001,A002
    """``max(input)``: the largest element; ``max(input, dim, keepdim=False)``: a
    ``(values, indices)`` named tuple; ``max(input, other_tensor)``: element-wise."""
    return _as_tensor(input, "max()").max(dim, keepdim, other=other, axis=axis)


def min(input, dim=None, keepdim=False, *, other=None, axis=None):  # noqa: A001,A002
    """``min(input)``, ``min(input, dim, keepdim=False)``, ``min(input, other_tensor)``."""
    return _as_tensor(input, "min()").min(dim, keepdim, other=other, axis=axis)


def amax(input, dim=(), keepdim=False):  # noqa: A002
    """Largest value over ``dim`` (several axes allowed)."""
    return _as_tensor(input, "amax()").amax(dim, keepdim)


def amin(input, dim=(), keepdim=False):  # noqa: A002
    """Smallest value over ``dim`` (several axes allowed)."""
    return _as_tensor(input, "amin()").amin(dim, keepdim)


def aminmax(input, *, dim=None, keepdim=False):  # noqa: A002
    """``(min, max)`` over ``dim``."""
    return _as_tensor(input, "aminmax()").aminmax(dim=dim, keepdim=keepdim)


def argmax(input, dim=None, keepdim=False):  # noqa: A002
    """Index of the largest element (flattened when ``dim`` is None)."""
    return _as_tensor(input, "argmax()").argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False):  # noqa: A002
    """Index of the smallest element (flattened when ``dim`` is None)."""
    return _as_tensor(input, "argmin()").argmin(dim, keepdim)


def sort(input, dim=-1, descending=False, *, stable=False):  # noqa: A002
    """``(values, indices)`` sorted along ``dim``."""
    return _as_tensor(input, "sort()").sort(dim, descending, stable=stable)


def argsort(input, dim=-1, descending=False, *, stable=False):  # noqa: A002
    """Indices that sort ``input`` along ``dim``."""
    return _as_tensor(input, "argsort()").argsort(dim, descending, stable=stable)


def msort(input):  # noqa: A002
    """Sorted along the first axis."""
    return _as_tensor(input, "msort()").msort()


def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices."""
    return _as_tensor(input, "topk()").topk(k, dim, largest, sorted)


def kthvalue(input, k, dim=-1, keepdim=False):  # noqa: A002
    """The ``k``-th smallest element along ``dim`` and its index."""
    return _as_tensor(input, "kthvalue()").kthvalue(k, dim, keepdim)


def median(input, dim=None, keepdim=False):  # noqa: A002
    """Lower median of all elements, or ``(values, indices)`` along ``dim``."""
    return _as_tensor(input, "median()").median(dim, keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):  # noqa: A002
    """Vector p-norm over ``dim`` (see :meth:`Tensor.norm`)."""
    return _as_tensor(input, "norm()").norm(p, dim, keepdim, dtype)


def all(input, dim=None, keepdim=False):  # noqa: A001,A002
    """True where every element over ``dim`` is nonzero."""
    # Through the mixin: the core class still has an all() without dim.
    return ReduceMethods.all(_as_tensor(input, "all()"), dim, keepdim)


def any(input, dim=None, keepdim=False):  # noqa: A001,A002
    """True where some element over ``dim`` is nonzero."""
    return ReduceMethods.any(_as_tensor(input, "any()"), dim, keepdim)


def count_nonzero(input, dim=None):  # noqa: A002
    """Number of nonzero elements over ``dim``."""
    return _as_tensor(input, "count_nonzero()").count_nonzero(dim)


__all__ = ["sum", "mean", "nansum", "nanmean", "prod", "cumsum", "cumprod", "logsumexp",
           "var", "std", "var_mean", "std_mean", "max", "min", "amax", "amin", "aminmax",
           "argmax", "argmin", "sort", "argsort", "msort", "topk", "kthvalue", "median",
           "norm", "all", "any", "count_nonzero"]
