"""Finite-difference check of hand-written gradients, for users and for our tests.

For a function ``f`` of tensors and a random direction ``v`` over its output, the
analytical gradient of ``s = sum(f(x) * v)`` (one backward pass) must equal the
central difference ``(s(x + eps e_i) - s(x - eps e_i)) / (2 eps)`` for every input
element ``i``. Checking the vector-Jacobian product along a random ``v`` catches the
same mistakes as comparing whole Jacobians, at the cost of one backward pass.
"""

import numpy as np

from .autograd import no_grad
from .errors import GraphError
from .tensor import Tensor


class GradcheckError(GraphError):
    """Analytical and numerical gradients disagree."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    return out if isinstance(out, (tuple, list)) else (out,)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0):
    """True if ``fn``'s gradients w.r.t. every input that requires grad match finite
    differences. Use float64 inputs: float32 cannot resolve a difference of 1e-6.

    >>> import scratchcnn as sc
    >>> x = sc.randn(3, 4, dtype=sc.float64, requires_grad=True)
    >>> sc.gradcheck(lambda t: (t * t).sum(dim=1), (x,))
    True
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    rng = np.random.default_rng(seed)
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise GradcheckError("gradcheck: no input requires grad")
    for t in checked:
        if t.dtype != np.float64:
            import warnings
            warnings.warn(f"gradcheck on a {t.dtype} input: use float64 for reliable results")

    outputs = _outputs(fn, inputs)
    directions = [rng.standard_normal(o.shape).astype(o.dtype) for o in outputs]

    def projected():
        with no_grad():
            return sum(float((o._array * v).sum()) for o, v in zip(_outputs(fn, inputs),
                                                                  directions))

    for t in checked:
        t.grad = None
    total = None
    for o, v in zip(outputs, directions):
        if o.requires_grad:
            term = (o * Tensor(v)).sum()
            total = term if total is None else total + term
    if total is None:
        raise GradcheckError("gradcheck: no output depends on an input that requires grad")
    total.backward()

    for position, t in enumerate(inputs):
        if not (isinstance(t, Tensor) and t.requires_grad):
            continue
        analytical = t.grad._array if t.grad is not None else np.zeros_like(t._array)
        numerical = np.zeros(t.shape, dtype=np.float64)
        for i in np.ndindex(t.shape):   # perturb the tensor's own memory, then restore
            original = t._array[i]
            t._array[i] = original + eps
            plus = projected()
            t._array[i] = original - eps
            minus = projected()
            t._array[i] = original
            numerical[i] = (plus - minus) / (2 * eps)
        if not np.allclose(analytical, numerical, atol=atol, rtol=rtol):
            worst = np.unravel_index(np.argmax(np.abs(analytical - numerical)), t.shape)
            message = (f"gradcheck: gradient of input {position} (shape {t.shape}) differs "
                       f"from finite differences; worst at index {tuple(map(int, worst))}: "
                       f"analytical {analytical[worst]:.6g}, numerical {numerical[worst]:.6g}")
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True
