"""PyTorch's ``torch.utils`` namespace: ``scratchcnn.utils.data`` is
``torch.utils.data`` (the implementations live in :mod:`scratchcnn.data`)."""

from . import data

__all__ = ["data"]
