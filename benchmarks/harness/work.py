"""A case made runnable by one library: what to time, how to check it, how much work it is.

``build(library, case, seed)`` returns a :class:`Work`: ``fn()`` is one timed call;
``check(result)`` turns one call's result into numbers the parent compares across
libraries (``{"checksums": [...]}``: sum |.| of outputs and gradients, or the loss;
``{"max_rel_err": e}`` for the baselines, measured against scratchcnn in the same
process); ``flops`` is the nominal work of one call (None for pooling). Libraries:
``scratchcnn``, ``torch``, ``numpy`` (plain GEMMs), and the baselines ``naive``,
``einsum``, ``einsum_opt``. Each library's module is imported only when used.

``prepare(library, case, seed)`` runs before a memory child reads its baseline RSS and
returns what ``build(..., prepared)`` then takes: for torch, the model's structure on
PyTorch's ``meta`` device and its initial weights in a temporary file
(:func:`.work_torch.prepare`), so that the scratchcnn model the weights come from is
gone before the baseline; None for the others.
"""

from .work_common import SGD, Work, training_step  # noqa: F401  (re-exported)


def _module(library):
    if library == "scratchcnn":
        from . import work_scratchcnn as module
    elif library == "torch":
        from . import work_torch as module
    elif library in ("numpy", "naive", "einsum", "einsum_opt"):
        from . import work_numpy as module
    else:
        raise ValueError(f"unknown library {library!r}")
    return module


def prepare(library, case, seed):
    module = _module(library)
    return module.prepare(case, seed) if hasattr(module, "prepare") else None


def build(library, case, seed, prepared=None):
    module = _module(library)
    if prepared is None:
        return module.build(library, case, seed)
    return module.build(library, case, seed, prepared)
