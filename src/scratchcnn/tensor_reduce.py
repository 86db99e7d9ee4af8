"""Tensor methods that reduce or sort (``var``, ``std``, ``prod``, ``cumsum``,
``logsumexp``, ``sort``, ``topk``, ``norm``...). Mixed into :class:`~scratchcnn.Tensor`."""


class ReduceMethods:
    __slots__ = ()
