"""Tensor methods for arithmetic in PyTorch's method and keyword forms (``x.add(y,
alpha=2)``, ``x.clamp(min=0)``, ``x.matmul(y)``...). Mixed into :class:`~scratchcnn.Tensor`.

Each method records a forward/backward pair of :mod:`scratchcnn.ops` through
:func:`scratchcnn.autograd.apply`; results that take no part in a graph are made
with :func:`scratchcnn.autograd.constant`.
"""


class MathMethods:
    __slots__ = ()
