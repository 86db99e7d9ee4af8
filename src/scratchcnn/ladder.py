"""``scratchcnn benchmark --ladder LAYER``: every conv algorithm on one layer shape, side by side.

The speed story of a convolution as a lesson, each rung the same forward + backward:

1. naive loops (:mod:`scratchcnn.ops.naive`): one Python iteration per output value. Run
   on one image and multiplied by the batch size (labelled "extrapolated"): the full
   batch would take minutes.
2. ``np.einsum`` over the strided window view: vectorised, no im2col matrix.
3. im2col + one GEMM (``ops/conv.py``, the plain op).
4. the speed layer's im2col (``kernels/conv.py``: threaded copies, BLAS orientations).
5. the ones-row GEMM (``kernels/conv_ones_row.py``: bias folded in, per-image products).
6. Winograd F(2x2, 3x3) (``kernels/conv_winograd.py``), with NumPy transforms and, where
   numba is installed, compiled ones; only for 3x3 stride-1 layers.
7. PyTorch, when installed.

LAYER is a name (``mnist.conv1``, ``mnist.conv2``, ``alexnet.conv1`` ... ``alexnet.conv5``:
the benchmark networks' layers at their benchmark batch) or ``N:C:H:W:O:K[:S[:P]]``
(batch, channels, height, width, output channels, kernel, stride, padding).

>>> layer = parse_layer("2:1:6:6:3:3:1:1")
>>> rows = run(layer, threads=1, reps=1, warmup=0, torch=False)
>>> [row[0] for row in rows][:2]
['naive loops (1 image, x2 extrapolated)', 'np.einsum on the window view']
"""

import argparse
import time

import numpy as np

from . import backends, threads
from .errors import ArgumentError
from .kernels import compiled, conv as im2col_fast, conv_algorithms, conv_ones_row, conv_winograd
from .ops import conv as plain_conv, naive
from .ops.conv import pad_spatial, scatter_windows, windows

# name -> (N, C, H, W, O, kernel, stride, padding): the benchmark networks' layers
LAYERS = {
    "mnist.conv1": (128, 1, 28, 28, 32, 3, 1, 1),
    "mnist.conv2": (128, 32, 14, 14, 64, 3, 1, 1),
    "alexnet.conv1": (32, 3, 227, 227, 96, 11, 4, 0),
    "alexnet.conv2": (32, 96, 27, 27, 256, 5, 1, 2),
    "alexnet.conv3": (32, 256, 13, 13, 384, 3, 1, 1),
    "alexnet.conv4": (32, 384, 13, 13, 384, 3, 1, 1),
    "alexnet.conv5": (32, 384, 13, 13, 256, 3, 1, 1),
}


def parse_layer(text):
    """A layer name of :data:`LAYERS` or ``N:C:H:W:O:K[:S[:P]]`` -> (N, C, H, W, O, K, S, P)."""
    if text in LAYERS:
        return LAYERS[text]
    parts = text.split(":")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if not 6 <= len(values) <= 8 or min(values) < 0 or min(values[:6]) < 1:
        raise ArgumentError(f"expects one of {', '.join(LAYERS)} or N:C:H:W:O:K[:S[:P]] "
                            f"(positive ints), got {text!r}", "--ladder")
    values += [1, 0][len(values) - 6:]
    return tuple(values)


def einsum_forward(x, w, b, stride, padding):
    """y = einsum over the window view (N, C, OH, OW, kh, kw) and w, plus b."""
    view = windows(pad_spatial(x, padding), w.shape[2:], stride, (1, 1))
    return np.einsum("ncijuv,ocuv->noij", view, w, optimize=True) + b.reshape(-1, 1, 1), view


def einsum_backward(g, view, x_shape, w, stride, padding):
    """(dx, dw, db): the einsums of the gradient formulas, dx scattered back (col2im)."""
    dw = np.einsum("noij,ncijuv->ocuv", g, view, optimize=True)
    grad_windows = np.einsum("noij,ocuv->ncijuv", g, w, optimize=True)
    padded = (x_shape[0], x_shape[1], x_shape[2] + 2 * padding[0], x_shape[3] + 2 * padding[1])
    dx = scatter_windows(grad_windows, padded, stride, (1, 1), padding)
    return dx, dw, g.sum(axis=(0, 2, 3))


def _module_step(module, x, w, b, stride, padding):
    def step():
        y, cache = module.conv2d_forward(x, w, b, stride, padding, (1, 1), 1)
        return module.conv2d_backward(y, cache, (True, True, True))
    return step


def _candidates(layer, x, w, b, use_torch):
    """(label, step, images it covers) for each rung that can run this layer."""
    n, c, h, wd, o, k, s, p = layer
    stride, padding = (s, s), (p, p)
    one = x[:1]
    rungs = [(f"naive loops (1 image, x{n} extrapolated)",
              lambda: naive.conv2d_backward(naive.conv2d_forward(one, w, b, s, p), one, w,
                                            True, s, p), 1)]

    def einsum_step():
        y, view = einsum_forward(x, w, b, stride, padding)
        return einsum_backward(y, view, x.shape, w, stride, padding)

    rungs.append(("np.einsum on the window view", einsum_step, n))
    rungs.append(("im2col + GEMM (ops/conv.py)", _module_step(plain_conv, x, w, b, stride, padding), n))
    rungs.append(("im2col_fast (kernels/conv.py)", _module_step(im2col_fast, x, w, b, stride, padding), n))
    rungs.append(("ones_row (kernels/conv_ones_row.py)",
                  _module_step(conv_ones_row, x, w, b, stride, padding), n))
    if conv_algorithms.winograd_fits(w.shape, stride, (1, 1), 1):
        winograd = _module_step(conv_winograd, x, w, b, stride, padding)

        def numpy_transforms():
            with backends.kernels.flags(compiled=False):
                return winograd()
        rungs.append(("winograd, NumPy transforms", numpy_transforms, n))
        if compiled.installed():
            def compiled_transforms():
                with backends.kernels.flags(compiled=True):
                    return winograd()
            rungs.append(("winograd, compiled transforms", compiled_transforms, n))
    if use_torch:
        try:
            import torch  # ok: the ladder times PyTorch beside scratchcnn (a benchmark)
        except ImportError:
            torch = None
        if torch is not None:
            tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))

            def torch_step():
                y = torch.nn.functional.conv2d(tx, tw, tb, stride=s, padding=p)
                y.backward(y.detach())
            rungs.append(("PyTorch", torch_step, n))
    return rungs


def _median_time(step, reps, warmup):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def run(layer, threads=2, reps=3, warmup=1, torch=True, seed=0):
    """Time every rung on ``layer`` (N, C, H, W, O, K, S, P) in float32, forward + backward:
    a list of (label, seconds for the whole batch, extrapolated?)."""
    n, c, h, w, o, k, s, p = layer
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    weight = (rng.standard_normal((o, c, k, k)) / np.sqrt(c * k * k)).astype(np.float32)
    bias = rng.standard_normal(o).astype(np.float32)
    _set_threads(threads)
    rows = []
    for label, step, images in _candidates(layer, x, weight, bias, torch):
        seconds = _median_time(step, reps if images == n else 1, warmup if images == n else 0)
        rows.append((label, seconds * n / images, images != n))
    return rows


def _set_threads(count):
    threads.set_num_threads(count)
    try:
        import torch  # ok: the ladder times PyTorch beside scratchcnn (a benchmark)
    except ImportError:
        return
    torch.set_num_threads(count)


def render(layer, rows, threads_used):
    """The ladder as text: time per rung, and its ratio to PyTorch (else to naive)."""
    n, c, h, w, o, k, s, p = layer
    chosen = conv_algorithms.choose((n, c, h, w), (o, c, k, k), (s, s), (p, p))
    reference = dict((label, t) for label, t, _ in rows).get("PyTorch")
    basis = "PyTorch" if reference is not None else "naive"
    reference = reference if reference is not None else rows[0][1]
    lines = [f"conv2d {n}x{c}x{h}x{w} -> {o} channels, {k}x{k} kernel, stride {s}, padding {p}: "
             f"forward + backward, float32, {threads_used} thread(s)",
             f"{'algorithm':40s} {'time':>12s} {'x ' + basis:>12s}"]
    for label, seconds, extrapolated in rows:
        note = "  (extrapolated)" if extrapolated else ""
        lines.append(f"{label:40s} {seconds * 1e3:9.1f} ms {seconds / reference:11.2f}x{note}")
    lines.append(f'backends.conv.algorithm = "auto" runs: {chosen}')
    return "\n".join(lines) + "\n"


def command(args):
    """Run and print the ladder for ``args.ladder`` (the benchmark command's options)."""
    layer = parse_layer(args.ladder)
    count = max(getattr(args, "threads", None) or [2])
    rows = run(layer, threads=count, reps=getattr(args, "reps", 3),
               warmup=getattr(args, "warmup", 1), torch=not getattr(args, "no_torch", False))
    print(render(layer, rows, count), end="")
    return 0


class LadderOption(argparse.Action):
    """``--ladder LAYER`` on the benchmark command: checks LAYER and makes
    :func:`command` the command's handler."""

    def __call__(self, parser, namespace, values, option_string=None):
        try:
            parse_layer(values)
        except ArgumentError as error:
            parser.error(str(error))
        setattr(namespace, self.dest, values)
        namespace.handler = command
