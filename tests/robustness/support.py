"""Shared by the robustness tests: a small valid checkpoint and CLI runners."""

import json
import os
import subprocess
import sys

import numpy as np

import scratchcnn as sc
from scratchcnn import models

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def checkpoint_dict():
    """What `scratchcnn train` writes for digits_cnn, built without training."""
    sc.manual_seed(0)
    model = models.digits_cnn()
    return {"model_name": "digits_cnn", "model_config": {"num_classes": 10}, "data": "digits",
            "classes": [str(i) for i in range(10)],
            "preprocessing": {"mean": [0.3], "std": [0.4]}, "input_size": [1, 8, 8],
            "epoch": 1, "model_state": model.state_dict(), "history": []}


def write_archive(path, metadata, arrays=None):
    """An .npz with ``metadata`` (a JSON-ready object, or raw bytes) as __metadata__."""
    raw = metadata if isinstance(metadata, bytes) else json.dumps(metadata).encode()
    np.savez(path, __metadata__=np.frombuffer(raw, dtype=np.uint8), **(arrays or {}))
    return path


def cli(*args, cwd=None, timeout=300, **kwargs):
    """``python -m scratchcnn ARGS`` in a child process (CompletedProcess, text)."""
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "src"))
    return subprocess.run([sys.executable, "-m", "scratchcnn", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=timeout, env=env,
                          **kwargs)


def assert_clean_error(run, *words):
    """A refused command: exit 2, a one-line `scratchcnn ...` error, no traceback."""
    assert run.returncode == 2, (run.returncode, run.stdout, run.stderr)
    assert "Traceback" not in run.stderr, run.stderr
    assert "error" in run.stderr, run.stderr
    for word in words:
        assert word in run.stderr, (word, run.stderr)
