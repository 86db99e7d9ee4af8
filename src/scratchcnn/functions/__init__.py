"""PyTorch's top-level functions (``torch.add``, ``torch.max``, ``torch.flatten``,
``torch.zeros``...), each a thin front for a Tensor method or a creation routine.
``import scratchcnn as torch`` exposes them all."""

__all__ = []
