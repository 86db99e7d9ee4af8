"""sc.save / sc.load: round trips, atomic writes, and refusal of pickles and corrupt files."""

import os
import pickle

import numpy as np
import pytest

import scratchcnn as sc
from scratchcnn import models
from scratchcnn.serialization import CheckpointError


def test_state_dict_round_trip_restores_identical_outputs(tmp_path):
    model = models.digits_cnn()
    path = tmp_path / "model.npz"
    sc.save(model.state_dict(), path)
    other = models.digits_cnn()
    other.load_state_dict(sc.load(path))
    x = sc.randn(4, 1, 8, 8)
    np.testing.assert_array_equal(model(x).numpy(), other(x).numpy())
    assert list(sc.load(path)) == list(model.state_dict())   # order kept


def test_nested_checkpoint_round_trip_keeps_types(tmp_path):
    model = models.digits_cnn()
    optimizer = sc.optim.Adam(model.parameters(), lr=0.01)
    loss = model(sc.randn(2, 1, 8, 8)).sum()
    loss.backward()
    optimizer.step()
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                  "epoch": 3, "classes": ["0", "1"], "mean": (0.5,), "rng": sc.get_rng_state(),
                  "history": [{"loss": 0.25, "accuracy": None}], "flag": True,
                  "scalar": np.float32(1.5)}
    sc.save(checkpoint, tmp_path / "ck.npz")
    loaded = sc.load(tmp_path / "ck.npz")
    assert loaded["epoch"] == 3 and loaded["classes"] == ["0", "1"] and loaded["flag"] is True
    assert loaded["mean"] == (0.5,) and loaded["scalar"] == 1.5
    assert loaded["history"] == [{"loss": 0.25, "accuracy": None}]
    assert set(loaded["optimizer"]["state"]) == set(optimizer.state_dict()["state"])  # int keys
    state0 = loaded["optimizer"]["state"][0]
    np.testing.assert_array_equal(state0["exp_avg"], optimizer.state_dict()["state"][0]["exp_avg"])
    assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    fresh = sc.optim.Adam(models.digits_cnn().parameters(), lr=0.5)
    fresh.load_state_dict(loaded["optimizer"])          # loads back into an optimizer
    assert fresh.param_groups[0]["lr"] == 0.01
    sc.set_rng_state(loaded["rng"])


def test_bare_name_is_written_exactly(tmp_path):
    sc.save({"a": np.ones(2)}, tmp_path / "weights")
    assert os.listdir(tmp_path) == ["weights"]       # np.savez would have added ".npz"


def test_failed_save_keeps_the_previous_file(tmp_path):
    path = tmp_path / "ck.npz"
    sc.save({"epoch": 1}, path)
    with pytest.raises(TypeError, match="cannot save object"):
        sc.save({"epoch": 2, "bad": object()}, path)
    assert sc.load(path) == {"epoch": 1}
    assert os.listdir(tmp_path) == ["ck.npz"]         # no temporary file left behind


def test_pickled_content_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, payload=np.array([{"x": 1}], dtype=object),
             __metadata__=np.frombuffer(b'{"format": "scratchcnn-npz", "version": 1, '
                                        b'"tree": {"p": {"__array__": "payload"}}}', np.uint8))
    with pytest.raises(CheckpointError, match="pickle"):
        sc.load(path)
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(CheckpointError):
        sc.load(raw)


def test_corrupt_truncated_and_foreign_files_raise_clearly(tmp_path):
    path = tmp_path / "ck.npz"
    sc.save(models.digits_cnn().state_dict(), path)
    data = path.read_bytes()
    (tmp_path / "truncated.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated.npz"):
        sc.load(tmp_path / "truncated.npz")
    np.savez(tmp_path / "plain.npz", a=np.ones(2))
    with pytest.raises(CheckpointError, match="not a scratchcnn file"):
        sc.load(tmp_path / "plain.npz")
    with pytest.raises(FileNotFoundError):
        sc.load(tmp_path / "missing.npz")


def test_loading_into_a_different_architecture_lists_mismatches(tmp_path):
    sc.save(models.digits_cnn().state_dict(), tmp_path / "d.npz")
    with pytest.raises(ValueError) as error:
        models.mnist_cnn().load_state_dict(sc.load(tmp_path / "d.npz"))
    assert "size mismatch for 9.weight" in str(error.value)
    assert "(10, 64)" in str(error.value) and "(10, 128)" in str(error.value)
