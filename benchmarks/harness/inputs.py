"""The same float32 inputs in every process: NumPy arrays from a seeded generator.

>>> x, w, b, g = conv_inputs((2, 3, 8, 8, 4, 3, 1, 1), seed=0)
>>> x.shape, w.shape, b.shape, g.shape, x.dtype
((2, 3, 8, 8), (4, 3, 3, 3), (4,), (2, 4, 8, 8), dtype('float32'))
>>> checksums(np.ones(3), -np.ones(2))
[3.0, 2.0]
"""

import numpy as np

from .flops import conv_output_hw


def conv_inputs(spec, seed):
    """x, w, b (PyTorch's default init range) and g = dL/dy for the conv spec."""
    n, c, h, w, o, k, _, _ = spec
    oh, ow = conv_output_hw(spec)
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(c * k * k)
    x = rng.standard_normal((n, c, h, w), dtype=np.float32)
    weight = rng.uniform(-bound, bound, (o, c, k, k)).astype(np.float32)
    bias = rng.uniform(-bound, bound, (o,)).astype(np.float32)
    grad = rng.standard_normal((n, o, oh, ow), dtype=np.float32)
    return x, weight, bias, grad


def pool_inputs(spec, seed):
    """x and g = dL/dy for the max-pool spec (N, C, H, W, C, k, s, p)."""
    n, c, h, w = spec[:4]
    oh, ow = conv_output_hw(spec)
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, c, h, w), dtype=np.float32),
            rng.standard_normal((n, c, oh, ow), dtype=np.float32))


def batch(shape, classes, seed):
    """A random float32 image batch of ``shape`` and int64 labels below ``classes``."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape, dtype=np.float32),
            rng.integers(0, classes, shape[0]).astype(np.int64))


def checksums(*arrays):
    """sum |a| of each array in float64: two libraries agree if these do."""
    return [float(np.abs(np.asarray(a, dtype=np.float64)).sum()) for a in arrays]
