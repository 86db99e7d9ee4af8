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

from dataclasses import dataclass
from typing import Callable, Optional

SGD = {"lr": 0.01, "momentum": 0.9}   # the optimizer of every training step, both libraries


@dataclass
class Work:
    fn: Callable
    check: Callable
    flops: Optional[float] = None


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


def training_step(model, x, y, cross_entropy, sgd, no_grad, flops):
    """The Work of one training step, the same code for both libraries (given their
    ``cross_entropy``, SGD class and ``no_grad``): ``zero_grad``, loss, ``backward``,
    SGD ``step``; the check is the loss of the initial weights in eval mode."""
    model.eval()
    with no_grad():
        initial_loss = float(cross_entropy(model(x), y).item())
    model.train()
    optimizer = sgd(model.parameters(), **SGD)

    def fn():
        optimizer.zero_grad()
        loss = cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return Work(fn, lambda loss: {"checksums": [initial_loss]}, flops)
