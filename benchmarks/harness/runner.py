"""The parent process: start the children, alternate the libraries, collect medians.

Timing NumPy and PyTorch in one process distorts both (each keeps BLAS/OpenMP worker
threads spinning after a parallel call, which then take the other's cores), so every
library runs in child processes of its own (:mod:`.child`). Per thread count:

1. ``rounds`` rounds; in each, a scratchcnn child (scratchcnn's cases and NumPy's
   GEMMs) and a torch child. Which one goes first alternates from round to round and
   from one thread count to the next (the first thread count's first round starts
   with scratchcnn, its second round and the second thread count's first round with
   torch, ...), so that a slow phase of the machine, or whatever the first child of a
   pair pays for, hits both, even with one round. Each child runs every selected
   case: ``warmup`` untimed calls, then ``reps`` timed ones.
2. For each ``memory/...`` case, one fresh child per library (peak memory must not
   include what earlier cases left behind).
3. With baselines, one child running the naive and einsum convolutions (slow, so
   ``baseline_reps`` calls and no warm-up).

A case's time is the median over all timed calls of all rounds (``rounds x reps``
samples); ratios are scratchcnn median / torch median (> 1: scratchcnn is slower).
Before each child the share of CPU time other processes used is sampled
(``/proc/stat``) and kept, and a warning is printed if the machine is busy. A child
that runs longer than ``child_timeout_s`` (default by size: 30 min full, 10 min quick,
5 min tiny) is stopped and the run fails with a :class:`BenchmarkError` naming it.

With ``breakdown``, only that: one scratchcnn child per thread count splits the time
of each selected ``conv_fb`` case into its pieces (:mod:`.breakdown`).

Environment of a child: ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and
``MKL_NUM_THREADS`` set to the thread count; ``PYTHONPATH`` starting with the folder of
the scratchcnn that runs the parent, or with ``src``; and, in every child alike,
``MALLOC_MMAP_MAX_=0`` and ``MALLOC_TRIM_THRESHOLD_=100000000000``: glibc keeps freed
memory for reuse in both libraries' processes (issue 13's protocol; ``import
scratchcnn`` itself changes no process setting). Each child reports these variables as
it saw them; the JSON keeps them under ``raw.<threads>.children[].env``.
"""

import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

from scratchcnn.benchmark import BenchmarkError  # noqa: F401  (one error class for both)

from . import machine
from .cases import cases as all_cases
from .cases import select, unknown_patterns
from .child import BOOTSTRAP, RESULT_PREFIX, THREAD_ENV
from .results import summarize, summarize_breakdown

# size: (rounds, reps, baseline_reps, seconds of CPU sampling before each child,
#        seconds a child may run)
DEFAULTS = {"full": (3, 3, 2, 0.3, 1800.0), "quick": (2, 2, 1, 0.3, 600.0),
            "tiny": (1, 1, 1, 0.0, 300.0)}


@dataclass
class Settings:
    size: str = "full"
    threads: tuple = (1, 2)
    rounds: Optional[int] = None        # None: the size's default (see DEFAULTS)
    reps: Optional[int] = None
    baseline_reps: Optional[int] = None
    warmup: int = 1
    seed: int = 0
    only: Optional[list] = None
    torch: bool = True
    baselines: bool = True
    busy_probe_s: Optional[float] = None
    child_timeout_s: Optional[float] = None   # None: the size's default (see DEFAULTS)
    src: Optional[str] = None           # a source tree to import scratchcnn from in children
    breakdown: bool = False             # only split scratchcnn's conv_fb time (.breakdown)

    def resolved(self):
        """A copy with the size's defaults filled in; raises BenchmarkError if invalid."""
        rounds, reps, baseline_reps, probe, timeout = DEFAULTS[self.size]
        out = Settings(**{**asdict(self), "threads": tuple(self.threads)})
        out.rounds = rounds if self.rounds is None else self.rounds
        out.reps = reps if self.reps is None else self.reps
        out.baseline_reps = baseline_reps if self.baseline_reps is None else self.baseline_reps
        out.busy_probe_s = probe if self.busy_probe_s is None else self.busy_probe_s
        out.child_timeout_s = timeout if self.child_timeout_s is None else self.child_timeout_s
        if not out.threads or min(out.threads) < 1:
            raise BenchmarkError("thread counts must be >= 1")
        if min(out.rounds, out.reps, out.baseline_reps) < 1 or out.warmup < 0:
            raise BenchmarkError("rounds and reps must be >= 1, warmup >= 0")
        if out.child_timeout_s <= 0:
            raise BenchmarkError("the child timeout must be > 0 seconds")
        if out.src is not None:
            src = Path(out.src).expanduser().resolve()
            if not (src / "scratchcnn" / "__init__.py").is_file():
                raise BenchmarkError(f"{out.src} has no scratchcnn package (scratchcnn/"
                                     "__init__.py): give the folder that contains it, e.g. "
                                     "a checkout's src/")
            out.src = str(src)
        unknown = unknown_patterns(all_cases(out.size), out.only)
        if unknown:
            names = ", ".join(c.name for c in all_cases(out.size))
            raise BenchmarkError(f"no case matches {', '.join(map(repr, unknown))}; cases: "
                                 f"{names}")
        return out


# The same allocator settings for every child, whichever library it runs.
MALLOC_ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "100000000000"}


def _child_env(group, threads, src=None):
    """The environment of a child: thread counts, this scratchcnn (or ``src``) on the
    path, and the same glibc malloc settings (:data:`MALLOC_ENV`) for both libraries."""
    import scratchcnn

    env = dict(os.environ, **{var: str(threads) for var in THREAD_ENV}, **MALLOC_ENV)
    package_root = src or str(Path(scratchcnn.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    return env


def _text(output):
    """Captured output as text (a timeout leaves bytes)."""
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""


def spawn(group, threads, case_names, settings, reps, warmup, label=""):
    """Run one child (``settings`` resolved); its parsed JSON result."""
    config = {"group": group, "threads": threads, "size": settings.size, "cases": case_names,
              "reps": reps, "warmup": warmup, "seed": settings.seed}
    # this folder's benchmark modules (loaded as a package by BOOTSTRAP), and the
    # scratchcnn found first on PYTHONPATH: this checkout's or the --src tree's
    cmd = [sys.executable, "-c", BOOTSTRAP, str(Path(__file__).resolve().parent),
           json.dumps(config)]
    name = f"the {group} child (threads={threads}{', ' + label if label else ''})"
    try:
        proc = subprocess.run(cmd, env=_child_env(group, threads, settings.src),
                              capture_output=True, text=True, timeout=settings.child_timeout_s)
    except subprocess.TimeoutExpired as error:
        raise BenchmarkError(
            f"{name} did not finish within {settings.child_timeout_s:g} s and was stopped "
            f"(a longer limit: --child-timeout SECONDS):\n{_text(error.stderr).strip()[-3000:]}"
        ) from None
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        raise BenchmarkError(f"{name} failed with exit code {proc.returncode}:\n"
                             f"{proc.stderr.strip()[-3000:]}")
    return json.loads(lines[-1][len(RESULT_PREFIX):])


def run(settings, progress=sys.stderr, command=None):
    """Run the benchmark; the result dict (see :func:`.results.summarize`, or
    :func:`.results.summarize_breakdown` with ``breakdown``). ``command``: how it was
    started, for the record (default: this process's arguments)."""
    s = settings.resolved()
    chosen = select(all_cases(s.size), s.only)
    if s.breakdown:
        chosen = [c for c in chosen if c.kind == "conv_fb"]
        if not chosen:
            raise BenchmarkError("the breakdown times conv_fb cases; --only selects none")
    timed = [c for c in chosen if c.kind not in ("memory", "baseline")]
    baseline = [c for c in chosen if c.kind == "baseline"] if s.baselines else []
    memory = [c for c in chosen if c.kind == "memory"]
    groups = ["scratchcnn"] + (["torch"] if s.torch and not s.breakdown else [])
    info = machine.machine_info(torch=s.torch and not s.breakdown)
    info["cpu_busy_at_start"] = machine.cpu_busy(1.0) if s.busy_probe_s else None
    if (info["cpu_busy_at_start"] or 0) > 0.1:
        print(f"WARNING: the machine is busy ({info['cpu_busy_at_start']:.0%} of the CPU time "
              "over the last second went to other processes): timings will be disturbed, most "
              "of all with as many threads as cores.", file=progress)
    overrides = (info.get("blas") or {}).get("overrides")
    if overrides:
        print("WARNING: " + " ".join(f"{k}={v}" for k, v in overrides.items())
              + " in the environment: OpenBLAS runs the kernel it names, which can be slower "
              "than the one it would pick for this CPU. To measure NumPy at its best, unset "
              "these for this command alone: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ...",
              file=progress)
    raw = {}

    def child(group, threads, names, reps, warmup, label):
        busy = machine.cpu_busy(s.busy_probe_s) if s.busy_probe_s else None
        start = time.perf_counter()
        out = spawn(group, threads, names, s, reps, warmup, label)
        wall = time.perf_counter() - start
        note = "" if busy is None else f"  (CPU busy before: {busy:.0%})"
        print(f"  threads={threads} {label:<14} {group:<10} {wall:6.1f} s{note}", file=progress,
              flush=True)
        out["child"] = {"group": group, "label": label, "wall_s": round(wall, 2),
                        "cpu_busy_before": busy, "env": out.pop("env"),
                        "scratchcnn_file": out.pop("scratchcnn_file")}
        raw.setdefault(str(threads), []).append(out)

    for i, threads in enumerate(s.threads):
        if s.breakdown:
            child("breakdown", threads, [c.name for c in chosen], s.reps, s.warmup, "breakdown")
            continue
        names = [c.name for c in timed + baseline]
        for r in range(s.rounds):
            for group in (groups if (i + r) % 2 == 0 else groups[::-1]):
                child(group, threads, names, s.reps, s.warmup, f"round {r + 1}/{s.rounds}")
        for case in memory:
            for group in groups:
                child(group, threads, [case.name], 1, 0, case.name)
        if baseline:
            child("baselines", threads, [c.name for c in baseline], s.baseline_reps, 0,
                  "baselines")
    info["loadavg_at_end"] = machine.load_average()
    command = command or shlex.join(sys.argv)
    if s.breakdown:
        return summarize_breakdown(chosen, s, info, raw, command)
    return summarize(chosen, s, info, raw, command)
