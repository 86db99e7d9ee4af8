"""Data sets and the DataLoader.

Real data: scikit-learn's digits, and Fashion-MNIST from Debian's dataset-fashion-mnist
(/usr/share/datasets/fashion-mnist); those tests skip when the files are missing, except
with CI=true where they fail. Small IDX, CIFAR-10, image-folder and Tiny ImageNet files are
written here byte by byte in their exact formats, with corrupt and truncated variants.
"""

import gzip
import json
import os
import struct

import numpy as np
import pytest

import scratchcnn as sc
from scratchcnn.data import (
    CIFAR10_CLASSES, FASHION_MNIST_CLASSES, DataLoader, Dataset, DatasetError,
    DatasetNotFoundError, DownloadError, LoadedDataset, TensorDataset, datasets, download,
    downloads, load_dataset, transforms as T,
)
from scratchcnn.data.downloads import download_file, sha256_of
from scratchcnn.errors import ArgumentError, ShapeError

FASHION_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


@pytest.fixture(autouse=True)
def _empty_cache(tmp_path, monkeypatch):
    """Never read (or write) the user's real cache folder."""
    monkeypatch.setenv("SCRATCHCNN_DATA", str(tmp_path / "cache"))


# ====================================================================== DataLoader
def labelled(n, c=1, h=2, w=2):
    """Images whose pixels encode their index, labels = index (uint8, to check the cast)."""
    x = np.repeat(np.arange(n, dtype=np.float32), c * h * w).reshape(n, c, h, w)
    return TensorDataset(x, np.arange(n, dtype=np.uint8 if n <= 256 else np.int64))


def epoch_labels(loader):
    return [labels.numpy().tolist() for _, labels in loader]


@pytest.mark.parametrize("n", [0, 1, 7, 10, 64])
@pytest.mark.parametrize("batch_size", [1, 3, 10, 100])
@pytest.mark.parametrize("drop_last", [False, True])
def test_loader_len_and_batch_sizes(n, batch_size, drop_last):
    loader = DataLoader(labelled(n), batch_size=batch_size, drop_last=drop_last)
    full, rest = divmod(n, batch_size)
    expected = [batch_size] * full + ([rest] if rest and not drop_last else [])
    assert len(loader) == len(expected)
    assert [len(labels) for _, labels in loader] == expected


def test_loader_yields_float_images_and_int64_labels_as_tensors():
    images, labels = next(iter(DataLoader(labelled(10, c=3, h=4, w=5), batch_size=4)))
    assert isinstance(images, sc.Tensor) and isinstance(labels, sc.Tensor)
    assert images.shape == (4, 3, 4, 5) and images.dtype == np.float32
    assert labels.dtype == np.int64 and labels.tolist() == [0, 1, 2, 3]


def test_loader_keeps_uint8_images_and_casts_labels():
    x = np.arange(4 * 9, dtype=np.uint8).reshape(4, 1, 3, 3)
    images, labels = next(iter(DataLoader(TensorDataset(x, np.arange(4, dtype=np.int32)),
                                          batch_size=4)))
    assert images.dtype == np.uint8 and labels.dtype == np.int64
    images, _ = next(iter(DataLoader(TensorDataset(x, np.arange(4)), batch_size=4,
                                     transform=T.ToFloat())))
    np.testing.assert_array_equal(images.numpy(), x / np.float32(255))


def test_loader_without_shuffle_serves_in_order():
    loader = DataLoader(labelled(10), batch_size=4)
    assert epoch_labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    for images, labels in loader:     # images travel with their labels
        np.testing.assert_array_equal(images.numpy()[:, 0, 0, 0], labels.numpy())


def test_shuffle_serves_every_item_once_per_epoch_in_a_new_order():
    loader = DataLoader(labelled(50), batch_size=8, shuffle=True, seed=0)
    orders = []
    for epoch in range(4):
        batches = list(loader)
        order = np.concatenate([labels.numpy() for _, labels in batches])
        for images, labels in batches:
            np.testing.assert_array_equal(images.numpy()[:, 0, 0, 0], labels.numpy())
        assert sorted(order.tolist()) == list(range(50))
        np.testing.assert_array_equal(order, loader.order(epoch))
        orders.append(order.tolist())
    assert len({tuple(o) for o in orders}) == 4
    assert orders[0] != list(range(50))
    assert loader.epoch == 4


def test_shuffle_is_deterministic_per_seed():
    def run(seed):
        loader = DataLoader(labelled(30), batch_size=7, shuffle=True, seed=seed)
        return [epoch_labels(loader) for _ in range(3)]
    assert run(5) == run(5)
    assert run(5) != run(6)


def test_seed_none_follows_manual_seed():
    def run():
        loader = DataLoader(labelled(30), batch_size=7, shuffle=True)
        return [epoch_labels(loader) for _ in range(2)]
    sc.manual_seed(3)
    first = run()
    sc.manual_seed(3)
    assert run() == first
    sc.manual_seed(4)
    assert run() != first


def test_no_shuffle_no_transform_leaves_the_global_generator_alone():
    sc.manual_seed(0)
    expected = sc.rand(3).tolist()
    sc.manual_seed(0)
    loader = DataLoader(labelled(9), batch_size=4)
    list(loader)
    loader.state_dict()
    assert sc.rand(3).tolist() == expected


def batches_of(loader):
    return [(x.numpy().copy(), y.numpy().copy()) for x, y in loader]


def assert_same_batches(a, b):
    assert len(a) == len(b)
    for (xa, ya), (xb, yb) in zip(a, b):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


@pytest.mark.parametrize("with_transform", [False, True])
def test_state_dict_resumes_mid_epoch_with_the_same_batches(with_transform):
    ds = TensorDataset(np.random.default_rng(0).random((21, 1, 4, 4), dtype=np.float32),
                       np.arange(21))
    transform = (T.Compose([T.RandomCrop(4, padding=1), T.RandomHorizontalFlip()])
                 if with_transform else None)

    def make(seed):
        return DataLoader(ds, batch_size=4, shuffle=True, seed=seed, transform=transform)
    reference = make(7)
    expected = [batches_of(reference) for _ in range(3)]

    original = make(7)
    batches_of(original)                      # epoch 0
    served = []
    for step, (x, y) in enumerate(original):  # epoch 1: checkpoint after 2 batches
        served.append((x.numpy().copy(), y.numpy().copy()))
        if step == 1:
            state = json.loads(json.dumps(original.state_dict()))   # JSON-ready
            break
    assert state["epoch"] == 1 and state["batch"] == 2
    assert_same_batches(served, expected[1][:2])

    resumed = make(None)                      # the seed comes from the state
    resumed.load_state_dict(state)
    assert_same_batches(batches_of(resumed), expected[1][2:])
    assert_same_batches(batches_of(resumed), expected[2])


def test_state_dict_at_epoch_end_resumes_with_the_next_epoch():
    reference = DataLoader(labelled(20), batch_size=6, shuffle=True, seed=1)
    expected = [epoch_labels(reference) for _ in range(3)]
    original = DataLoader(labelled(20), batch_size=6, shuffle=True, seed=1)
    list(original)
    list(original)
    state = original.state_dict()
    assert (state["epoch"], state["batch"]) == (2, 0)
    resumed = DataLoader(labelled(20), batch_size=6, shuffle=True, seed=99)
    resumed.load_state_dict(state)
    assert epoch_labels(resumed) == expected[2]


def test_state_dict_inside_the_last_batch_points_to_the_next_epoch():
    loader = DataLoader(labelled(8), batch_size=4, shuffle=True, seed=0)
    for _ in loader:
        state = loader.state_dict()
    assert (state["epoch"], state["batch"]) == (1, 0)


def test_loader_state_survives_a_checkpoint_file(tmp_path):
    loader = DataLoader(labelled(20), batch_size=6, shuffle=True)
    list(loader)
    sc.save({"loader_state": loader.state_dict()}, tmp_path / "ckpt.npz")
    expected = epoch_labels(loader)
    resumed = DataLoader(labelled(20), batch_size=6, shuffle=True)
    resumed.load_state_dict(sc.load(tmp_path / "ckpt.npz")["loader_state"])
    assert epoch_labels(resumed) == expected


def test_breaking_out_of_an_epoch_starts_the_next_one():
    loader = DataLoader(labelled(20), batch_size=5, shuffle=True, seed=2)
    for _ in loader:
        break
    assert loader.state_dict()["epoch"] == 1
    assert np.concatenate(epoch_labels(loader)).tolist() == loader.order(1).tolist()


def test_load_state_dict_rejects_a_state_of_other_data():
    state = DataLoader(labelled(20), batch_size=5, shuffle=True, seed=0).state_dict()
    with pytest.raises(ArgumentError, match="num_samples=20"):
        DataLoader(labelled(21), batch_size=5, shuffle=True).load_state_dict(state)
    with pytest.raises(ArgumentError, match="batch_size=5"):
        DataLoader(labelled(20), batch_size=4, shuffle=True).load_state_dict(state)
    with pytest.raises(ArgumentError, match="not a DataLoader state_dict"):
        DataLoader(labelled(20), batch_size=5).load_state_dict({"epoch": 1})


def test_loader_indexes_whole_batches_not_items(monkeypatch):
    def no_items(self, index):
        raise AssertionError("per-item __getitem__ in the loader's hot path")
    monkeypatch.setattr(TensorDataset, "__getitem__", no_items)
    monkeypatch.setattr(LoadedDataset, "__getitem__", no_items)
    assert len(epoch_labels(DataLoader(labelled(50), batch_size=8, shuffle=True, seed=0))) == 7
    digits = load_dataset("digits", split="test")
    assert sum(len(y) for _, y in DataLoader(digits, batch_size=64, shuffle=True, seed=0)) == 360


def test_loader_accepts_a_per_item_dataset():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.full((1, 2, 2), i * i, np.float32), i

    images, labels = next(iter(DataLoader(Squares(), batch_size=5)))
    assert images.shape == (5, 1, 2, 2) and labels.tolist() == [0, 1, 2, 3, 4]
    assert images.numpy()[:, 0, 0, 0].tolist() == [0, 1, 4, 9, 16]


def test_tensor_dataset_checks_lengths_and_accepts_tensors():
    with pytest.raises(ShapeError, match=r"\[3, 4\]"):
        TensorDataset(np.zeros((3, 1)), np.zeros(4))
    ds = TensorDataset(sc.zeros(4, 1, 2, 2), sc.tensor([0, 1, 2, 3]))
    assert len(ds) == 4 and isinstance(ds.arrays[0], np.ndarray)


def test_loader_argument_errors():
    with pytest.raises(ArgumentError, match="batch_size"):
        DataLoader(labelled(4), batch_size=0)
    with pytest.raises(ArgumentError, match="seed"):
        DataLoader(labelled(4), seed=-1)
    with pytest.raises(ArgumentError, match="transform"):
        DataLoader(labelled(4), transform="flip")


# ====================================================================== digits
def test_digits_counts_shapes_and_values():
    train, test = load_dataset("digits"), load_dataset("digits", split="test")
    assert (len(train), len(test)) == (1437, 360)
    for part in (train, test):
        assert part.images.shape[1:] == (1, 8, 8) and part.images.dtype == np.float32
        assert part.labels.dtype == np.int64
        assert part.images.min() == 0.0 and part.images.max() == 1.0
        assert part.classes == [str(d) for d in range(10)] and part.name == "digits"
    assert (train.split, test.split) == ("train", "test")
    # pixels are the raw 0..16 values / 16
    assert set(np.unique(train.images * 16).tolist()) <= set(range(17))


def test_digits_split_is_sklearns_stratified_80_20():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        bunch.images, bunch.target, test_size=0.2, stratify=bunch.target, random_state=0)
    train, test = load_dataset("digits"), load_dataset("digits", split="test")
    np.testing.assert_array_equal(train.images[:, 0] * 16, x_train)
    np.testing.assert_array_equal(test.labels, y_test)
    totals = np.bincount(bunch.target, minlength=10)
    per_train = np.bincount(train.labels, minlength=10)
    per_test = np.bincount(test.labels, minlength=10)
    np.testing.assert_array_equal(per_train + per_test, totals)
    # each class's share is the same in both splits, to within one sample
    assert np.all(np.abs(per_test - totals * 360 / 1797) <= 1)
    assert np.all(np.abs(per_train - totals * 1437 / 1797) <= 1)


def test_load_dataset_argument_errors():
    with pytest.raises(ArgumentError, match="fashion-mnist"):
        load_dataset("imagenet")
    with pytest.raises(ArgumentError, match="no split 'val'"):
        load_dataset("digits", split="val")
    with pytest.raises(ArgumentError, match="float32 only"):
        load_dataset("digits", dtype="uint8")
    with pytest.raises(ArgumentError, match="image_size"):
        load_dataset("mnist", image_size=32)
    with pytest.raises(ArgumentError, match="float32 or uint8"):
        load_dataset("digits", dtype="float64")


def test_dataset_names_match_the_workflow_defaults():
    from scratchcnn.workflow import DATA_DEFAULTS
    assert tuple(DATA_DEFAULTS) == datasets.DATASET_NAMES
    assert datasets._canonical_name("Fashion_MNIST") == "fashion-mnist"
    assert datasets._canonical_name("CIFAR-10") == "cifar10"


# ====================================================================== Fashion-MNIST (real)
@pytest.fixture(scope="module")
def fashion_dir():
    missing = [f for f in FASHION_FILES if not os.path.isfile(os.path.join(FASHION_DIR, f))]
    if missing:
        message = (f"Fashion-MNIST files missing from {FASHION_DIR}: {', '.join(missing)} "
                   "(sudo apt-get install dataset-fashion-mnist)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true requires the real data: " + message)
        pytest.skip(message)
    return FASHION_DIR


@pytest.fixture(scope="module")
def fashion_train(fashion_dir):
    return load_dataset("fashion-mnist", root=fashion_dir, split="train")


def test_fashion_mnist_train(fashion_train):
    train = fashion_train
    assert len(train) == 60000 and train.images.shape == (60000, 1, 28, 28)
    assert train.images.dtype == np.float32 and train.labels.dtype == np.int64
    assert train.images.min() == 0.0 and train.images.max() == 1.0
    assert train.classes == ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                             "Shirt", "Sneaker", "Bag", "Ankle boot"]
    assert np.bincount(train.labels).tolist() == [6000] * 10
    assert 0.25 < float(train.images.mean()) < 0.32     # Fashion-MNIST's mean pixel is 0.286


def test_fashion_mnist_test_split_and_uint8(fashion_dir):
    test = load_dataset("fashion-mnist", root=fashion_dir, split="test")
    raw = load_dataset("fashion-mnist", root=fashion_dir, split="test", dtype="uint8")
    assert test.images.shape == (10000, 1, 28, 28)
    assert np.bincount(test.labels).tolist() == [1000] * 10
    assert raw.images.dtype == np.uint8 and raw.images.flags.writeable
    np.testing.assert_array_equal(T.ToFloat()(raw.images), test.images)
    np.testing.assert_array_equal(raw.labels, test.labels)


def test_fashion_mnist_found_in_the_system_folder_without_root(fashion_dir):
    test = load_dataset("fashion_mnist", split="test")      # cache empty -> Debian's folder
    assert len(test) == 10000 and test.classes == FASHION_MNIST_CLASSES


def test_fashion_mnist_batches_through_the_loader(fashion_train):
    loader = DataLoader(fashion_train, batch_size=1000, shuffle=True, seed=0,
                        transform=T.Compose([T.RandomCrop(28, padding=4),
                                             T.RandomHorizontalFlip(),
                                             T.Normalize([0.286], [0.353])]))
    counts = np.zeros(10, np.int64)
    for images, labels in loader:
        assert images.shape == (1000, 1, 28, 28) and images.dtype == np.float32
        counts += np.bincount(labels.numpy(), minlength=10)
    assert counts.tolist() == [6000] * 10


def test_missing_fashion_mnist_says_which_files_go_where(tmp_path, monkeypatch):
    monkeypatch.setitem(datasets.SYSTEM_DIRS, "fashion-mnist", (str(tmp_path / "nowhere"),))
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset("fashion-mnist")
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, ValueError)
    for text in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte.gz",
                 str(tmp_path / "cache" / "fashion-mnist"), str(tmp_path / "nowhere"),
                 "apt-get install dataset-fashion-mnist", "scratchcnn.data.download("]:
        assert text in message


# ====================================================================== IDX files (written here)
def idx_bytes(array, code=0x08):
    """An IDX file: magic (0, 0, type code, ndim), big-endian uint32 dims, C-order values."""
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array).tobytes()


def write(path, data, gz=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def small_mnist(folder, n=12, gz=True, split="train", names=None):
    rng = np.random.default_rng(n)
    images = rng.integers(0, 256, (n, 5, 4), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    prefix = "train" if split == "train" else "t10k"
    image_name, label_name = names or (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
    suffix = ".gz" if gz else ""
    write(folder / (image_name + suffix), idx_bytes(images), gz)
    write(folder / (label_name + suffix), idx_bytes(labels), gz)
    return images, labels


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("split", ["train", "test"])
def test_idx_files_gzipped_or_not(tmp_path, gz, split):
    images, labels = small_mnist(tmp_path, gz=gz, split=split)
    ds = load_dataset("mnist", root=tmp_path, split=split)
    assert ds.images.shape == (12, 1, 5, 4) and ds.images.dtype == np.float32
    np.testing.assert_array_equal(ds.images[:, 0], images.astype(np.float32) / np.float32(255))
    assert ds.labels.dtype == np.int64 and ds.labels.tolist() == labels.tolist()
    assert ds.classes == [str(d) for d in range(10)]
    raw = load_dataset("mnist", root=tmp_path, split=split, dtype="uint8")
    np.testing.assert_array_equal(raw.images[:, 0], images)


def test_idx_files_in_other_common_layouts(tmp_path):
    images, _ = small_mnist(tmp_path / "a", names=("train-images.idx3-ubyte",
                                                   "train-labels.idx1-ubyte"), gz=False)
    np.testing.assert_array_equal(load_dataset("mnist", root=tmp_path / "a", dtype="uint8")
                                  .images[:, 0], images)
    images, _ = small_mnist(tmp_path / "b" / "FashionMNIST" / "raw")   # torchvision's layout
    ds = load_dataset("fashion-mnist", root=tmp_path / "b", dtype="uint8")
    np.testing.assert_array_equal(ds.images[:, 0], images)
    assert ds.classes == FASHION_MNIST_CLASSES
    images, _ = small_mnist(tmp_path / "cache" / "mnist", n=7)          # the cache folder
    assert len(load_dataset("mnist")) == 7


def corrupt_case(tmp_path, kind):
    """Write a train split with one defect; returns the file the error must name."""
    images = np.zeros((4, 3, 3), np.uint8)
    labels = np.arange(4, dtype=np.uint8)
    image_path = tmp_path / "train-images-idx3-ubyte"
    label_path = tmp_path / "train-labels-idx1-ubyte"
    image_data, label_data = idx_bytes(images), idx_bytes(labels)
    if kind == "bad magic":
        image_data = b"\x00\x00\x08\x04" + image_data[4:]
    elif kind == "not idx":
        image_data = b"<html>not found</html>" + image_data
    elif kind == "truncated payload":
        image_data = image_data[:-5]
    elif kind == "trailing bytes":
        image_data = image_data + b"\x00" * 3
    elif kind == "truncated header":
        image_data = image_data[:9]
    elif kind == "empty":
        image_data = b""
    elif kind == "count mismatch":
        label_data = idx_bytes(labels[:3])
    elif kind == "label range":
        label_data = idx_bytes(np.array([0, 1, 10, 2], np.uint8))
    if kind in ("truncated gzip", "corrupt gzip"):
        compressed = gzip.compress(image_data)
        if kind == "truncated gzip":
            compressed = compressed[:len(compressed) // 2]
        else:
            middle = len(compressed) // 2
            compressed = compressed[:middle] + bytes(b ^ 0xFF for b in compressed[middle:-8]) \
                + compressed[-8:]
        image_path = tmp_path / "train-images-idx3-ubyte.gz"
        image_path.write_bytes(compressed)
    else:
        image_path.write_bytes(image_data)
    label_path.write_bytes(label_data)
    return {"count mismatch": label_path, "label range": label_path}.get(kind, image_path)


@pytest.mark.parametrize("kind, pattern", [
    ("bad magic", "bad magic number 0x00000804"),
    ("not idx", "bad magic number 0x3C68746D"),
    ("truncated payload", "size mismatch between header and payload .truncated.*36 bytes.*31"),
    ("trailing bytes", "size mismatch between header and payload .trailing bytes"),
    ("truncated header", "truncated header"),
    ("empty", "truncated: 0 bytes"),
    ("count mismatch", "label count 3 != image count 4"),
    ("label range", "label 10 at index 2 is out of range for the 10 classes"),
    ("truncated gzip", "truncated gzip data"),
    ("corrupt gzip", "corrupt gzip data"),
])
def test_corrupt_idx_files_raise_clear_errors(tmp_path, kind, pattern):
    culprit = corrupt_case(tmp_path, kind)
    with pytest.raises(DatasetError, match=pattern) as info:
        load_dataset("mnist", root=tmp_path)
    assert str(culprit) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_mnist_lists_files_folders_and_partial_finds(tmp_path):
    small_mnist(tmp_path / "half")
    (tmp_path / "half" / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset("mnist", root=tmp_path / "half")
    message = str(info.value)
    assert "has train-images-idx3-ubyte.gz but not train-labels-idx1-ubyte[.gz]" in message
    assert str(tmp_path / "half") in message and "scratchcnn.data.download('mnist'" in message
    assert "apt-get" not in message


# ====================================================================== downloads (file:// only)
def test_download_file_verifies_sha256_and_replaces_atomically(tmp_path):
    source = write(tmp_path / "src" / "blob.bin", b"x" * 5000)
    digest = sha256_of(source)
    dest = tmp_path / "dl" / "blob.bin"
    download_file(source.as_uri(), dest, digest, size=5000)
    assert dest.read_bytes() == b"x" * 5000
    assert os.listdir(dest.parent) == ["blob.bin"]                 # no temporary file left

    with pytest.raises(DownloadError, match="SHA-256 mismatch"):
        download_file(source.as_uri(), tmp_path / "bad" / "blob.bin", "0" * 64)
    assert os.listdir(tmp_path / "bad") == []
    with pytest.raises(DownloadError, match="download failed"):
        download_file((tmp_path / "absent").as_uri(), tmp_path / "bad" / "x", digest)
    assert os.listdir(tmp_path / "bad") == []


def test_download_then_load(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    small_mnist(mirror, n=9)
    small_mnist(mirror, n=5, split="test")
    files = {name: (os.path.getsize(mirror / name), sha256_of(mirror / name))
             for name in os.listdir(mirror)}
    monkeypatch.setitem(downloads.RESOURCES, "mnist",
                        {"mirrors": [(tmp_path / "offline").as_uri(), mirror.as_uri()],
                         "files": files})
    ds = load_dataset("mnist", root=tmp_path / "data", split="test", download=True)
    assert len(ds) == 5 and sorted(os.listdir(tmp_path / "data")) == sorted(files)
    assert download("mnist", root=tmp_path / "data", log=None) == str(tmp_path / "data")


# ====================================================================== CIFAR-10 binary
def cifar_records(labels, seed):
    pixels = np.random.default_rng(seed).integers(0, 256, (len(labels), 3, 32, 32), dtype=np.uint8)
    # each record: 1 label byte, then the 1024 red, 1024 green, 1024 blue bytes (row-major)
    records = np.concatenate([np.asarray(labels, np.uint8)[:, None],
                              pixels.reshape(len(labels), 3072)], axis=1)
    return records.tobytes(), pixels


def small_cifar(folder, meta=True):
    folder.mkdir(parents=True, exist_ok=True)
    train_pixels, train_labels = [], []
    for i in range(1, 6):
        labels = [(i + k) % 10 for k in range(3)]
        data, pixels = cifar_records(labels, i)
        (folder / f"data_batch_{i}.bin").write_bytes(data)
        train_pixels.append(pixels)
        train_labels += labels
    data, test_pixels = cifar_records([9, 0], 99)
    (folder / "test_batch.bin").write_bytes(data)
    if meta:
        (folder / "batches.meta.txt").write_text("\n".join(CIFAR10_CLASSES) + "\n\n")
    return np.concatenate(train_pixels), train_labels, test_pixels


def test_cifar10_binary_batches(tmp_path):
    pixels, labels, test_pixels = small_cifar(tmp_path / "cifar-10-batches-bin")
    train = load_dataset("cifar10", root=tmp_path)           # finds cifar-10-batches-bin/
    assert train.images.shape == (15, 3, 32, 32) and train.labels.tolist() == labels
    np.testing.assert_array_equal(train.images, pixels.astype(np.float32) / np.float32(255))
    assert train.classes == CIFAR10_CLASSES
    test = load_dataset("cifar10", root=tmp_path / "cifar-10-batches-bin", split="test",
                        dtype="uint8")
    np.testing.assert_array_equal(test.images, test_pixels)
    assert test.labels.tolist() == [9, 0]


def test_cifar10_channel_layout(tmp_path):
    record = np.zeros(3073, np.uint8)
    record[0] = 3
    record[1 + 0 * 1024 + 1 * 32 + 2] = 10      # red, row 1, column 2
    record[1 + 2 * 1024 + 31 * 32 + 0] = 20     # blue, row 31, column 0
    (tmp_path / "test_batch.bin").write_bytes(record.tobytes())
    ds = load_dataset("cifar10", root=tmp_path, split="test", dtype="uint8")
    assert ds.images[0, 0, 1, 2] == 10 and ds.images[0, 2, 31, 0] == 20
    assert ds.images.sum() == 30 and ds.labels.tolist() == [3]


def test_cifar10_class_names_from_meta_or_default(tmp_path):
    small_cifar(tmp_path, meta=False)
    assert load_dataset("cifar10", root=tmp_path, split="test").classes == CIFAR10_CLASSES
    (tmp_path / "batches.meta.txt").write_text("\n".join(f"c{i}" for i in range(10)) + "\n")
    assert load_dataset("cifar10", root=tmp_path, split="test").classes[:2] == ["c0", "c1"]


def test_cifar10_truncated_file(tmp_path):
    small_cifar(tmp_path)
    path = tmp_path / "data_batch_3.bin"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DatasetError, match="size mismatch: 9119 bytes is not a whole number of "
                                           "3073-byte records") as info:
        load_dataset("cifar10", root=tmp_path)
    assert str(path) in str(info.value)


def test_cifar10_label_out_of_range(tmp_path):
    small_cifar(tmp_path)
    data, _ = cifar_records([1, 12], 0)
    (tmp_path / "test_batch.bin").write_bytes(data)
    with pytest.raises(DatasetError, match="record 1 has label 12, out of range") as info:
        load_dataset("cifar10", root=tmp_path, split="test")
    assert str(tmp_path / "test_batch.bin") in str(info.value)


def test_cifar10_missing_batch(tmp_path):
    small_cifar(tmp_path)
    (tmp_path / "data_batch_4.bin").unlink()
    with pytest.raises(DatasetNotFoundError, match="missing data_batch_4.bin") as info:
        load_dataset("cifar10", root=tmp_path)
    assert "cifar-10-binary.tar.gz" in str(info.value)


# ====================================================================== image folders
def save_image(path, color, size=(6, 4), mode="RGB", fmt=None):
    from PIL import Image
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color).save(path, format=fmt)
    return path


COLORS = {"cat": (255, 0, 0), "dog": (0, 128, 255), "owl": (10, 20, 30)}


def test_image_folder_with_split_folders(tmp_path):
    for split, count in (("train", 3), ("test", 1)):
        for name, color in COLORS.items():
            for i in range(count):
                save_image(tmp_path / split / name / f"{i}.png", color)
    (tmp_path / "train" / "cat" / "notes.txt").write_text("not an image")
    train = load_dataset("image-folder", root=tmp_path, image_size=(4, 6))
    assert train.classes == ["cat", "dog", "owl"]
    assert train.images.shape == (9, 3, 4, 6)
    assert train.labels.tolist() == [0] * 3 + [1] * 3 + [2] * 3
    np.testing.assert_array_equal(train.images[3, :, 0, 0],
                                  np.float32([0, 128, 255]) / np.float32(255))
    test = load_dataset("image-folder", root=tmp_path, split="test", image_size="original")
    assert test.images.shape == (3, 3, 4, 6) and test.labels.tolist() == [0, 1, 2]
    gray = load_dataset("image-folder", root=tmp_path, split="test", channels=1, image_size=8,
                        dtype="uint8")
    assert gray.images.shape == (3, 1, 8, 8) and gray.images.dtype == np.uint8
    assert gray.images[0].min() == gray.images[0].max() == 76       # L = 0.299 * 255


def test_image_folder_default_size_and_modes(tmp_path):
    save_image(tmp_path / "train" / "a" / "x.png", 200, size=(10, 20), mode="L")
    save_image(tmp_path / "train" / "b" / "y.jpg", (0, 255, 0), size=(30, 30), fmt="JPEG")
    save_image(tmp_path / "train" / "b" / "z.PNG", (0, 0, 255, 128), mode="RGBA")
    ds = load_dataset("image-folder", root=tmp_path)
    assert ds.images.shape == (3, 3, 64, 64)          # Tiny VGG's 64x64 RGB
    np.testing.assert_allclose(ds.images[0], 200 / 255, atol=1e-6)   # gray -> equal channels
    np.testing.assert_allclose(ds.images[1, 1], 1.0, atol=3 / 255)


def test_image_folder_flat_layout_splits_80_20(tmp_path):
    for name, color in COLORS.items():
        for i in range(25):
            save_image(tmp_path / name / f"{i}.png", color, size=(2, 2))
    train = load_dataset("image-folder", root=tmp_path, image_size=2)
    test = load_dataset("image-folder", root=tmp_path, split="test", image_size=2)
    everything = load_dataset("image-folder", root=tmp_path, split="all", image_size=2)
    assert (len(train), len(test), len(everything)) == (60, 15, 75)   # 75: read on threads
    assert np.bincount(test.labels).tolist() == [5, 5, 5]
    assert np.bincount(everything.labels).tolist() == [25, 25, 25]
    np.testing.assert_array_equal(everything.images[everything.labels == 1, :, 1, 1],
                                  np.tile(np.float32([0, 128, 255]) / 255, (25, 1)))
    for ds in (train, test):   # the label still matches the folder's color
        red = ds.images[:, 0, 0, 0] == 1.0
        np.testing.assert_array_equal(red, ds.labels == 0)


def test_image_folder_errors(tmp_path):
    with pytest.raises(ArgumentError, match="needs root"):
        load_dataset("image-folder")
    with pytest.raises(DatasetNotFoundError, match="no such folder"):
        load_dataset("image-folder", root=tmp_path / "absent")
    save_image(tmp_path / "train" / "cat" / "0.png", (1, 2, 3))
    save_image(tmp_path / "train" / "dog" / "0.png", (3, 2, 1))   # two classes at least
    bad = tmp_path / "train" / "cat" / "1.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(DatasetError, match="unreadable image") as info:
        load_dataset("image-folder", root=tmp_path)
    assert str(bad) in str(info.value)
    bad.unlink()
    save_image(tmp_path / "test" / "cow" / "0.png", (1, 2, 3))
    with pytest.raises(DatasetError, match=r"class folder\(s\) \['cow'\] are not among"):
        load_dataset("image-folder", root=tmp_path, split="test")
    with pytest.raises(ArgumentError, match="channels"):
        load_dataset("image-folder", root=tmp_path, channels=2)


# ====================================================================== Tiny ImageNet
WNIDS = ["n02124075", "n04067472", "n01443537"]
WORDS = {"n02124075": "Egyptian cat", "n04067472": "reel",
         "n01443537": "goldfish, Carassius auratus", "n09999999": "unused"}


def small_tiny_imagenet(root):
    base = root / "tiny-imagenet-200"
    base.mkdir(parents=True)
    (base / "wnids.txt").write_text("\n".join(WNIDS) + "\n")
    (base / "words.txt").write_text("".join(f"{w}\t{t}\n" for w, t in WORDS.items()))
    colors = [(250, 0, 0), (0, 250, 0), (0, 0, 250)]
    for wnid, color in zip(WNIDS, colors):
        for i in range(2):
            save_image(base / "train" / wnid / "images" / f"{wnid}_{i}.JPEG", color,
                       size=(8, 8), fmt="JPEG")
        (base / "train" / wnid / f"{wnid}_boxes.txt").write_text("")
    lines = []
    for i, (wnid, color) in enumerate(zip([WNIDS[2], WNIDS[0], WNIDS[2], WNIDS[1]],
                                          [colors[2], colors[0], colors[2], colors[1]])):
        save_image(base / "val" / "images" / f"val_{i}.JPEG", color, size=(8, 8), fmt="JPEG")
        lines.append(f"val_{i}.JPEG\t{wnid}\t0\t0\t7\t7\n")
    (base / "val" / "val_annotations.txt").write_text("".join(lines))
    return base


def test_tiny_imagenet_layout(tmp_path):
    base = small_tiny_imagenet(tmp_path)
    train = load_dataset("tiny-imagenet", root=tmp_path)
    assert train.images.shape == (6, 3, 227, 227)         # the guide's AlexNet input
    assert train.labels.tolist() == [0, 0, 1, 1, 2, 2]
    assert train.classes == ["Egyptian cat", "reel", "goldfish"]
    val = load_dataset("tiny-imagenet", root=base, split="val", image_size=8)
    assert val.images.shape == (4, 3, 8, 8) and val.labels.tolist() == [2, 0, 2, 1]
    np.testing.assert_allclose(val.images[1, :, 4, 4], [250 / 255, 0, 0], atol=4 / 255)
    alias = load_dataset("tiny-imagenet", root=base, split="test", image_size=8)
    np.testing.assert_array_equal(alias.images, val.images)
    assert alias.split == "test"
    (base / "words.txt").unlink()
    assert load_dataset("tiny-imagenet", root=base, split="val", image_size=8).classes == WNIDS


@pytest.mark.parametrize("defect, pattern", [
    ("unknown wnid", r"val_annotations.txt, line 2: class 'n00000000' of val_1.JPEG is not in"),
    ("missing image", r"val_3.JPEG: missing \(listed in .*val_annotations.txt, line 4\)"),
    ("bad line", r"val_annotations.txt, line 1: expected 'file<TAB>wnid"),
    ("corrupt image", r"val_0.JPEG: unreadable image"),
    ("no annotations", r"val_annotations.txt: missing"),
])
def test_tiny_imagenet_errors(tmp_path, defect, pattern):
    base = small_tiny_imagenet(tmp_path)
    annotations = base / "val" / "val_annotations.txt"
    lines = annotations.read_text().splitlines(keepends=True)
    if defect == "unknown wnid":
        lines[1] = lines[1].replace(WNIDS[0], "n00000000")
    elif defect == "missing image":
        (base / "val" / "images" / "val_3.JPEG").unlink()
    elif defect == "bad line":
        lines[0] = "val_0.JPEG\n"
    elif defect == "corrupt image":
        path = base / "val" / "images" / "val_0.JPEG"
        path.write_bytes(path.read_bytes()[:40])          # truncated JPEG
    elif defect == "no annotations":
        lines = None
        annotations.unlink()
    if lines is not None:
        annotations.write_text("".join(lines))
    with pytest.raises(DatasetError, match=pattern):
        load_dataset("tiny-imagenet", root=tmp_path, split="val", image_size=8)


def test_tiny_imagenet_missing(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="tiny-imagenet-200.zip"):
        load_dataset("tiny-imagenet")
    base = small_tiny_imagenet(tmp_path)
    (base / "wnids.txt").write_text("\n".join(WNIDS + ["n01770393"]) + "\n")
    with pytest.raises(DatasetError, match="lists n01770393 but there is no train/n01770393"):
        load_dataset("tiny-imagenet", root=base, image_size=8)
