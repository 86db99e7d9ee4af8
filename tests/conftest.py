"""Shared test settings: hypothesis profile, seeds, and helpers to compare with PyTorch."""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, settings

import scratchcnn as sc

# These machines are slow and noisy: no per-example deadline. Examples per test are
# kept moderate so the whole suite runs in a few minutes on 2 cores.
settings.register_profile("default", deadline=None, max_examples=40, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")

torch.set_num_threads(1)

# tests/compat's programs run in their own processes (compat/test_programs.py); importing
# them, or the helpers that write result files when the process ends, must not happen
# at collection.
collect_ignore = ["compat/compat_io.py", "compat/run_program.py"]
collect_ignore_glob = ["compat/programs/*.py"]

# Tolerances: float64 must agree tightly, float32 loosely (different summation orders).
TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-10), np.float32: dict(rtol=1e-4, atol=1e-5)}


def assert_close(actual, expected, dtype=np.float64, **overrides):
    """Compare a scratchcnn Tensor / array with a torch Tensor / array."""
    def as_numpy(value):
        if isinstance(value, torch.Tensor):
            return value.detach().numpy()
        if isinstance(value, sc.Tensor):
            return value.numpy()
        return np.asarray(value)
    tolerance = dict(TOLERANCES[np.dtype(dtype).type], **overrides)
    np.testing.assert_allclose(as_numpy(actual), as_numpy(expected), **tolerance)


def to_torch(array, requires_grad=False):
    """A torch tensor with a copy of ``array`` (a NumPy array or a scratchcnn Tensor)."""
    array = array.numpy() if isinstance(array, sc.Tensor) else array
    return torch.tensor(np.array(array), requires_grad=requires_grad)


@pytest.fixture(autouse=True)
def _seed():
    sc.manual_seed(0)
    torch.manual_seed(0)
    yield


# --------------------------------------------------------------------- golden files
# Text outputs (summary tables, the explain trace, the params command) are compared
# byte for byte with the files in tests/golden/. After an intended change of output,
# regenerate them with ``pytest --update-golden`` and review the diff by eye.
GOLDEN_DIR = __import__("pathlib").Path(__file__).parent / "golden"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/* from the current output instead of comparing")


def read_golden(name):
    """The text of ``tests/golden/<name>`` (exact bytes, no newline translation)."""
    path = GOLDEN_DIR / name
    if not path.exists():
        pytest.fail(f"golden file {path} is missing: run pytest --update-golden")
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


@pytest.fixture
def golden(request):
    """``golden(name, text)``: assert ``text`` equals tests/golden/<name> (or rewrite it
    under ``--update-golden``)."""
    import difflib

    def check(name, text):
        if request.config.getoption("--update-golden"):
            GOLDEN_DIR.mkdir(exist_ok=True)
            with open(GOLDEN_DIR / name, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            return
        expected = read_golden(name)
        if text != expected:
            diff = "".join(difflib.unified_diff(
                expected.splitlines(True), text.splitlines(True), f"golden/{name}", "actual"))
            pytest.fail(f"output differs from tests/golden/{name} (run pytest --update-golden "
                        f"if the change is intended):\n{diff}")
    return check
