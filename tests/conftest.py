"""Shared test settings: hypothesis profile, seeds, and helpers to compare with PyTorch."""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, settings

import scratchcnn as sc

# These machines are slow and noisy: no per-example deadline. Examples per test are
# kept moderate so the whole suite runs in a few minutes on 2 cores.
settings.register_profile("default", deadline=None, max_examples=40, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")

torch.set_num_threads(1)

# Tolerances: float64 must agree tightly, float32 loosely (different summation orders).
TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-10), np.float32: dict(rtol=1e-4, atol=1e-5)}


def assert_close(actual, expected, dtype=np.float64, **overrides):
    """Compare a scratchcnn Tensor / array with a torch Tensor / array."""
    def as_numpy(value):
        if isinstance(value, torch.Tensor):
            return value.detach().numpy()
        if isinstance(value, sc.Tensor):
            return value.numpy()
        return np.asarray(value)
    tolerance = dict(TOLERANCES[np.dtype(dtype).type], **overrides)
    np.testing.assert_allclose(as_numpy(actual), as_numpy(expected), **tolerance)


def to_torch(array, requires_grad=False):
    """A torch tensor with a copy of ``array`` (a NumPy array or a scratchcnn Tensor)."""
    array = array.numpy() if isinstance(array, sc.Tensor) else array
    return torch.tensor(np.array(array), requires_grad=requires_grad)


@pytest.fixture(autouse=True)
def _seed():
    sc.manual_seed(0)
    torch.manual_seed(0)
    yield
