"""Run an optimizer's update formulas over cache-sized chunks of the parameter.

Why: written on whole arrays, an update such as ``buf = m * buf + g; p -= lr * buf``
makes every step of the formula one pass over memory, with a fresh temporary for each
product: about a dozen passes over the parameter per step, which for AlexNet's 58
million parameters (232 MB each array) takes longer than some of its layers. Done on
chunks that fit in the CPU's cache, the steps after the first read of a chunk hit the
cache, so memory is read and written about once per array; the chunks are also split
across the same threads as the matrix products (:mod:`scratchcnn.kernels.parallel`).

The formulas are the same NumPy operations in the same order on every element, so the
result is bit for bit that of the whole-array version (``update(param, *arrays)``, what
the optimizers run when ``scratchcnn.backends.kernels.enabled`` is False).

>>> import numpy as np
>>> p, g = np.ones(100_000, dtype=np.float32), np.full(100_000, 2.0, dtype=np.float32)
>>> def sgd(p, g): p -= 0.5 * g
>>> for_chunks(sgd, p, g)
>>> float(p.min()), float(p.max())
(0.0, 0.0)
"""

from . import parallel

CHUNK = 1 << 15     # elements: 128 KB of float32, a few arrays of it stay in L2 cache


def for_chunks(update, param, *arrays):
    """Call ``update(p, *a)`` on matching chunks of ``param`` and ``arrays`` (all of
    ``param``'s shape), flattened. ``update`` writes ``p`` and its state arrays in place.
    Non-contiguous arrays (which cannot be flattened without a copy) get one call on the
    whole arrays instead."""
    if not all(a.flags.c_contiguous for a in (param,) + arrays):
        update(param, *arrays)
        return
    flat_param, *flat = (a.reshape(-1) for a in (param,) + arrays)

    def run_part(part):
        for start in range(part.start, part.stop, CHUNK):
            chunk = slice(start, min(start + CHUNK, part.stop))
            update(flat_param[chunk], *(a[chunk] for a in flat))

    parallel.for_blocks(run_part, param.size, param.size)
