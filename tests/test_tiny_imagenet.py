"""Tiny ImageNet at full size (issue 14), on a small generated set with the same layout:
the decoded-image cache, the bilinear batch resize against Pillow, augmentations,
background workers, --max-steps, --data-dir, and image folders larger than memory."""

import importlib.util
import json
import mmap
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scratchcnn import cli, load
from scratchcnn import train as train_module
from scratchcnn import workflow
from scratchcnn.data import DataLoader, DatasetError, Subset, load_dataset
from scratchcnn.data import images as images_module
from scratchcnn.data import transforms as T
from scratchcnn.data.image_cache import CACHE_FOLDER
from scratchcnn.data.image_files import FileImages
from scratchcnn.data.resize import bilinear_weights, resize_bilinear
from scratchcnn.errors import ArgumentError, DTypeError, ShapeError

_BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "tiny_imagenet_full.py"
_spec = importlib.util.spec_from_file_location("tiny_imagenet_full", _BENCH)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

CLASSES, PER_CLASS, VAL = 3, 10, 6


@pytest.fixture
def tiny(tmp_path):
    """A generated tiny-imagenet-200 folder (the benchmark's generator, fewer images)."""
    return Path(bench.make_dataset(str(tmp_path), CLASSES, PER_CLASS, VAL, workers=2))


def pillow_pixels(path):
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB")).transpose(2, 0, 1)


def train_files(folder):
    return sorted(folder.glob("train/*/images/*.JPEG"))


# ---------------------------------------------------------------------- resize
def pillow_resize(batch, size):
    height, width = size
    if batch.dtype == np.uint8:
        return np.stack([np.asarray(Image.fromarray(np.ascontiguousarray(x.transpose(1, 2, 0)))
                                    .resize((width, height), Image.Resampling.BILINEAR))
                         .transpose(2, 0, 1) for x in batch])
    return np.stack([[np.asarray(Image.fromarray(channel).resize(
        (width, height), Image.Resampling.BILINEAR)) for channel in x] for x in batch])


@pytest.mark.parametrize("source, target", [((64, 64), (227, 227)), ((64, 64), (32, 48)),
                                            ((50, 37), (13, 91)), ((7, 5), (7, 11)),
                                            ((100, 3), (1, 1)), ((5, 200), (17, 3))])
def test_resize_matches_pillow_bilinear(source, target):
    rng = np.random.default_rng(sum(source + target))
    batch = rng.integers(0, 256, (3, 3, *source), dtype=np.uint8)
    out = resize_bilinear(batch, target)
    expected = pillow_resize(batch, target)
    assert out.dtype == np.uint8 and out.shape == (3, 3, *target)
    difference = np.abs(out.astype(int) - expected)
    assert difference.max() <= 1                       # within 1 grey level, always
    if target[0] >= source[0]:   # growing height: Pillow's pass order, float32 rounding only
        assert (difference > 0).mean() < 1e-3
    floats = resize_bilinear(batch.astype(np.float32), target)
    assert floats.dtype == np.float32
    np.testing.assert_allclose(floats, pillow_resize(batch.astype(np.float32), target),
                               rtol=1e-5, atol=1e-3)


def test_resize_weights_and_transform():
    weights = bilinear_weights(64, 227)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-12)
    assert weights.shape == (227, 64) and (np.count_nonzero(weights, axis=1) <= 2).all()
    # a constant image stays constant, the same size is a copy
    batch = np.full((2, 3, 64, 64), 77, dtype=np.uint8)
    assert (T.Resize(227)(batch) == 77).all()
    same = T.Resize((64, 64))(batch)
    assert same is not batch and np.array_equal(same, batch)
    assert repr(T.Resize(227)) == "Resize(size=(227, 227))"
    with pytest.raises(ArgumentError, match="size"):
        T.Resize(0)
    with pytest.raises(ShapeError, match=r"\(N, C, H, W\)"):
        T.Resize(8)(np.zeros((3, 8, 8), np.uint8))
    with pytest.raises(DTypeError, match="int32"):
        resize_bilinear(np.zeros((1, 1, 4, 4), np.int32), 8)


def test_guide_augmentations_on_native_images():
    rng = np.random.default_rng(0)
    batch = rng.integers(0, 256, (6, 3, 64, 64), dtype=np.uint8)
    crop = T.RandomCrop(56, padding=4)
    tops, lefts = crop.sample(6, 64, 64, np.random.default_rng(5))
    out = crop(batch, np.random.default_rng(5))
    padded = np.pad(batch, ((0, 0), (0, 0), (4, 4), (4, 4)))
    for i in range(6):   # naive loop over the images
        np.testing.assert_array_equal(out[i], padded[i, :, tops[i]:tops[i] + 56,
                                                     lefts[i]:lefts[i] + 56])
    flipped = T.RandomHorizontalFlip(p=1.0)(batch)
    np.testing.assert_array_equal(flipped, batch[..., ::-1])
    pipeline = T.Compose([T.RandomCrop(56, padding=4), T.RandomHorizontalFlip(),
                          T.Resize(227), T.ToFloat(), T.Normalize([0.5] * 3, [0.25] * 3)])
    result = pipeline(batch, np.random.default_rng(1))
    assert result.shape == (6, 3, 227, 227) and result.dtype == np.float32
    np.testing.assert_array_equal(result, pipeline(batch, np.random.default_rng(1)))


# ---------------------------------------------------------------------- the cache
def test_cache_built_once_then_reused(tiny, monkeypatch):
    train = load_dataset("tiny-imagenet", root=tiny.parent, image_size="original",
                         dtype="uint8")
    assert isinstance(train.images.base, mmap.mmap) and not train.images.flags.writeable
    assert train.images.shape == (CLASSES * PER_CLASS, 3, 64, 64)
    files = train_files(tiny)
    for k in (0, 7, len(files) - 1):      # the decoded pixels are Pillow's
        np.testing.assert_array_equal(train.images[k], pillow_pixels(files[k]))
    cache = tiny / CACHE_FOLDER
    index = json.loads((cache / "tiny-imagenet-train-64x64x3.json").read_text())
    assert index["count"] == len(files) and index["shape"] == [len(files), 3, 64, 64]
    assert not [p for p in os.listdir(cache) if p.startswith(".tmp-")]
    stamp = (cache / "tiny-imagenet-train-64x64x3.npy").stat().st_mtime_ns

    def no_decoding(*args, **kwargs):
        raise AssertionError("the cache should have been reused")
    monkeypatch.setattr(images_module, "read_images", no_decoding)
    again = load_dataset("tiny-imagenet", root=tiny, image_size="original", dtype="uint8")
    np.testing.assert_array_equal(again.images, train.images)
    assert (cache / "tiny-imagenet-train-64x64x3.npy").stat().st_mtime_ns == stamp
    # val and its alias test share one cache; float32 is converted from it
    monkeypatch.undo()
    val = load_dataset("tiny-imagenet", root=tiny, split="val", image_size="original")
    assert val.images.dtype == np.float32 and val.images.shape == (VAL, 3, 64, 64)
    monkeypatch.setattr(images_module, "read_images", no_decoding)
    test = load_dataset("tiny-imagenet", root=tiny, split="test", image_size="original",
                        dtype="uint8")
    np.testing.assert_array_equal(test.images / np.float32(255), val.images)


def test_cache_rebuilt_when_a_file_changes(tiny):
    load_dataset("tiny-imagenet", root=tiny, image_size="original", dtype="uint8")
    target = train_files(tiny)[4]
    Image.new("RGB", (64, 64), (200, 10, 30)).save(target, format="JPEG")
    os.utime(target, ns=(1, 1_000_000_000))      # a different size and modification time
    changed = load_dataset("tiny-imagenet", root=tiny, image_size="original", dtype="uint8")
    np.testing.assert_array_equal(changed.images[4], pillow_pixels(target))
    assert abs(int(changed.images[4, 0].mean()) - 200) < 5
    # one image more: the file list changed
    extra = target.parent / "zz_extra.JPEG"
    Image.new("RGB", (64, 64), (0, 0, 250)).save(extra, format="JPEG")
    grown = load_dataset("tiny-imagenet", root=tiny, image_size="original", dtype="uint8")
    assert len(grown) == CLASSES * PER_CLASS + 1
    np.testing.assert_array_equal(grown.images[list(train_files(tiny)).index(extra)],
                                  pillow_pixels(extra))


@pytest.mark.parametrize("defect", ["truncated", "garbage", "bomb"])
def test_bad_image_stops_the_build_naming_the_file(tiny, defect, monkeypatch):
    bad = train_files(tiny)[13]
    if defect == "truncated":
        bad.write_bytes(bad.read_bytes()[:300])
        pattern = "unreadable image"
    elif defect == "garbage":
        bad.write_bytes(b"\xff\xd8\xff not a jpeg at all")
        pattern = "unreadable image"
    else:
        monkeypatch.setattr(images_module, "MAX_PIXELS", 64 * 64 - 1)
        pattern = "decompression bomb"
    with pytest.raises(DatasetError, match=pattern) as info:
        load_dataset("tiny-imagenet", root=tiny, image_size="original", dtype="uint8")
    assert str(bad if defect != "bomb" else train_files(tiny)[0]) in str(info.value)
    cache = tiny / CACHE_FOLDER
    assert not (cache / "tiny-imagenet-train-64x64x3.json").exists()
    assert not [p for p in os.listdir(cache) if p.startswith(".tmp-")]


def test_cache_beside_a_read_only_folder_goes_to_the_data_cache(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("SCRATCHCNN_DATA", str(tmp_path / "data-cache"))
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) == tiny
                        else real_access(path, mode))
    val = load_dataset("tiny-imagenet", root=tiny, split="val", image_size="original",
                       dtype="uint8")
    assert not (tiny / CACHE_FOLDER).exists()
    assert len(list((tmp_path / "data-cache" / "decoded").glob("*/tiny-imagenet-val-*.npy"))) == 1
    assert val.images.shape == (VAL, 3, 64, 64)


# ---------------------------------------------------------------------- loading in the background
def test_workers_give_the_same_batches(tiny):
    train = load_dataset("tiny-imagenet", root=tiny, image_size="original", dtype="uint8")
    subset = Subset(train, np.arange(3, 28))
    pipeline = T.Compose([T.RandomCrop(56, padding=4), T.RandomHorizontalFlip(), T.Resize(227),
                          T.ToFloat(), T.Normalize([0.4, 0.5, 0.6], [0.2, 0.25, 0.3])])
    batches = {}
    for workers in (0, 2):
        loader = DataLoader(subset, batch_size=4, shuffle=True, seed=3, transform=pipeline,
                            num_workers=workers)
        batches[workers] = [(x.numpy(), y.numpy()) for _ in range(2) for x, y in loader]
    assert len(batches[0]) == 2 * 7
    for (x0, y0), (x2, y2) in zip(batches[0], batches[2]):
        assert x0.shape[1:] == (3, 227, 227)
        np.testing.assert_array_equal(x0, x2)
        np.testing.assert_array_equal(y0, y2)


def test_larger_than_memory_folder_decodes_per_batch(tiny, monkeypatch):
    cached = load_dataset("tiny-imagenet", root=tiny, image_size="original", dtype="uint8")
    monkeypatch.setattr(images_module, "memory_bytes", lambda: 1000)   # "larger than memory"
    streamed = load_dataset("tiny-imagenet", root=tiny, image_size="original", dtype="uint8")
    assert isinstance(streamed.images, FileImages)
    assert streamed.images.shape == cached.images.shape and streamed.images.dtype == np.uint8
    np.testing.assert_array_equal(streamed.images[[5, 2, 29]], cached.images[[5, 2, 29]])
    np.testing.assert_array_equal(streamed.images[3, 1], cached.images[3, 1])
    np.testing.assert_array_equal(streamed.images[27:], cached.images[27:])
    resize = T.Compose([T.Resize(96), T.ToFloat()])
    batches = [[x.numpy() for x, _ in DataLoader(ds, batch_size=8, shuffle=True, seed=1,
                                                 transform=resize, num_workers=2)]
               for ds in (cached, streamed)]
    for a, b in zip(*batches):
        np.testing.assert_array_equal(a, b)
    # a file that goes bad after the listing stops the batch naming it
    bad = train_files(tiny)[6]
    bad.write_bytes(b"broken")
    loader = DataLoader(streamed, batch_size=10, num_workers=2)
    with pytest.raises(DatasetError, match="unreadable image") as info:
        list(loader)
    assert str(bad) in str(info.value)


# ---------------------------------------------------------------------- the command
def run_cli(argv):
    return cli.main(["train", *argv, "--no-progress"])


def test_max_steps_data_dir_folder_and_resume(tiny, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(train_module, "REPORT_SECONDS", 0)    # a progress line every step
    out = tmp_path / "run"
    assert run_cli(["--data", "tiny-imagenet", "--data-dir", str(tiny), "--model", "tiny_vgg",
                    "--batch-size", "4", "--max-steps", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "stopped after 3 steps" in printed and "test accuracy" in printed
    assert "img/s  ETA" in printed and "step 3/3" in printed
    for name in ("last.npz", "best.npz", "metrics.csv", "curves.png", "confusion.png",
                 "filters.png", "feature_maps.png"):
        assert (out / name).exists(), name
    checkpoint = load(str(out / "last.npz"))
    # 27 training images, batch 4: 7 steps an epoch; stopped after 3 of epoch 1
    assert checkpoint["epoch"] == 0 and checkpoint["loader_state"]["batch"] == 3
    assert len(checkpoint["history"]) == 1 and checkpoint["history"][0]["epoch"] == 1
    # --resume: the count starts again; the epoch is finished (4 steps), then one more
    assert run_cli(["--resume", str(out / "last.npz"), "--data-dir", str(tiny),
                    "--max-steps", "5"]) == 0
    checkpoint = load(str(out / "last.npz"))
    assert checkpoint["epoch"] == 1 and checkpoint["loader_state"]["batch"] == 1
    assert [row["epoch"] for row in checkpoint["history"]] == [1, 2]


def test_alexnet_on_native_images_resized_per_batch(tiny, tmp_path, capsys):
    out = tmp_path / "alexnet"
    assert run_cli(["--data", "tiny-imagenet", "--data-dir", str(tiny.parent), "--model",
                    "alexnet_tiny_imagenet", "--batch-size", "4", "--max-steps", "1",
                    "--no-plots", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "images of 3x227x227 (stored at 3x64x64, resized per batch)" in printed
    checkpoint = load(str(out / "last.npz"))
    assert checkpoint["input_size"] == [3, 227, 227]
    result, _ = workflow.evaluate_checkpoint(str(out / "last.npz"), data_dir=str(tiny))
    assert result["count"] == VAL


@pytest.mark.parametrize("value", ["0", "-2", "x"])
def test_max_steps_must_be_a_positive_integer(value, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["train", "--max-steps", value])
    assert info.value.code == 2
    assert "--max-steps" in capsys.readouterr().err
    with pytest.raises(ArgumentError, match="max_steps must be a positive integer"):
        workflow.train(max_steps=0)
