"""What ``scratchcnn benchmark`` measures and how: the cases, the timing loop, and each
library's version of a case, all in this one process.

Case names are ``KIND/LAYER``, as in the repository's full suite (``benchmarks/``):

==================  =================================================================
``conv_fwd/L``      ``y = conv2d(x, w, b)`` of layer L, no gradients
``conv_fb/L``       forward, then ``y.backward(g)``: dL/dx, dL/dw, dL/db
``pool_fwd/L``      max-pool forward; ``pool_fb/L`` forward + backward
``step/M``          one training step of model M: ``zero_grad``, cross-entropy of
                    ``model(x)``, ``backward``, SGD (lr 0.01, momentum 0.9) ``step``
``gemm/square``     ``np.matmul`` (and ``torch.mm``) of two n x n float32 matrices
``baseline/L``      conv forward + backward of L by naive loops
                    (:mod:`scratchcnn.ops.naive`), :func:`einsum_conv2d` with and without
                    ``optimize``, scratchcnn and PyTorch, at a small batch
==================  =================================================================

Every library gets the same seeded float32 inputs, the same shapes, the same thread
count (:func:`scratchcnn.set_num_threads`, ``torch.set_num_threads``) and the same
initial weights (the scratchcnn model converted with :func:`scratchcnn.interop.to_torch`).
Each case is warmed up in each library, then the timed calls alternate between the
libraries (which one goes first swaps from one round and thread count to the next); a
time is the median of all its timed calls. The full suite runs each library in a
process of its own; here both share one (PyTorch's idle OpenMP threads can still spin
for a moment after its calls), which is why this is the short report.

>>> [c.name for c in select(cases("tiny"), ["conv_fb/mnist_*"])]
['conv_fb/mnist_conv1', 'conv_fb/mnist_conv2', 'gemm/square']
>>> median_time(lambda: sum(range(100)), reps=3, warmup=1) > 0
True
"""

import fnmatch
import statistics
import time
from dataclasses import dataclass, field

import numpy as np

from ..autograd import no_grad
from ..models import get as get_model, input_size
from ..nn import functional as F
from ..ops import naive
from ..optim import SGD
from ..random import manual_seed
from ..shapes import conv_output_size
from ..summary import summary
from ..tensor import from_numpy

SIZES = ("quick", "tiny")
# layer: (N, C, H, W, O, k, stride, padding); N per size: (quick, tiny)
CONV_LAYERS = {"alexnet_conv1": ((2, 1), (3, 227, 227, 96, 11, 4, 0)),
               "alexnet_conv2": ((2, 1), (96, 27, 27, 256, 5, 1, 2)),
               "alexnet_conv3": ((4, 1), (256, 13, 13, 384, 3, 1, 1)),
               "alexnet_conv4": ((4, 1), (384, 13, 13, 384, 3, 1, 1)),
               "alexnet_conv5": ((4, 1), (384, 13, 13, 256, 3, 1, 1)),
               "mnist_conv1": ((16, 2), (1, 28, 28, 32, 3, 1, 1)),
               "mnist_conv2": ((16, 2), (32, 14, 14, 64, 3, 1, 1))}
POOL_LAYERS = {"alexnet_pool1": ((4, 1), (96, 55, 55, 96, 3, 2, 0))}     # 3x3/2 max-pool
MODELS = {"mnist_cnn": ((16, 4), "mnist_cnn", {}),
          "alexnet200": ((2, 1), "alexnet", {"num_classes": 200})}
BASELINE = ("mnist_conv2", (2, 1))
SQUARE_N = (1024, 128)
SGD_SETTINGS = {"lr": 0.01, "momentum": 0.9}


@dataclass(frozen=True)
class Case:
    """One measurement: ``spec`` is the conv/pool spec (N, C, H, W, O, k, s, p), or
    (zoo name, kwargs, input shape) for a step, or (n,) for the square GEMM."""
    name: str
    kind: str
    spec: tuple = field(hash=False)


def cases(size="quick"):
    """Every case at ``size`` (``quick``, or ``tiny`` for the tests), in report order."""
    i = SIZES.index(size)
    out = [Case(f"{kind}/{name}", kind, (batch[i],) + spec) for kind in ("conv_fwd", "conv_fb")
           for name, (batch, spec) in CONV_LAYERS.items()]
    out += [Case(f"{kind}/{name}", kind, (batch[i],) + spec) for kind in ("pool_fwd", "pool_fb")
            for name, (batch, spec) in POOL_LAYERS.items()]
    out += [Case(f"step/{name}", "step", (model, kwargs, (batch[i],) + input_size(model)))
            for name, (batch, model, kwargs) in MODELS.items()]
    out.append(Case("gemm/square", "gemm", (SQUARE_N[i],)))
    layer, batch = BASELINE
    out.append(Case(f"baseline/{layer}", "baseline", (batch[i],) + CONV_LAYERS[layer][1]))
    return out


def _matches(case, pattern):
    return fnmatch.fnmatchcase(case.name, pattern) or pattern in case.name.split("/")


def select(all_cases, patterns=None):
    """The cases matching any pattern (a name, a glob such as ``conv_fb/*``, a kind such as
    ``step``, a layer such as ``alexnet_conv2``), and ``gemm/square`` (the scale)."""
    if not patterns:
        return list(all_cases)
    return [c for c in all_cases if c.name == "gemm/square"
            or any(_matches(c, p) for p in patterns)]


def unknown_patterns(all_cases, patterns):
    """The patterns that match no case (a typo to report)."""
    return [p for p in patterns or () if not any(_matches(c, p) for c in all_cases)]


# --------------------------------------------------------------------- timing
def timed_call(fn):
    """Seconds of one call of ``fn()``; its result is dropped outside the timed region."""
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    del result
    return elapsed


def median_time(fn, reps, warmup=1):
    """The median seconds of ``reps`` timed calls of ``fn()`` after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    return statistics.median(timed_call(fn) for _ in range(reps))


# --------------------------------------------------------------------- inputs, FLOPs
def conv_output_hw(spec):
    """(OH, OW) of a conv/pool spec (N, C, H, W, O, k, s, p), by :mod:`scratchcnn.shapes`."""
    _, _, h, w, _, k, s, p = spec
    return conv_output_size((h, w), k, s, p)


def conv_flops(spec, backward=False):
    """2 * N*O*OH*OW*C*k*k for the forward pass; 3 times that with dL/dx and dL/dw."""
    n, c, _, _, o, k = spec[:6]
    oh, ow = conv_output_hw(spec)
    return 2 * n * o * oh * ow * c * k * k * (3 if backward else 1)


def step_flops(model, shape):
    """2 * (3 * forward MACs - the first layer's): its dL/dinput is never computed."""
    macs = [row["macs"] for row in summary(model, (1,) + tuple(shape[1:])).rows if row["macs"]]
    return 2 * shape[0] * (3 * sum(macs) - (macs[0] if macs else 0))


def conv_inputs(spec, seed):
    """x (N, C, H, W), w (O, C, k, k), b (O,) and g = dL/dy (N, O, OH, OW), float32."""
    n, c, h, w, o, k = spec[:6]
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(c * k * k)
    return (rng.standard_normal((n, c, h, w), dtype=np.float32),
            rng.uniform(-bound, bound, (o, c, k, k)).astype(np.float32),
            rng.uniform(-bound, bound, (o,)).astype(np.float32),
            rng.standard_normal((n, o) + conv_output_hw(spec), dtype=np.float32))


def checksums(*arrays):
    """sum |a| of each array in float64: two libraries agree if these do."""
    return [float(np.abs(np.asarray(a, dtype=np.float64)).sum()) for a in arrays]


# --------------------------------------------------------------------- np.einsum
def _windows(x, k, stride, padding):
    """(N, C, OH, OW, k, k) strided view of the zero-padded input: no copy."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    view = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))
    return view[:, :, ::stride, ::stride]


def einsum_conv2d(x, w, b, stride=1, padding=0, optimize=False):
    """y = einsum('nchwkl,ockl->nohw', windows, w) + b: x (N, C, H, W), w (O, C, k, k),
    b (O,) -> y (N, O, OH, OW). ``optimize=True`` lets einsum call BLAS (im2col)."""
    y = np.einsum("nchwkl,ockl->nohw", _windows(x, w.shape[2], stride, padding), w,
                  optimize=optimize)
    return y + b.reshape(1, -1, 1, 1)


def einsum_conv2d_backward(g, x, w, stride=1, padding=0, optimize=False):
    """(dL/dx (N, C, H, W), dL/dw (O, C, k, k), dL/db (O,)) from g = dL/dy (N, O, OH, OW):
    dL/dw = einsum('nohw,nchwkl->ockl', g, windows); the window gradients
    einsum('nohw,ockl->nchwkl', g, w) are added back one kernel offset at a time."""
    k = w.shape[2]
    dw = np.einsum("nohw,nchwkl->ockl", g, _windows(x, k, stride, padding), optimize=optimize)
    dwin = np.einsum("nohw,ockl->nchwkl", g, w, optimize=optimize)
    n, c, h, wd = x.shape
    oh, ow = g.shape[2:]
    dxp = np.zeros((n, c, h + 2 * padding, wd + 2 * padding), dtype=x.dtype)
    for u in range(k):
        for v in range(k):
            dxp[:, :, u:u + stride * (oh - 1) + 1:stride,
                v:v + stride * (ow - 1) + 1:stride] += dwin[..., u, v]
    return dxp[:, :, padding:padding + h, padding:padding + wd], dw, g.sum(axis=(0, 2, 3))


# --------------------------------------------------------------------- each library's work
def _conv_work(lib, functional, spec, seed, backward):
    """(fn, check) of a conv case in ``lib`` (``from_numpy`` and ``numpy`` of its tensors)."""
    from_np, to_np = lib
    x, w, b, g = (from_np(a) for a in conv_inputs(spec, seed))
    s, p = spec[6], spec[7]
    if not backward:
        return (lambda: functional.conv2d(x, w, b, s, p)), lambda y: checksums(to_np(y))
    for t in (x, w, b):
        t.requires_grad_()

    def fn():
        x.grad = w.grad = b.grad = None
        y = functional.conv2d(x, w, b, s, p)
        y.backward(g)
        return y
    return fn, lambda y: checksums(*(to_np(t) for t in (y, x.grad, w.grad, b.grad)))


def _pool_work(lib, functional, spec, seed, backward):
    from_np, to_np = lib
    x_np, _, _, g_np = conv_inputs(spec, seed)
    x, g = from_np(x_np), from_np(g_np)
    k, s, p = spec[5:]
    if not backward:
        return (lambda: functional.max_pool2d(x, k, s, p)), lambda y: checksums(to_np(y))
    x.requires_grad_()

    def fn():
        x.grad = None
        y = functional.max_pool2d(x, k, s, p)
        y.backward(g)
        return y
    return fn, lambda y: checksums(to_np(y), to_np(x.grad))


def _step_work(lib, model, functional, sgd, grad_off, shape, classes, seed):
    from_np, _ = lib
    rng = np.random.default_rng(seed)
    x = from_np(rng.standard_normal(shape, dtype=np.float32))
    y = from_np(rng.integers(0, classes, shape[0]).astype(np.int64))
    model.eval()
    with grad_off():
        initial = [float(functional.cross_entropy(model(x), y).item())]
    model.train()
    optimizer = sgd(model.parameters(), **SGD_SETTINGS)

    def fn():
        optimizer.zero_grad()
        loss = functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss
    return fn, lambda loss: initial


def works(case, seed, torch=None):
    """{library: (fn, check, flops)} of ``case`` for scratchcnn, NumPy and, given the
    ``torch`` module, PyTorch; the baselines add naive, einsum and einsum_opt."""
    ours = (from_numpy, lambda t: t.numpy())
    theirs = torch and (torch.from_numpy, lambda t: t.detach().numpy())
    out, kind, spec = {}, case.kind, case.spec
    if kind in ("conv_fwd", "conv_fb", "baseline"):
        flops = conv_flops(spec, backward=kind != "conv_fwd")
        out["scratchcnn"] = _conv_work(ours, F, spec, seed, kind != "conv_fwd") + (flops,)
        if torch:
            out["torch"] = _conv_work(theirs, torch.nn.functional, spec, seed,
                                      kind != "conv_fwd") + (flops,)
    elif kind in ("pool_fwd", "pool_fb"):
        out["scratchcnn"] = _pool_work(ours, F, spec, seed, kind == "pool_fb") + (None,)
        if torch:
            out["torch"] = _pool_work(theirs, torch.nn.functional, spec, seed,
                                      kind == "pool_fb") + (None,)
    elif kind == "step":
        name, kwargs, shape = spec
        manual_seed(seed)
        model = get_model(name, **kwargs)
        classes, flops = model.output_shape((1,) + shape[1:])[-1], step_flops(model, shape)
        if torch:
            from ..interop import to_torch
            out["torch"] = _step_work(theirs, to_torch(model), torch.nn.functional,
                                      torch.optim.SGD, torch.no_grad, shape, classes,
                                      seed) + (flops,)
        out["scratchcnn"] = _step_work(ours, model, F, SGD, no_grad, shape, classes,
                                       seed) + (flops,)
    elif kind == "gemm":
        n = spec[0]
        a, b = np.random.default_rng(seed).standard_normal((2, n, n), dtype=np.float32)
        c = np.empty((n, n), np.float32)
        out["numpy"] = (lambda: np.matmul(a, b, out=c)), (lambda _: None), 2 * n ** 3
        if torch:
            ta, tb, tc = (torch.from_numpy(m) for m in (a.copy(), b.copy(), c.copy()))
            out["torch"] = (lambda: torch.mm(ta, tb, out=tc)), (lambda _: None), 2 * n ** 3
    if kind == "baseline":
        x, w, b, g = conv_inputs(spec, seed)
        s, p = spec[6], spec[7]
        flops = conv_flops(spec, backward=True)
        out["naive"] = (lambda: (naive.conv2d_forward(x, w, b, s, p),
                                 naive.conv2d_backward(g, x, w, True, s, p))), None, flops
        for library, opt in (("einsum", False), ("einsum_opt", True)):
            out[library] = (lambda opt=opt: (einsum_conv2d(x, w, b, s, p, opt),
                                             einsum_conv2d_backward(g, x, w, s, p, opt)),
                            None, flops)
    return out


# --------------------------------------------------------------------- one case, all libraries
BASELINE_ORDER = ("naive", "einsum", "einsum_opt", "scratchcnn", "torch")


def describe(case):
    """A short text for the shape of ``case``."""
    if case.kind == "step":
        model, kwargs, shape = case.spec
        return f"{model}({', '.join(f'{k}={v}' for k, v in kwargs.items())}), batch {shape[0]}"
    if case.kind == "gemm":
        return f"{case.spec[0]}x{case.spec[0]} @ {case.spec[0]}x{case.spec[0]}"
    n, c, h, w, o, k, s, p = case.spec
    if case.kind.startswith("pool"):
        return f"{n}x{c}x{h}x{w}, {k}x{k}/{s}"
    return f"{n}x{c}x{h}x{w} -> {o}, k{k} s{s} p{p}"


def _agree(a, b, rtol=1e-3):
    if not a or not b or len(a) != len(b):
        return None
    return all(abs(x - y) <= rtol * max(abs(x), abs(y), 1e-30) for x, y in zip(a, b))


def _ratio(a, b):
    return None if a is None or not b else a / b


def _samples(work, settings, first):
    """Timed seconds per library: every library's untimed calls first (the first one's
    result checked), then ``rounds x reps`` calls alternating between the libraries,
    which one first swapping each round (and, by ``first``, each thread count)."""
    checks, samples = {}, {library: [] for library in work}
    for library, (fn, check, _) in work.items():
        for i in range(max(settings.warmup, 1)):
            result = fn()
            if i == 0 and check is not None:
                checks[library] = check(result)
            del result
    order = list(work)
    for r in range(settings.rounds):
        for _ in range(settings.reps):
            for library in (order if (first + r) % 2 == 0 else order[::-1]):
                samples[library].append(timed_call(work[library][0]))
    return samples, checks


def measure_case(case, threads, settings, first, torch, gemm_rows):
    """Measure ``case`` at ``threads`` in every library; (table name, rows) of the result."""
    work = works(case, settings.seed, torch)
    if case.kind == "baseline":      # slow loops: one call each, no warm-up
        slow = {k: v for k, v in work.items() if k in ("naive", "einsum", "einsum_opt")}
        fast = {k: v for k, v in work.items() if k not in slow}
        samples = _samples(fast, settings, first)[0]
        samples.update({k: [timed_call(fn)] for k, (fn, _, _) in slow.items()})
        batch, own = case.spec[0], statistics.median(samples["scratchcnn"])
        return "baselines", [
            {"case": case.name, "threads": threads, "implementation": library, "batch": batch,
             "ms_per_sample": 1e3 * statistics.median(samples[library]) / batch,
             "gflops": work[library][2] / statistics.median(samples[library]) / 1e9,
             "times_scratchcnn": _ratio(statistics.median(samples[library]), own),
             "max_rel_err": None}
            for library in BASELINE_ORDER if library in samples]
    samples, checks = _samples(work, settings, first)
    times = {k: statistics.median(v) for k, v in samples.items()}
    flops = next(iter(work.values()))[2]
    if case.kind == "gemm":
        return "gemm", [{"case": case.name, "threads": threads, "shape": describe(case),
                         "numpy_gflops": flops / times["numpy"] / 1e9,
                         "torch_gflops": flops / times["torch"] / 1e9 if "torch" in times
                         else None}]
    square = next((r["numpy_gflops"] for r in gemm_rows if r["threads"] == threads), None)
    sc, th = times["scratchcnn"], times.get("torch")

    def rate(seconds):
        return flops / seconds / 1e9 if flops and seconds else None

    return "rows", [{
        "case": case.name, "kind": case.kind, "threads": threads,
        "gflop": flops / 1e9 if flops else None,
        "scratchcnn_ms": 1e3 * sc, "torch_ms": th and 1e3 * th,
        "scratchcnn_gflops": rate(sc), "torch_gflops": rate(th),
        "gemm_fraction": _ratio(rate(sc), square), "ratio": _ratio(sc, th),
        "min_ratio": _ratio(min(samples["scratchcnn"]), th and min(samples["torch"])),
        "n_samples": len(samples["scratchcnn"]),
        "agree": _agree(checks.get("scratchcnn"), checks.get("torch"))}]
