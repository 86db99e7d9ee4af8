"""Work is never lost: existing runs, diverged epochs, planted links, kills, full disks."""

import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

import scratchcnn as sc
from scratchcnn import models, workflow
from scratchcnn.data import DataLoader, TensorDataset
from scratchcnn.errors import ArgumentError
from scratchcnn.safe_write import TEMP_PREFIX, atomic_write, remove_temporaries
from scratchcnn.train import TrainingDivergedError, fit

from .support import REPO, assert_clean_error, cli

QUICK = dict(epochs=1, limit=200, progress=False, log=None, plots=False)


def _temporaries(folder):
    return [name for name in os.listdir(folder) if name.startswith(TEMP_PREFIX)]


def _loader():
    x = np.random.default_rng(0).random((32, 1, 8, 8), dtype=np.float32)
    return DataLoader(TensorDataset(x, np.arange(32) % 10), batch_size=16, shuffle=True,
                      seed=0)


def test_a_folder_holding_a_run_is_refused_unless_overwrite(tmp_path):
    workflow.train(out_dir=str(tmp_path), **QUICK)
    before = (tmp_path / "last.npz").read_bytes()
    with pytest.raises(ArgumentError, match="already holds a run"):
        workflow.train(out_dir=str(tmp_path), **QUICK)
    assert (tmp_path / "last.npz").read_bytes() == before
    run = cli("train", "--epochs", 1, "--limit", 200, "--no-plots", "--out", tmp_path)
    assert_clean_error(run, "--overwrite", "--resume")
    assert (tmp_path / "last.npz").read_bytes() == before
    workflow.train(out_dir=str(tmp_path), overwrite=True, **dict(QUICK, seed=1))
    assert sc.load(tmp_path / "last.npz")["seed"] == 1


class _Poison:
    """A 'scheduler' that drives the weights to inf at the end of an epoch."""

    def __init__(self, model, at_epoch):
        self.model, self.at_epoch, self.epoch = model, at_epoch, 0

    def step(self):
        self.epoch += 1
        if self.epoch == self.at_epoch:
            next(self.model.parameters())._array[...] = np.inf

    def state_dict(self):
        return {"epoch": self.epoch}

    def load_state_dict(self, state):
        self.epoch = state["epoch"]


def test_a_diverged_epoch_never_replaces_the_checkpoints(tmp_path):
    model = models.digits_cnn()
    optimizer = sc.optim.SGD(model.parameters(), lr=0.01)
    with pytest.raises(TrainingDivergedError) as error:
        fit(model, _loader(), _loader(), epochs=3, optimizer=optimizer, progress=False,
            scheduler=_Poison(model, 2), out_dir=str(tmp_path))
    message = str(error.value)
    assert "end of epoch 2" in message and "0.weight" in message
    assert "kept unchanged" in message and str(tmp_path / "last.npz") in message
    for name in ("last.npz", "best.npz"):
        saved = sc.load(tmp_path / name)
        assert saved["epoch"] == 1
        assert all(np.isfinite(v).all() for v in saved["model_state"].values())
    assert _temporaries(tmp_path) == []


def test_divergence_in_the_first_epoch_says_nothing_was_written(tmp_path):
    model = models.digits_cnn()
    with pytest.raises(TrainingDivergedError, match="no checkpoint was written"):
        fit(model, _loader(), epochs=2, optimizer=sc.optim.SGD(model.parameters(), lr=0.1),
            scheduler=_Poison(model, 1), out_dir=str(tmp_path), progress=False)
    assert not (tmp_path / "last.npz").exists()


def test_no_numpy_warning_before_the_divergence_message():
    model = models.digits_cnn()
    x = np.full((32, 1, 8, 8), 1e30, dtype=np.float32)
    loader = DataLoader(TensorDataset(x, np.arange(32) % 10), batch_size=16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # a RuntimeWarning would fail the test
        with pytest.raises(TrainingDivergedError):
            fit(model, loader, epochs=2, progress=False,
                optimizer=sc.optim.SGD(model.parameters(), lr=1e30))
    assert np.geterr()["over"] == "warn"         # process-wide state is untouched


def test_planted_links_are_replaced_never_written_through(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    for name in ("metrics.csv.tmp", ".tmp-last.npz", "metrics.csv"):
        os.symlink(victim, run_dir / name)
    workflow.train(out_dir=str(run_dir), **dict(QUICK, plots=True), overwrite=True)
    assert victim.read_text() == "precious"
    assert not os.path.islink(run_dir / "metrics.csv")
    assert (run_dir / "metrics.csv").read_text().startswith("epoch,")
    assert _temporaries(run_dir) == []


def test_atomic_write_never_follows_a_link_and_cleans_up(tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep")
    os.symlink(victim, tmp_path / "out.bin")
    with atomic_write(tmp_path / "out.bin") as handle:
        handle.write(b"new")
    assert victim.read_bytes() == b"keep" and (tmp_path / "out.bin").read_bytes() == b"new"
    with pytest.raises(RuntimeError):
        with atomic_write(tmp_path / "out.bin") as handle:
            handle.write(b"half")
            raise RuntimeError("writer failed")
    assert (tmp_path / "out.bin").read_bytes() == b"new" and _temporaries(tmp_path) == []
    (tmp_path / ".tmp-left-by-a-kill").write_bytes(b"x" * 100)
    os.symlink("/nonexistent", tmp_path / ".tmp-link")
    assert remove_temporaries(tmp_path) == [".tmp-left-by-a-kill", ".tmp-link"]


def _train_process(out, *extra):
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "src"))
    return subprocess.Popen([sys.executable, "-m", "scratchcnn", "train", "--limit", "400",
                             "--no-plots", "--no-progress", "--out", str(out), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _wait_for(path, process, timeout=120):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.02)


def test_kill_9_loop_every_last_checkpoint_loads_and_resume_completes(tmp_path):
    out = tmp_path / "run"
    rng = np.random.default_rng(0)
    process = _train_process(out, "--epochs", "40")
    for kill in range(4):
        _wait_for(out / "last.npz", process)
        time.sleep(float(rng.uniform(0.0, 0.6)))
        process.kill()
        process.wait()
        workflow.load_model(str(out / "last.npz"))       # complete, never torn
        if kill < 3:
            process = _train_process(out, "--resume", str(out / "last.npz"))
    epoch = sc.load(out / "last.npz")["epoch"]
    run = cli("train", "--resume", out / "last.npz", "--no-plots", "--epochs", epoch + 1)
    assert run.returncode == 0, run.stderr
    assert sc.load(out / "last.npz")["epoch"] == epoch + 1
    assert _temporaries(out) == []


def test_ctrl_c_prints_one_line_with_the_resume_command(tmp_path):
    out = tmp_path / "run"
    process = _train_process(out, "--epochs", "200")
    _wait_for(out / "last.npz", process)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"--resume {out / 'last.npz'}" in lines[0]
    workflow.load_model(str(out / "last.npz"))
    assert _temporaries(out) == []


@pytest.fixture
def tiny_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs (a full disk) needs root; CI runs as root")
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_keeps_the_previous_checkpoint(tiny_disk):
    small = {"w": np.zeros(1000, np.float32)}
    sc.save(small, tiny_disk / "last.npz")
    with pytest.raises(OSError) as error:
        sc.save({"w": np.zeros(200_000, np.float32)}, tiny_disk / "last.npz")
    assert str(tiny_disk / "last.npz") in str(error.value)
    np.testing.assert_array_equal(sc.load(tiny_disk / "last.npz")["w"], small["w"])
    assert _temporaries(tiny_disk) == []
    run = cli("train", "--epochs", 1, "--limit", 200, "--out", tiny_disk / "run")
    assert_clean_error(run, "No space left")
    assert _temporaries(tiny_disk / "run") == []
