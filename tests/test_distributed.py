"""Data-parallel training (scratchcnn.distributed, DistributedSampler, `scratchcnn train
--nproc-per-node/--distributed`): on this machine, two processes on 127.0.0.1 only.

Run as a script, this file is one rank of the two-process checks (see ``_worker``)."""

import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

import scratchcnn as sc
from scratchcnn import nn

HERE = os.path.abspath(__file__)
N, B, EPOCHS = 40, 8, 2       # the equivalence run: 40 samples, global batch 8, 2 epochs


def _model(seed):
    sc.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 3 * 3, 3)).double()


def _array(value):
    """A state_dict entry (Tensor or NumPy array) as an array."""
    return value.numpy() if isinstance(value, sc.Tensor) else np.asarray(value)


def _data():
    rng = np.random.default_rng(7)
    return rng.standard_normal((N, 1, 8, 8)), rng.integers(0, 3, N)


def _worker(mode, out):
    """One rank (RANK, WORLD_SIZE, MASTER_* come from the test's environment)."""
    from scratchcnn import distributed as dist
    from scratchcnn.utils.data import DataLoader, DistributedSampler, TensorDataset

    dist.init_process_group(timeout=3 if mode == "hang" else 60)
    rank, world = dist.get_rank(), dist.get_world_size()
    # Rank 1 starts from other weights: DataParallel must copy rank 0's.
    model = _model(seed=rank)
    dp = dist.DataParallel(model, bucket_cap_mb=0.001)   # several buckets
    if mode == "hang":
        if rank == 1:
            time.sleep(120)             # stops answering
        for p in model.parameters():
            p.grad = sc.zeros_like(p)
        dp.all_reduce_gradients()       # rank 0: DistributedError after 3 s
        return
    optimizer = dp.wrap_optimizer(sc.optim.Adam(model.parameters(), lr=0.01))
    dataset = TensorDataset(*_data())
    sampler = DistributedSampler(dataset, seed=5)
    loader = DataLoader(dataset, batch_size=B // world, sampler=sampler)
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        for images, labels in loader:
            loss = nn.functional.cross_entropy(dp(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    # A parameter only rank 0 reaches gets the average everywhere; one no rank reaches
    # keeps no gradient.
    reached, never = nn.Parameter(sc.ones(3).double()), nn.Parameter(sc.ones(2).double())
    extra = nn.Module()
    extra.reached, extra.never = reached, never
    extra_dp = dist.DataParallel(extra)
    if rank == 0:
        (reached * sc.tensor([1.0, 2.0, 3.0]).double()).sum().backward()
    extra_dp.all_reduce_gradients()
    arrays = {name: _array(p) for name, p in model.state_dict().items()}
    arrays["reached_grad"] = reached.grad.numpy()
    arrays["never_is_none"] = np.array(never.grad is None)
    arrays["buckets"] = np.array(dp.bucket_count)
    np.savez(f"{out}.{rank}.npz", **arrays)
    dist.destroy_process_group()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(**extra):
    return dict(os.environ, GLOO_SOCKET_IFNAME="lo", OMP_NUM_THREADS="1",
                PYTHONUTF8="1", **extra)


def _start_ranks(mode, out):
    port = str(_free_port())
    return [subprocess.Popen([sys.executable, HERE, mode, str(out)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             env=_env(RANK=str(r), WORLD_SIZE="2", LOCAL_RANK=str(r),
                                      MASTER_ADDR="127.0.0.1", MASTER_PORT=port))
            for r in range(2)]


def test_two_ranks_take_the_steps_of_one_process_with_the_whole_batch(tmp_path):
    from scratchcnn.utils.data import DistributedSampler

    ranks = _start_ranks("train", tmp_path / "w")
    for rank in ranks:
        out, err = rank.communicate(timeout=120)
        assert rank.returncode == 0, err
    results = [np.load(tmp_path / f"w.{r}.npz") for r in range(2)]

    # One process, global batch B, in the order the two shards make together.
    model = _model(seed=0)
    optimizer = sc.optim.Adam(model.parameters(), lr=0.01)
    images, labels = _data()
    sampler = DistributedSampler(range(N), num_replicas=1, rank=0, seed=5)
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        order = sampler.order()
        for start in range(0, N, B):
            batch = order[start:start + B]
            loss = nn.functional.cross_entropy(model(sc.tensor(images[batch])),
                                               sc.tensor(labels[batch]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    for name, value in model.state_dict().items():
        for result in results:
            np.testing.assert_allclose(result[name], _array(value), rtol=1e-10, atol=1e-10)
    assert not np.allclose(_model(seed=0)[0].weight.numpy(), results[0]["0.weight"])
    for result in results:
        assert int(result["buckets"]) > 1
        np.testing.assert_allclose(result["reached_grad"], [0.5, 1.0, 1.5], rtol=1e-12)
        assert bool(result["never_is_none"])


def test_a_rank_that_hangs_stops_the_others_within_the_timeout(tmp_path):
    ranks = _start_ranks("hang", tmp_path / "h")
    started = time.monotonic()
    try:
        out, err = ranks[0].communicate(timeout=60)
        elapsed = time.monotonic() - started
    finally:
        ranks[1].kill()
        ranks[1].communicate()
    assert ranks[0].returncode != 0
    assert elapsed < 45
    assert "DistributedError" in err and "rank 0 of 2" in err, err
    assert "stopped answering within the 3 s timeout" in err, err


# ----------------------------------------------------------------- DistributedSampler
@pytest.mark.parametrize("size", [0, 1, 7, 10, 12])
@pytest.mark.parametrize("replicas", [1, 2, 3, 5])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_matches_torch(size, replicas, drop_last):
    import torch.utils.data as tud

    from scratchcnn.utils.data import DistributedSampler

    for rank in range(replicas):
        ours = DistributedSampler(range(size), num_replicas=replicas, rank=rank,
                                  shuffle=False, drop_last=drop_last)
        theirs = tud.DistributedSampler(range(size), num_replicas=replicas, rank=rank,
                                        shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
        shuffled = DistributedSampler(range(size), num_replicas=replicas, rank=rank,
                                      drop_last=drop_last, seed=3)
        assert len(shuffled) == len(theirs) == len(list(shuffled))


def test_distributed_sampler_shards_one_permutation_per_epoch():
    from scratchcnn.utils.data import DistributedSampler

    def shards(epoch, seed=0):
        samplers = [DistributedSampler(range(11), num_replicas=3, rank=r, seed=seed)
                    for r in range(3)]
        for sampler in samplers:
            sampler.set_epoch(epoch)
        return [list(sampler) for sampler in samplers], samplers[0].order()

    parts, order = shards(0)
    assert sorted(order[:11].tolist()) == list(range(11))     # a permutation, then padding
    assert order[11:].tolist() == order[:1].tolist()
    for rank, part in enumerate(parts):                        # torch's striding
        assert part == order[rank::3].tolist()
    assert shards(0)[0] == parts and shards(1)[0] != parts and shards(0, seed=1)[0] != parts


def test_distributed_sampler_checks_its_arguments():
    from scratchcnn.errors import ArgumentError
    from scratchcnn.utils.data import DistributedSampler

    with pytest.raises(ArgumentError, match=r"invalid rank 2, rank should be in the interval"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ArgumentError, match="num_replicas should be a positive integer"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(ArgumentError, match="no process group is initialized"):
        DistributedSampler(range(4))
    with pytest.raises(ArgumentError, match="seed should be a non-negative integer"):
        DistributedSampler(range(4), num_replicas=1, rank=0, seed=-1)


def test_a_shard_loader_checkpoint_resumes_with_any_number_of_ranks():
    from scratchcnn.distributed.training import ShardLoader
    from scratchcnn.errors import ArgumentError
    from scratchcnn.utils.data import DataLoader, DistributedSampler, TensorDataset

    dataset = TensorDataset(np.zeros((20, 1)), np.arange(20))
    shard = ShardLoader(dataset, 8, DistributedSampler(dataset, 2, 1, seed=4), 4, None)
    assert len(shard) == 3 and shard.batch_size == 4
    for _ in shard:
        pass
    state = shard.state_dict()     # at the epoch boundary: as one process would save it
    single = DataLoader(dataset, batch_size=8, shuffle=True, seed=4)
    single.load_state_dict(state)
    assert single.epoch == 1
    other = ShardLoader(dataset, 8, DistributedSampler(dataset, 4, 0, seed=4), 4, None)
    other.load_state_dict(single.state_dict())
    assert other.epoch == 1
    batches = iter(shard)
    next(batches)
    with pytest.raises(ArgumentError, match="same number of ranks"):
        other.load_state_dict(shard.state_dict())   # mid-epoch, 2 ranks -> 4


def test_importing_scratchcnn_imports_no_torch():
    code = ("import sys, scratchcnn, scratchcnn.distributed, scratchcnn.utils.data, "
            "scratchcnn.distributed.launch, scratchcnn.workflow, scratchcnn.cli; "
            "print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def test_without_torch_the_error_says_what_to_install():
    code = ("import sys; sys.modules['torch'] = None\n"
            "from scratchcnn import distributed as dist\n"
            "try:\n    dist.init_process_group()\n"
            "except dist.DistributedError as e:\n    print(e)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env=_env(RANK="0", WORLD_SIZE="1",
                                                 MASTER_ADDR="127.0.0.1", MASTER_PORT="1"))
    assert "pip install 'scratchcnn[distributed]'" in result.stdout, result.stderr


def test_data_parallel_in_a_group_of_one():
    from scratchcnn import distributed as dist
    from scratchcnn.errors import ArgumentError

    dist.init_process_group(init_method=f"tcp://127.0.0.1:{_free_port()}", rank=0,
                            world_size=1, timeout=30)
    try:
        assert dist.is_initialized() and dist.get_rank() == 0 and dist.get_world_size() == 1
        model = _model(seed=0)
        dp = dist.DataParallel(model)
        assert dp.bucket_count == 1
        assert dp.bytes_per_step == 8 * (sum(p.numel() for p in model.parameters()) + 4)
        optimizer = dp.wrap_optimizer(sc.optim.SGD(model.parameters(), lr=0.1))
        assert dp.wrap_optimizer(optimizer) is optimizer
        sc.optim.lr_scheduler.StepLR(optimizer, 1)     # still an Optimizer
        x = sc.tensor(np.random.default_rng(0).standard_normal((4, 1, 8, 8)))
        model(x).sum().backward()
        grads = [p.grad.numpy().copy() for p in model.parameters()]
        optimizer.step()                      # all-reduce of one rank: the mean is itself
        for p, g in zip(model.parameters(), grads):
            np.testing.assert_array_equal(p.grad.numpy(), g)
        assert dp.all_reduce_sum([1.5, 2]) == [1.5, 2.0]
        with pytest.raises(ArgumentError, match="wraps an nn.Module"):
            dist.DataParallel(object())
        with pytest.raises(dist.DistributedError, match="already joined"):
            dist.init_process_group(init_method="tcp://127.0.0.1:1", rank=0, world_size=1)
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()


# ----------------------------------------------------------------- the command line
def _cli(*argv, timeout=240):
    return subprocess.run([sys.executable, "-m", "scratchcnn_launcher", *argv],
                          capture_output=True, text=True, env=_env(), timeout=timeout)


@pytest.fixture(scope="module")
def two_rank_run(tmp_path_factory):
    """The default digits job (digits_cnn, 20 epochs, batch 32) on two local ranks."""
    out = tmp_path_factory.mktemp("two_ranks") / "run"
    result = _cli("train", "--nproc-per-node", "2", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out, result


def test_nproc_per_node_trains_the_default_job_to_the_single_process_accuracy(two_rank_run):
    out, result = two_rank_run
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith("test accuracy: ")
    assert float(lines[-1].split()[-1].rstrip("%")) >= 97
    # rank 0 alone prints and writes
    assert sum(line.startswith("digits_cnn on digits") for line in lines) == 1
    assert sum(line.startswith("epoch 20/20") for line in lines) == 1
    for name in ("last.npz", "best.npz", "metrics.csv", "curves.png", "confusion.png"):
        assert (out / name).exists(), name
    checkpoint = sc.load(out / "last.npz")
    assert checkpoint["epoch"] == 20 and checkpoint["batch_size"] == 32


def _rank_pid(parent, rank):
    """The pid of the child of ``parent`` whose environment says RANK=rank."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/environ", "rb") as handle:
                environ = handle.read().split(b"\0")
        except OSError:
            continue
        if ppid == parent and f"RANK={rank}".encode() in environ:
            return int(entry)
    return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds ranks through /proc")
def test_a_killed_rank_stops_the_job_and_the_run_resumes(tmp_path, two_rank_run):
    out = tmp_path / "run"
    job = subprocess.Popen([sys.executable, "-m", "scratchcnn_launcher", "train",
                            "--nproc-per-node", "2", "--out", str(out), "--no-plots"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        deadline = time.monotonic() + 180
        while not (out / "last.npz").exists() and job.poll() is None:
            assert time.monotonic() < deadline, "no epoch finished"
            time.sleep(0.02)
        victim = _rank_pid(job.pid, 1)
        assert victim is not None and job.poll() is None
        os.kill(victim, signal.SIGKILL)          # in the middle of a later epoch
        killed = time.monotonic()
        stdout, stderr = job.communicate(timeout=90)
    finally:
        job.kill()
    assert time.monotonic() - killed < 60
    assert job.returncode == 2
    assert f"rank 1 (pid {victim}) was killed by SIGKILL" in stderr, stderr
    resume = f"scratchcnn train --nproc-per-node 2 --resume {out / 'last.npz'}"
    assert resume in stderr
    done = sc.load(out / "last.npz")["epoch"]
    assert 1 <= done < 20

    result = _cli("train", "--nproc-per-node", "2", "--resume", str(out / "last.npz"),
                  "--no-plots")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("test accuracy: ")
    resumed = sc.load(out / "last.npz")
    assert [row["epoch"] for row in resumed["history"]] == list(range(1, 21))
    # The same weights as the run that was never interrupted.
    reference = sc.load(two_rank_run[0] / "last.npz")["model_state"]
    for name, value in reference.items():
        np.testing.assert_allclose(_array(resumed["model_state"][name]), _array(value),
                                   rtol=1e-4, atol=1e-5)


def test_distributed_outside_torchrun_says_how_to_start_it():
    result = _cli("train", "--distributed", "--epochs", "1", timeout=60)
    assert result.returncode == 2
    assert "not started by torchrun" in result.stderr and "RANK" in result.stderr


def test_nproc_per_node_and_distributed_together_are_refused():
    result = _cli("train", "--distributed", "--nproc-per-node", "2", timeout=60)
    assert result.returncode == 2 and "not both" in result.stderr


if __name__ == "__main__":
    _worker(*sys.argv[1:])


def test_the_killed_rank_is_named_first_whatever_the_order_in_time(tmp_path):
    """When rank 1 is killed, rank 0 may stop with its own error a moment earlier (the
    all-reduce fails): the message still names the killed rank first."""
    errors = pytest.importorskip("torch.distributed.elastic.multiprocessing.errors")
    from scratchcnn.distributed.launch import describe_failure

    error_file = str(tmp_path / "none.json")
    stopped = errors.ProcessFailure(local_rank=0, pid=100, exitcode=2, error_file=error_file)
    killed = errors.ProcessFailure(local_rank=1, pid=101, exitcode=-9, error_file=error_file)
    stopped.timestamp, killed.timestamp = 10, 11
    text = describe_failure(errors.ChildFailedError("train", {0: stopped, 1: killed}))
    assert text.startswith("rank 1 (pid 101) was killed by SIGKILL; rank 0 (pid 100)")
