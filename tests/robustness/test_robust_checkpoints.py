"""Damaged and forged checkpoints fail with CheckpointError only, never anything else."""

import io
import json
import os
import struct
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scratchcnn as sc
from scratchcnn import workflow
from scratchcnn.serialization import CheckpointError

from .support import assert_clean_error, checkpoint_dict, cli, write_archive


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    path = tmp_path_factory.mktemp("good") / "last.npz"
    sc.save(checkpoint_dict(), path)
    return path


def _weight(checkpoint):
    value = checkpoint["model_state"]["0.weight"]
    return np.array(getattr(value, "_array", value))


def _forge(tmp_path, change):
    checkpoint = checkpoint_dict()
    change(checkpoint)
    path = tmp_path / "forged.npz"
    sc.save(checkpoint, path)
    return path


def test_the_good_checkpoint_loads(good):
    model, checkpoint = workflow.load_model(good)
    assert checkpoint["classes"][3] == "3" and not model.training


FORGERIES = {
    "complex weights": lambda c: c["model_state"].update(
        {"0.weight": _weight(c) * (1 + 1j)}),
    "string weights": lambda c: c["model_state"].update(
        {"0.weight": np.array(["a", "b"])}),
    "a weight that is a number": lambda c: c["model_state"].update({"0.bias": 3}),
    "wrong weight shape": lambda c: c["model_state"].update(
        {"0.bias": np.zeros(7, np.float32)}),
    "missing weight": lambda c: c["model_state"].pop("0.bias"),
    "huge num_classes": lambda c: c.update(model_config={"num_classes": 10 ** 12}),
    "num_classes a string": lambda c: c.update(model_config={"num_classes": "ten"}),
    "unknown config key": lambda c: c.update(model_config={"num_classes": 10, "depth": 3}),
    "config not a dict": lambda c: c.update(model_config=[10]),
    "class names do not match": lambda c: c.update(classes=["a", "b"]),
    "huge input_size": lambda c: c.update(input_size=[1, 10 ** 6, 10 ** 6]),
    "input_size of strings": lambda c: c.update(input_size=["1", "8", "8"]),
    "negative input_size": lambda c: c.update(input_size=[1, -8, 8]),
    "unknown model": lambda c: c.update(model_name="resnet9000"),
    "model name not a string": lambda c: c.update(model_name=["digits_cnn"]),
    "no model_state": lambda c: c.pop("model_state"),
    "model_state a list": lambda c: c.update(model_state=[1, 2]),
    "std zero": lambda c: c.update(preprocessing={"mean": [0.3], "std": [0.0]}),
    "preprocessing of strings": lambda c: c.update(preprocessing={"mean": "x", "std": "y"}),
    "NaN weights": lambda c: c["model_state"].update({"0.weight": _weight(c) * np.nan}),
}


@pytest.mark.parametrize("name", FORGERIES)
def test_forged_fields_raise_checkpoint_error(tmp_path, name):
    path = _forge(tmp_path, FORGERIES[name])
    with pytest.raises(CheckpointError) as error:
        workflow.load_model(path)
    assert str(path) in str(error.value)


def _nested(depth):
    tree = []
    for _ in range(depth):
        tree = [tree]
    return tree


def _metadata(path):
    with np.load(path) as archive:
        return json.loads(archive["__metadata__"].tobytes()), {
            k: archive[k] for k in archive.files if k != "__metadata__"}


TREE_FORGERIES = {
    "not an object": lambda m: [1, 2],
    "no tree": lambda m: {"format": m["format"], "version": 1},
    "unknown version": lambda m: dict(m, version=99),
    "version a string": lambda m: dict(m, version="1"),
    "version negative": lambda m: dict(m, version=-1),
    "dangling reference": lambda m: dict(m, tree={"w": {"__array__": "nowhere"}}),
    "reference not a string": lambda m: dict(m, tree={"w": {"__tensor__": [1]}}),
    "items not pairs": lambda m: dict(m, tree={"__items__": [[1, 2, 3]]}),
    "unhashable key": lambda m: dict(m, tree={"__items__": [[[1], 2]]}),
    "tuple not a list": lambda m: dict(m, tree={"__tuple__": 5}),
    "deep nesting": lambda m: dict(m, tree=_nested(500)),
    "wrong format": lambda m: dict(m, format="pytorch"),
}


@pytest.mark.parametrize("name", TREE_FORGERIES)
def test_forged_metadata_raises_checkpoint_error(tmp_path, good, name):
    metadata, arrays = _metadata(good)
    path = write_archive(tmp_path / "forged.npz", TREE_FORGERIES[name](metadata), arrays)
    with pytest.raises(CheckpointError):
        sc.load(path)


def test_very_deep_json_is_refused(tmp_path):
    path = write_archive(tmp_path / "deep.npz", b"[" * 200_000 + b"]" * 200_000)
    with pytest.raises(CheckpointError):
        sc.load(path)


def test_missing_archive_member(tmp_path, good):
    metadata, arrays = _metadata(good)
    arrays.pop("model_state/0.weight")
    path = write_archive(tmp_path / "missing.npz", metadata, arrays)
    with pytest.raises(CheckpointError, match="does not hold"):
        sc.load(path)


def test_pickled_member_is_refused(tmp_path, good):
    metadata, arrays = _metadata(good)
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    path = tmp_path / "pickle.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__metadata__.npy", _npy(np.frombuffer(json.dumps(metadata).encode(),
                                                                np.uint8)))
        archive.writestr("evil.npy", buffer.getvalue())
    with pytest.raises(CheckpointError, match="pickled"):
        sc.load(path)


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_a_header_declaring_more_data_than_the_file_holds(tmp_path, good):
    """A member whose .npy header announces 10**12 floats, in a file of a few bytes: refused
    by arithmetic before anything is allocated."""
    metadata, _ = _metadata(good)
    metadata["tree"] = {"w": {"__array__": "w"}}
    header = _npy(np.zeros(4, np.float32))[:-16].replace(b"(4,)", b"(1000000000000,)")
    header = header[:8] + struct.pack("<H", len(header) - 10) + header[10:]
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__metadata__.npy", _npy(np.frombuffer(json.dumps(metadata).encode(),
                                                                np.uint8)))
        archive.writestr("w.npy", header + b"\0" * 16)
    with pytest.raises(CheckpointError, match="declares shape"):
        sc.load(path)


@settings(max_examples=60)
@given(data=st.data())
def test_fuzzed_archive_bytes_fail_only_with_checkpoint_error(good, tmp_path_factory, data):
    raw = bytearray(good.read_bytes())
    kind = data.draw(st.sampled_from(["truncate", "flip", "splice"]))
    if kind == "truncate":
        raw = raw[:data.draw(st.integers(0, len(raw) - 1))]
    elif kind == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            raw[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
    else:
        at = data.draw(st.integers(0, len(raw)))
        raw[at:at] = data.draw(st.binary(min_size=1, max_size=64))
    path = tmp_path_factory.mktemp("fuzz") / "last.npz"
    path.write_bytes(bytes(raw))
    try:
        workflow.load_model(path)
    except CheckpointError:
        pass


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(["__array__", "__tensor__", "__items__",
                                                       "__tuple__", "model_state", "epoch",
                                                       "model_name", "model_config",
                                                       "classes", "input_size", "w"]),
                                      inner, max_size=4), max_leaves=20)


@settings(max_examples=80)
@given(tree=JSON, version=st.one_of(st.just(1), JSON))
def test_fuzzed_metadata_fails_only_with_checkpoint_error(tmp_path_factory, tree, version):
    path = write_archive(tmp_path_factory.mktemp("meta") / "x.npz",
                         {"format": "scratchcnn-npz", "version": version, "tree": tree},
                         {"w": np.zeros(3, np.float32)})
    try:
        workflow.load_model(path)
    except CheckpointError:
        pass


def test_evaluate_and_predict_name_non_finite_weights(tmp_path):
    path = _forge(tmp_path, FORGERIES["NaN weights"])
    image = tmp_path / "x.png"
    from PIL import Image
    Image.new("L", (8, 8)).save(image)
    for run in (cli("evaluate", path), cli("predict", path, image)):
        assert_clean_error(run, "0.weight", "NaN")
        assert run.stderr.startswith("scratchcnn")


def test_cli_reports_a_damaged_checkpoint_in_one_line(tmp_path, good):
    path = tmp_path / "cut.npz"
    path.write_bytes(good.read_bytes()[:-100])
    assert_clean_error(cli("evaluate", path), str(path))
    os.unlink(path)
