"""The benchmark cases as PyTorch runs them: the same inputs, shapes and initial weights
(the scratchcnn model converted with :func:`scratchcnn.interop.to_torch`), the same
SGD settings, ``torch.nn.functional.cross_entropy``."""

import gc
import os
import tempfile

import torch
import torch.nn.functional as F

from .flops import conv_flops, gemm_flops
from .inputs import batch, checksums, conv_inputs, pool_inputs
from .work_common import Work, training_step


def _np(t):
    return t.detach().numpy()


def conv(spec, seed, backward):
    x, w, b, g = (torch.from_numpy(a) for a in conv_inputs(spec, seed))
    s, p = spec[6], spec[7]
    if not backward:
        return Work(lambda: F.conv2d(x, w, b, s, p),
                    lambda y: {"checksums": checksums(_np(y))}, conv_flops(spec))
    for t in (x, w, b):
        t.requires_grad_()

    def fn():
        x.grad = w.grad = b.grad = None
        y = F.conv2d(x, w, b, s, p)
        y.backward(g)
        return y

    def check(y):
        return {"checksums": checksums(_np(y), _np(x.grad), _np(w.grad), _np(b.grad))}

    return Work(fn, check, conv_flops(spec, backward=True))


def pool(spec, seed, backward):
    x, g = (torch.from_numpy(a) for a in pool_inputs(spec, seed))
    k, s, p = spec[5:]
    if not backward:
        return Work(lambda: F.max_pool2d(x, k, s, p), lambda y: {"checksums": checksums(_np(y))})
    x.requires_grad_()

    def fn():
        x.grad = None
        y = F.max_pool2d(x, k, s, p)
        y.backward(g)
        return y

    return Work(fn, lambda y: {"checksums": checksums(_np(y), _np(x.grad))})


def _converted(spec, seed):
    """The torch twin of the seeded scratchcnn model (same weights), the number of
    classes and the step's FLOPs; the scratchcnn model is freed before returning."""
    from scratchcnn import interop

    from .flops import step_flops
    from .work_scratchcnn import build_model

    name, kwargs, shape = spec
    source, classes = build_model(name, kwargs, seed)
    flops = step_flops(source, shape)
    model = interop.to_torch(source)
    del source
    gc.collect()
    return model, classes, flops


def prepare(case, seed):
    """For a memory case, before the child reads its baseline RSS: convert the seeded
    scratchcnn model, save the torch model's weights to a temporary file, move the
    model to the ``meta`` device (structure without storage) and free the scratchcnn
    model. The returned function (called by :func:`step` after the baseline) allocates
    the weights again (``to_empty``) and loads them: so torch's working memory counts
    its own model, but nothing scratchcnn allocated to build it."""
    if case.kind != "memory":
        return None
    model, classes, flops = _converted(case.spec, seed)
    folder = tempfile.TemporaryDirectory(prefix="scratchcnn-benchmark-")
    path = os.path.join(folder.name, "weights.pt")
    torch.save(model.state_dict(), path)
    model = model.to("meta")
    gc.collect()

    def materialize():
        model.to_empty(device="cpu")
        model.load_state_dict(torch.load(path, weights_only=True))
        folder.cleanup()
        return model, classes, flops

    return materialize


def step(spec, seed, prepared=None):
    model, classes, flops = prepared() if prepared else _converted(spec, seed)
    x, y = (torch.from_numpy(a) for a in batch(spec[2], classes, seed))
    return training_step(model, x, y, F.cross_entropy, torch.optim.SGD, torch.no_grad, flops)


def square_gemm(n, seed):
    gen = torch.Generator().manual_seed(seed)
    a, b = torch.randn(n, n, generator=gen), torch.randn(n, n, generator=gen)
    c = torch.empty(n, n)
    return Work(lambda: torch.mm(a, b, out=c), lambda _: {}, gemm_flops(n, n, n))


def build(library, case, seed, prepared=None):
    kind = case.kind
    if kind in ("conv_fwd", "conv_fb", "baseline"):
        return conv(case.spec, seed, backward=kind != "conv_fwd")
    if kind in ("pool_fwd", "pool_fb"):
        return pool(case.spec, seed, backward=kind == "pool_fb")
    if kind in ("step", "memory"):
        return step(case.spec, seed, prepared)
    if kind == "gemm":
        return square_gemm(case.spec[0], seed)
    raise ValueError(f"torch does not run {case.name}")
