"""Peak memory of one training step, from the kernel's counters (Linux; elsewhere ru_maxrss).

``VmRSS`` in ``/proc/self/status`` is the memory a process holds now, ``VmHWM`` its
peak ("high water mark"). Writing ``5`` to ``/proc/self/clear_refs`` resets the peak
to the current value, so::

    after imports         rss_baseline = VmRSS
    build model, 1 step   (warm-up: optimizer state exists from here on)
    reset peak            rss_before   = VmRSS
    1 step                peak         = VmHWM

gives ``peak`` (the whole process), ``peak - rss_baseline`` (the working memory of
model, optimizer state and step, without the libraries' own code and data; the number
the benchmark compares) and ``peak - rss_before``, what the step adds to what the
process already holds. That last one is only telling where freed memory goes back
to the OS: scratchcnn keeps it for reuse (``scratchcnn/runtime.py``), so after the
warm-up step its RSS already is at the step's peak and the increase is about 0.
Where the reset is not possible, the peak is ``getrusage(RUSAGE_SELF).ru_maxrss``, the
peak over the process's whole life (model construction included); ``method`` says
which.

The child (:mod:`.child`) reads the baseline after the imports and after
:func:`.work.prepare`: a torch child converts the seeded scratchcnn model there, keeps
only the torch model's structure (no storage) and frees the scratchcnn one, then
reads the baseline, after :func:`trim`; the weights are allocated again and loaded
in ``build``. So each library's working memory includes one copy of its own model,
and nothing of the other library's.

>>> rss_mb() > 0
True
"""

import os
import resource
import sys

_STATUS = "/proc/self/status"


def _status_mb(field):
    try:
        with open(_STATUS) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024  # kB -> MiB
    except OSError:
        pass
    return None


def _maxrss_mb():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes / kB


def rss_mb():
    """Resident memory now, MiB (the peak so far where VmRSS is unavailable)."""
    value = _status_mb("VmRSS")
    return _maxrss_mb() if value is None else value


def trim():
    """Give the free memory malloc holds back to the OS (glibc's ``malloc_trim(0)``),
    before a baseline is read: otherwise what was freed before it (a torch child's
    conversion of the scratchcnn model: about 30 MB for AlexNet) would be resident in
    the baseline and reused by the step, which would then seem to need less. False
    where the C library has no such call."""
    import ctypes
    import ctypes.util

    try:
        malloc_trim = ctypes.CDLL(ctypes.util.find_library("c") or None).malloc_trim
    except (OSError, AttributeError):
        return False
    malloc_trim(0)
    return True


def reset_peak():
    """Reset VmHWM to the current RSS; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return os.path.exists(_STATUS)


def peak_mb():
    value = _status_mb("VmHWM")
    return _maxrss_mb() if value is None else value


def step_memory(build, rss_baseline):
    """Measure one call of ``step = build()`` as described above; ``rss_baseline`` is
    :func:`rss_mb` taken after the imports (and the preparation), before ``build``."""
    step = build()
    step()                                    # warm-up
    method = "VmHWM after reset" if reset_peak() else "ru_maxrss (whole process)"
    before = rss_mb()
    step()
    peak = peak_mb()
    return {"rss_baseline_mb": rss_baseline, "rss_before_step_mb": before, "peak_mb": peak,
            "step_increase_mb": peak - before, "working_mb": peak - rss_baseline,
            "method": method}
