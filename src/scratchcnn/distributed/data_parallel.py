"""``DataParallel``: one model trained by every rank of the process group, as
``torch.nn.parallel.DistributedDataParallel`` does it.

Each rank holds a full replica of the model and computes the gradients of its own part
of the global batch; after ``backward`` the gradients are averaged over the ranks (a
few bucketed all-reduces, see :mod:`.buckets`), so that every replica takes the same
optimizer step and the replicas stay identical. With equal shards per rank and a loss
averaged over the batch, the average of the ranks' gradients *is* the gradient of the
global batch: two ranks of batch B/2 take the steps one process of batch B takes.

DistributedDataParallel starts the all-reduce from hooks inside backward; scratchcnn's
engine has no end-of-backward hook, so the all-reduce is one explicit call after
``backward()`` (:meth:`DataParallel.all_reduce_gradients`), or is made by the optimizer
itself (:meth:`DataParallel.wrap_optimizer`)::

    from scratchcnn import distributed as dist
    from scratchcnn.utils.data import DataLoader, DistributedSampler

    dist.init_process_group()                  # reads torchrun's RANK, WORLD_SIZE, ...
    model = dist.DataParallel(model)           # copies rank 0's weights to every rank
    optimizer = model.wrap_optimizer(sc.optim.SGD(model.parameters(), lr=0.1))
    sampler = DistributedSampler(dataset, seed=0)
    loader = DataLoader(dataset, batch_size=global_batch // dist.get_world_size(),
                        sampler=sampler)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for images, labels in loader:
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()                    # all-reduces the gradients, then steps
    dist.destroy_process_group()
"""

from ..errors import ArgumentError
from ..nn import Module
from .buckets import DEFAULT_BUCKET_MB, BucketPlan, average_gradients, broadcast_arrays, \
    sum_numbers
from .group import get_rank, get_world_size


class DataParallel(Module):
    """Wrap ``module`` for data-parallel training over the initialized process group.

    - On construction, rank 0's parameters and buffers are copied to every rank.
    - ``model(x)`` runs ``module(x)``; ``model.module`` is the wrapped model (save its
      ``state_dict()``: without the ``module.`` prefix this wrapper adds).
    - :meth:`all_reduce_gradients` after ``backward()`` averages the gradients;
      with ``broadcast_buffers`` (default) it also copies rank 0's buffers (BatchNorm's
      running statistics) to every rank, so all replicas evaluate alike.
    - ``bucket_cap_mb``: the largest bucket in MiB (default 25, as PyTorch's DDP).
    """

    def __init__(self, module, broadcast_buffers=True, bucket_cap_mb=None):
        super().__init__()
        if not isinstance(module, Module):
            raise ArgumentError(f"DataParallel wraps an nn.Module, got {type(module).__name__}")
        cap = DEFAULT_BUCKET_MB if bucket_cap_mb is None else bucket_cap_mb
        if not isinstance(cap, (int, float)) or isinstance(cap, bool) or not cap > 0:
            raise ArgumentError(f"DataParallel: bucket_cap_mb must be a positive number, got "
                                f"{bucket_cap_mb!r}")
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.rank, self.world_size = get_rank(), get_world_size()
        params = [p for p in module.parameters() if p.requires_grad]
        self._params = params
        self._plan = BucketPlan([p.shape for p in params], [p._array.dtype for p in params],
                                int(cap * 2 ** 20), flags=True)
        self._cap_bytes = int(cap * 2 ** 20)
        self._steps = 0
        self.sync_module_states()

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    @property
    def bucket_count(self):
        """All-reduce calls per step (one per bucket)."""
        return self._plan.count

    @property
    def bytes_per_step(self):
        """Bytes each rank contributes to one gradient all-reduce."""
        return self._plan.nbytes

    def _buffers_list(self):
        return [b._array for b in self.module.buffers() if b is not None]

    def sync_module_states(self):
        """Copy rank 0's parameters and buffers to every rank (done on construction; call
        it again after loading weights on rank 0 alone)."""
        broadcast_arrays([p._array for p in self.module.parameters()] + self._buffers_list(),
                         source=0, cap_bytes=self._cap_bytes,
                         what="copying rank 0's weights to every rank")

    def all_reduce_gradients(self):
        """Average every parameter's ``.grad`` over the ranks (call it after
        ``backward()``, before ``optimizer.step()``); copies rank 0's buffers too when
        ``broadcast_buffers``."""
        self._steps += 1
        average_gradients(self._params, self._plan, self.world_size,
                          what=f"the gradient all-reduce of step {self._steps}")
        if self.broadcast_buffers:
            buffers = self._buffers_list()
            if buffers:
                broadcast_arrays(buffers, source=0, cap_bytes=self._cap_bytes,
                                 what=f"copying rank 0's buffers at step {self._steps}")

    def all_reduce_sum(self, values):
        """The numbers ``values`` summed over the ranks (e.g. an epoch's loss sum,
        correct answers and images seen), as a list of floats."""
        return sum_numbers(values)

    def wrap_optimizer(self, optimizer):
        """Make ``optimizer.step()`` average the gradients first; returns the same
        optimizer (learning-rate schedulers keep working with it). A ``closure`` given
        to ``step`` runs after the all-reduce and is not averaged."""
        if getattr(optimizer, "_scratchcnn_data_parallel", None) is self:
            return optimizer
        inner = optimizer.step

        def step(*args, **kwargs):
            self.all_reduce_gradients()
            return inner(*args, **kwargs)

        step.__doc__ = inner.__doc__
        optimizer.step = step
        optimizer._scratchcnn_data_parallel = self
        return optimizer

    def extra_repr(self):
        return (f"rank={self.rank}, world_size={self.world_size}, "
                f"buckets={self.bucket_count}, bytes_per_step={self.bytes_per_step}")


DistributedDataParallel = DataParallel   # PyTorch's name for the same thing
