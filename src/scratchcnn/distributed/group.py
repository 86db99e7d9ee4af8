"""The process group the ranks of a data-parallel job talk through: ``torch.distributed``
with the gloo backend (CPU tensors over TCP), imported only when a function here runs.

torchrun starts one process per rank and gives each ``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``; :func:`init_process_group` reads
them. Every collective call then waits at most ``timeout`` seconds for the other ranks:
a rank that died or hangs makes the others fail with :class:`DistributedError` instead
of waiting forever (and torchrun stops the rest of the job when one rank exits).
"""

import datetime
import numbers
import os
import sys

from ..errors import ArgumentError, ScratchCNNError

DEFAULT_TIMEOUT = 300.0       # seconds; PyTorch's gloo default (30 min) hides a hang too long
ENV_VARS = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
INSTALL_HINT = "pip install 'scratchcnn[distributed]'"

_timeout_s = None   # the timeout the group was started with, for the error messages


class DistributedError(ScratchCNNError, RuntimeError):
    """A rank could not join the job, or another rank died or stopped answering."""


def torch_distributed():
    """``torch.distributed``, imported on first use: the runtime install has no torch."""
    try:
        import torch.distributed as dist
    except ImportError:
        raise DistributedError("data-parallel training runs on torch.distributed, and PyTorch "
                               f"is not installed: {INSTALL_HINT}") from None
    if not dist.is_available():
        raise DistributedError("this PyTorch build has no torch.distributed; install the "
                               f"CPU build from PyPI: {INSTALL_HINT}")
    return dist


def _current():
    """torch.distributed when a process group is initialized, else None (without
    importing torch when nothing imported it yet)."""
    dist = sys.modules.get("torch.distributed")
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return None
    return dist


def is_initialized():
    """Whether this process has joined a process group."""
    return _current() is not None


def _require(where):
    dist = _current()
    if dist is None:
        raise DistributedError(f"{where}: no process group is initialized; call "
                               "scratchcnn.distributed.init_process_group() first")
    return dist


def get_rank():
    """This process's rank in the group, 0 .. world size - 1."""
    return _require("get_rank()").get_rank()


def get_world_size():
    """How many ranks the group has."""
    return _require("get_world_size()").get_world_size()


def timeout_seconds():
    """The timeout of the current group in seconds (None if it was not set here)."""
    return _timeout_s


def _timedelta(timeout):
    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    if isinstance(timeout, datetime.timedelta):
        timeout = timeout.total_seconds()
    if not isinstance(timeout, numbers.Real) or isinstance(timeout, bool) or not timeout > 0:
        raise ArgumentError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return float(timeout)


def init_process_group(backend="gloo", init_method=None, timeout=None, world_size=None,
                       rank=None):
    """Join the job's process group, as ``torch.distributed.init_process_group``.

    Without ``init_method``, ``rank`` and ``world_size`` it reads the environment that
    torchrun sets (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``).
    ``timeout``: seconds (or a ``timedelta``) a collective call waits for the other
    ranks before it fails (default 300). ``backend``: "gloo" (CPU; scratchcnn's arrays
    live on the CPU). Returns ``(rank, world_size)``.
    """
    global _timeout_s
    seconds = _timedelta(timeout)
    if init_method is None and (rank is None or world_size is None):
        missing = [name for name in ENV_VARS if name not in os.environ]
        if missing:
            raise DistributedError(
                f"init_process_group(): {', '.join(missing)} not set in the environment: "
                "this process was not started by torchrun. Start it with torchrun "
                "(torchrun --nproc-per-node 2 script.py, see docs/distributed.md), or pass "
                "init_method='tcp://HOST:PORT', rank= and world_size=")
    dist = torch_distributed()
    if dist.is_initialized():
        raise DistributedError("init_process_group(): this process has already joined a "
                               "process group (destroy_process_group() leaves it)")
    where = init_method or (f"{os.environ.get('MASTER_ADDR')}:{os.environ.get('MASTER_PORT')}"
                            if rank is None or world_size is None else "env://")
    try:
        dist.init_process_group(backend=backend, init_method=init_method,
                                timeout=datetime.timedelta(seconds=seconds),
                                world_size=-1 if world_size is None else int(world_size),
                                rank=-1 if rank is None else int(rank))
    except (RuntimeError, ValueError) as error:
        raise DistributedError(f"init_process_group(): could not join the process group at "
                               f"{where} within {seconds:g} s: {_short(error)}") from None
    _timeout_s = seconds
    return dist.get_rank(), dist.get_world_size()


def destroy_process_group():
    """Leave the process group (nothing happens when none was joined)."""
    global _timeout_s
    dist = _current()
    if dist is not None:
        dist.destroy_process_group()
    _timeout_s = None


def barrier():
    """Wait until every rank has called ``barrier()`` (fails after the timeout)."""
    dist = _require("barrier()")
    run_collective(dist.barrier, "barrier()")


def _short(error):
    """The first line of a torch/gloo error (they carry C++ source locations)."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def run_collective(call, what):
    """``call()`` (a collective, or waiting for one); a failure of the transport becomes
    a :class:`DistributedError` that says what happened and what to do."""
    try:
        return call()
    except RuntimeError as error:
        dist = _current()
        rank = f"rank {dist.get_rank()} of {dist.get_world_size()}" if dist else "this rank"
        limit = f" within the {_timeout_s:g} s timeout" if _timeout_s else ""
        raise DistributedError(
            f"{what} failed on {rank}: another rank died or stopped answering{limit} "
            f"({_short(error)}). The job cannot go on; start it again with --resume from "
            "the last checkpoint") from None
