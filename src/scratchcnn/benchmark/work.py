"""A case made runnable by one library: what to time, how to check it, how much work it is.

``build(library, case, seed)`` returns a :class:`Work`: ``fn()`` is one timed call;
``check(result)`` turns one call's result into numbers the parent compares across
libraries (``{"checksums": [...]}``: sum |.| of outputs and gradients, or the loss;
``{"max_rel_err": e}`` for the baselines, measured against scratchcnn in the same
process); ``flops`` is the nominal work of one call (None for pooling). Libraries:
``scratchcnn``, ``torch``, ``numpy`` (plain GEMMs), and the baselines ``naive``,
``einsum``, ``einsum_opt``. Each library's module is imported only when used.
"""

from dataclasses import dataclass
from typing import Callable, Optional

SGD = {"lr": 0.01, "momentum": 0.9}   # the optimizer of every training step, both libraries


@dataclass
class Work:
    fn: Callable
    check: Callable
    flops: Optional[float] = None


def build(library, case, seed):
    if library == "scratchcnn":
        from . import work_scratchcnn as module
    elif library == "torch":
        from . import work_torch as module
    elif library in ("numpy", "naive", "einsum", "einsum_opt"):
        from . import work_numpy as module
    else:
        raise ValueError(f"unknown library {library!r}")
    return module.build(library, case, seed)
