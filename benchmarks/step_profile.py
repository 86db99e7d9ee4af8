"""Time one training step (forward + backward + Adam update) of a zoo model.

    .venv/bin/python benchmarks/step_profile.py                          # mnist_cnn, batch 128, 1 and 2 threads
    .venv/bin/python benchmarks/step_profile.py --model alexnet --batch 8 --reps 3
    .venv/bin/python benchmarks/step_profile.py --ops                    # also: time per op
    .venv/bin/python benchmarks/step_profile.py --src /tmp/before/src    # another commit's code

One step is what ``scratchcnn.train.fit`` does per batch: ``optimizer.zero_grad()``,
``loss = F.cross_entropy(model(x), y)``, ``loss.backward()``, ``optimizer.step()``,
on a fixed random float32 batch (seeded). Thread counts are set with threadpoolctl
(``threadpool_limits``) and ``sc.set_num_threads`` in this process, one after the
other. The table gives the minimum (the least disturbed sample: the machine is shared)
and the median over ``--reps`` timed steps after ``--warmup`` untimed ones.

``--ops`` wraps every ``*_forward`` / ``*_backward`` function of ``scratchcnn.ops`` and of the
speed layer ``scratchcnn.kernels`` (and
the conv helpers ``im2col`` / ``scatter_windows``) with a timer and prints the mean ms per
step of each, for the first thread count; helpers are also counted inside the op that
calls them. The wrapping adds a few microseconds per call.
"""

import argparse
import functools
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parent.parent
HELPERS = ("im2col", "scatter_windows")


def import_scratchcnn(src=REPO / "src"):
    """Import scratchcnn from ``src`` (this checkout's by default; works without
    ``pip install -e .``)."""
    sys.path.insert(0, str(Path(src).resolve()))
    import scratchcnn

    return scratchcnn


def limit_threads(threads):
    """BLAS threads via threadpoolctl (restored on exit), and scratchcnn's own threaded
    passes via ``sc.set_num_threads`` where the imported version has it (they would
    otherwise keep the count they first saw)."""
    import scratchcnn as sc

    limits = threadpool_limits(threads)
    if hasattr(sc, "set_num_threads"):
        sc.set_num_threads(threads)
    return limits


def make_step(model_name, batch, seed):
    import scratchcnn as sc
    import scratchcnn.nn.functional as F
    from scratchcnn import models

    sc.manual_seed(seed)
    model = models.get(model_name)
    model.train()
    rng = np.random.default_rng(seed)
    x = sc.tensor(rng.standard_normal((batch,) + models.input_size(model_name), dtype=np.float32))
    out_features = model(x[:1]).shape[-1]
    y = rng.integers(0, out_features, batch)
    optimizer = sc.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return step


def time_steps(step, reps, warmup):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def op_functions():
    """(module, name) of every op function and conv helper in scratchcnn.ops and in the
    speed layer scratchcnn.kernels (what the dispatch actually calls)."""
    import importlib
    import pkgutil

    from scratchcnn import kernels, ops

    found = []
    for package in (ops, kernels):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for name, value in vars(module).items():
                if callable(value) and getattr(value, "__module__", None) == \
                        module.__name__ and (name.endswith(("_forward", "_backward")) or
                                             name in HELPERS):
                    found.append((module, name))
    return found


def op_breakdown(step, reps, warmup):
    totals, calls = {}, {}

    def timed(key, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                totals[key] = totals.get(key, 0.0) + time.perf_counter() - start
                calls[key] = calls.get(key, 0) + 1
        return wrapper

    originals = op_functions()
    saved = [(module, name, getattr(module, name)) for module, name in originals]
    for module, name, fn in saved:
        key = f"kernels.{name}" if ".kernels." in module.__name__ else name
        setattr(module, name, timed(key, fn))
    try:
        for _ in range(warmup):
            step()
        totals.clear()
        calls.clear()
        wall = sum(time_steps(step, reps, 0))
    finally:
        for module, name, fn in saved:
            setattr(module, name, fn)
    return 1e3 * wall / reps, {k: (1e3 * v / reps, calls[k] // reps) for k, v in totals.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="mnist_cnn", help="a zoo model (default mnist_cnn)")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--reps", type=int, default=10, help="timed steps (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ops", action="store_true", help="also time each op (first thread count)")
    parser.add_argument("--src", default=str(REPO / "src"), metavar="DIR",
                        help="import scratchcnn from this source tree (default: this checkout's "
                        "src/); e.g. a `git worktree` of another commit, to time before/after")
    args = parser.parse_args(argv)
    sc = import_scratchcnn(args.src)
    from scratchcnn import models

    if args.model not in models.names():
        parser.error(f"unknown model {args.model!r}; choose one of {models.names()}")

    print(f"{args.model}, batch {args.batch}, float32, Adam; numpy {np.__version__}; "
          f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"scratchcnn from {Path(sc.__file__).parent.parent}")
    print(f"{'threads':>7} {'min ms':>9} {'median ms':>10} {'reps':>5}")
    for threads in args.threads:
        with limit_threads(threads):
            step = make_step(args.model, args.batch, args.seed)
            times = time_steps(step, args.reps, args.warmup)
        print(f"{threads:>7} {1e3 * min(times):>9.1f} {1e3 * statistics.median(times):>10.1f} "
              f"{len(times):>5}", flush=True)
    if args.ops:
        with limit_threads(args.threads[0]):
            total, per_op = op_breakdown(make_step(args.model, args.batch, args.seed),
                                         args.reps, args.warmup)
        print(f"\nper op, mean ms per step ({args.threads[0]} thread(s); total {total:.1f} ms "
              "per step with the timers; helpers are also inside their op):")
        for name, (ms, n) in sorted(per_op.items(), key=lambda kv: -kv[1][0]):
            print(f"  {name:<28} {ms:>8.2f}  ({n} call{'s' if n != 1 else ''})")


if __name__ == "__main__":
    main()
