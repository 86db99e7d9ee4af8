"""Issue 16, the first ten minutes: predictions on ordinary pictures (data/picture.py),
models that know their data (the zoo registry, summary's smallest input), progress in
every kind of output (progress.py), and the CLI's interrupts and pipes."""

import io
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

import scratchcnn as sc
from scratchcnn import models, workflow
from scratchcnn.data import DATASET_NAMES, load_dataset
from scratchcnn.data.picture import is_dark_on_light, prepare_picture
from scratchcnn.errors import ShapeError
from scratchcnn.progress import LineProgress, progress, progress_form
from scratchcnn.summary import smallest_input, summary

FASHION_DIR = "/usr/share/datasets/fashion-mnist"


def _cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "scratchcnn", *args], capture_output=True,
                          text=True, **kwargs)


# ============================================================ pictures (data/picture.py)
def _paper(gray):
    """A (H, W) array in [0, 1] as a Pillow image."""
    return Image.fromarray(np.round(np.clip(gray, 0, 1) * 255).astype(np.uint8))


def test_dark_ink_on_white_is_inverted_cropped_and_centred_by_mass():
    paper = np.ones((380, 412))
    paper[50:250, 300:360] = 0.0              # a dark bar, far off-centre
    paper[230:250, 250:300] = 0.0             # a foot: the mass is not the box's middle
    array, words = prepare_picture(_paper(paper), (1, 28, 28), "mnist")
    assert words == "inverted; cropped 110x200 -> 11x20, centred in 28x28"
    assert array.shape == (1, 28, 28) and array.dtype == np.float32
    assert array.min() >= 0 and array.max() <= 1
    ink = array[0]
    rows, cols = np.nonzero(ink > 0.5)
    assert rows.max() - rows.min() + 1 in (19, 20, 21)   # the longest side fills 20 of 28
    rows, cols = np.indices(ink.shape)
    centre = ((rows * ink).sum() / ink.sum(), (cols * ink).sum() / ink.sum())
    assert np.allclose(centre, (13.5, 13.5), atol=0.75)  # MNIST's centre of mass
    assert ink[:, :5].max() == 0 and ink[:, -5:].max() == 0   # the background is black


def test_light_on_dark_is_not_inverted_and_colour_never_is():
    dark = np.zeros((40, 30))
    dark[5:35, 10:20] = 1.0
    array, words = prepare_picture(_paper(dark), (1, 28, 28), "fashion-mnist")
    assert not words.startswith("inverted") and array[0].max() == pytest.approx(1.0)
    assert words == "cropped 10x30 -> 9x28, centred in 28x28"   # Zalando's full box
    white = Image.new("RGB", (50, 40), (250, 250, 250))
    array, words = prepare_picture(white, (3, 32, 32), "cifar10")
    assert words == "resized 50x40 -> 32x32" and array.shape == (3, 32, 32)
    assert array.min() > 0.9                   # a white colour picture stays white


def test_overrides_and_blank_pictures():
    paper = np.ones((20, 20))
    paper[5:15, 5:15] = 0
    _, words = prepare_picture(_paper(paper), (1, 8, 8), "digits", invert=False)
    assert not words.startswith("inverted")
    array, words = prepare_picture(_paper(paper), (1, 8, 8), "digits", preprocess=False)
    assert words == "resized 20x20 -> 8x8 (no preprocessing)"
    assert array[0, 0, 0] == pytest.approx(1.0, abs=1e-3)   # left white: no polarity detection
    array, words = prepare_picture(_paper(paper), (1, 8, 8), "digits", invert=True,
                                   preprocess=False)
    assert words.startswith("inverted") and array[0, 0, 0] == pytest.approx(0.0, abs=1e-3)
    array, words = prepare_picture(_paper(np.ones((9, 9))), (1, 8, 8), "digits")
    assert "no content found" in words and not array.any()
    assert is_dark_on_light(np.ones((5, 5))) and not is_dark_on_light(np.zeros((5, 5)))


def _render(image, scale, rng):
    """A test image as someone would photograph it: dark on light, larger, off-centre on
    a white page, and resampled once more (the camera)."""
    big = np.kron(1.0 - image, np.ones((scale, scale)))
    h, w = big.shape
    page = np.ones((3 * h + 7, 4 * w + 3))
    top, left = rng.integers(0, page.shape[0] - h), rng.integers(0, page.shape[1] - w)
    page[top:top + h, left:left + w] = big
    return _paper(page).resize((page.shape[1] * 2, page.shape[0] * 2),
                               Image.Resampling.BILINEAR)


def _accuracies(tmp_path, data, data_dir, model, epochs, limit, scale, count=150):
    """(accuracy on the test images as saved, accuracy on their renderings, accuracy on
    the renderings without preprocessing) of a quickly trained model, through predict."""
    out = tmp_path / data
    workflow.train(data=data, model=model, data_dir=data_dir, epochs=epochs, limit=limit,
                   out_dir=str(out), progress=False, log=None, plots=False)
    checkpoint = str(out / "last.npz")
    classes = sc.load(checkpoint)["classes"]
    test = load_dataset(data, root=data_dir, split="test")
    rng = np.random.default_rng(0)
    chosen = rng.choice(len(test.labels), count, replace=False)
    originals, renderings = [], []
    for i in chosen:
        image = test.images[i, 0].astype(np.float32)
        image = image / 255 if test.images.dtype == np.uint8 else image
        originals.append(tmp_path / f"{data}-{i}.png")
        _paper(image).save(originals[-1])
        renderings.append(tmp_path / f"{data}-{i}-photo.png")
        _render(image, scale, rng).save(renderings[-1])
    said = []

    def accuracy(paths, **options):
        ranked = workflow.predict(checkpoint, [str(p) for p in paths], 1,
                                  report=lambda path, words: said.append(words), **options)
        predicted = np.array([classes.index(r[0][0]) for r in ranked])
        return float((predicted == test.labels[chosen]).mean())

    original = accuracy(originals, preprocess=False)
    rendered = accuracy(renderings)
    assert all(words.startswith("inverted; cropped ") for words in said[-count:])
    return original, rendered, accuracy(renderings, preprocess=False)


def test_predict_on_dark_on_light_photos_of_digits(tmp_path):
    original, rendered, raw = _accuracies(tmp_path, "digits", None, "digits_cnn", 8, 1000, 6)
    assert original > 0.85
    assert rendered >= original - 0.06, (original, rendered)
    assert raw < 0.4                 # without the preprocessing the model is lost


def test_predict_on_dark_on_light_photos_of_fashion_mnist(tmp_path):
    missing = [f for f in ("t10k-images-idx3-ubyte.gz", "train-images-idx3-ubyte.gz")
               if not os.path.isfile(os.path.join(FASHION_DIR, f))]
    if missing:
        message = f"Fashion-MNIST missing from {FASHION_DIR} (make test-data)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true requires the real data: " + message)
        pytest.skip(message)
    original, rendered, raw = _accuracies(tmp_path, "fashion-mnist", FASHION_DIR, "lenet5",
                                          2, 3000, 3)
    assert original > 0.6
    assert rendered >= original - 0.06, (original, rendered)
    assert raw < original - 0.3


# ============================================================ models know their data
def test_every_zoo_model_names_data_that_fits_it():
    for name in models.names():
        assert models.natural_data(name) in DATASET_NAMES
        size = models.input_size(name)
        model = models.get(name)
        assert model.output_shape((1, *size))[0] == 1
    digits = load_dataset(models.natural_data("digits_cnn"), split="test")
    assert digits.images.shape[1:] == models.input_size("digits_cnn")


@pytest.mark.parametrize("name", ["lenet5", "mnist_cnn", "digits_cnn", "tiny_vgg"])
def test_smallest_input_is_the_smallest_a_forward_pass_takes(name):
    model = models.get(name).eval()
    channels = models.input_size(name)[0]
    c, side, _ = smallest_input(model, channels)
    with sc.no_grad():
        assert model(sc.zeros(1, c, side, side)).shape[0] == 1   # this size runs
        for smaller in range(1, side):                            # and none below it
            with pytest.raises(sc.errors.ScratchCNNError):
                model(sc.zeros(1, c, smaller, smaller))


def test_summary_on_a_too_small_input_names_the_smallest_that_works():
    with pytest.raises(ShapeError, match=r"lenet5 cannot take a 1x8x8 input: the smallest "
                                         r"input that works is 1x28x28"):
        summary(models.lenet5(), (1, 8, 8), name="lenet5")
    with pytest.raises(ShapeError, match="smallest input that works is 1x8x8"):
        summary(models.digits_cnn(), (3, 8, 8))    # the channels too
    run = _cli("summary", "alexnet", "--input", "3x32x32")
    assert run.returncode == 2 and "the smallest input that works is 3x227x227" in run.stderr


def test_train_uses_the_models_data_or_says_what_to_pass(tmp_path):
    run = _cli("train", "--model", "lenet5", "--data", "digits", "--out", str(tmp_path / "a"))
    assert run.returncode == 2 and run.stderr.count("\n") == 1, run.stderr
    assert "lenet5 takes 1x28x28 images and digits images are 1x8x8: pass --data mnist, " \
           "or a model made for 1x8x8: digits_cnn" in run.stderr
    run = _cli("train", "--model", "digits_cnn", "--epochs", "1", "--limit", "200",
               "--no-plots", "--out", str(tmp_path / "b"))
    assert run.returncode == 0 and "digits_cnn on digits" in run.stdout, run.stderr
    # lenet5 goes to MNIST: it trains where the files are, else it says where to put them
    run = _cli("train", "--model", "lenet5", "--epochs", "1", "--limit", "100", "--no-plots",
               "--out", str(tmp_path / "c"), env=dict(os.environ, SCRATCHCNN_DATA=str(tmp_path)))
    assert run.returncode == 2 and "mnist" in run.stderr and "in features" not in run.stderr


# ============================================================ progress everywhere
def test_lines_every_few_seconds_in_logs():
    out = io.StringIO()

    def slow(n):
        for i in range(n):
            time.sleep(0.02)
            yield i

    steps = LineProgress(slow(10), 10, "epoch 2/3", stream=out, interval=0.05)
    for step in steps:
        steps.set_postfix(loss="0.1234", img_s="640")
    lines = out.getvalue().splitlines()
    assert 2 <= len(lines) <= 6                       # about one per 0.05 s, not one per step
    assert lines[-1] == "epoch 2/3  step 10/10  loss 0.1234  640 img/s  ETA 0:00:00"
    first = lines[0].split("  ")
    assert first[0] == "epoch 2/3" and first[1].startswith("step ") and first[4][:4] == "ETA "
    quiet = io.StringIO()
    assert list(LineProgress(range(3), 3, "e", stream=quiet)) == [0, 1, 2]
    assert quiet.getvalue() == ""                     # a short epoch: the epoch line says it


def test_the_form_follows_the_output(monkeypatch):
    assert progress_form(io.StringIO()) == "lines"
    assert progress(range(2), 2, "x", enabled=False) == range(2)

    class Terminal(io.StringIO):
        def isatty(self):
            return True

        def fileno(self):
            return 2

    monkeypatch.setattr(os, "get_terminal_size", lambda fd: os.terminal_size((0, 0)))
    terminal = Terminal()
    assert progress_form(terminal) == "bar"
    bar = progress(range(5), 5, "epoch 1/1", stream=terminal)
    for _ in bar:
        bar.set_postfix(loss="0.5", img_s="10")
    bar.close()
    first = terminal.getvalue().split("\r")[1]
    assert first.startswith("epoch 1/1:   0%|") and first.endswith("| 0/5 [00:00<?, ?batch/s]")
    assert len(first) == 80                          # drawn 80 wide, not squeezed to nothing

    class Shell:                                   # what Jupyter's kernel runs
        pass
    Shell.__name__ = "ZMQInteractiveShell"
    fake = type(sys)("IPython")
    fake.get_ipython = Shell
    monkeypatch.setitem(sys.modules, "IPython", fake)
    import importlib.util
    found = importlib.util.find_spec("ipywidgets") is not None
    assert progress_form(terminal) == ("notebook" if found else "lines")


def test_train_prints_progress_lines_in_a_log(tmp_path):
    run = _cli("train", "--epochs", "1", "--no-plots", "--out", str(tmp_path / "run"),
               "--batch-size", "4", env=dict(os.environ, SCRATCHCNN_PROGRESS_SECONDS="0"))
    assert run.returncode == 0, run.stderr
    assert "step " in run.stderr and " img/s  ETA " in run.stderr and "loss " in run.stderr


# ============================================================ interrupts and pipes
@pytest.mark.parametrize("command", [
    ["summary", "alexnet", "--formulas"], ["params", "--mlp", "32x32x3:1000"],
    ["explain"], ["explain", "--dump-config"]])
def test_output_piped_into_head_ends_quietly(command):
    shell = subprocess.run(
        f"{sys.executable} -m scratchcnn {' '.join(command)} | head -n 1; "
        "exit ${PIPESTATUS[0]}", shell=True, executable="/bin/bash", capture_output=True,
        text=True)
    assert shell.returncode == 0 and shell.stderr == "", shell.stderr
    assert len(shell.stdout.splitlines()) == 1


def test_ctrl_c_stops_any_command_with_one_line_and_130(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "scratchcnn", "visualize", "--port", "0",
                                "--workdir", str(tmp_path)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    process.stdout.readline()                      # serving
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0 and "stopped" in out   # the server's own way to stop
    process = subprocess.Popen([sys.executable, "-m", "scratchcnn", "benchmark", "--size",
                                "tiny", "--threads", "1", "--no-torch", "--reps", "1000"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1] == "scratchcnn benchmark: interrupted", err
    assert "Traceback" not in err
