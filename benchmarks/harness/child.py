"""One benchmark process: ``python -c BOOTSTRAP HARNESS_DIR CONFIG_JSON``.

The parent (:mod:`.runner`) starts one of these per library group, thread count and
round, with ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS`` set
to the thread count in its environment, so that every thread pool starts at that
size. Here :func:`scratchcnn.set_num_threads` limits the pools again (threadpoolctl),
and a torch child also calls ``torch.set_num_threads``. Then every case is built,
warmed up and timed (:func:`.timing.time_calls`) in turn, or measured for memory
(:func:`.memory.step_memory`), and one line ``RESULT_PREFIX + json`` goes to stdout:
the results, the thread pools, the :data:`RECORDED_ENV` variables as this process saw
them after ``import scratchcnn``, and the file scratchcnn was imported from.

CONFIG keys: ``group`` (``scratchcnn``: scratchcnn and NumPy's GEMMs; ``torch``;
``baselines``: naive, einsum, einsum_opt; ``breakdown``: scratchcnn's conv split into
its pieces, :mod:`.breakdown`), ``threads``, ``size``, ``cases`` (names), ``reps``,
``warmup``, ``seed``.

The harness is not part of the installed package, so :data:`BOOTSTRAP` loads this
folder's modules as the package ``scratchcnn_benchmark`` (without running its
``__init__``), while ``import scratchcnn`` finds the scratchcnn under test first on
``PYTHONPATH``: this checkout's, or with the parent's ``src`` setting (``--src DIR``)
another source tree, e.g. an older commit. So the modules a child runs import
scratchcnn by absolute name only, and fall back where an older scratchcnn lacks
something (``set_num_threads``, ``interop``).
"""

import json
import os
import sys

RESULT_PREFIX = "SCRATCHCNN-BENCHMARK-RESULT "
GROUPS = {"scratchcnn": ("scratchcnn", "numpy"), "torch": ("torch",),
          "baselines": ("naive", "einsum", "einsum_opt"), "breakdown": ("breakdown",)}
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# reported as seen here: the thread counts and the allocator settings the parent gave
RECORDED_ENV = THREAD_ENV + ("MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_",
                             "OPENBLAS_THREAD_TIMEOUT")
BOOTSTRAP = ("import importlib, sys, types; "
             "pkg = types.ModuleType('scratchcnn_benchmark'); pkg.__path__ = [sys.argv[1]]; "
             "sys.modules['scratchcnn_benchmark'] = pkg; "
             "importlib.import_module('scratchcnn_benchmark.child').main(sys.argv[2:])")


def _imports(group, threads):
    """Import and limit everything the group uses, before the memory baseline is read;
    scratchcnn first (before NumPy), as in a program that uses it."""
    import scratchcnn

    try:
        import scratchcnn.interop  # noqa: F401  (what the cases import: part of the baseline)
    except ImportError:            # an old --src tree
        pass
    if group == "torch":
        import torch

        torch.set_num_threads(threads)
    if hasattr(scratchcnn, "set_num_threads"):
        scratchcnn.set_num_threads(threads)
    else:                          # an old --src tree
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    return scratchcnn


def _pools():
    from threadpoolctl import threadpool_info

    return [{k: p.get(k) for k in ("user_api", "internal_api", "num_threads", "version")}
            for p in threadpool_info()]


def run(config):
    group, threads = config["group"], config["threads"]
    scratchcnn = _imports(group, threads)

    import gc

    from . import memory
    from .breakdown import conv_breakdown
    from .cases import case_by_name, cases
    from .timing import time_calls
    from .work import build, prepare

    all_cases = cases(config["size"])
    chosen = [case_by_name(all_cases, name) for name in config["cases"]]
    libraries = [(library, case) for case in chosen for library in GROUPS[group]
                 if library in case.libraries or library == "breakdown"]
    # memory cases: what must exist before the baseline (torch: its model's structure)
    prepared = {(library, case.name): prepare(library, case, config["seed"])
                for library, case in libraries if case.kind == "memory"}
    if prepared:          # a memory child: nothing freed may stay resident in the baseline
        gc.collect()
        memory.trim()
    rss_baseline = memory.rss_mb()
    results = {}
    for library, case in libraries:
        key = f"{library}:{case.name}"
        if library == "breakdown":
            results[key] = {"breakdown_ms": conv_breakdown(case.spec, config["seed"],
                                                           config["reps"], config["warmup"])}
            continue
        if case.kind == "memory":
            def make_step(library=library, case=case):
                return build(library, case, config["seed"],
                             prepared[library, case.name]).fn
            results[key] = {"memory": memory.step_memory(make_step, rss_baseline)}
            continue
        work = build(library, case, config["seed"])
        check = {}
        times = time_calls(work.fn, config["reps"], config["warmup"],
                           on_first=lambda out, w=work: check.update(w.check(out)))
        results[key] = {"times_s": times, "flops": work.flops, **check}
        del work
    out = {"results": results, "threadpools": _pools(),
           "env": {k: os.environ[k] for k in RECORDED_ENV if k in os.environ},
           "scratchcnn_file": scratchcnn.__file__}
    if group == "torch":
        import torch

        out["torch_num_threads"] = torch.get_num_threads()
    return out


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    out = run(json.loads(argv[0]))
    sys.stdout.write(RESULT_PREFIX + json.dumps(out) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
