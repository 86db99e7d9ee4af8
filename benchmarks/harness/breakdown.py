"""Where scratchcnn's conv2d forward + backward spends its time (``suite.py --breakdown``).

The functions of ``scratchcnn.kernels.conv`` (the conv2d the library runs; an older
tree's ``scratchcnn.ops.conv``) are wrapped with a timer while the
``conv_fb`` case runs (``warmup`` untimed calls, then ``reps`` timed ones); the
result is mean ms per call of:

==================  ================================================================
``total``           the whole call (``F.conv2d`` then ``y.backward(g)``)
``im2col``          padding plus the copy of the strided window view into the
                    (C*k*k, N*OH*OW) matrix
``forward_rest``    ``conv2d_forward`` minus ``im2col`` (the GEMM, the bias add, the
                    copy back to NCHW)
``scatter_windows`` adding the column gradients back into dL/dx, one pass per kernel
                    offset
``backward_rest``   ``conv2d_backward`` minus ``scatter_windows`` (the dL/dw and
                    dL/dcols GEMMs, the bias sum, the transposes)
``outside_ops``     ``total`` minus forward and backward: autograd engine, argument
                    checks, the copy of ``g`` in ``Tensor.backward``
==================  ================================================================

Wrapping works only while that module keeps those names and ``F.conv2d`` reaches
them through the module (an older tree given with ``--src`` may not); a missing piece
is left out of the result (``n/a`` in the table).
"""

import contextlib
import time

PIECES = ("conv2d_forward", "conv2d_backward", "im2col", "scatter_windows")
KEYS = ("total", "im2col", "forward_rest", "scatter_windows", "backward_rest", "outside_ops")


def conv_breakdown(spec, seed, reps, warmup=1):
    """Mean ms per call of each piece (see above) of the conv_fb case ``spec``."""
    try:
        from scratchcnn.kernels import conv    # the conv2d F.conv2d runs by default
    except ImportError:                        # an older tree (--src) without the speed layer
        from scratchcnn.ops import conv

    from .timing import time_calls
    from .work_scratchcnn import conv as conv_work

    totals = {}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                totals[name] = totals.get(name, 0.0) + time.perf_counter() - start
        return wrapper

    work = conv_work(spec, seed, backward=True)
    originals = {name: getattr(conv, name) for name in PIECES if hasattr(conv, name)}
    for name, fn in originals.items():
        setattr(conv, name, timed(name, fn))
    # The pieces are those of the im2col algorithm: run it whatever the layer's shape
    # would pick (ones-row, Winograd; scratchcnn.kernels.conv_algorithms).
    stack = contextlib.ExitStack()
    try:
        import scratchcnn
        if "im2col_fast" in getattr(scratchcnn.backends.conv, "ALGORITHMS", ()):
            stack.enter_context(scratchcnn.backends.conv.flags(algorithm="im2col_fast"))
    except (ImportError, AttributeError):      # an older tree without the chooser
        pass
    try:
        time_calls(work.fn, 0, warmup)
        totals.clear()
        wall = sum(time_calls(work.fn, reps, 0))
    finally:
        stack.close()
        for name, fn in originals.items():
            setattr(conv, name, fn)
    ms = {name: 1e3 * t / reps for name, t in totals.items()}
    ms["total"] = 1e3 * wall / reps
    fwd, bwd = ms.get("conv2d_forward"), ms.get("conv2d_backward")
    if fwd is not None and "im2col" in ms:
        ms["forward_rest"] = fwd - ms["im2col"]
    if bwd is not None and "scatter_windows" in ms:
        ms["backward_rest"] = bwd - ms["scatter_windows"]
    if fwd is not None and bwd is not None:
        ms["outside_ops"] = ms["total"] - fwd - bwd
    return ms
