"""The benchmark cases as scratchcnn runs them (see :mod:`.cases` for what each is)."""

import scratchcnn as sc
import scratchcnn.nn.functional as F
from scratchcnn import models

from .flops import conv_flops, step_flops
from .inputs import batch, checksums, conv_inputs, pool_inputs
from .work import SGD, Work


def conv(spec, seed, backward):
    x_np, w_np, b_np, g_np = conv_inputs(spec, seed)
    s, p = spec[6], spec[7]
    x, w, b = (sc.from_numpy(a) for a in (x_np, w_np, b_np))
    if not backward:
        return Work(lambda: F.conv2d(x, w, b, s, p),
                    lambda y: {"checksums": checksums(y.data)}, conv_flops(spec))
    for t in (x, w, b):
        t.requires_grad_()

    def fn():
        x.grad = w.grad = b.grad = None
        y = F.conv2d(x, w, b, s, p)
        y.backward(g_np)
        return y

    def check(y):
        return {"checksums": checksums(y.data, x.grad.data, w.grad.data, b.grad.data)}

    return Work(fn, check, conv_flops(spec, backward=True))


def pool(spec, seed, backward):
    x_np, g_np = pool_inputs(spec, seed)
    k, s, p = spec[5:]
    x = sc.from_numpy(x_np).requires_grad_(backward)
    if not backward:
        return Work(lambda: F.max_pool2d(x, k, s, p), lambda y: {"checksums": checksums(y.data)})

    def fn():
        x.grad = None
        y = F.max_pool2d(x, k, s, p)
        y.backward(g_np)
        return y

    return Work(fn, lambda y: {"checksums": checksums(y.data, x.grad.data)})


def build_model(name, kwargs, seed):
    """The zoo model with the seeded initial weights every library starts from, and its
    number of classes."""
    sc.manual_seed(seed)
    model = models.get(name, **kwargs)
    classes = model.output_shape((1,) + models.input_size(name))[-1]
    return model, classes


def step(spec, seed):
    name, kwargs, shape = spec
    model, classes = build_model(name, kwargs, seed)
    x_np, y_np = batch(shape, classes, seed)
    x, y = sc.from_numpy(x_np), sc.from_numpy(y_np)
    flops = step_flops(model, shape)
    model.eval()
    with sc.no_grad():
        initial_loss = float(F.cross_entropy(model(x), y).item())
    model.train()
    optimizer = sc.optim.SGD(model.parameters(), **SGD)

    def fn():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return Work(fn, lambda loss: {"checksums": [initial_loss]}, flops)


def build(library, case, seed):
    kind = case.kind
    if kind in ("conv_fwd", "conv_fb", "baseline"):
        return conv(case.spec, seed, backward=kind != "conv_fwd")
    if kind in ("pool_fwd", "pool_fb"):
        return pool(case.spec, seed, backward=kind == "pool_fb")
    if kind in ("step", "memory"):
        return step(case.spec, seed)
    raise ValueError(f"scratchcnn does not run {case.name}")
