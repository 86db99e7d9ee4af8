"""Data-parallel training on several processes and machines, on ``torch.distributed``.

Each rank (one process, started by torchrun) holds a replica of the model, reads its
shard of every epoch (:class:`scratchcnn.utils.data.DistributedSampler`), and averages
its gradients with the other ranks after every backward pass, in a few bucketed
all-reduces over gloo (CPU, TCP). scratchcnn's NumPy buffers go to gloo through
``torch.from_numpy``, which shares their memory: nothing is copied into torch.

- :func:`init_process_group` / :func:`destroy_process_group`: join and leave the job
  (torchrun's ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``).
- :class:`DataParallel`: wraps a model (and, with ``wrap_optimizer``, an optimizer)
  for a training loop of your own; ``DistributedDataParallel`` is the same class.
- ``scratchcnn train --nproc-per-node N`` (this machine) and ``torchrun ...
  scratchcnn train --distributed`` (several machines): docs/distributed.md.

Importing this package does not import torch; the functions do, when called
(``pip install 'scratchcnn[distributed]'``).
"""

from .data_parallel import DataParallel, DistributedDataParallel
from .group import (
    DEFAULT_TIMEOUT, DistributedError, barrier, destroy_process_group, get_rank,
    get_world_size, init_process_group, is_initialized,
)

__all__ = [
    "DataParallel", "DistributedDataParallel", "init_process_group", "destroy_process_group",
    "is_initialized", "get_rank", "get_world_size", "barrier", "DistributedError",
    "DEFAULT_TIMEOUT",
]
