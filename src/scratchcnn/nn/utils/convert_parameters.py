"""Parameters as one flat vector and back (``torch.nn.utils.parameters_to_vector``)."""

import numpy as np

from ...errors import ShapeError
from ...tensor import Tensor


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-d Tensor (a copy)."""
    return Tensor(np.concatenate([p._array.ravel() for p in parameters]))


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-d ``vec`` into ``parameters``, in order."""
    array = vec._array if isinstance(vec, Tensor) else np.asarray(vec)
    if array.ndim != 1:
        raise ShapeError(f"expected vec to be a 1-d tensor, got shape {array.shape}")
    parameters = list(parameters)
    needed = sum(p._array.size for p in parameters)
    if array.size != needed:
        raise ShapeError(f"vec has {array.size} elements, the parameters need {needed}")
    offset = 0
    for p in parameters:
        p._array = array[offset:offset + p._array.size].reshape(p.shape).astype(p.dtype)
        offset += p._array.size
