"""``scratchcnn train --nproc-per-node N``: N ranks on this machine, started by torchrun.

This runs what ``python -m torch.distributed.run`` runs (its own argument parser and
``run``), in this process: one rendezvous on 127.0.0.1 (a free port), N processes of
``scratchcnn train --distributed ...``, no restarts. When a rank fails (an error, a
crash, a kill), torchrun stops the others, and this prints which rank failed and how,
and the command that resumes the run.
"""

import os
import socket
import sys

from .group import DistributedError, torch_distributed


def loopback_interface():
    """The name of the loopback network interface ("lo" on Linux, "lo0" on macOS), for
    gloo's ``GLOO_SOCKET_IFNAME``; None if there is none to find."""
    try:
        names = [name for _, name in socket.if_nameindex()]
    except (OSError, AttributeError):
        return None
    return next((name for name in names if name in ("lo", "lo0")), None)


def torchrun_arguments(nproc, train_argv):
    """torchrun's command line for ``nproc`` local ranks running ``scratchcnn
    train_argv`` (the ``scratchcnn_launcher`` module is the ``scratchcnn`` command)."""
    return ["--nnodes=1", f"--nproc-per-node={nproc}", "--rdzv-backend=c10d",
            "--rdzv-endpoint=127.0.0.1:0", "--max-restarts=0", "--module",
            "scratchcnn_launcher", *train_argv]


def _environment(nproc):
    """What the ranks need in their environment: BLAS threads shared out among them
    (torchrun would give each rank 1 thread), and gloo on the loopback interface (all
    ranks are here)."""
    changes = {}
    if "OMP_NUM_THREADS" not in os.environ:
        changes["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // nproc))
    loopback = loopback_interface()
    if "GLOO_SOCKET_IFNAME" not in os.environ and loopback:
        changes["GLOO_SOCKET_IFNAME"] = loopback
    return changes


def describe_failure(error):
    """The ranks that failed in torchrun's ChildFailedError, the likely cause first: a
    rank killed by a signal before the ranks that then stopped with an error because it
    no longer answered (their order in time is a race), then by time."""
    failures = getattr(error, "failures", None) or dict([error.get_first_failure()])

    def killed(failure):
        return failure.exitcode is not None and failure.exitcode < 0

    order = sorted(failures.items(), key=lambda item: (not killed(item[1]),
                                                       item[1].timestamp, item[0]))
    parts = []
    for rank, failure in order:
        how = (f"was killed by {failure.signal_name()}" if killed(failure) else
               f"stopped with exit status {failure.exitcode} (its error is printed above)")
        parts.append(f"rank {rank} (pid {failure.pid}) {how}")
    return "; ".join(parts)


def launch_local(nproc, train_argv, out_dir):
    """Run ``scratchcnn train --distributed`` as ``nproc`` ranks on this machine and
    wait for them. ``train_argv``: the rank's arguments after ``scratchcnn``;
    ``out_dir``: where rank 0 writes (named in the resume hint). Raises
    :class:`DistributedError` naming the failed rank when the job fails."""
    torch_distributed()   # a clear message when PyTorch is missing
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run

    changes = _environment(nproc)
    saved = {name: os.environ.get(name) for name in changes}
    os.environ.update(changes)
    sys.stdout.flush()
    try:
        run(parse_args(torchrun_arguments(nproc, train_argv)))
    except ChildFailedError as error:
        checkpoint = os.path.join(out_dir, "last.npz")
        hint = (f"{checkpoint} holds the last complete epoch; resume with: scratchcnn train "
                f"--nproc-per-node {nproc} --resume {checkpoint}"
                if os.path.exists(checkpoint) else "no epoch was saved")
        raise DistributedError(f"the distributed job stopped: {describe_failure(error)}; "
                               f"torchrun stopped the other ranks. {hint}") from None
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return 0
