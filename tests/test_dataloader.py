"""DataLoader, samplers, collate and data set helpers against torch.utils.data.

Unshuffled batches are compared with PyTorch's value for value and dtype for dtype;
shuffled ones with the loader's own single-threaded batches (the generators differ from
PyTorch's). Worker threads: same batches as without, bounded prefetch, errors named,
clean shutdown, timeouts.
"""

import collections
import gc
import inspect
import threading
import time

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import scratchcnn as sc
import scratchcnn.utils.data as scd
from scratchcnn.data import DataLoaderTimeoutError, transforms as T
from scratchcnn.errors import ArgumentError

Point = collections.namedtuple("Point", ["x", "y"])


def assert_same(ours, theirs):
    """Same structure, container types, values and dtypes as PyTorch's batch."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, sc.Tensor), f"expected a Tensor, got {type(ours).__name__}"
        assert ours.dtype == theirs.numpy().dtype and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
        for key in theirs:
            assert_same(ours[key], theirs[key])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
    else:
        assert type(ours) is type(theirs) and ours == theirs


def assert_same_loader(ours, theirs):
    ours, theirs = list(ours), list(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_same(a, b)


def as_numpy(batches):
    return [[t.numpy().copy() for t in batch] for batch in batches]


def assert_same_batches(a, b):
    assert len(a) == len(b)
    for xa, xb in zip(a, b):
        assert len(xa) == len(xb)
        for u, v in zip(xa, xb):
            assert u.dtype == v.dtype
            np.testing.assert_array_equal(u, v)


def images_and_labels(n=23, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.random((n, 1, 4, 4)) * 255).astype(dtype)
    return x, rng.integers(0, 10, n).astype(np.int64)


class Samples:
    """A per-item data set with every kind of field default_collate knows."""

    def __init__(self, n=7):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"image": np.full((2, 3), i, np.float32), "label": i, "weight": i / 4,
                "flag": i % 2 == 0, "name": f"s{i}", "scalar": np.float32(i) * 2,
                "pair": (np.arange(3, dtype=np.int16) + i, [i, i + 0.5]),
                "point": Point(i, np.int32(i))}


def live_workers():
    return [t for t in threading.enumerate() if t.name.startswith("DataLoader worker")]


def wait_for(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


# ====================================================================== signature
def test_signature_is_torchs_with_seed_and_transform_keyword_only_at_the_end():
    ours = inspect.signature(scd.DataLoader).parameters
    theirs = inspect.signature(tud.DataLoader).parameters
    assert list(ours)[:len(theirs)] == list(theirs)
    assert list(ours)[len(theirs):] == ["seed", "transform"]
    for name, parameter in theirs.items():
        assert ours[name].kind == parameter.kind, name
        assert ours[name].default == parameter.default, name
    assert ours["seed"].kind is ours["transform"].kind is inspect.Parameter.KEYWORD_ONLY


def test_torch_import_paths():
    import scratchcnn
    assert scratchcnn.utils.data.DataLoader is scd.DataLoader is sc.data.DataLoader
    for name in tud.__all__:
        if name in ("DataLoader", "Dataset", "IterableDataset", "TensorDataset", "Subset",
                    "ConcatDataset", "random_split", "Sampler", "SequentialSampler",
                    "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
                    "BatchSampler", "default_collate", "default_convert", "get_worker_info"):
            assert hasattr(scd, name), name
    assert scd.get_worker_info() is None


# ====================================================================== same batches as torch
@pytest.mark.parametrize("batch_size", [1, 5, 23, 40])
@pytest.mark.parametrize("drop_last", [False, True])
def test_tensor_dataset_batches_equal_torchs(batch_size, drop_last):
    x, y = images_and_labels()
    for dtype in (np.float32, np.uint8, np.float64):
        xd = x.astype(dtype)
        ours = scd.DataLoader(scd.TensorDataset(xd, y), batch_size, drop_last=drop_last)
        theirs = tud.DataLoader(tud.TensorDataset(torch.from_numpy(xd), torch.from_numpy(y)),
                                batch_size, drop_last=drop_last)
        assert len(ours) == len(theirs)
        assert_same_loader(ours, theirs)
        assert_same_loader(ours, theirs)   # a second epoch is the same (no shuffle)


def test_tensor_dataset_built_from_tensors_and_one_tensor_only():
    x, y = images_and_labels()
    ours = scd.DataLoader(scd.TensorDataset(sc.tensor(x), sc.tensor(y)), batch_size=6)
    theirs = tud.DataLoader(tud.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=6)
    assert_same_loader(ours, theirs)
    assert_same_loader(scd.DataLoader(scd.TensorDataset(x), batch_size=4),
                       tud.DataLoader(tud.TensorDataset(torch.tensor(x)), batch_size=4))


@pytest.mark.parametrize("batch_size", [1, 3, None])
def test_per_item_dataset_batches_equal_torchs(batch_size):
    assert_same_loader(scd.DataLoader(Samples(), batch_size=batch_size),
                       tud.DataLoader(Samples(), batch_size=batch_size))


def test_collate_fn_batch_sampler_and_sampler_as_torch():
    x, y = images_and_labels(10)
    ours_ds, theirs_ds = scd.TensorDataset(x, y), tud.TensorDataset(torch.tensor(x),
                                                                    torch.tensor(y))
    batches = [[3, 1], [0, 9, 4], [7]]
    assert_same_loader(scd.DataLoader(ours_ds, batch_sampler=batches),
                       tud.DataLoader(theirs_ds, batch_sampler=batches))
    assert_same_loader(scd.DataLoader(ours_ds, batch_size=3, sampler=[5, 2, 8, 8, 1]),
                       tud.DataLoader(theirs_ds, batch_size=3, sampler=[5, 2, 8, 8, 1]))
    ours = list(scd.DataLoader(ours_ds, batch_size=4, collate_fn=lambda items: len(items)))
    assert ours == list(tud.DataLoader(theirs_ds, batch_size=4, collate_fn=len)) == [4, 4, 2]


def test_subset_and_concat_batches_equal_torchs():
    x, y = images_and_labels(12)
    a, b = images_and_labels(5, seed=1)
    ours = scd.ConcatDataset([scd.Subset(scd.TensorDataset(x, y), [11, 0, 5, 6]),
                              scd.TensorDataset(a, b)])
    theirs = tud.ConcatDataset([tud.Subset(tud.TensorDataset(torch.tensor(x), torch.tensor(y)),
                                           [11, 0, 5, 6]),
                                tud.TensorDataset(torch.tensor(a), torch.tensor(b))])
    assert len(ours) == len(theirs) == 9
    assert_same_loader(scd.DataLoader(ours, batch_size=4), tud.DataLoader(theirs, batch_size=4))
    order = [8, 0, 4, 3, 5, 1]
    assert_same_loader(scd.DataLoader(ours, sampler=order, batch_size=6),
                       tud.DataLoader(theirs, sampler=order, batch_size=6))
    assert_same(list(ours[-1]), list(theirs[-1]))
    assert_same(list((ours + ours)[10]), list((theirs + theirs)[10]))


def test_default_collate_and_convert_equal_torchs():
    items = [Samples()[i] for i in range(4)]
    assert_same(scd.default_collate(items), tud.default_collate(items))
    for batch in ([True, False], [1, 2], [0.5, 2.0], [np.int8(3), np.int8(4)], ["a", "b"],
                  [Point(1, 2.0), Point(3, 4.0)], [[np.zeros(2), np.ones(2)]] * 2):
        assert_same(scd.default_collate(batch), tud.default_collate(batch))
    tensors = [sc.tensor([1.0, 2.0]), sc.tensor([3.0, 4.0])]
    assert_same(scd.default_collate(tensors),
                tud.default_collate([torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])]))
    for sample in (Samples()[2], np.arange(3), (np.zeros(2), 1), 5):
        assert_same(scd.default_convert(sample), tud.default_convert(sample))
    with pytest.raises(RuntimeError, match="equal size"):
        scd.default_collate([[1, 2], [1]])
    with pytest.raises(ValueError, match="equal size"):
        scd.default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="default_collate"):
        scd.default_collate([object(), object()])


def test_tensor_dataset_items_are_tensors_as_torchs():
    x, y = images_and_labels(6)
    theirs = tud.TensorDataset(torch.tensor(x), torch.tensor(y))
    for ours in (scd.TensorDataset(x, y), scd.TensorDataset(sc.tensor(x), sc.tensor(y))):
        for index in (0, 5, -1, slice(1, 4), [4, 2]):
            item = ours[index]
            assert type(item) is tuple and all(isinstance(t, sc.Tensor) for t in item)
            assert_same(item, theirs[index])
        assert isinstance(ours.tensors[0], sc.Tensor) and len(ours) == 6


# ====================================================================== loader attributes
def test_loader_attributes_len_and_two_epochs():
    x, y = images_and_labels(10)
    ds = scd.TensorDataset(x, y)
    loader = scd.DataLoader(ds, batch_size=4, shuffle=True, seed=3)
    assert loader.dataset is ds and loader.batch_size == 4 and len(loader) == 3
    assert isinstance(loader.sampler, scd.RandomSampler)
    assert isinstance(loader.batch_sampler, scd.BatchSampler)
    first, second = as_numpy(loader), as_numpy(loader)
    assert sorted(np.concatenate([b[1] for b in first]).tolist()) == sorted(y.tolist())
    assert [b[1].tolist() for b in first] != [b[1].tolist() for b in second]
    plain = scd.DataLoader(ds, batch_size=None)
    assert plain.batch_size is None and plain.batch_sampler is None and len(plain) == 10
    assert isinstance(plain.sampler, scd.SequentialSampler)
    assert_same(next(iter(plain)), tud.DataLoader(tud.TensorDataset(
        torch.tensor(x), torch.tensor(y)), batch_size=None).__iter__().__next__())


BAD_ARGUMENTS = [
    dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
    dict(num_workers=1, prefetch_factor=-1), dict(persistent_workers=True),
    dict(sampler=[0, 1], shuffle=True), dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], shuffle=True), dict(batch_sampler=[[0]], sampler=[0]),
    dict(batch_sampler=[[0]], drop_last=True), dict(batch_size=None, drop_last=True),
    dict(batch_size=0), dict(multiprocessing_context="fork"),
    dict(num_workers=1, multiprocessing_context="nope"),
]


@pytest.mark.parametrize("kwargs", BAD_ARGUMENTS, ids=lambda k: ",".join(map(str, k.items())))
def test_argument_errors_as_torch(kwargs):
    x, y = images_and_labels(4)
    with pytest.raises(ValueError):
        tud.DataLoader(tud.TensorDataset(torch.tensor(x), torch.tensor(y)), **kwargs)
    with pytest.raises(ArgumentError):
        scd.DataLoader(scd.TensorDataset(x, y), **kwargs)


def test_iterable_dataset_argument_errors_and_own_errors():
    class Stream(scd.IterableDataset):
        def __iter__(self):
            return iter(range(3))
    for kwargs in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        with pytest.raises(ArgumentError, match="IterableDataset"):
            scd.DataLoader(Stream(), **kwargs)
    with pytest.raises(ArgumentError, match="transform"):
        scd.DataLoader(Stream(), batch_size=None, transform=T.ToFloat())
    with pytest.raises(ArgumentError, match="generator"):
        scd.DataLoader(Stream(), generator=torch.Generator())
    with pytest.raises(ArgumentError, match="collate_fn"):
        scd.DataLoader(Stream(), collate_fn="stack")


# ====================================================================== iterable data sets
class Shards(tud.IterableDataset, scd.IterableDataset):
    """range(n) split between the workers, for torch's loader and ours alike."""

    def __init__(self, n, info):
        self.n, self.info = n, info

    def __iter__(self):
        worker = self.info()
        start, step = (0, 1) if worker is None else (worker.id, worker.num_workers)
        return iter([np.float32(i) for i in range(start, self.n, step)])


@pytest.mark.parametrize("num_workers", [0, 2])
def test_iterable_dataset_batches_equal_torchs(num_workers):
    ours = scd.DataLoader(Shards(11, scd.get_worker_info), batch_size=3,
                          num_workers=num_workers)
    theirs = tud.DataLoader(Shards(11, tud.get_worker_info), batch_size=3,
                            num_workers=num_workers)
    assert_same_loader(ours, theirs)
    assert_same_loader(scd.DataLoader(Shards(5, scd.get_worker_info), batch_size=2,
                                      drop_last=True),
                       tud.DataLoader(Shards(5, tud.get_worker_info), batch_size=2,
                                      drop_last=True))


# ====================================================================== workers
def make_loader(num_workers, **kwargs):
    x, y = images_and_labels(53)
    transform = T.Compose([T.RandomCrop(4, padding=1), T.RandomHorizontalFlip()])
    return scd.DataLoader(scd.TensorDataset(x, y), batch_size=5, shuffle=True, seed=11,
                          num_workers=num_workers, transform=transform, **kwargs)


@pytest.mark.parametrize("num_workers", [1, 3])
def test_workers_serve_exactly_the_batches_of_the_main_thread(num_workers):
    reference = make_loader(0)
    expected = [as_numpy(reference) for _ in range(2)]   # two epochs: two permutations
    for kwargs in (dict(), dict(prefetch_factor=1)):
        loader = make_loader(num_workers, **kwargs)
        for want in expected:
            assert_same_batches(as_numpy(loader), want)
    unordered = as_numpy(make_loader(num_workers, in_order=False))
    key = sorted(b[1].tobytes() for b in unordered)
    assert key == sorted(b[1].tobytes() for b in expected[0])


def test_workers_with_a_given_sampler_and_generator():
    x, y = images_and_labels(31)

    def loader(num_workers):
        return scd.DataLoader(scd.TensorDataset(x, y), batch_size=4, num_workers=num_workers,
                              sampler=scd.RandomSampler(range(31), generator=np.random
                                                        .default_rng(5)))
    assert_same_batches(as_numpy(loader(2)), as_numpy(loader(0)))
    by_generator = [as_numpy(scd.DataLoader(scd.TensorDataset(x, y), batch_size=4, shuffle=True,
                                            generator=np.random.default_rng(9),
                                            num_workers=w)) for w in (0, 2)]
    assert_same_batches(*by_generator)


def test_workers_per_item_dataset_with_collate_fn():
    ours = scd.DataLoader(Samples(9), batch_size=2, num_workers=2)
    assert_same_loader(ours, tud.DataLoader(Samples(9), batch_size=2))


def test_worker_resume_mid_epoch_matches_uninterrupted_run():
    expected = as_numpy(make_loader(0))
    loader = make_loader(2)
    served = []
    for batch in loader:
        served.append([t.numpy().copy() for t in batch])
        if len(served) == 4:
            state = loader.state_dict()
            break
    resumed = make_loader(2, persistent_workers=True)
    resumed.load_state_dict(state)
    assert_same_batches(served + as_numpy(resumed), expected)


class Counting(scd.TensorDataset):
    """Counts the batches fetched (by any thread) and can be slowed down or made to fail."""

    def __init__(self, n=40, delay=0.0, fail_at=None):
        super().__init__(*images_and_labels(n))
        self.fetched, self.delay, self.fail_at = 0, delay, fail_at
        self.lock = threading.Lock()

    def get_batch(self, indices):
        time.sleep(self.delay)
        if self.fail_at is not None and self.fail_at in indices.tolist():
            raise ValueError(f"bad sample {self.fail_at}")
        with self.lock:
            self.fetched += 1
        return super().get_batch(indices)


def test_prefetch_is_bounded_and_runs_in_the_background():
    ds = Counting(40)
    loader = scd.DataLoader(ds, batch_size=2, num_workers=2, prefetch_factor=3)
    iterator = iter(loader)
    next(iterator)
    # Prepared without being asked for: the workers fill the window of 2 * 3 batches.
    assert wait_for(lambda: ds.fetched == 1 + 6)
    time.sleep(0.05)
    assert ds.fetched == 7
    for served, _ in enumerate(iterator, 2):
        assert ds.fetched <= served + 6
    assert ds.fetched == len(loader) == 20


def test_worker_error_is_reraised_naming_the_worker_and_workers_stop():
    loader = scd.DataLoader(Counting(20, fail_at=13), batch_size=2, num_workers=3)
    with pytest.raises(ValueError, match=r"(?s)worker 0.*bad sample 13") as info:
        list(loader)
    assert isinstance(info.value.__cause__, ValueError)
    assert wait_for(lambda: not live_workers())

    def broken_init(worker_id):
        raise KeyError(f"no device for worker {worker_id}")
    with pytest.raises(KeyError, match="no device for worker"):
        list(scd.DataLoader(Counting(8), batch_size=2, num_workers=2,
                            worker_init_fn=broken_init))
    assert wait_for(lambda: not live_workers())


def test_abandoned_iteration_stops_its_threads():
    baseline = threading.active_count()
    ds = Counting(200, delay=0.002)
    loader = scd.DataLoader(ds, batch_size=2, num_workers=4)
    for step, _ in enumerate(loader):
        if step == 2:
            break
    gc.collect()
    assert wait_for(lambda: not live_workers() and threading.active_count() == baseline)
    fetched = ds.fetched
    time.sleep(0.05)
    assert ds.fetched == fetched < 100   # nothing is prepared any more
    iterator = iter(loader)
    next(iterator)
    assert len(live_workers()) == 4
    del iterator
    assert wait_for(lambda: not live_workers())


def test_timeout_raises_and_stops_the_workers():
    loader = scd.DataLoader(Counting(8, delay=0.5), batch_size=2, num_workers=2, timeout=0.05)
    with pytest.raises(RuntimeError, match="timed out after 0.05 seconds") as info:
        next(iter(loader))
    assert isinstance(info.value, DataLoaderTimeoutError)
    assert wait_for(lambda: not live_workers())
    fine = scd.DataLoader(Counting(8, delay=0.01), batch_size=2, num_workers=2, timeout=5)
    assert len(list(fine)) == 4


def test_worker_init_fn_and_get_worker_info():
    seen, lock = [], threading.Lock()

    def init(worker_id):
        info = scd.get_worker_info()
        with lock:
            seen.append((worker_id, info.id, info.num_workers, info.seed,
                         threading.current_thread().name))
    x, y = images_and_labels(12)
    loader = scd.DataLoader(scd.TensorDataset(x, y), batch_size=2, num_workers=3,
                            worker_init_fn=init, seed=0)
    list(loader)
    assert sorted(s[:3] for s in seen) == [(0, 0, 3), (1, 1, 3), (2, 2, 3)]
    assert len({s[3] for s in seen}) == 3 and len({s[4] for s in seen}) == 3
    assert scd.get_worker_info() is None


# ====================================================================== samplers
def test_samplers_against_torchs():
    data = list(range(10))
    assert list(scd.SequentialSampler(data)) == list(tud.SequentialSampler(data))
    for size, drop in ((3, False), (3, True), (5, True), (20, False)):
        ours = scd.BatchSampler(scd.SequentialSampler(data), size, drop)
        theirs = tud.BatchSampler(tud.SequentialSampler(data), size, drop)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    for kwargs in (dict(), dict(num_samples=25), dict(replacement=True, num_samples=7)):
        ours = scd.RandomSampler(data, generator=np.random.default_rng(0), **kwargs)
        theirs = tud.RandomSampler(data, **kwargs)
        drawn = list(ours)
        assert len(drawn) == len(ours) == len(theirs) == len(list(theirs))
        assert all(type(i) is int and 0 <= i < 10 for i in drawn)
        if not kwargs.get("replacement"):
            counts = np.bincount(drawn, minlength=10)
            assert counts.max() - counts.min() <= 1   # whole permutations, then part of one
    subset = scd.SubsetRandomSampler([3, 7, 9], generator=np.random.default_rng(1))
    assert sorted(subset) == [3, 7, 9] and len(subset) == 3
    weighted = scd.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 50,
                                         generator=np.random.default_rng(2))
    assert set(weighted) <= {1, 3} and len(list(weighted)) == len(weighted) == 50
    no_repeat = list(scd.WeightedRandomSampler([1, 1, 1, 0], 3, replacement=False))
    assert sorted(no_repeat) == [0, 1, 2]
    with pytest.raises(ArgumentError, match="num_samples"):
        scd.RandomSampler(data, num_samples=0)
    with pytest.raises(ArgumentError, match="replacement"):
        scd.RandomSampler(data, replacement=1)


def test_unseeded_random_sampler_follows_manual_seed():
    sc.manual_seed(4)
    first = list(scd.RandomSampler(range(20)))
    sc.manual_seed(4)
    assert list(scd.RandomSampler(range(20))) == first


# ====================================================================== random_split
@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.5, 0.25, 0.25], [0.33, 0.33, 0.34],
                                     [1 / 3] * 3, [10]])
def test_random_split_sizes_as_torch_disjoint_and_complete(lengths):
    x, y = images_and_labels(10)
    ours = scd.random_split(scd.TensorDataset(x, y), lengths,
                            generator=np.random.default_rng(0))
    theirs = tud.random_split(range(10), lengths)
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    indices = [i for part in ours for i in part.indices]
    assert sorted(indices) == list(range(10))
    for part in ours:
        assert all(isinstance(v, int) for v in part.indices)
        labels = np.concatenate([b[1].numpy() for b in scd.DataLoader(part, batch_size=3)]
                                ) if len(part) else np.zeros(0, np.int64)
        np.testing.assert_array_equal(labels, y[part.indices])
    again = scd.random_split(range(10), lengths, generator=np.random.default_rng(0))
    assert [a.indices for a in again] == [p.indices for p in ours]


def test_random_split_errors():
    for lengths in ([3, 3], [0.5, 0.6], [1.2, -0.2]):
        with pytest.raises(ValueError):
            tud.random_split(range(10), lengths)
        with pytest.raises(ArgumentError):
            scd.random_split(range(10), lengths)
    with pytest.raises(ArgumentError, match="non-negative"):   # torch accepts this one
        scd.random_split(range(10), [-1, 11])
