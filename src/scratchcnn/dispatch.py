"""Which implementation of an op the library runs: the plain one or the fast one.

Every op the library computes is written once, plainly, in :mod:`scratchcnn.ops` (the
math: read those files). A few of them also have a faster twin with the same signature
in :mod:`scratchcnn.kernels` (threaded passes, chunked updates, buffer policies). This
module is the one place that chooses between the two, from the switches in
:mod:`scratchcnn.backends`:

=========================  ============================================  ===================
op                         fast (default)                                plain, when
=========================  ============================================  ===================
conv2d, conv_transpose2d   ``kernels.conv``, ``kernels.conv_transpose``  ``backends.conv.algorithm == "im2col"``
max_pool2d, avg_pool2d     ``kernels.pool``                              or ``backends.kernels.enabled`` is False
relu                       ``kernels.activation``                        (the latter for every op here)
optimizer updates          ``kernels.chunks.for_chunks``
=========================  ============================================  ===================

An op's functions are chosen when its forward pass runs: :func:`op` returns the
(forward, backward) pair that :func:`scratchcnn.autograd.apply` records, so a backward
pass always matches its forward pass, whatever is switched in between. Functions are
looked up on their module at each call (a test may replace one).

>>> import scratchcnn as sc
>>> op("relu")[0].__module__
'scratchcnn.kernels.activation'
>>> with sc.backends.kernels.flags(enabled=False):
...     print(op("relu")[0].__module__)
scratchcnn.ops.activation
"""

from . import backends
from .kernels import activation as fast_activation, chunks
from .kernels import conv as fast_conv, conv_transpose as fast_conv_transpose
from .kernels import pool as fast_pool
from .ops import activation, conv, conv_transpose, pool

# op name -> (plain module, fast module); both define <name>_forward and <name>_backward.
_IMPLEMENTATIONS = {
    "conv2d": (conv, fast_conv),
    "conv_transpose2d": (conv_transpose, fast_conv_transpose),
    "max_pool2d": (pool, fast_pool),
    "avg_pool2d": (pool, fast_pool),
    "relu": (activation, fast_activation),
}
_CONV_OPS = ("conv2d", "conv_transpose2d")


def use_kernels(name):
    """True if op ``name`` runs its fast implementation under the current switches."""
    if not backends.kernels.enabled:
        return False
    return not (name in _CONV_OPS and backends.conv.algorithm == "im2col")


def op(name):
    """(forward, backward) of op ``name`` ("conv2d", "conv_transpose2d", "max_pool2d",
    "avg_pool2d", "relu") for the current switches, to pass to ``autograd.apply``."""
    plain, fast = _IMPLEMENTATIONS[name]
    module = fast if use_kernels(name) else plain
    return getattr(module, name + "_forward"), getattr(module, name + "_backward")


def update_in_place(update, param, *state):
    """Run an optimizer's ``update(param, grad, *state)`` (NumPy arrays of one shape, written
    in place): on the whole arrays, or chunk by chunk across threads
    (:func:`scratchcnn.kernels.chunks.for_chunks`, the same operations on every element,
    so the same result bit for bit)."""
    if backends.kernels.enabled:
        chunks.for_chunks(update, param, *state)
    else:
        update(param, *state)
