"""The notebooks of docs/notebooks/ run from top to bottom (nbclient, a fresh kernel each)
and are stored without outputs. Their cells assert what they teach (the engine against
the naive loops, the AlexNet sizes, the worked example's numbers, PyTorch parity), so a
notebook that runs is a notebook whose numbers hold.

The Fashion-MNIST notebook needs Debian's dataset-fashion-mnist (``make test-data``):
without it that notebook skips, except under ``CI=true`` where it fails.
"""

import os
import pathlib
import time

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "docs" / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
FASHION = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
# Each notebook must run in under a minute on 2 cores (the kernel's start included).
TIME_LIMIT = 60


def test_there_are_at_least_five_notebooks():
    assert len(PATHS) >= 5, [p.name for p in PATHS]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    dirty = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
             and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"{path.name}: cells {dirty} hold outputs (clear them before saving)"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path):
    if "fashion" in path.stem and not os.path.exists(FASHION):
        message = f"{path.name} needs Fashion-MNIST in {os.path.dirname(FASHION)} (make test-data)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true requires the real data: " + message)
        pytest.skip(message)
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=TIME_LIMIT, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    errors = [output for cell in notebook.cells for output in cell.get("outputs", [])
              if output.get("output_type") == "error"]
    assert not errors
    assert seconds < TIME_LIMIT, f"{path.name} took {seconds:.0f} s"
