"""The benchmark cases as scratchcnn runs them (see :mod:`.cases` for what each is)."""

import scratchcnn as sc
import scratchcnn.nn.functional as F

from .flops import conv_flops, step_flops
from .inputs import batch, checksums, conv_inputs, pool_inputs
from .work_common import Work, training_step


def conv(spec, seed, backward):
    x_np, w_np, b_np, g_np = conv_inputs(spec, seed)
    s, p = spec[6], spec[7]
    x, w, b = (sc.from_numpy(a) for a in (x_np, w_np, b_np))
    if not backward:
        return Work(lambda: F.conv2d(x, w, b, s, p),
                    lambda y: {"checksums": checksums(y._array)}, conv_flops(spec))
    for t in (x, w, b):
        t.requires_grad_()

    def fn():
        x.grad = w.grad = b.grad = None
        y = F.conv2d(x, w, b, s, p)
        y.backward(g_np)
        return y

    def check(y):
        return {"checksums": checksums(y._array, x.grad._array, w.grad._array, b.grad._array)}

    return Work(fn, check, conv_flops(spec, backward=True))


def pool(spec, seed, backward):
    x_np, g_np = pool_inputs(spec, seed)
    k, s, p = spec[5:]
    x = sc.from_numpy(x_np).requires_grad_(backward)
    if not backward:
        return Work(lambda: F.max_pool2d(x, k, s, p), lambda y: {"checksums": checksums(y._array)})

    def fn():
        x.grad = None
        y = F.max_pool2d(x, k, s, p)
        y.backward(g_np)
        return y

    return Work(fn, lambda y: {"checksums": checksums(y._array, x.grad._array)})


def build_model(name, kwargs, seed):
    """The zoo model with the seeded initial weights every library starts from, and its
    number of classes."""
    from scratchcnn import models    # here: an old --src tree may have no zoo (conv cases)

    sc.manual_seed(seed)
    model = models.get(name, **kwargs)
    classes = model.output_shape((1,) + models.input_size(name))[-1]
    return model, classes


def step(spec, seed):
    name, kwargs, shape = spec
    model, classes = build_model(name, kwargs, seed)
    x, y = (sc.from_numpy(a) for a in batch(shape, classes, seed))
    return training_step(model, x, y, F.cross_entropy, sc.optim.SGD, sc.no_grad,
                         step_flops(model, shape))


def build(library, case, seed):
    kind = case.kind
    if kind in ("conv_fwd", "conv_fb", "baseline"):
        return conv(case.spec, seed, backward=kind != "conv_fwd")
    if kind in ("pool_fwd", "pool_fb"):
        return pool(case.spec, seed, backward=kind == "pool_fb")
    if kind in ("step", "memory"):
        return step(case.spec, seed)
    raise ValueError(f"scratchcnn does not run {case.name}")
