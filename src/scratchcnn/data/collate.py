"""Turning a list of samples into a batch: PyTorch's ``default_collate`` and
``default_convert``, plus the array-level ``collate`` of batch-at-a-time data sets.

``default_collate`` follows ``torch.utils.data.default_collate`` type by type:

- Tensors are stacked (a new first dimension); NumPy arrays become Tensors of the same
  dtype and are stacked; NumPy scalars become a 1-D Tensor of their dtype.
- Python ``float`` -> float64, ``int`` -> int64, ``bool`` -> bool (as ``torch.tensor``).
- ``str`` / ``bytes`` stay a list.
- A mapping gives a mapping of batches, a namedtuple a namedtuple of batches, a tuple or
  list a *list* of batches (PyTorch returns a list for tuples too), recursively.

>>> import numpy as np
>>> images, labels = default_collate([(np.zeros((1, 2, 2), np.float32), 3),
...                                   (np.ones((1, 2, 2), np.float32), 5)])
>>> images.shape, images.dtype, labels.tolist(), labels.dtype
(torch.Size([2, 1, 2, 2]), dtype('float32'), [3, 5], dtype('int64'))
>>> default_collate([{"x": 0.5}, {"x": 1.5}])["x"].dtype
dtype('float64')
"""

import collections.abc
import copy

import numpy as np

from ..errors import ArgumentError, DTypeError, ShapeError
from ..tensor import Tensor, stack

_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
          "lists; found {}")


def _text_or_object(dtype):
    """NumPy dtypes PyTorch refuses to turn into tensors (strings, bytes, objects)."""
    return dtype.kind in "SaUO"


def _stack_tensors(batch):
    shapes = {tuple(t.shape) for t in batch}
    if len(shapes) > 1:
        raise ShapeError(f"default_collate: stack expects each tensor to be equal size, "
                         f"got shapes {sorted(shapes)} in one batch")
    dtypes = {t.dtype for t in batch}
    if len(dtypes) > 1:
        raise DTypeError(f"default_collate: the tensors of one batch have different dtypes "
                         f"{sorted(str(d) for d in dtypes)}; stack needs one dtype")
    if any(t.requires_grad for t in batch):
        return stack(batch, 0)   # keep the graph, as torch.stack does
    return Tensor(np.stack([t._array for t in batch]))


def default_collate(batch):
    """Stack a list of samples into a batch, as ``torch.utils.data.default_collate``
    (see the module docstring for the rules); returns Tensors in the samples' structure."""
    if not isinstance(batch, collections.abc.Sequence) or isinstance(batch, (str, bytes)):
        raise ArgumentError(f"default_collate expects a list of samples, got "
                            f"{type(batch).__name__}")
    if len(batch) == 0:
        raise ArgumentError("default_collate: cannot collate an empty list of samples")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, np.ndarray):
        if _text_or_object(elem.dtype):
            raise TypeError(_ERROR.format(elem.dtype))
        return _stack_tensors([Tensor(np.asarray(b)) for b in batch])
    if isinstance(elem, (np.bool_, np.number, np.object_)):
        return Tensor(np.asarray(batch))
    if isinstance(elem, bool):
        return Tensor(np.asarray(batch, dtype=bool if all(isinstance(b, bool) for b in batch)
                                 else np.int64))
    if isinstance(elem, float):
        return Tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, int):
        return Tensor(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(collated)
            return clone
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):   # namedtuple
        return type(elem)(*(default_collate(list(samples)) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        sizes = {len(sample) for sample in batch}
        if len(sizes) > 1:
            raise ShapeError(f"default_collate: each element in list of batch should be of "
                             f"equal size, got sizes {sorted(sizes)}")
        fields = [default_collate(list(samples)) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return fields   # PyTorch returns a list for tuples (backwards compatibility)
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            clone[:] = fields
            return clone
        try:
            return type(elem)(fields)
        except TypeError:
            return fields
    raise TypeError(_ERROR.format(type(elem)))


def default_convert(data):
    """NumPy arrays and scalars -> Tensors, inside any nesting of mappings and sequences;
    everything else unchanged (``torch.utils.data.default_convert``, used when
    automatic batching is off: ``DataLoader(batch_size=None)``)."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if _text_or_object(data.dtype) else Tensor(data)
    if isinstance(data, (np.bool_, np.number)):
        return Tensor(np.asarray(data))
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        if isinstance(data, collections.abc.MutableMapping):
            clone = copy.copy(data)
            clone.update(converted)
            return clone
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence):
        converted = [default_convert(d) for d in data]
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    return data


def _as_array(value):
    return value._array if isinstance(value, Tensor) else np.asarray(value)


def collate(samples):
    """Stack a list of samples (tuples of arrays / numbers, or single arrays) into a
    tuple of batch arrays (NumPy): what ``Dataset.get_batch`` returns by default."""
    if not samples:
        raise ArgumentError("cannot collate an empty list of samples")
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(np.stack([_as_array(sample[k]) for sample in samples])
                     for k in range(len(first)))
    return (np.stack([_as_array(sample) for sample in samples]),)
