"""Progress of a loop in the form the output can show.

- a **terminal**: tqdm's bar, redrawn in place (80 columns wide when the terminal reports
  a width of 0, as some containers' pseudo-terminals do: tqdm would draw no bar);
- a **Jupyter notebook**: tqdm's notebook widget when ipywidgets is installed, else
  the lines below (tqdm's widget cannot draw without it);
- anything else (a log file, a pipe, CI): one plain line every few seconds with the
  step, the running loss, images per second and the time left, as Keras' ``verbose=2``
  prints per epoch::

      epoch 1/5  step 120/938  loss 0.4512  1540 img/s  ETA 0:00:53

:func:`progress` picks the form; every form takes ``set_postfix(loss=..., img_s=...)``.

>>> import io
>>> out = io.StringIO()
>>> steps = progress(range(3), 3, "epoch 1/1", stream=out, interval=0)
>>> for step in steps:
...     steps.set_postfix(loss="0.5000", img_s="100")
>>> print(out.getvalue().splitlines()[-1])
epoch 1/1  step 3/3  loss 0.5000  100 img/s  ETA 0:00:00
"""

import importlib.util
import os
import sys
import time

LINE_INTERVAL_S = 5.0    # seconds between two lines in non-interactive output
FALLBACK_COLUMNS = 80    # the bar's width when a terminal reports 0


def in_notebook():
    """True inside a Jupyter kernel (IPython's ZMQ shell); IPython is not imported."""
    ipython = sys.modules.get("IPython")
    if ipython is None or not hasattr(ipython, "get_ipython"):
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:       # an IPython too old or half-initialised: not a notebook
        return False
    return type(shell).__name__ == "ZMQInteractiveShell"


def terminal_columns(stream):
    """The width of the terminal ``stream`` writes to, or None when it is no terminal."""
    try:
        if not stream.isatty():
            return None
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return None


def progress_form(stream=None):
    """"notebook", "bar" or "lines": the form :func:`progress` uses for ``stream``
    (default ``sys.stderr``)."""
    stream = sys.stderr if stream is None else stream
    if in_notebook():
        return "notebook" if importlib.util.find_spec("ipywidgets") else "lines"
    return "bar" if terminal_columns(stream) is not None else "lines"


def _clock(seconds):
    seconds = int(round(max(seconds, 0)))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class LineProgress:
    """Wraps an iterable of ``total`` steps; every ``interval`` seconds (and after the
    last step when a line was printed before) writes one line to ``stream``."""

    def __init__(self, iterable, total, description, stream=None, interval=LINE_INTERVAL_S):
        self.iterable, self.total, self.description = iterable, total, description
        self.stream = sys.stderr if stream is None else stream
        self.interval = interval
        self.postfix = {}
        self.step = 0
        self.printed = False

    def set_postfix(self, **values):
        """Values shown after the step: ``loss`` and ``img_s`` (images per second)."""
        self.postfix = values

    def _line(self, elapsed):
        rate = self.step / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.step) / rate if rate and self.total else 0.0
        parts = [self.description, f"step {self.step}/{self.total}"]
        if "loss" in self.postfix:
            parts.append(f"loss {self.postfix['loss']}")
        if "img_s" in self.postfix:
            parts.append(f"{self.postfix['img_s']} img/s")
        parts.append(f"ETA {_clock(left)}")
        return "  ".join(parts)

    def _write(self, elapsed):
        try:
            print(self._line(elapsed), file=self.stream, flush=True)
        except (OSError, ValueError):   # a closed log: training goes on without lines
            self.interval = float("inf")
        self.printed = True

    def __iter__(self):
        started = last = time.perf_counter()
        for item in self.iterable:
            yield item
            # the step is counted once the caller has done it (and set the postfix)
            self.step += 1
            now = time.perf_counter()
            if now - last >= self.interval and self.step < (self.total or 0):
                self._write(now - started)
                last = now
        if self.printed or self.interval == 0:
            self._write(time.perf_counter() - started)

    def __len__(self):
        return self.total


def progress(iterable, total, description, enabled=True, stream=None, interval=None):
    """``iterable`` wrapped in the progress display that suits ``stream`` (default
    ``sys.stderr``; see the module's docstring), or returned as is when not ``enabled``.
    ``interval``: seconds between two lines in non-interactive output (default: the
    environment's ``SCRATCHCNN_PROGRESS_SECONDS``, else 5)."""
    if not enabled:
        return iterable
    if interval is None:
        try:
            interval = max(0.0, float(os.environ.get("SCRATCHCNN_PROGRESS_SECONDS",
                                                     LINE_INTERVAL_S)))
        except ValueError:    # a malformed setting must not stop a training run
            interval = LINE_INTERVAL_S
    stream = sys.stderr if stream is None else stream
    form = progress_form(stream)
    if form == "lines":
        return LineProgress(iterable, total, description, stream, interval)
    if form == "notebook":
        from tqdm.auto import tqdm
        return tqdm(iterable, total=total, desc=description, leave=False, unit="batch")
    from tqdm import tqdm
    width = terminal_columns(stream)
    return tqdm(iterable, total=total, desc=description, leave=False, unit="batch",
                file=stream, dynamic_ncols=bool(width),
                ncols=None if width else FALLBACK_COLUMNS)
