"""Tensor methods that reduce or sort (``sum``, ``mean``, ``max``, ``var``, ``std``, ``prod``,
``cumsum``, ``logsumexp``, ``sort``, ``topk``, ``norm``...). Mixed into
:class:`~scratchcnn.Tensor`.

Every reduction takes ``dim`` (an int, or a tuple where PyTorch allows one), PyTorch's
alias ``axis=`` for it, and ``keepdim``. Those that return values and indices
(``max(dim)``, ``sort``, ``topk``...) return a named tuple ``(values, indices)``, as
``torch.return_types``.
"""

import collections

import numpy as np

from . import autograd
from .dtypes import get_default_dtype
from .errors import ArgumentError, DTypeError, ShapeError
from .ops import norm as nrm
from .ops import reduce as red
from .ops import sort as srt

_INT64 = np.dtype("int64")


def _result_type(name):
    cls = collections.namedtuple(name, ["values", "indices"])
    cls.__doc__ = f"``torch.return_types.{name}``: a (values, indices) named tuple."
    return cls


max_result, min_result, sort_result, topk_result, kthvalue_result, median_result = (
    _result_type(name) for name in ("max", "min", "sort", "topk", "kthvalue", "median"))


def _dim(dim, axis, who):
    """``dim``, or PyTorch's NumPy-style alias ``axis`` (not both)."""
    if axis is not None:
        if dim is not None:
            raise ArgumentError(f"{who}: got both dim={dim!r} and its alias axis={axis!r}")
        return axis
    return dim


def _is_tensor(value):
    return isinstance(value, ReduceMethods)


class ReduceMethods:
    __slots__ = ()

    # ------------------------------------------------------------- helpers
    def _axis(self, dim, who):
        if isinstance(dim, (tuple, list)):
            raise ArgumentError(f"{who}: dim must be a single int, got {dim!r}")
        return red.normalize_axes(dim, self.ndim)[0] if self.ndim else None

    def _as(self, dtype):
        """self converted to ``dtype`` (integer and bool tensors to int64 when None, the
        accumulation type PyTorch's sum, prod and cumsum use)."""
        if dtype is None:
            dtype = _INT64 if self._array.dtype.kind in "biu" else self._array.dtype
        dtype = np.dtype(dtype)
        return self if self._array.dtype == dtype else self.to(dtype)

    def _need_float(self, who):
        if self._array.dtype.kind != "f":
            raise DTypeError(f"{who}() needs a floating point tensor, got {self.dtype}; "
                             "convert with .float()")

    # ------------------------------------------------------------- sums and means
    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None):
        """Sum over ``dim`` (all axes when None; an int or a tuple); integer and bool
        tensors sum in int64. ``dtype`` converts first."""
        dim = _dim(dim, axis, "sum()")
        return autograd.apply(red.sum_forward, red.sum_backward, self._as(dtype), dim=dim,
                              keepdim=keepdim)

    def nansum(self, dim=None, keepdim=False, *, dtype=None, axis=None):
        """Sum treating NaN as 0."""
        x = self._as(dtype)
        return x.masked_fill(x.isnan(), 0).sum(_dim(dim, axis, "nansum()"), keepdim)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None):
        """Mean over ``dim``; floating tensors only (or give ``dtype``)."""
        x = self if dtype is None else self._as(dtype)
        x._need_float("mean")
        return autograd.apply(red.mean_forward, red.mean_backward, x,
                              dim=_dim(dim, axis, "mean()"), keepdim=keepdim)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None, axis=None):
        """Mean of the elements that are not NaN."""
        dim = _dim(dim, axis, "nanmean()")
        x = self if dtype is None else self._as(dtype)
        x._need_float("nanmean")
        kept = x.isnan().logical_not()
        return x.nansum(dim, keepdim) / kept.sum(dim, keepdim)

    def prod(self, dim=None, keepdim=False, *, dtype=None, axis=None):
        """Product over one axis ``dim`` (all when None); integer tensors in int64."""
        dim = _dim(dim, axis, "prod()")
        if dim is not None:
            dim = self._axis(dim, "prod()")
        return autograd.apply(red.prod_forward, red.prod_backward, self._as(dtype), dim=dim,
                              keepdim=keepdim)

    def cumsum(self, dim=None, *, dtype=None, axis=None):
        """Running sum along ``dim``: ``y[i] = x[0] + ... + x[i]``."""
        dim = _dim(dim, axis, "cumsum()")
        if dim is None:
            raise ArgumentError("cumsum() missing required argument 'dim'")
        return autograd.apply(srt.cumsum_forward, srt.cumsum_backward, self._as(dtype),
                              axis=self._axis(dim, "cumsum()"))

    def cumprod(self, dim=None, *, dtype=None, axis=None):
        """Running product along ``dim``: ``y[i] = x[0] * ... * x[i]``."""
        dim = _dim(dim, axis, "cumprod()")
        if dim is None:
            raise ArgumentError("cumprod() missing required argument 'dim'")
        return autograd.apply(srt.cumprod_forward, srt.cumprod_backward, self._as(dtype),
                              axis=self._axis(dim, "cumprod()"))

    def logsumexp(self, dim=None, keepdim=False, *, axis=None):
        """log(sum(exp(x))) over ``dim`` without overflow (integer tensors give floats)."""
        dim = _dim(dim, axis, "logsumexp()")
        if dim is None:
            raise ArgumentError("logsumexp() missing required argument 'dim'")
        x = self if self._array.dtype.kind == "f" else self.to(get_default_dtype())
        return autograd.apply(red.logsumexp_forward, red.logsumexp_backward, x, dim=dim,
                              keepdim=keepdim)

    # ------------------------------------------------------------- spread
    def _correction(self, dim, unbiased, correction, who):
        if isinstance(dim, bool):       # var(True): the old positional ``unbiased``
            dim, unbiased = None, dim
        if unbiased is not None and correction is not None:
            raise ArgumentError(f"{who}: give either unbiased or correction, not both")
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        self._need_float(who.rstrip("()"))
        return dim, correction

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
        """Variance over ``dim``: sum((x - mean)^2) / (n - correction); ``correction``
        1 by default (``unbiased=False`` means 0)."""
        dim, correction = self._correction(_dim(dim, axis, "var()"), unbiased, correction,
                                           "var()")
        return autograd.apply(red.var_forward, red.var_backward, self, dim=dim,
                              correction=correction, keepdim=keepdim)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
        """Standard deviation: sqrt of :meth:`var` (same arguments)."""
        dim, correction = self._correction(_dim(dim, axis, "std()"), unbiased, correction,
                                           "std()")
        return autograd.apply(red.std_forward, red.std_backward, self, dim=dim,
                              correction=correction, keepdim=keepdim)

    # ------------------------------------------------------------- extremes
    def _extreme(self, dim, keepdim, other, largest, who):
        if _is_tensor(dim) or other is not None:    # max(other): element-wise
            return self.maximum(dim if other is None else other) if largest else \
                self.minimum(dim if other is None else other)
        if self._array.size == 0 and (dim is None or self.shape[self._axis(dim, who)] == 0):
            raise ShapeError(f"{who}: cannot reduce an empty tensor of shape "
                             f"{tuple(self.shape)} (the operation has no identity)")
        if dim is None:
            forward = red.max_all_forward if largest else red.min_all_forward
            backward = red.max_all_backward if largest else red.min_all_backward
            return autograd.apply(forward, backward, self)
        forward = red.max_dim_forward if largest else red.min_dim_forward
        values = autograd.apply(forward, red.max_dim_backward, self, dim=dim, keepdim=keepdim)
        indices = self.argmax(dim, keepdim) if largest else self.argmin(dim, keepdim)
        return (max_result if largest else min_result)(values, indices)

    def max(self, dim=None, keepdim=False, *, other=None, axis=None):
        """``max()``: the largest element; ``max(dim, keepdim=False)``: a ``(values,
        indices)`` named tuple along ``dim``; ``max(other_tensor)``: element-wise maximum."""
        return self._extreme(_dim(dim, axis, "max()"), keepdim, other, True, "max()")

    def min(self, dim=None, keepdim=False, *, other=None, axis=None):
        """``min()``, ``min(dim, keepdim=False)`` (values, indices), ``min(other)``."""
        return self._extreme(_dim(dim, axis, "min()"), keepdim, other, False, "min()")

    def _arg(self, dim, keepdim, axis, function, who):
        dim = _dim(dim, axis, who)
        if dim is None:
            index = np.asarray(function(self._array), dtype=_INT64)
            return autograd.constant(index.reshape((1,) * self.ndim) if keepdim else index)
        axis = self._axis(dim, who)
        if axis is None:   # a 0-d tensor
            return autograd.constant(np.zeros((), dtype=_INT64))
        return autograd.constant(function(self._array, axis=axis, keepdims=keepdim)
                                 .astype(_INT64))

    def argmax(self, dim=None, keepdim=False, *, axis=None):
        """Index of the largest element (of the flattened tensor when ``dim`` is None)."""
        return self._arg(dim, keepdim, axis, np.argmax, "argmax()")

    def argmin(self, dim=None, keepdim=False, *, axis=None):
        """Index of the smallest element (of the flattened tensor when ``dim`` is None)."""
        return self._arg(dim, keepdim, axis, np.argmin, "argmin()")

    def amax(self, dim=(), keepdim=False, *, axis=None):
        """Largest value over ``dim`` (one or several axes; all when empty); ties share
        the gradient evenly."""
        dim = _dim(None if dim == () else dim, axis, "amax()")
        return autograd.apply(red.amax_forward, red.amax_backward, self, dim=dim,
                              keepdim=keepdim)

    def amin(self, dim=(), keepdim=False, *, axis=None):
        """Smallest value over ``dim`` (one or several axes; all when empty)."""
        dim = _dim(None if dim == () else dim, axis, "amin()")
        return autograd.apply(red.amin_forward, red.amin_backward, self, dim=dim,
                              keepdim=keepdim)

    def aminmax(self, *, dim=None, keepdim=False):
        """``(min, max)`` over ``dim`` (all when None), a named pair."""
        return _minmax(self.amin(() if dim is None else dim, keepdim),
                       self.amax(() if dim is None else dim, keepdim))

    # ------------------------------------------------------------- sorting
    def _ranked(self, dim, descending, who):
        axis = self._axis(dim, who)
        return axis, srt.sort_indices(self._array, axis, descending)

    def sort(self, dim=-1, descending=False, *, stable=False, axis=None):
        """``(values, indices)`` sorted along ``dim``; equal elements keep their order
        (always stable here), NaN sorts as the largest value."""
        axis, indices = self._ranked(_dim(None if dim == -1 and axis is not None else dim,
                                          axis, "sort()"), descending, "sort()")
        values = autograd.apply(srt.sort_forward, srt.sort_backward, self, indices, axis=axis)
        return sort_result(values, autograd.constant(indices))

    def argsort(self, dim=-1, descending=False, *, stable=False):
        """Indices that sort the tensor along ``dim``."""
        return autograd.constant(self._ranked(dim, descending, "argsort()")[1])

    def msort(self):
        """Sorted along the first axis."""
        return self.sort(0).values

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The ``k`` largest (``largest=False``: smallest) elements along ``dim`` and
        their indices, in sorted order."""
        axis, indices = self._ranked(dim, largest, "topk()")
        size = self.shape[axis] if self.ndim else 1
        if not 0 <= k <= size:
            raise ArgumentError(f"topk(): k ({k}) is out of range for a dimension of size "
                                f"{size}")
        if axis is not None:
            indices = np.take(indices, np.arange(k), axis=axis)
        values = autograd.apply(srt.topk_forward, srt.topk_backward, self, indices, axis=axis)
        return topk_result(values, autograd.constant(indices))

    def kthvalue(self, k, dim=-1, keepdim=False):
        """The ``k``-th smallest element (1-based) along ``dim`` and its index."""
        axis, indices = self._ranked(dim, False, "kthvalue()")
        size = self.shape[axis] if self.ndim else 1
        if not 1 <= k <= size:
            raise ArgumentError(f"kthvalue(): k ({k}) is out of range for a dimension of "
                                f"size {size}")
        return self._pick_rank(srt.kthvalue_forward, srt.kthvalue_backward, kthvalue_result,
                               axis, indices, k - 1, keepdim)

    def median(self, dim=None, keepdim=False):
        """The lower median (rank (n - 1) // 2): of all elements, or ``(values, indices)``
        along ``dim``."""
        if dim is None:
            if self._array.size == 0:
                raise ShapeError("median() of an empty tensor")
            return autograd.apply(srt.median_all_forward, srt.median_all_backward, self)
        axis, indices = self._ranked(dim, False, "median()")
        size = self.shape[axis] if self.ndim else 1
        return self._pick_rank(srt.median_forward, srt.median_backward, median_result, axis,
                               indices, (size - 1) // 2, keepdim)

    def _pick_rank(self, forward, backward, result, axis, indices, rank, keepdim):
        if axis is not None:
            indices = np.take(indices, [rank], axis=axis)
        values = autograd.apply(forward, backward, self, indices, axis=axis)
        if axis is not None and not keepdim:
            values, indices = values.squeeze(axis), indices.squeeze(axis)
        return result(values, autograd.constant(indices))

    # ------------------------------------------------------------- norms and tests
    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """Vector p-norm over ``dim`` (all elements when None): p = 2 or ``"fro"``
        (default), 1, inf, -inf, 0 or any other number."""
        if p == "fro" or p is None:
            p = 2
        if isinstance(p, str):
            raise ArgumentError(f"norm(): p={p!r} is not supported; use 'fro' or a number")
        x = self if dtype is None else self._as(dtype)
        x._need_float("norm")
        return autograd.apply(nrm.vector_norm_forward, nrm.vector_norm_backward, x,
                              ord=float(p), dim=dim, keepdim=keepdim)

    def all(self, dim=None, keepdim=False, *, axis=None):
        """True where every element over ``dim`` is nonzero (a bool tensor)."""
        axes = red.normalize_axes(_dim(dim, axis, "all()"), self.ndim)
        return autograd.constant(np.asarray(self._array.all(axis=axes, keepdims=keepdim)))

    def any(self, dim=None, keepdim=False, *, axis=None):
        """True where some element over ``dim`` is nonzero (a bool tensor)."""
        axes = red.normalize_axes(_dim(dim, axis, "any()"), self.ndim)
        return autograd.constant(np.asarray(self._array.any(axis=axes, keepdims=keepdim)))

    def count_nonzero(self, dim=None):
        """Number of nonzero elements over ``dim`` (int64)."""
        axes = red.normalize_axes(dim, self.ndim)
        return autograd.constant(np.asarray(np.count_nonzero(self._array, axis=axes),
                                            dtype=_INT64))


_minmax = collections.namedtuple("aminmax", ["min", "max"])
