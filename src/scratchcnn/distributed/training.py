"""What ``scratchcnn train --distributed`` adds around the training loop: joining the
job, the resumed checkpoint sent from rank 0, and each rank's shard of the data.

Rank 0 alone reads the ``--resume`` file and sends its bytes to the others (so the
other machines need no copy of it, and no shared file system), and rank 0 alone
writes checkpoints, metrics and plots (:func:`scratchcnn.workflow.train` gives the
other ranks no output folder).
"""

import io

from ..data import DataLoader, DistributedSampler
from ..errors import ArgumentError
from ..serialization import load
from .buckets import broadcast_bytes
from .data_parallel import DataParallel
from .group import (
    DistributedError, destroy_process_group, get_rank, get_world_size, init_process_group,
    is_initialized,
)


class ShardLoader(DataLoader):
    """A :class:`DataLoader` over this rank's :class:`DistributedSampler` shard whose
    checkpoint state at an epoch boundary is the one a single-process loader of the
    whole batch would save: a run can then be resumed with another number of ranks, or
    in one process."""

    def __init__(self, dataset, global_batch_size, sampler, seed, transform):
        super().__init__(dataset, batch_size=global_batch_size // sampler.num_replicas,
                         sampler=sampler, seed=seed, transform=transform)
        self.global_batch_size = int(global_batch_size)

    def state_dict(self):
        state = super().state_dict()
        if state["batch"] == 0:
            state.update(batch_size=self.global_batch_size, shuffle=self.sampler.shuffle)
        return state

    def load_state_dict(self, state):
        """Continue from a state saved by this loader or a single-process one: at an
        epoch boundary with any number of ranks, mid-epoch with the same number only."""
        state = dict(state)
        if state.get("batch", 0) == 0:
            state.update(batch_size=self.batch_size, shuffle=self.shuffle)
        elif state.get("batch_size") != self.batch_size:
            raise ArgumentError(
                f"this checkpoint was taken mid-epoch with a per-rank batch of "
                f"{state.get('batch_size')}; it resumes only with the same number of ranks "
                f"(this job has {self.sampler.num_replicas}, a per-rank batch of "
                f"{self.batch_size})")
        super().load_state_dict(state)


class TrainingGroup:
    """This process's place in a torchrun job: ``rank``, ``world_size``, and the helpers
    :func:`scratchcnn.workflow.train` uses. Joins the process group (from torchrun's
    environment) unless one is already initialized; :meth:`close` leaves it only if it
    joined it."""

    def __init__(self, timeout=None):
        self._owned = not is_initialized()
        if self._owned:
            init_process_group(timeout=timeout)
        self.rank, self.world_size = get_rank(), get_world_size()

    def load_checkpoint(self, path):
        """The checkpoint at ``path`` as read by rank 0, on every rank."""
        data, problem = None, None
        if self.rank == 0:
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError as error:
                problem = error
        data = broadcast_bytes(data, source=0, what=f"sending {path} from rank 0")
        if problem is not None:
            raise problem
        if data is None:
            raise DistributedError(f"rank 0 could not read {path} (its error says why)")
        return load(io.BytesIO(data))

    def train_loader(self, dataset, batch_size, seed, transform=None):
        """This rank's loader: ``batch_size`` is the global batch, split evenly."""
        if batch_size % self.world_size:
            raise ArgumentError(
                f"the batch size {batch_size} is the global batch, split evenly over the "
                f"{self.world_size} ranks: give a multiple of {self.world_size}")
        sampler = DistributedSampler(dataset, num_replicas=self.world_size, rank=self.rank,
                                     shuffle=True, seed=seed)
        return ShardLoader(dataset, batch_size, sampler, seed, transform)

    def data_parallel(self, model):
        """``model`` wrapped for gradient averaging (the ``distributed`` hook of fit)."""
        return DataParallel(model)

    def close(self):
        """Leave the process group if this object joined it."""
        if self._owned:
            destroy_process_group()
            self._owned = False
