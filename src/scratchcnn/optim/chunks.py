"""A formula helper the optimizers share: ``lerp_``, in place as ``torch.lerp``.

The chunked, threaded way of running an update (``for_chunks``, ``CHUNK``) moved to
the speed layer, :mod:`scratchcnn.kernels.chunks`; the names stay importable here.
"""

from ..kernels.chunks import CHUNK, for_chunks  # noqa: F401 (their old import path)


def lerp_(start, end, weight):
    """``start += weight * (end - start)`` in place, computed as ``torch.lerp`` does: from
    the nearer end, so that ``weight`` near 1 loses no precision. Shapes: equal (or ``end``
    broadcast to ``start``'s)."""
    if weight < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)
