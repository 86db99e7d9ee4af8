"""What the benchmark measures: the cases, their shapes, and the batch sizes per run size.

Case names are ``KIND/LAYER``:

==================  =================================================================
``conv_fwd/L``      ``y = conv2d(x, w, b)`` of layer L, no gradients
``conv_fb/L``       forward, then ``y.backward(g)``: dL/dx, dL/dw, dL/db
``pool_fwd/L``      max-pool forward; ``pool_fb/L`` forward + backward
``step/M``          one training step of model M: ``zero_grad``, cross-entropy of
                    ``model(x)``, ``backward``, SGD (lr 0.01, momentum 0.9) ``step``
``memory/M``        peak memory of that step (a fresh process of its own)
``gemm/square``     ``np.matmul`` (torch: ``torch.mm``) of two n x n float32 matrices:
                    the GEMM rate the other cases are compared with
``gemm/L``          the three im2col GEMMs of conv layer L alone (NumPy only)
``baseline/L``      conv forward + backward of L by naive loops, ``np.einsum`` and
                    ``np.einsum(optimize=True)``, and by scratchcnn and torch, at a small batch
==================  =================================================================

Sizes: ``full`` is the issue's (AlexNet layers at batch 32, the MNIST CNN at 128);
``quick`` the same layers at small batches (development, ``scratchcnn benchmark``);
``tiny`` smaller still (the tests). Targets only apply to ``full``.

>>> [c.name for c in select(cases("quick"), ["alexnet_conv2"])]
['conv_fwd/alexnet_conv2', 'conv_fb/alexnet_conv2', 'gemm/alexnet_conv2', 'gemm/square']
>>> case_by_name(cases("full"), "step/alexnet200").spec
('alexnet', {'num_classes': 200}, (32, 3, 227, 227))
"""

import fnmatch
from dataclasses import dataclass, field

SIZES = ("full", "quick", "tiny")

# layer: (N, C, H, W, O, k, stride, padding) at the full batch
CONV_LAYERS = {
    "alexnet_conv1": (32, 3, 227, 227, 96, 11, 4, 0),
    "alexnet_conv2": (32, 96, 27, 27, 256, 5, 1, 2),
    "alexnet_conv3": (32, 256, 13, 13, 384, 3, 1, 1),
    "alexnet_conv4": (32, 384, 13, 13, 384, 3, 1, 1),
    "alexnet_conv5": (32, 384, 13, 13, 256, 3, 1, 1),
    "mnist_conv1": (128, 1, 28, 28, 32, 3, 1, 1),
    "mnist_conv2": (128, 32, 14, 14, 64, 3, 1, 1),
}
# layer: (N, C, H, W, C, k, stride, padding): AlexNet's first max-pool, 3x3/2
POOL_LAYERS = {"alexnet_pool1": (32, 96, 55, 55, 96, 3, 2, 0)}
# name: (zoo model, constructor kwargs, (N, C, H, W) at the full batch)
MODELS = {
    "mnist_cnn": ("mnist_cnn", {}, (128, 1, 28, 28)),
    "alexnet200": ("alexnet", {"num_classes": 200}, (32, 3, 227, 227)),
}
MEMORY_MODELS = ("alexnet200",)
BASELINE_LAYER = "mnist_conv2"

# batch per size (full: the batch above)
BATCH = {
    "quick": {"alexnet_conv1": 2, "alexnet_conv2": 2, "alexnet_conv3": 4, "alexnet_conv4": 4,
              "alexnet_conv5": 4, "mnist_conv1": 16,
              "mnist_conv2": 16, "alexnet_pool1": 4, "mnist_cnn": 16, "alexnet200": 2},
    "tiny": {"alexnet_conv1": 1, "alexnet_conv2": 1, "alexnet_conv3": 1, "alexnet_conv4": 1,
             "alexnet_conv5": 1, "mnist_conv1": 2,
             "mnist_conv2": 2, "alexnet_pool1": 1, "mnist_cnn": 4, "alexnet200": 1},
}
BASELINE_BATCH = {"full": 4, "quick": 2, "tiny": 1}
SQUARE_N = {"full": 2048, "quick": 1024, "tiny": 128}


@dataclass(frozen=True)
class Case:
    """One measurement. ``spec``: the conv/pool spec, (model, kwargs, input shape) for
    steps and memory, n for ``gemm/square``, the layer's conv spec for ``gemm/L``."""

    name: str
    kind: str
    spec: tuple = field(hash=False)
    libraries: tuple = ("scratchcnn", "torch")

    @property
    def layer(self):
        return self.name.split("/", 1)[1]


def _with_batch(spec, batch):
    return (batch,) + tuple(spec[1:])


def cases(size="full"):
    """Every case at ``size`` (``full``, ``quick`` or ``tiny``), in table order."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, got {size!r}")
    batch = BATCH.get(size, {})

    def sized(name, spec):
        return _with_batch(spec, batch[name]) if name in batch else spec

    out = []
    for kind in ("conv_fwd", "conv_fb"):
        out += [Case(f"{kind}/{n}", kind, sized(n, s)) for n, s in CONV_LAYERS.items()]
    for kind in ("pool_fwd", "pool_fb"):
        out += [Case(f"{kind}/{n}", kind, sized(n, s)) for n, s in POOL_LAYERS.items()]
    for name, (model, kwargs, shape) in MODELS.items():
        out.append(Case(f"step/{name}", "step", (model, kwargs, sized(name, shape))))
    for name in MEMORY_MODELS:
        model, kwargs, shape = MODELS[name]
        out.append(Case(f"memory/{name}", "memory", (model, kwargs, sized(name, shape))))
    out += [Case(f"gemm/{n}", "conv_gemms", sized(n, s), ("numpy",))
            for n, s in CONV_LAYERS.items()]
    out.append(Case("gemm/square", "gemm", (SQUARE_N[size],), ("numpy", "torch")))
    out.append(Case(f"baseline/{BASELINE_LAYER}", "baseline",
                    _with_batch(CONV_LAYERS[BASELINE_LAYER], BASELINE_BATCH[size]),
                    ("scratchcnn", "torch", "naive", "einsum", "einsum_opt")))
    return out


def _matches(case, pattern):
    parts = case.name.split("/")
    return fnmatch.fnmatchcase(case.name, pattern) or pattern in parts


def select(all_cases, patterns=None):
    """The cases matching any of ``patterns`` (a full name, a glob such as ``conv_fb/*``,
    a kind such as ``step``, or a layer/model name such as ``alexnet_conv2``), plus what
    they need: ``gemm/square`` always (the reference rate), ``gemm/L`` with a conv case
    of layer L. No patterns: everything."""
    if not patterns:
        return list(all_cases)
    chosen = {c.name for c in all_cases if any(_matches(c, p) for p in patterns)}
    conv_layers = {c.layer for c in all_cases if c.name in chosen and c.kind.startswith("conv_")}
    chosen |= {f"gemm/{layer}" for layer in conv_layers} | {"gemm/square"}
    return [c for c in all_cases if c.name in chosen]


def unknown_patterns(all_cases, patterns):
    """The patterns that match no case (to report a typo)."""
    return [p for p in patterns or () if not any(_matches(c, p) for c in all_cases)]


def case_by_name(all_cases, name):
    return next(c for c in all_cases if c.name == name)
