"""What every library's cases are made of: :class:`Work` (one timed call, its check,
its FLOPs) and the training step both libraries run with the same code. The modules of
each library (``work_scratchcnn``, ``work_torch``, ``work_numpy``) import this one;
:mod:`.work` picks among them."""

from dataclasses import dataclass
from typing import Callable, Optional

SGD = {"lr": 0.01, "momentum": 0.9}   # the optimizer of every training step, both libraries


@dataclass
class Work:
    fn: Callable
    check: Callable
    flops: Optional[float] = None


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
