"""The timing loop: untimed warm-up calls, then timed ones; medians and ratios.

Each call is timed on its own with ``time.perf_counter``. The previous call's result is
dropped *before* the next call starts, so that its memory (e.g. an autograd graph) is
freed outside the timed region. Reports use the median over all timed calls of all
rounds (robust to the odd slow sample of a shared machine) and keep the minimum too.

>>> times = time_calls(lambda: sum(range(1000)), reps=3, warmup=1)
>>> len(times), all(t > 0 for t in times)
(3, True)
>>> median([3.0, 1.0, 2.0]), ratio(2.0, 4.0), ratio(1.0, None)
(2.0, 0.5, None)
"""

import statistics
import time


def time_calls(fn, reps, warmup=1, on_first=None):
    """Seconds per call of ``fn()`` for ``reps`` calls after ``warmup`` untimed ones.

    ``on_first(result)``, if given, sees the first call's result (outside the timed
    region; with ``warmup=0`` that first call is also the first timed one), e.g. to
    check it against another library's without paying for an extra call.
    """
    times = []
    for i in range(warmup + reps):
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        if i == 0 and on_first is not None:
            on_first(result)
        if i >= warmup:
            times.append(elapsed)
        del result
    return times


def median(samples):
    return statistics.median(samples) if samples else None


def ratio(a, b):
    """a / b, or None when either is missing."""
    return None if a is None or not b else a / b
