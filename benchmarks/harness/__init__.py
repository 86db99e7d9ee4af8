"""The full benchmark suite's machinery: scratchcnn against PyTorch and against
from-scratch code, each library in child processes of its own.

``benchmarks/suite.py`` calls :func:`run` with :class:`Settings` and prints
:func:`render` of the result. Not part of the installed package: the ``scratchcnn
benchmark`` command is the short, in-process version (:mod:`scratchcnn.benchmark`), and
this harness shares its options (:func:`scratchcnn.benchmark.add_options`), its report
(:mod:`scratchcnn.benchmark.report`) and its np.einsum baseline. One concept per module:

===================  ===============================================================
:mod:`.cases`        what is measured, the shapes and batch sizes per run size
:mod:`.flops`        FLOP formulas (convolution, its GEMMs, a training step)
:mod:`.inputs`       the same seeded float32 inputs in every process
:mod:`.work`         a case made runnable by one library (``work_scratchcnn``,
                     ``work_torch``, ``work_numpy``; what they share: ``work_common``)
:mod:`.timing`       warm-up, timed calls, medians
:mod:`.memory`       peak memory of a training step (VmHWM)
:mod:`.breakdown`    scratchcnn's conv time split into im2col, GEMMs, scatter, ...
:mod:`.child`        one measuring process
:mod:`.runner`       the parent: child processes, alternating libraries
:mod:`.results`      samples -> rows; :mod:`.targets` the issue's targets
:mod:`.report`       rows -> text tables; :mod:`.machine` CPU, versions, CPU load
===================  ===============================================================
"""

from scratchcnn.benchmark.report import readable_report

from .report import render
from .runner import BenchmarkError, Settings, run

__all__ = ["run", "render", "readable_report", "Settings", "BenchmarkError"]
