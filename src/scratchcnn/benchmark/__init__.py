"""``scratchcnn benchmark``: a short, honest timing of the engine against PyTorch.

Conv2d forward and forward + backward of AlexNet's conv1-conv3 and the MNIST CNN's two
convs, AlexNet's first max-pool, training steps of ``mnist_cnn`` and AlexNet-200, at
small batches, each at every thread count asked for; with PyTorch installed, the same
calls in PyTorch (same inputs, shapes, weights and threads) and the ratio of the times;
without it, or with ``baselines``, the same convolution by naive loops
(:mod:`scratchcnn.ops.naive`) and by ``np.einsum``. What is measured and how:
:mod:`.measure`; the report: :mod:`.report`.

This is an application of the library, kept small on purpose. The full suite (each
library in processes of its own, larger batches, peak memory, the GEMM shares, the
targets, before/after comparisons) lives in the repository, ``benchmarks/suite.py``; it
parses its options with the same :func:`add_options`.

>>> s = Settings(size="tiny", threads=(1,), only=["conv_fwd/mnist_conv1"], torch=False,
...              baselines=False).resolved()
>>> s.reps, s.rounds
(3, 1)
"""

import sys
import time
from dataclasses import asdict, dataclass
from typing import Optional

from ..argtypes import bounded_int, positive_float  # noqa: F401 - benchmarks/ uses them here
from ..errors import ScratchCNNError
from ..version import __version__
from .report import readable_report, tables

render = tables        # the name the command used for --tables before


class BenchmarkError(ScratchCNNError, RuntimeError):
    """The benchmark's settings are invalid, it ran past its time limit, or (the full
    suite) one of its child processes failed."""


# --------------------------------------------------------------------- options
def add_options(parser, rounds=1, reps=3, timeout_help="stop if the run takes longer "
                "(default: no limit)"):
    """The options ``scratchcnn benchmark`` and ``benchmarks/suite.py`` share (one place
    parses them): --threads, --only, --no-torch, --rounds, --reps, --warmup, --seed,
    --json, --child-timeout. ``rounds``/``reps``: their defaults (None: the caller's)."""
    parser.add_argument("--threads", type=bounded_int(1, 1024), nargs="+", default=[1, 2],
                        metavar="N", help="BLAS thread counts to run, each separately "
                        "(default: 1 2)")
    parser.add_argument("--only", nargs="+", metavar="CASE",
                        help="only these cases: names (conv_fb/alexnet_conv2), globs "
                        "(conv_fb/*), kinds (step, baseline) or layers (mnist_conv2)")
    parser.add_argument("--no-torch", action="store_true", help="do not compare with PyTorch")
    parser.add_argument("--rounds", type=bounded_int(1, 1000), default=rounds,
                        help="rounds per thread count; which library goes first alternates "
                        "from one round and one thread count to the next"
                        + (f" (default {rounds})" if rounds else ""))
    parser.add_argument("--reps", type=bounded_int(1, 100_000), default=reps,
                        help="timed calls per case per round"
                        + (f" (default {reps})" if reps else ""))
    parser.add_argument("--warmup", type=bounded_int(0, 1000), default=1,
                        help="untimed calls first (default 1)")
    parser.add_argument("--seed", type=bounded_int(0, 2**32 - 1), default=0,
                        help="of the random inputs and weights (default 0)")
    parser.add_argument("--json", metavar="PATH", help="also write every number as JSON")
    parser.add_argument("--child-timeout", type=positive_float, metavar="SECONDS",
                        help=timeout_help)


# --------------------------------------------------------------------- settings, run
@dataclass
class Settings:
    """What to measure: ``size`` (``quick``; ``tiny`` for tests), thread counts, rounds
    and timed calls (reps) per case, untimed calls first, the cases (``only``: patterns,
    see :func:`.measure.select`), whether to compare with PyTorch and the baselines, and
    a time limit for the whole run (seconds, None: none)."""
    size: str = "quick"
    threads: tuple = (1, 2)
    rounds: int = 1
    reps: int = 3
    warmup: int = 1
    seed: int = 0
    only: Optional[list] = None
    torch: bool = True
    baselines: bool = True
    time_limit_s: Optional[float] = None

    def resolved(self):
        """A checked copy; raises :class:`BenchmarkError` if something is invalid."""
        from .measure import SIZES, cases, unknown_patterns

        out = Settings(**{**asdict(self), "threads": tuple(self.threads)})
        if out.size not in SIZES:
            raise BenchmarkError(f"size must be one of {SIZES}, got {out.size!r}")
        if not out.threads or min(out.threads) < 1:
            raise BenchmarkError("thread counts must be >= 1")
        if min(out.rounds, out.reps) < 1 or out.warmup < 0:
            raise BenchmarkError("rounds and reps must be >= 1, warmup >= 0")
        if out.time_limit_s is not None and not out.time_limit_s > 0:
            raise BenchmarkError("the time limit must be > 0 seconds")
        unknown = unknown_patterns(cases(out.size), out.only)
        if unknown:
            names = ", ".join(c.name for c in cases(out.size))
            raise BenchmarkError(f"no case matches {', '.join(map(repr, unknown))}; cases: "
                                 f"{names}")
        return out


def _machine(torch):
    """Versions, CPU and NumPy's BLAS (as threadpoolctl sees it), for the report."""
    import os
    import platform

    import numpy

    info = {"scratchcnn": __version__, "torch": torch and torch.__version__.split("+")[0],
            "numpy": numpy.__version__, "python": platform.python_version(),
            "logical_cpus": os.cpu_count(), "cpu_model": platform.processor() or
            platform.machine(), "blas": None}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            info["cpu_model"] = next(line.split(":", 1)[1].strip() for line in f
                                     if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        import threadpoolctl
    except ImportError:
        return info
    pools = [p for p in threadpoolctl.threadpool_info() if p.get("user_api") == "blas"]
    pool = next((p for p in pools if "numpy" in p.get("filepath", "")), pools[0] if pools else {})
    info["blas"] = {"library": pool.get("internal_api"), "version": pool.get("version"),
                    "kernel": pool.get("architecture"),
                    "overrides": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE",
                                                             "OPENBLAS_L2_SIZE")
                                  if k in os.environ}}
    return info


def run(settings, progress=sys.stderr, command=None):
    """Measure (see :mod:`.measure`) and return the result dict :mod:`.report` prints."""
    from ..threads import get_num_threads, set_num_threads
    from .measure import cases, describe, measure_case, select

    s = settings.resolved()
    torch = None
    if s.torch:
        import torch
    chosen = [c for c in select(cases(s.size), s.only) if s.baselines or c.kind != "baseline"]
    chosen.sort(key=lambda c: c.kind != "gemm")   # the scale first: the other rows use it
    deadline = None if s.time_limit_s is None else time.monotonic() + s.time_limit_s
    result = {"command": command or " ".join(sys.argv), "machine": _machine(torch),
              "settings": asdict(s), "rows": [], "gemm": [], "memory": [], "baselines": []}
    before = get_num_threads(), torch and torch.get_num_threads()
    try:
        for index, threads in enumerate(s.threads):
            set_num_threads(threads)
            if torch:
                torch.set_num_threads(threads)
            for case in chosen:
                if deadline is not None and time.monotonic() > deadline:
                    raise BenchmarkError(f"the benchmark did not finish within "
                                         f"{s.time_limit_s:g} s and was stopped (before "
                                         f"{case.name} at {threads} thread(s))")
                start = time.perf_counter()
                table, rows = measure_case(case, threads, s, index, torch, result["gemm"])
                result[table] += rows
                print(f"  threads={threads} {case.name:<24} {time.perf_counter() - start:6.1f} s",
                      file=progress, flush=True)
    finally:
        set_num_threads(before[0])
        if torch:
            torch.set_num_threads(before[1])
    for row in result["rows"] + result["baselines"]:
        row["shape"] = describe(next(c for c in chosen if c.name == row["case"]))
    return result


def command(args, prog="scratchcnn benchmark"):
    """Run the benchmark for parsed options (:func:`add_options`, plus ``--baselines``
    and ``--tables``), print the report; 0."""
    import importlib.util
    import json

    from ..safe_write import write_bytes

    has_torch = not args.no_torch and importlib.util.find_spec("torch") is not None
    baselines = getattr(args, "baselines", False) or not has_torch
    only = args.only + ["baseline"] if args.only and baselines else args.only
    if not has_torch and not args.no_torch:
        print("PyTorch is not installed (pip install 'scratchcnn[torch]' adds the comparison "
              "with it): comparing with naive loops and np.einsum instead.", file=sys.stderr)
    settings = Settings(size=getattr(args, "size", None) or "quick",
                        threads=tuple(args.threads), rounds=args.rounds, reps=args.reps,
                        warmup=args.warmup, seed=args.seed, only=only, torch=has_torch,
                        baselines=baselines, time_limit_s=args.child_timeout)
    result = run(settings, command=" ".join([prog] + sys.argv[1:]))
    report = tables if getattr(args, "tables", False) else readable_report
    sys.stdout.write(report(result))
    if args.json:
        write_bytes(args.json, (json.dumps(result, indent=2) + "\n").encode())
        print(f"wrote {args.json}")
    return 0


__all__ = ["run", "command", "add_options", "readable_report", "tables", "render", "Settings",
           "BenchmarkError"]
