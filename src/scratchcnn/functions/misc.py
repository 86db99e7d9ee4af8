"""The rest of PyTorch's top-level namespace that everyday programs touch: ``einsum``,
``finfo``/``iinfo``, print options and the determinism switches.

>>> import scratchcnn as sc
>>> sc.einsum("ij,j->i", sc.ones(2, 3), sc.ones(3)).tolist()
[3.0, 3.0]
>>> float(sc.finfo(sc.float32).eps) == 2 ** -23
True
"""

import numpy as np

from .. import autograd
from ..ops import einsum as einsum_op
from ..tensor import Tensor

finfo = np.finfo
iinfo = np.iinfo

_deterministic = {"enabled": False, "warn_only": False}


def einsum(equation, *operands):
    """``torch.einsum``: Einstein summation (differentiable), operands as arguments or
    one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = tuple(t if isinstance(t, Tensor) else Tensor(np.asarray(t)) for t in operands)
    return autograd.apply(einsum_op.einsum_forward, einsum_op.einsum_backward, *operands,
                          equation=equation)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Accepted for compatibility; tensors print with NumPy's formatting (precision 4).
    Nothing process-wide is changed."""


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Accepted: every scratchcnn op is deterministic already (NumPy on the CPU)."""
    _deterministic["enabled"], _deterministic["warn_only"] = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _deterministic["enabled"]


def is_nonzero(input):
    return bool(input)


__all__ = ["einsum", "finfo", "iinfo", "set_printoptions", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled", "is_nonzero"]
