"""The performance targets of issue #5, checked against a run's results.

Every target compares one number of one case at the thread counts listed (all
measured thread counts if None):

=========================  ===================================  ========  =========
case                       number                               target    threads
=========================  ===================================  ========  =========
step/alexnet200            scratchcnn / torch, median time      <= 1.15   2
step/mnist_cnn             scratchcnn / torch, median time      <= 1.10   2
conv_fb/alexnet_conv1..3,  scratchcnn / torch, median time      <= 1.25   all
conv_fb/mnist_conv2
gemm/alexnet_conv1..3,     rate of the layer's three GEMMs      >= 0.85   all
gemm/mnist_conv2           alone / rate of the square GEMM
memory/alexnet200          working memory scratchcnn / torch    <= 1.50   all
=========================  ===================================  ========  =========

:func:`target_for` finds the target of a case, metric and thread count, and
:meth:`Target.status` says ``pass`` or ``FAIL`` for a value (``-`` if it was not
measured); :func:`.results.summarize` applies them to every row. They are defined at
the ``full`` size; at smaller sizes the status is only an indication.

>>> t = Target("step/mnist_cnn", "ratio", "<=", 1.1, threads=(2,))
>>> t.status(1.05), t.status(1.2), t.status(None), t.applies(1), t.label
('pass', 'FAIL', '-', False, '<= 1.10x')
"""

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Target:
    case: str
    metric: str            # "ratio", "gemm_fraction" or "memory_ratio"
    op: str                # "<=" or ">="
    bound: float
    threads: Optional[tuple] = None

    def applies(self, threads):
        return self.threads is None or threads in self.threads

    def status(self, value):
        if value is None:
            return "-"
        ok = value <= self.bound if self.op == "<=" else value >= self.bound
        return "pass" if ok else "FAIL"

    @property
    def label(self):
        return f"{self.op} {self.bound:.0%}" if self.metric == "gemm_fraction" else \
            f"{self.op} {self.bound:.2f}x"


_GEMM_LAYERS = ("alexnet_conv1", "alexnet_conv2", "alexnet_conv3", "mnist_conv2")
# Issue 13 tightened issue 5's step and memory bounds and asks for every conv layer.
_CONV_LAYERS = ("alexnet_conv1", "alexnet_conv2", "alexnet_conv3", "alexnet_conv4",
                "alexnet_conv5", "mnist_conv1", "mnist_conv2")
TARGETS = (
    [Target("step/alexnet200", "ratio", "<=", 1.00, (2,)),
     Target("step/mnist_cnn", "ratio", "<=", 1.10, (2,))]
    + [Target(f"conv_fb/{layer}", "ratio", "<=", 1.25) for layer in _CONV_LAYERS]
    + [Target(f"gemm/{layer}", "gemm_fraction", ">=", 0.85) for layer in _GEMM_LAYERS]
    + [Target("memory/alexnet200", "memory_ratio", "<=", 1.30)]
)


def target_for(case, metric, threads):
    """The target on ``metric`` of ``case`` at ``threads``, or None."""
    for target in TARGETS:
        if target.case == case and target.metric == metric and target.applies(threads):
            return target
    return None
