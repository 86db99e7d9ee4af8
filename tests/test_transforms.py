"""Batch transforms: exact math against per-image reference loops (the loops live here only),
randomness drawn from the given generator or the library's, inputs left untouched."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import scratchcnn as sc
from scratchcnn.data import DataLoader, TensorDataset
from scratchcnn.data import transforms as T
from scratchcnn.errors import ArgumentError, DTypeError, ShapeError


def images(n=6, c=3, h=5, w=7, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.uint8:
        return rng.integers(0, 256, (n, c, h, w), dtype=np.uint8)
    return rng.random((n, c, h, w)).astype(dtype)


# ---------------------------------------------------------------------- ToFloat
def test_to_float_scales_uint8_to_unit_range():
    batch = np.arange(256, dtype=np.uint8).reshape(4, 1, 8, 8)
    out = T.ToFloat()(batch)
    assert out.dtype == np.float32 and out.shape == batch.shape
    np.testing.assert_array_equal(out, batch.astype(np.float32) / np.float32(255))
    assert out.min() == 0.0 and out.max() == 1.0


def test_to_float_keeps_float_values_and_copies():
    batch = images(dtype=np.float64)
    out = T.ToFloat()(batch)
    assert out.dtype == np.float32 and out is not batch
    np.testing.assert_array_equal(out, batch.astype(np.float32))


def test_to_float_rejects_other_integer_types():
    with pytest.raises(DTypeError, match="uint8 or floating point"):
        T.ToFloat()(np.zeros((1, 1, 2, 2), np.int16))


# ---------------------------------------------------------------------- Normalize
def test_normalize_matches_per_channel_formula():
    batch = images(n=5, c=3)
    mean, std = [0.1, 0.5, 0.9], [0.2, 0.25, 2.0]
    out = T.Normalize(mean, std)(batch)
    assert out.dtype == np.float32
    expected = np.empty_like(batch)
    for c in range(3):
        expected[:, c] = (batch[:, c] - np.float32(mean[c])) / np.float32(std[c])
    np.testing.assert_array_equal(out, expected)


def test_normalize_with_batch_statistics_gives_zero_mean_unit_std():
    batch = images(n=50, c=2, h=6, w=6, dtype=np.float64) * [[[[3.0]], [[0.5]]]] + 2
    mean, std = batch.mean(axis=(0, 2, 3)), batch.std(axis=(0, 2, 3))
    out = T.Normalize(mean, std)(batch)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), 1, atol=1e-12)


def test_normalize_single_value_applies_to_every_channel():
    batch = images(c=3)
    np.testing.assert_allclose(T.Normalize(0.5, 0.25)(batch), (batch - 0.5) / 0.25, rtol=1e-6)


def test_normalize_errors():
    with pytest.raises(ShapeError, match="3 mean values for images with 1 channels"):
        T.Normalize([0, 0, 0], [1, 1, 1])(images(c=1))
    with pytest.raises(ArgumentError, match="positive standard deviations"):
        T.Normalize([0.5], [0.0])
    with pytest.raises(ArgumentError, match="same length"):
        T.Normalize([0.5, 0.5], [1, 1, 1])
    with pytest.raises(DTypeError, match="ToFloat"):
        T.Normalize([0.5], [0.5])(images(c=1, dtype=np.uint8))
    with pytest.raises(ShapeError, match=r"\(N, C, H, W\)"):
        T.Normalize([0.5], [0.5])(np.zeros((4, 4), np.float32))


# ---------------------------------------------------------------------- RandomCrop
def reference_crop(batch, size, padding, fill, tops, lefts):
    """One image at a time: pad, then slice the window at (top, left)."""
    left, top, right, bottom = padding
    n, c, h, w = batch.shape
    out = np.empty((n, c) + tuple(size), batch.dtype)
    for i in range(n):
        padded = np.full((c, h + top + bottom, w + left + right), fill, batch.dtype)
        padded[:, top:top + h, left:left + w] = batch[i]
        out[i] = padded[:, tops[i]:tops[i] + size[0], lefts[i]:lefts[i] + size[1]]
    return out


@st.composite
def crop_cases(draw):
    n, c = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    padding = tuple(draw(st.integers(0, 3)) for _ in range(4))
    size = (draw(st.integers(1, h + padding[1] + padding[3])),
            draw(st.integers(1, w + padding[0] + padding[2])))
    dtype = draw(st.sampled_from([np.uint8, np.float32, np.float64]))
    return n, c, h, w, padding, size, dtype, draw(st.integers(0, 255)), draw(st.integers(0, 2**32))


@given(crop_cases())
def test_random_crop_equals_per_image_reference_loop(case):
    n, c, h, w, padding, size, dtype, fill, seed = case
    batch = images(n, c, h, w, dtype=dtype, seed=seed % 1000)
    crop = T.RandomCrop(size, padding=padding, fill=fill)
    out = crop(batch, np.random.default_rng(seed))
    # the documented draws: all tops, then all lefts, in padded coordinates
    rng = np.random.default_rng(seed)
    tops = rng.integers(0, h + padding[1] + padding[3] - size[0] + 1, size=n)
    lefts = rng.integers(0, w + padding[0] + padding[2] - size[1] + 1, size=n)
    expected = reference_crop(batch, size, padding, fill, tops, lefts)
    assert out.dtype == batch.dtype and out.shape == (n, c) + size
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(crop.crop(batch, tops, lefts), expected)


def test_random_crop_offsets_differ_per_image():
    batch = images(n=200, c=1, h=8, w=8)
    crop = T.RandomCrop(8, padding=4)
    tops, lefts = crop.sample(200, 8, 8, np.random.default_rng(1))
    assert len(set(zip(tops.tolist(), lefts.tolist()))) > 40   # 81 possible offsets
    assert tops.min() == 0 and tops.max() == 8 and lefts.min() == 0 and lefts.max() == 8
    np.testing.assert_array_equal(crop(batch, np.random.default_rng(1)),
                                  reference_crop(batch, (8, 8), (4,) * 4, 0, tops, lefts))


@pytest.mark.parametrize("padding, expected", [(2, (2, 2, 2, 2)), ((1, 3), (1, 3, 1, 3)),
                                               ((0, 1, 2, 3), (0, 1, 2, 3))])
def test_random_crop_padding_forms_follow_torchvision(padding, expected):
    assert T.RandomCrop(4, padding=padding).padding == expected


def test_random_crop_without_padding_and_full_size_is_identity():
    batch = images()
    out = T.RandomCrop((5, 7))(batch, np.random.default_rng(0))
    np.testing.assert_array_equal(out, batch)
    assert out is not batch


def test_random_crop_errors():
    with pytest.raises(ShapeError, match="cannot cut"):
        T.RandomCrop(10, padding=1)(images(h=5, w=7), np.random.default_rng(0))
    with pytest.raises(ArgumentError, match="padding"):
        T.RandomCrop(4, padding=-1)
    with pytest.raises(ArgumentError, match="size"):
        T.RandomCrop(0)


# ---------------------------------------------------------------------- RandomHorizontalFlip
@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 1.0])
def test_flip_equals_per_image_reference_loop(p):
    batch = images(n=40, c=2, h=3, w=5)
    out = T.RandomHorizontalFlip(p)(batch, np.random.default_rng(7))
    decide = np.random.default_rng(7).random(40) < p     # the documented draw
    expected = np.stack([img[:, :, ::-1] if flip else img for img, flip in zip(batch, decide)])
    np.testing.assert_array_equal(out, expected)
    if p == 0.0:
        np.testing.assert_array_equal(out, batch)
    if p == 1.0:
        np.testing.assert_array_equal(out, batch[..., ::-1])


def test_flip_probability_and_errors():
    batch = np.arange(2000 * 2, dtype=np.float32).reshape(2000, 1, 1, 2)
    out = T.RandomHorizontalFlip(0.5)(batch, np.random.default_rng(0))
    flipped = out[:, 0, 0, 0] > out[:, 0, 0, 1]
    assert 900 < flipped.sum() < 1100
    with pytest.raises(ArgumentError, match=r"p in \[0, 1\]"):
        T.RandomHorizontalFlip(1.5)


# ---------------------------------------------------------------------- randomness, Compose
def test_random_transforms_are_deterministic_per_generator_and_seed():
    batch = images(n=32)
    augment = T.Compose([T.RandomCrop((5, 7), padding=2), T.RandomHorizontalFlip()])
    a = augment(batch, np.random.default_rng(3))
    np.testing.assert_array_equal(a, augment(batch, np.random.default_rng(3)))
    np.testing.assert_array_equal(a, augment(batch, 3))          # an int seed works too
    assert not np.array_equal(a, augment(batch, np.random.default_rng(4)))


def test_random_transforms_use_the_global_generator_without_rng():
    batch = images(n=32)
    augment = T.Compose([T.RandomCrop((5, 7), padding=2), T.RandomHorizontalFlip()])
    sc.manual_seed(11)
    a = augment(batch)
    sc.manual_seed(11)
    np.testing.assert_array_equal(a, augment(batch))
    sc.manual_seed(12)
    assert not np.array_equal(a, augment(batch))


def test_compose_applies_in_order_sharing_the_generator():
    batch = images(n=8, dtype=np.uint8)
    parts = [T.ToFloat(), T.RandomCrop(5, padding=1), T.RandomHorizontalFlip(),
             T.Normalize([0.5] * 3, [0.25] * 3)]
    out = T.Compose(parts)(batch, np.random.default_rng(5))
    rng, expected = np.random.default_rng(5), batch
    for t in parts:
        expected = t(expected, rng)
    np.testing.assert_array_equal(out, expected)
    assert len(T.Compose(parts)) == 4 and T.Compose(parts)[0] is parts[0]


def test_transforms_do_not_modify_their_input():
    batch = images(n=8, dtype=np.uint8)
    before = batch.copy()
    for t in (T.ToFloat(), T.RandomCrop(5, padding=2), T.RandomHorizontalFlip(1.0),
              T.Lambda(lambda b: b[:, :1])):
        t(batch, np.random.default_rng(0))
    np.testing.assert_array_equal(batch, before)


def test_reprs():
    assert repr(T.ToFloat()) == "ToFloat()"
    assert repr(T.Normalize([0.5, 0.25], [0.2, 1])) == "Normalize(mean=[0.5, 0.25], std=[0.2, 1])"
    assert repr(T.RandomCrop(32, padding=4)) == "RandomCrop(size=(32, 32), padding=4)"
    assert repr(T.RandomCrop((3, 4), padding=(1, 2))) == \
        "RandomCrop(size=(3, 4), padding=(1, 2, 1, 2))"
    assert repr(T.RandomHorizontalFlip(0.25)) == "RandomHorizontalFlip(p=0.25)"
    assert repr(T.Compose([T.ToFloat(), T.RandomHorizontalFlip()])) == \
        "Compose(\n    ToFloat()\n    RandomHorizontalFlip(p=0.5)\n)"


# ---------------------------------------------------------------------- in a DataLoader
def test_loader_applies_the_transform_per_batch_to_images_only():
    x = images(n=10, c=1, h=4, w=4, dtype=np.uint8)
    y = np.arange(10, dtype=np.uint8)
    transform = T.Compose([T.ToFloat(), T.Normalize([0.5], [0.5])])
    batches = list(DataLoader(TensorDataset(x, y), batch_size=4, transform=transform))
    images_out = np.concatenate([b[0].numpy() for b in batches])
    np.testing.assert_array_equal(images_out, transform(x))
    assert images_out.dtype == np.float32
    assert np.concatenate([b[1].numpy() for b in batches]).tolist() == list(range(10))


def test_loader_augmentation_is_reproducible_and_differs_across_epochs():
    x = images(n=16, c=1, h=6, w=6)
    ds = TensorDataset(x, np.zeros(16, np.int64))
    transform = T.Compose([T.RandomCrop(6, padding=2), T.RandomHorizontalFlip()])

    def epochs(loader, count):
        return [np.concatenate([b[0].numpy() for b in loader]) for _ in range(count)]
    a = epochs(DataLoader(ds, batch_size=8, seed=1, transform=transform), 2)
    b = epochs(DataLoader(ds, batch_size=8, seed=1, transform=transform), 2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], a[1])
