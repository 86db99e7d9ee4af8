"""Which implementation of an op the library runs: the plain one or the fast one.

Every op the library computes is written once, plainly, in :mod:`scratchcnn.ops` (the
math: read those files). A few of them also have a faster twin with the same signature
in :mod:`scratchcnn.kernels` (threaded passes, chunked updates, buffer policies). This
module is the one place that chooses between the two, from the switches in
:mod:`scratchcnn.backends`:

=========================  ============================================  ===================
op                         fast (default)                                plain, when
=========================  ============================================  ===================
conv2d                     ``kernels.conv_algorithms`` (per shape)       ``backends.conv.algorithm == "im2col"``
conv_transpose2d           ``kernels.conv_transpose``                    (same switch)
max_pool2d, avg_pool2d     ``kernels.pool``                              or ``backends.kernels.enabled`` is False
relu                       ``kernels.activation``                        (the latter for every op here)
linear                     ``kernels.linear`` (products on one pool)
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
from .kernels import activation as fast_activation, chunks, linear as fast_linear
from .kernels import conv_algorithms, conv_transpose as fast_conv_transpose
from .kernels import pool as fast_pool
from .ops import activation, conv, conv_transpose, linear, pool

# op name -> (plain module, fast module); both define <name>_forward and <name>_backward.
_IMPLEMENTATIONS = {
    "conv2d": (conv, conv_algorithms),
    "conv_transpose2d": (conv_transpose, fast_conv_transpose),
    "max_pool2d": (pool, fast_pool),
    "avg_pool2d": (pool, fast_pool),
    "relu": (activation, fast_activation),
    "linear": (linear, fast_linear),
}
_CONV_OPS = ("conv2d", "conv_transpose2d")


def use_kernels(name):
    """True if op ``name`` runs its fast implementation under the current switches."""
    if not backends.kernels.enabled:
        return False
    return not (name in _CONV_OPS and backends.conv.algorithm == "im2col")


def op(name):
    """(forward, backward) of op ``name`` ("conv2d", "conv_transpose2d", "max_pool2d",
    "avg_pool2d", "relu", "linear") for the current switches, to pass to ``autograd.apply``."""
    plain, fast = _IMPLEMENTATIONS[name]
    module = fast if use_kernels(name) else plain
    return getattr(module, name + "_forward"), getattr(module, name + "_backward")


def conv_algorithm(x_shape, weight_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                   groups=1):
    """The name of the algorithm a conv2d of input (N, C, H, W) and weight (O, C/G, kh, kw)
    runs under the current switches: "im2col" (the plain op), "im2col_fast", "ones_row"
    or "winograd" (:func:`scratchcnn.kernels.conv_algorithms.choose`).

    >>> conv_algorithm((128, 1, 28, 28), (32, 1, 3, 3), padding=(1, 1))
    'ones_row'
    """
    return conv_algorithms.choose(x_shape, weight_shape, stride, padding, dilation, groups)


def update_in_place(update, param, *state):
    """Run an optimizer's ``update(param, grad, *state)`` (NumPy arrays of one shape, written
    in place): on the whole arrays, or chunk by chunk across threads
    (:func:`scratchcnn.kernels.chunks.for_chunks`, the same operations on every element,
    so the same result bit for bit)."""
    if backends.kernels.enabled:
        chunks.for_chunks(update, param, *state)
    else:
        update(param, *state)
