"""Real training runs: the default job, resume, divergence, checkpoints and the CLI."""

import csv
import os
import subprocess
import sys

import numpy as np
import pytest

import scratchcnn as sc
from scratchcnn import models, workflow
from scratchcnn.data import DataLoader, TensorDataset
from scratchcnn.train import TrainingDivergedError, evaluate, fit

FASHION = "/usr/share/datasets/fashion-mnist"


def _quiet(*_):
    pass


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """The README's main job, in-process: digits_cnn on digits with the defaults."""
    out = tmp_path_factory.mktemp("digits")
    model, history, result, out_dir = workflow.train(out_dir=str(out), progress=False,
                                                     log=_quiet)
    return model, history, result, out


def test_default_job_reaches_the_promised_accuracy(digits_run):
    _, history, result, _ = digits_run
    assert result["count"] == 360
    assert result["accuracy"] >= 0.97
    assert len(history) == 20
    assert history[-1]["train_loss"] < history[0]["train_loss"] / 10


def test_run_folder_holds_checkpoints_metrics_and_plots(digits_run):
    _, history, _, out = digits_run
    for name in ("last.npz", "best.npz", "metrics.csv", "curves.png", "confusion.png",
                 "filters.png", "feature_maps.png"):
        assert (out / name).stat().st_size > 0, name
    with open(out / "metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["epoch"]) for r in rows] == list(range(1, 21))
    assert float(rows[-1]["train_loss"]) == pytest.approx(history[-1]["train_loss"])
    assert not [f for f in os.listdir(out) if f.startswith(".tmp")]   # no half-written files


def test_checkpoint_rebuilds_the_model_from_the_file_alone(digits_run):
    model, _, result, out = digits_run
    rebuilt, checkpoint = workflow.load_model(str(out / "last.npz"))
    assert checkpoint["model_name"] == "digits_cnn" and checkpoint["classes"][3] == "3"
    assert checkpoint["epoch"] == 20 and len(checkpoint["history"]) == 20
    again, _ = workflow.evaluate_checkpoint(str(out / "last.npz"))
    assert again["accuracy"] == pytest.approx(result["accuracy"])
    np.testing.assert_array_equal(again["confusion"], result["confusion"])
    x = sc.randn(3, 1, 8, 8)
    model.eval()
    np.testing.assert_array_equal(rebuilt(x).numpy(), model(x).numpy())


def test_resume_reaches_bit_identical_weights(tmp_path):
    common = dict(epochs=3, progress=False, log=_quiet, plots=False, limit=400)
    workflow.train(out_dir=str(tmp_path / "full"), **common)
    interrupted = dict(common, epochs=2)
    workflow.train(out_dir=str(tmp_path / "part"), **interrupted)
    workflow.train(resume=str(tmp_path / "part" / "last.npz"), **common)
    full = sc.load(tmp_path / "full" / "last.npz")
    resumed = sc.load(tmp_path / "part" / "last.npz")
    assert resumed["epoch"] == 3
    for key, value in full["model_state"].items():
        np.testing.assert_array_equal(resumed["model_state"][key], value, err_msg=key)
    assert [r["train_loss"] for r in resumed["history"]] == \
        [r["train_loss"] for r in full["history"]]


def test_divergence_stops_with_epoch_step_and_last_good_checkpoint(tmp_path):
    x = np.random.default_rng(0).random((64, 1, 8, 8), dtype=np.float32)
    y = np.arange(64) % 10
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, seed=0)
    model = models.digits_cnn()
    optimizer = sc.optim.SGD(model.parameters(), lr=0.01)
    fit(model, loader, epochs=1, optimizer=optimizer, out_dir=str(tmp_path), progress=False)
    poisoned = DataLoader(TensorDataset(np.full_like(x, np.inf), y), batch_size=16,
                          shuffle=True, seed=0)            # inf - inf: the loss turns NaN
    with pytest.raises(TrainingDivergedError) as error:
        fit(model, poisoned, epochs=3, optimizer=optimizer, out_dir=str(tmp_path),
            progress=False, resume=sc.load(tmp_path / "last.npz"))
    message = str(error.value)
    assert "epoch 2, step" in message and str(tmp_path / "last.npz") in message
    assert sc.load(tmp_path / "last.npz")["epoch"] == 1     # the good checkpoint survives


def test_early_stopping_and_evaluate_counts():
    rng = np.random.default_rng(1)
    x = rng.random((40, 1, 8, 8), dtype=np.float32)
    y = rng.integers(0, 10, 40)       # random labels: validation loss will not improve long
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, seed=0)
    model = models.digits_cnn()
    history = fit(model, loader, loader, epochs=50, early_stopping=2, progress=False,
                  optimizer=sc.optim.Adam(model.parameters(), lr=0.05))
    assert len(history) < 50
    result = evaluate(model, loader)
    assert result["count"] == 40 and result["confusion"].sum() == 40
    assert result["accuracy"] == pytest.approx(np.trace(result["confusion"]) / 40)


def _fashion_available():
    return os.path.exists(os.path.join(FASHION, "train-images-idx3-ubyte.gz"))


def test_one_fashion_mnist_epoch_on_a_subset_learns(tmp_path):
    if not _fashion_available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Fashion-MNIST is missing from {FASHION}: `make test` installs "
                        "Debian's dataset-fashion-mnist")
        pytest.skip("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
    _, history, result, _ = workflow.train(
        data="fashion-mnist", epochs=1, limit=2000, out_dir=str(tmp_path), progress=False,
        log=_quiet, plots=False)
    assert result["count"] == 10000
    assert result["accuracy"] > 0.6          # chance is 0.1
    assert history[0]["val_accuracy"] > 0.5


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "scratchcnn", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_cli_train_evaluate_predict(tmp_path, digits_run):
    run = _cli("train", "--epochs", "2", "--limit", "300", "--no-plots", "--out",
               str(tmp_path / "run"))
    assert run.returncode == 0, run.stderr
    last_line = run.stdout.strip().splitlines()[-1]
    assert last_line.startswith("test accuracy: ") and last_line.endswith("%")

    _, _, _, out = digits_run
    run = _cli("evaluate", str(out / "last.npz"))
    assert run.returncode == 0, run.stderr
    assert "per-class accuracy" in run.stdout and "confusion matrix" in run.stdout

    from PIL import Image
    from sklearn.datasets import load_digits
    digits = load_digits()
    image = np.round(digits.images[7] / 16 * 255).astype(np.uint8)
    Image.fromarray(image).save(tmp_path / "seven.png")
    run = _cli("predict", str(out / "last.npz"), str(tmp_path / "seven.png"), "--topk", "2")
    assert run.returncode == 0, run.stderr
    ranking = run.stdout.split(":", 1)[1].split(",")
    assert len(ranking) == 2 and ranking[0].split()[0] == str(digits.target[7])


def test_cli_reports_bad_input_with_exit_code_2(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"not an archive")
    run = _cli("evaluate", str(tmp_path / "junk.npz"))
    assert run.returncode == 2 and "not an .npz (zip) archive" in run.stderr
    run = _cli("train", "--model", "alexnet", "--data", "digits", "--epochs", "1", "--out",
               str(tmp_path / "x"))
    assert run.returncode == 2      # 8x8 digits are too small: the one-line message says so
    assert "alexnet takes 3x227x227 images and digits images are 1x8x8" in run.stderr


def test_cifar10_trains_with_its_default_model(tmp_path):
    """CIFAR-10's default model is Tiny VGG sized for its 32x32 images (it is built for
    64x64); the checkpoint remembers the size, so evaluate rebuilds the same network."""
    from test_data import small_cifar
    small_cifar(tmp_path / "cifar-10-batches-bin")
    run = _cli("train", "--data", "cifar10", "--data-dir", str(tmp_path), "--epochs", "1",
               "--batch-size", "4", "--val-fraction", "0", "--no-plots", "--out",
               str(tmp_path / "run"))
    assert run.returncode == 0, run.stderr
    assert "test accuracy:" in run.stdout
    checkpoint = sc.load(tmp_path / "run" / "last.npz")
    assert checkpoint["model_config"] == {"num_classes": 10, "image_size": 32}
    run = _cli("evaluate", str(tmp_path / "run" / "best.npz"), "--data-dir", str(tmp_path))
    assert run.returncode == 0, run.stderr
