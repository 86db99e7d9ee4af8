"""Gradient clipping, as ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``.

Equations (``g_i``: the gradient of parameter ``i``, ``p``: ``norm_type``)::

    total = ( sum_i ||g_i||_p^p )^(1/p)          (p = inf: max_i max |g_i|)
    g_i  <- g_i * min(1, max_norm / (total + 1e-6))
"""

import math

import numpy as np

from ...errors import ArgumentError
from ...tensor import Tensor


def _gradients(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of all ``tensors`` together, as a 0-d Tensor."""
    norm_type = float(norm_type)
    arrays = [t._array for t in ([tensors] if isinstance(tensors, Tensor) else tensors)]
    if not arrays:
        return Tensor(np.asarray(0.0, dtype=np.float32))
    dtype = arrays[0].dtype
    if math.isinf(norm_type):
        total = max(float(np.abs(a).max(initial=0.0)) for a in arrays)
    elif norm_type == 0:
        total = float(sum(np.count_nonzero(a) for a in arrays))
    else:
        per_tensor = [float(np.linalg.norm(a.ravel().astype(np.float64), ord=norm_type))
                      for a in arrays]
        total = float(np.linalg.norm(np.asarray(per_tensor), ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise ArgumentError(f"the total norm of order {norm_type} for gradients from "
                            "`parameters` is non-finite, so it cannot be clipped. To disable "
                            "this error and scale the gradients by the non-finite norm anyway, "
                            "set `error_if_nonfinite=False`")
    return Tensor(np.asarray(total, dtype=dtype))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale all gradients together so that their total norm is at most ``max_norm``;
    returns the total norm before clipping (a 0-d Tensor)."""
    grads = _gradients(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    coefficient = float(max_norm) / (float(total._array) + 1e-6)
    if coefficient < 1.0:
        for grad in grads:
            grad._array *= np.asarray(coefficient, dtype=grad._array.dtype)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into ``[-clip_value, clip_value]``, in place."""
    clip_value = float(clip_value)
    for grad in _gradients(parameters):
        np.clip(grad._array, -clip_value, clip_value, out=grad._array)
