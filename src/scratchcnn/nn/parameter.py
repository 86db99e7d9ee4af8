"""``Parameter``: a Tensor that a Module owns and an optimizer updates."""

import numpy as np

from ..tensor import Tensor, _python_data_to_array


class Parameter(Tensor):
    """A Tensor that a Module registers as trainable (``requires_grad=True`` by default).

    ``data`` may be a Tensor (the parameter shares its memory, as in PyTorch), a NumPy
    array (shared, dtype kept), a Python list or number (float32 for floats, as
    ``tensor()``), or None (an empty float32 tensor, as ``torch.nn.Parameter()``).

    >>> import scratchcnn as sc
    >>> p = sc.nn.Parameter(sc.randn(3))
    >>> p.requires_grad, p.is_leaf
    (True, True)
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            array = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            array = data._array
        elif isinstance(data, np.ndarray):
            array = data
        else:
            array = _python_data_to_array(data)
        super().__init__(array, requires_grad=requires_grad)
        if isinstance(data, Tensor):
            self._vc = data._vc   # shares the memory, so in-place changes are seen by both

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
