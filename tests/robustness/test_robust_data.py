"""Data sets and image files: too few classes, empty folders, forged sizes, bombs."""

import struct
import zlib

import pytest
from PIL import Image

import scratchcnn as sc
from scratchcnn import workflow
from scratchcnn.data import DatasetError, load_dataset
from scratchcnn.data.idx import read_idx

from .support import assert_clean_error, checkpoint_dict, cli


def _images(folder, count):
    folder.mkdir(parents=True)
    for i in range(count):
        Image.new("RGB", (8, 8), (i * 40, 0, 0)).save(folder / f"{i}.png")


def test_an_image_folder_with_one_class_is_refused(tmp_path):
    _images(tmp_path / "cats", 4)
    with pytest.raises(DatasetError, match="at least two classes"):
        load_dataset("image-folder", root=tmp_path, split="all")


def test_an_empty_class_folder_is_refused(tmp_path):
    _images(tmp_path / "cats", 4)
    _images(tmp_path / "dogs", 0)
    with pytest.raises(DatasetError, match="empty class folder"):
        load_dataset("image-folder", root=tmp_path, split="all")


def _idx(path, dims, payload=b""):
    path.write_bytes(bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
                     + payload)
    return path


def test_idx_sizes_that_overflow_int64_are_refused(tmp_path):
    path = _idx(tmp_path / "x.idx", [0xFFFFFFFF] * 3, b"\0" * 16)
    with pytest.raises(DatasetError, match="size mismatch"):
        read_idx(path)


def test_idx_with_no_images_is_refused(tmp_path):
    with pytest.raises(DatasetError, match="0 items"):
        read_idx(_idx(tmp_path / "x.idx", [0, 28, 28]))


def _bomb(path, width, height):
    """A tiny PNG that declares ``width`` x ``height`` pixels."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    return path


def test_predict_refuses_a_decompression_bomb(tmp_path):
    checkpoint = tmp_path / "model.npz"
    sc.save(checkpoint_dict(), checkpoint)
    bomb = _bomb(tmp_path / "bomb.png", 100_000, 100_000)
    assert_clean_error(cli("predict", checkpoint, bomb), "decompression bomb")
    below_pillows_own_limit = _bomb(tmp_path / "bomb2.png", 10_000, 10_000)
    with pytest.raises(DatasetError, match="decompression bomb"):
        workflow.read_image(below_pillows_own_limit, [1, 8, 8])


def test_a_checkpoint_input_size_is_costed_before_allocation(tmp_path):
    checkpoint = checkpoint_dict()
    checkpoint["input_size"] = [1, 16000, 16000]
    path = tmp_path / "big.npz"
    sc.save(checkpoint, path)
    with pytest.raises(sc.serialization.CheckpointError, match="input"):
        workflow.load_model(path)
