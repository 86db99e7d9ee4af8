"""``torch.utils.data`` for scratchcnn: ``from torch.utils.data import DataLoader,
TensorDataset`` works unchanged after ``import scratchcnn as torch``.

Only re-exports: the implementations are in :mod:`scratchcnn.data`.

>>> import numpy as np
>>> from scratchcnn.utils.data import DataLoader, TensorDataset
>>> x, y = next(iter(DataLoader(TensorDataset(np.ones((4, 2), np.float32), np.arange(4)),
...                             batch_size=3)))
>>> x.shape, y.tolist()
(torch.Size([3, 2]), [0, 1, 2])
"""

from ..data import (  # noqa: F401 - re-exported
    TORCH_NAMES, BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset,
    RandomSampler, Sampler, SequentialSampler, Subset, SubsetRandomSampler, TensorDataset,
    WeightedRandomSampler, WorkerInfo, default_collate, default_convert, get_worker_info,
    random_split,
)
from ..data import DistributedSampler  # noqa: F401 - torch.utils.data.DistributedSampler

__all__ = [*TORCH_NAMES, "DistributedSampler", "WorkerInfo"]
