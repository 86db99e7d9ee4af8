"""Cases without a framework: NumPy's own GEMM rate, and the from-scratch baselines.

* ``gemm/square``: ``np.matmul(a, b, out=c)`` of two n x n float32 matrices: what
  NumPy's BLAS does at its best on this machine and thread count, the reference rate
  of the ``%GEMM`` column.
* ``gemm/L``: the three im2col GEMMs of conv layer L (see :mod:`.flops`), with the
  operand layouts scratchcnn's ``ops/conv.py`` uses (the weight gradient multiplies by
  the transposed, i.e. Fortran-ordered, ``cols``), each into a preallocated output:
  the rate those shapes can reach at best.
* ``naive`` / ``einsum`` / ``einsum_opt``: forward + backward of the baseline layer by
    :mod:`scratchcnn.ops.naive` and ``scratchcnn.benchmark.measure`` (einsum); ``check`` reports the largest difference from scratchcnn's
  result on the same inputs (max |a - b| / max |b| over y, dL/dx, dL/dw, dL/db).
"""

import numpy as np

try:   # absolute: with --src the children load this folder as another package (child.py)
    from scratchcnn.ops import naive
except ImportError:   # an old --src tree without scratchcnn.ops.naive
    naive = None
try:
    from scratchcnn.benchmark import measure as reference   # the np.einsum convolution
except ImportError:   # an old --src tree
    reference = None
from .flops import conv_flops, conv_gemm_shapes, gemm_flops
from .inputs import conv_inputs
from .work_common import Work


def square_gemm(n, seed):
    rng = np.random.default_rng(seed)
    a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
    c = np.empty((n, n), dtype=np.float32)
    return Work(lambda: np.matmul(a, b, out=c), lambda _: {}, gemm_flops(n, n, n))


def conv_gemms(spec, seed):
    (o, kk, m), _, _ = conv_gemm_shapes(spec)
    rng = np.random.default_rng(seed)

    def rand(*shape):
        return rng.standard_normal(shape, dtype=np.float32)

    weight, cols, grad, w_offsets = rand(o, kk), rand(kk, m), rand(o, m), rand(kk, o)
    y, dw_t, dcols = (np.empty(s, dtype=np.float32) for s in ((o, m), (kk, o), (kk, m)))

    def fn():
        np.matmul(weight, cols, out=y)          # forward
        np.matmul(cols, grad.T, out=dw_t)       # dL/dw, transposed (as ops/conv.py does)
        np.matmul(w_offsets, grad, out=dcols)   # dL/dcols

    flops = sum(gemm_flops(*shape) for shape in conv_gemm_shapes(spec))
    return Work(fn, lambda _: {}, flops)


def scratchcnn_result(x, w, b, g, stride, padding):
    """(y, dL/dx, dL/dw, dL/db) by scratchcnn, the reference for the baselines."""
    import scratchcnn as sc
    import scratchcnn.nn.functional as F

    xt, wt, bt = (sc.from_numpy(a.copy()).requires_grad_() for a in (x, w, b))
    y = F.conv2d(xt, wt, bt, stride, padding)
    y.backward(g)
    return y.numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


def max_rel_err(results, expected):
    return max(float(np.abs(np.asarray(a, np.float64) - e).max() / max(np.abs(e).max(), 1e-30))
               for a, e in zip(results, expected))


def baseline(library, spec, seed):
    x, w, b, g = conv_inputs(spec, seed)
    s, p = spec[6], spec[7]
    expected = [np.asarray(a, np.float64) for a in scratchcnn_result(x, w, b, g, s, p)]
    if library == "naive":
        if naive is None:
            raise ValueError("the scratchcnn under test has no scratchcnn.ops.naive (an old "
                             "--src tree): run the baselines without --src")

        def fn():
            return (naive.conv2d_forward(x, w, b, s, p),
                    *naive.conv2d_backward(g, x, w, True, s, p))
    else:
        if reference is None:
            raise ValueError("the scratchcnn under test has no scratchcnn.benchmark.measure "
                             "(an old --src tree): run the baselines without --src")
        optimize = library == "einsum_opt"

        def fn():
            return (reference.einsum_conv2d(x, w, b, s, p, optimize=optimize),
                    *reference.einsum_conv2d_backward(g, x, w, s, p, optimize=optimize))

    return Work(fn, lambda out: {"max_rel_err": max_rel_err(out, expected)},
                conv_flops(spec, backward=True))


def build(library, case, seed):
    if library == "numpy" and case.kind == "gemm":
        return square_gemm(case.spec[0], seed)
    if library == "numpy" and case.kind == "conv_gemms":
        return conv_gemms(case.spec, seed)
    if case.kind == "baseline":
        return baseline(library, case.spec, seed)
    raise ValueError(f"{library} does not run {case.name}")
