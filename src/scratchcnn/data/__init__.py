"""Data: data sets as arrays, batch loaders and batch transforms.

- :func:`load_dataset` reads a named data set (digits, MNIST, Fashion-MNIST, CIFAR-10,
  a folder of images, Tiny ImageNet) from files on disk into a :class:`LoadedDataset`
  of images (N, C, H, W) float32 in [0, 1] and int64 labels.
- :class:`DataLoader` serves shuffled batches of a :class:`TensorDataset` (or any
  :class:`Dataset`) as Tensors, reproducibly and resumably, with PyTorch's arguments
  (samplers, ``collate_fn``, ``num_workers`` background threads ...). The names of
  ``torch.utils.data`` are also at ``scratchcnn.utils.data``.
- :mod:`scratchcnn.data.transforms`: augmentation and normalization per batch.

>>> from scratchcnn.data import DataLoader, load_dataset, transforms as T
>>> train = load_dataset("digits", split="train")
>>> loader = DataLoader(train, batch_size=32, shuffle=True, seed=0,
...                     transform=T.RandomCrop(8, padding=1))
>>> images, labels = next(iter(loader))
>>> images.shape, labels.dtype, len(loader)
(torch.Size([32, 1, 8, 8]), dtype('int64'), 45)
"""

from . import transforms
from .datasets import (
    CIFAR10_CLASSES, DATASET_NAMES, FASHION_MNIST_CLASSES, MNIST_CLASSES, LoadedDataset, cache_dir,
    load_dataset,
)
from .downloads import download
from .errors import DatasetError, DatasetNotFoundError, DownloadError
from .idx import read_idx
from .collate import collate, default_collate, default_convert
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .loader import DataLoader
from .samplers import (
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
    WeightedRandomSampler,
)
from .workers import DataLoaderTimeoutError, WorkerInfo, get_worker_info
from .distributed_sampler import DistributedSampler

# What ``torch.utils.data`` offers (scratchcnn.utils.data re-exports exactly these).
TORCH_NAMES = [
    "DataLoader", "Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
    "random_split", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
    "WeightedRandomSampler", "BatchSampler", "default_collate", "default_convert",
    "get_worker_info",
]

__all__ = [
    *TORCH_NAMES, "WorkerInfo", "DataLoaderTimeoutError", "collate", "load_dataset",
    "DistributedSampler",
    "LoadedDataset",
    "DATASET_NAMES", "MNIST_CLASSES", "FASHION_MNIST_CLASSES", "CIFAR10_CLASSES", "cache_dir",
    "download", "read_idx", "transforms", "DatasetError", "DatasetNotFoundError",
    "DownloadError",
]
