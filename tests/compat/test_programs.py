"""Everyday PyTorch programs run unchanged under ``import scratchcnn as torch``.

Each file in ``programs/`` is run twice in its own process, first under PyTorch and
then with only its imports rewritten to scratchcnn (``run_program.py``), from the same
initial weights and the same batches. The numbers each run records (losses,
outputs, learning rates, accuracies) must agree: float64 to 1e-10 in a program marked
``# compat: float64`` (everything it computes is float64), otherwise float32's rtol 1e-4 /
atol 1e-5 (Python floats from ``loss.item()`` are float64 whatever was computed);
integers exactly.
"""

import pathlib
import subprocess
import sys

import numpy as np
import pytest

HERE = pathlib.Path(__file__).parent
PROGRAMS = sorted((HERE / "programs").glob("*.py"))


def run(program, backend, workdir):
    result = subprocess.run(
        [sys.executable, str(HERE / "run_program.py"), str(program), backend, str(workdir)],
        capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.fail(f"{program.name} failed under {backend} (exit {result.returncode}):\n"
                    f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    with np.load(workdir / f"{backend}.npz", allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def test_at_least_twelve_programs():
    assert len(PROGRAMS) >= 12


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_program_matches_pytorch(program, tmp_path):
    theirs = run(program, "torch", tmp_path)
    ours = run(program, "scratchcnn", tmp_path)
    assert theirs, f"{program.name} recorded nothing"
    assert sorted(ours) == sorted(theirs)
    float64 = "# compat: float64" in program.read_text(encoding="utf-8")
    for name, expected in theirs.items():
        actual = ours[name]
        assert actual.shape == expected.shape, name
        if expected.dtype.kind == "f":
            tolerance = dict(rtol=1e-10, atol=1e-10) if float64 else dict(rtol=1e-4, atol=1e-5)
            np.testing.assert_allclose(actual, expected, err_msg=name, **tolerance)
        else:
            np.testing.assert_array_equal(actual, expected, err_msg=name)
