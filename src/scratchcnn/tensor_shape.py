"""Tensor methods that reshape, repeat, split or index (``expand``, ``repeat``,
``split``, ``flip``, ``gather``, ``narrow``...). Mixed into :class:`~scratchcnn.Tensor`."""


class ShapeMethods:
    __slots__ = ()
