"""Creation functions in PyTorch's forms: ``tensor``, ``zeros(2, 3)`` / ``zeros((2, 3))``
/ ``zeros(size=...)``, the ``*_like`` family, ``full``, ``eye``, ``randint``,
``randperm``, ``as_tensor``, and the default dtype (ranges are in :mod:`.ranges`).

Every function takes PyTorch's keywords: ``dtype=``, ``device=`` (only the CPU exists:
another device raises :class:`~scratchcnn.errors.DeviceError`), ``requires_grad=``, and
where PyTorch has them ``generator=`` (a :class:`~scratchcnn.random.Generator`),
``layout=``, ``pin_memory=``, ``memory_format=`` (accepted, nothing to do on the CPU).

>>> import scratchcnn as sc
>>> sc.zeros(2, 3).shape == sc.zeros((2, 3)).shape == sc.zeros(size=[2, 3]).shape
True
>>> sc.full((2,), 7).dtype, sc.full((2,), 0.5).dtype
(dtype('int64'), dtype('float32'))
"""

import operator

import numpy as np

from .. import random
from ..device import check_device
from ..dims import shape_arguments
from ..dtypes import get_default_dtype, set_default_dtype  # noqa: F401 - re-exported
from ..errors import ArgumentError, DTypeError, ShapeError
from ..size import Size
from ..tensor import Tensor, _python_data_to_array, from_numpy

_IGNORED = {"layout", "pin_memory", "memory_format", "non_blocking"}


def _dtype(dtype, where, default=None):
    if dtype is None:
        return np.dtype(default if default is not None else get_default_dtype())
    try:
        return np.dtype(dtype)
    except TypeError:
        raise DTypeError(f"{where}: {dtype!r} is not a dtype") from None


def _check_options(options, where):
    unknown = set(options) - _IGNORED
    if unknown:
        raise ArgumentError(f"{where} got unexpected keyword argument(s) {sorted(unknown)}")


def _make(array, requires_grad, device, where, out=None):
    """Wrap ``array`` as the result of a creation call (or copy it into ``out``)."""
    check_device(device, where)
    if out is not None:
        if not isinstance(out, Tensor):
            raise ArgumentError(f"{where}: out= must be a Tensor, got {type(out).__name__}")
        out._array = array
        out._vc[0] += 1
        return out
    return Tensor(array, requires_grad=requires_grad)


def _size(args, size, where):
    if size is not None:
        if args:
            raise ArgumentError(f"{where} got the size both positionally and as size=")
        args = (size,)
    if not args:
        raise ArgumentError(f"{where} missing 1 required positional argument: 'size'")
    shape = shape_arguments(args, where)
    if any(d < 0 for d in shape):
        raise ShapeError(f"{where}: dimension sizes must be non-negative, got {list(shape)}")
    return shape


def _rng(generator, where):
    try:
        return random.numpy_generator(generator)
    except TypeError as error:
        raise ArgumentError(f"{where}: {error}") from None


def _float_only(dtype, where):
    if dtype.kind != "f":
        raise DTypeError(f"{where}: random floats need a floating dtype, got {dtype}")
    return dtype


# --------------------------------------------------------------------- from data
def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data``: numbers, nested lists (which may hold
    0-d tensors), NumPy arrays or a Tensor. Python floats become the default dtype,
    ints int64, bools bool; arrays and tensors keep their dtype."""
    if isinstance(data, (list, tuple)) and _holds_tensor(data):
        data = _unwrap(data)
        if dtype is None and _all_tensors(data):
            dtype = np.result_type(*_leaves(data))
    array = _python_data_to_array(data, _dtype(dtype, "tensor()") if dtype is not None else None)
    source = data._array if isinstance(data, Tensor) else data
    if array is source or isinstance(source, np.ndarray) and np.may_share_memory(array, source):
        array = array.copy()
    return _make(array, requires_grad, device, "tensor()")


def _holds_tensor(data):
    return any(isinstance(x, Tensor) or isinstance(x, (list, tuple)) and _holds_tensor(x)
               for x in data)


def _unwrap(data):
    """Nested lists with each Tensor replaced by its array (one element each, or PyTorch
    refuses: 'only one element tensors can be converted to Python scalars')."""
    result = []
    for item in data:
        if isinstance(item, Tensor):
            if item.numel() != 1:
                raise ShapeError("tensor(): only one element tensors can be converted to "
                                 f"Python scalars, got one of shape {tuple(item.shape)}")
            result.append(item._array.reshape(()))
        elif isinstance(item, (list, tuple)):
            result.append(_unwrap(item))
        else:
            result.append(item)
    return result


def _leaves(data):
    for item in data:
        if isinstance(item, list):
            yield from _leaves(item)
        else:
            yield item


def _all_tensors(data):
    return all(isinstance(x, np.ndarray) for x in _leaves(data))


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor without a copy where possible: a Tensor of the same dtype
    comes back itself, a NumPy array is shared; anything else is copied."""
    check_device(device, "as_tensor()")
    if isinstance(data, Tensor):
        return data if dtype is None or np.dtype(dtype) == data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or np.dtype(dtype) == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype)


asarray = as_tensor


# --------------------------------------------------------------------- filled
def _filled(fill, args, size, out, dtype, device, requires_grad, options, where):
    _check_options(options, where)
    shape = _size(args, size, where)
    return _make(fill(shape, _dtype(dtype, where)), requires_grad, device, where, out)


def zeros(*size, out=None, dtype=None, device=None, requires_grad=False, **options):
    """A tensor of zeros: ``zeros(2, 3)``, ``zeros((2, 3))``, ``zeros(size=[2, 3])``."""
    return _filled(np.zeros, *_split_size(size, options), out, dtype, device, requires_grad,
                   options, "zeros()")


def ones(*size, out=None, dtype=None, device=None, requires_grad=False, **options):
    """A tensor of ones, in the forms of :func:`zeros`."""
    return _filled(np.ones, *_split_size(size, options), out, dtype, device, requires_grad,
                   options, "ones()")


def empty(*size, out=None, dtype=None, device=None, requires_grad=False, **options):
    """An uninitialized tensor (its values are whatever the memory held)."""
    return _filled(np.empty, *_split_size(size, options), out, dtype, device, requires_grad,
                   options, "empty()")


def _split_size(args, options):
    """``(positional sizes, size= keyword)``; ``size=`` is taken out of ``options``."""
    return args, options.pop("size", None)


def full(size, fill_value, *, out=None, dtype=None, device=None, requires_grad=False,
         **options):
    """A tensor of ``size`` filled with ``fill_value``; without ``dtype`` the value's
    kind decides: bool -> bool, int -> int64, float -> the default dtype."""
    _check_options(options, "full()")
    if not isinstance(size, (tuple, list)):
        raise ArgumentError(f"full(): argument 'size' must be a tuple of ints, got "
                            f"{type(size).__name__}")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = _python_data_to_array(fill_value).dtype
    shape = _size((size,), None, "full()")
    return _make(np.full(shape, fill_value, _dtype(dtype, "full()")), requires_grad, device,
                 "full()", out)


def eye(n, m=None, *, out=None, dtype=None, device=None, requires_grad=False, **options):
    """The ``(n, m)`` identity matrix (ones on the main diagonal; ``m`` defaults to n)."""
    _check_options(options, "eye()")
    n, m = _size((n, n if m is None else m), None, "eye()")
    return _make(np.eye(n, m, dtype=_dtype(dtype, "eye()")), requires_grad, device, "eye()",
                 out)


# --------------------------------------------------------------------- random
def rand(*size, generator=None, out=None, dtype=None, device=None, requires_grad=False,
         **options):
    """Uniform samples on [0, 1), in the forms of :func:`zeros`."""
    args, size = _split_size(size, options)
    _check_options(options, "rand()")
    dtype = _float_only(_dtype(dtype, "rand()"), "rand()")
    shape = _size(args, size, "rand()")
    array = _rng(generator, "rand()").random(shape).astype(dtype)
    return _make(array, requires_grad, device, "rand()", out)


def randn(*size, generator=None, out=None, dtype=None, device=None, requires_grad=False,
          **options):
    """Standard normal samples, in the forms of :func:`zeros`."""
    args, size = _split_size(size, options)
    _check_options(options, "randn()")
    dtype = _float_only(_dtype(dtype, "randn()"), "randn()")
    shape = _size(args, size, "randn()")
    rng = _rng(generator, "randn()")
    array = rng.standard_normal(shape, dtype=dtype) if dtype in (np.float32, np.float64) \
        else rng.standard_normal(shape).astype(dtype)
    return _make(array, requires_grad, device, "randn()", out)


def randint(*args, size=None, low=None, high=None, generator=None, out=None, dtype=None,
            device=None, requires_grad=False, **options):
    """Uniform integers in [low, high): ``randint(high, size)``, ``randint(low, high,
    size)``, or with keywords. int64 unless ``dtype`` says otherwise."""
    _check_options(options, "randint()")
    args = list(args)
    if size is None:
        if not args or not isinstance(args[-1], (tuple, list)):
            raise ArgumentError("randint() missing the 'size' argument (a tuple of ints)")
        size = args.pop()
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        if high is None:
            high = args[0]
        else:
            low = args[0]
    elif args:
        raise ArgumentError(f"randint() takes (high, size) or (low, high, size), got "
                            f"{len(args) + 1} positional arguments")
    if high is None:
        raise ArgumentError("randint() missing the 'high' argument")
    low = 0 if low is None else operator.index(low)
    high = operator.index(high)
    if low >= high:
        raise ArgumentError(f"random_ expects 'from' to be less than 'to', but got "
                            f"from={low} >= to={high}")
    shape = _size((size,), None, "randint()")
    dtype = _dtype(dtype, "randint()", default=np.int64)
    array = _rng(generator, "randint()").integers(low, high, size=shape).astype(dtype)
    return _make(array, requires_grad, device, "randint()", out)


def randperm(n, *, generator=None, out=None, dtype=None, device=None, requires_grad=False,
             **options):
    """A random permutation of ``0 .. n-1`` (int64)."""
    _check_options(options, "randperm()")
    n = _size((n,), None, "randperm()")[0]
    dtype = _dtype(dtype, "randperm()", default=np.int64)
    return _make(_rng(generator, "randperm()").permutation(n).astype(dtype), requires_grad,
                 device, "randperm()", out)


# --------------------------------------------------------------------- like
def _like(fill, input, dtype, device, requires_grad, options, where):  # noqa: A002
    _check_options(options, where)
    if not isinstance(input, Tensor):
        raise ArgumentError(f"{where} expects a Tensor, got {type(input).__name__}")
    dtype = input.dtype if dtype is None else _dtype(dtype, where)
    return _make(fill(input.shape, dtype), requires_grad, device, where)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, **options):  # noqa: A002
    """Zeros of ``input``'s shape (and dtype unless ``dtype`` is given)."""
    return _like(np.zeros, input, dtype, device, requires_grad, options, "zeros_like()")


def ones_like(input, *, dtype=None, device=None, requires_grad=False, **options):  # noqa: A002
    return _like(np.ones, input, dtype, device, requires_grad, options, "ones_like()")


def empty_like(input, *, dtype=None, device=None, requires_grad=False, **options):  # noqa: A002
    return _like(np.empty, input, dtype, device, requires_grad, options, "empty_like()")


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,  # noqa: A002
              **options):
    """``fill_value`` in ``input``'s shape and dtype."""
    return _like(lambda shape, dt: np.full(shape, fill_value, dt), input, dtype, device,
                 requires_grad, options, "full_like()")


def rand_like(input, *, generator=None, dtype=None, device=None, requires_grad=False,  # noqa: A002
              **options):
    def fill(shape, dt):
        return _rng(generator, "rand_like()").random(shape).astype(
            _float_only(dt, "rand_like()"))
    return _like(fill, input, dtype, device, requires_grad, options, "rand_like()")


def randn_like(input, *, generator=None, dtype=None, device=None, requires_grad=False,  # noqa: A002
               **options):
    def fill(shape, dt):
        return _rng(generator, "randn_like()").standard_normal(shape).astype(
            _float_only(dt, "randn_like()"))
    return _like(fill, input, dtype, device, requires_grad, options, "randn_like()")


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, device=None,  # noqa: A002
                 requires_grad=False, **options):
    """``randint(low, high)`` samples in ``input``'s shape and dtype."""
    if high is None:
        low, high = 0, low
    return _like(lambda shape, dt: randint(low, high, shape, generator=generator,
                                           dtype=dt)._array,
                 input, dtype, device, requires_grad, options, "randint_like()")


__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "empty", "full",
           "eye", "rand", "randn", "randint", "randperm", "zeros_like", "ones_like",
           "empty_like", "full_like", "rand_like", "randn_like", "randint_like",
           "get_default_dtype", "set_default_dtype", "Size"]
