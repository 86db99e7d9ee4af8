"""Embedding look-up and one-hot encoding.

Embedding: ``weight`` (V, D), integer ``indices`` (*) -> ``out`` (*, D)::

    out[i...] = weight[indices[i...]]
    dL/dweight[v] = sum_{i : indices[i] = v} g[i] * (1 / count(v) if scale_grad_by_freq)
    dL/dweight[padding_idx] = 0

The scatter-add of the backward pass sorts the indices once and sums each run of equal
indices with ``np.add.reduceat`` (no Python loop, no slow ``np.add.at``).

One-hot: integer ``indices`` (*) -> int64 (*, num_classes), 1 at each index.
"""

import numpy as np


def embedding_forward(weight, indices, padding_idx=None, scale_grad_by_freq=False):
    """(V, D) weight, (*) int indices -> (*, D)."""
    return weight[indices], (weight.shape, indices, padding_idx, scale_grad_by_freq)


def embedding_backward(grad, cache, needs_grad):
    shape, indices, padding_idx, scale_grad_by_freq = cache
    flat = indices.reshape(-1)
    rows = grad.reshape(-1, shape[1])
    order = np.argsort(flat, kind="stable")
    sorted_idx = flat[order]
    dweight = np.zeros(shape, dtype=grad.dtype)
    if flat.size:
        unique, starts, counts = np.unique(sorted_idx, return_index=True, return_counts=True)
        sums = np.add.reduceat(rows[order], starts, axis=0)
        if scale_grad_by_freq:
            sums /= counts[:, None].astype(grad.dtype)
        dweight[unique] = sums
    if padding_idx is not None:
        dweight[padding_idx] = 0
    return dweight, None


def renorm_rows_(weight, indices, max_norm, norm_type):
    """In place: rescale the rows of ``weight`` read by ``indices`` whose ``norm_type``-norm
    exceeds ``max_norm`` to norm ``max_norm`` (PyTorch's ``embedding_renorm_``)."""
    rows = np.unique(indices.reshape(-1))
    selected = weight[rows]
    norms = np.linalg.norm(selected, ord=norm_type, axis=1)
    big = norms > max_norm
    scale = max_norm / (norms[big] + 1e-7)
    weight[rows[big]] = selected[big] * scale[:, None].astype(weight.dtype)


def one_hot_forward(indices, num_classes):
    """(*) int -> (*, num_classes) int64."""
    out = np.zeros(indices.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, indices[..., None].astype(np.int64), 1, axis=-1)
    return out, None


def one_hot_backward(grad, cache, needs_grad):
    return (None,)
