"""Benchmarks of scratchcnn against PyTorch and against from-scratch code.

``scratchcnn benchmark`` (short) and ``benchmarks/suite.py`` (full, in the repository)
both call :func:`run` with :class:`Settings` and print :func:`render` of the result.
One concept per module:

==================  ===============================================================
:mod:`.cases`       what is measured, the shapes and batch sizes per run size
:mod:`.flops`       FLOP formulas (convolution, its GEMMs, a training step)
:mod:`.inputs`      the same seeded float32 inputs in every process
:mod:`.reference`   the naive-loop and ``np.einsum`` convolutions (baselines)
:mod:`.work`        a case made runnable by one library (``work_scratchcnn``,
                    ``work_torch``, ``work_numpy``)
:mod:`.timing`      warm-up, timed calls, medians
:mod:`.memory`      peak memory of a training step (VmHWM)
:mod:`.breakdown`   scratchcnn's conv time split into im2col, GEMMs, scatter, ...
:mod:`.child`       one measuring process
:mod:`.runner`      the parent: child processes, alternating libraries
:mod:`.results`     samples -> rows; :mod:`.targets` the issue's targets
:mod:`.report`      rows -> text tables; :mod:`.machine` CPU, versions, CPU load
:mod:`.readable`    rows -> the short report in words (``scratchcnn benchmark``)
==================  ===============================================================
"""

from .readable import readable_report
from .report import render
from .runner import BenchmarkError, Settings, run

__all__ = ["run", "render", "readable_report", "Settings", "BenchmarkError"]
