"""One benchmark process: ``python -m scratchcnn.benchmark.child CONFIG_JSON``.

The parent (:mod:`.runner`) starts one of these per library group, thread count and
round, with ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS`` set
to the thread count in its environment, so that every thread pool starts at that
size. Here :func:`scratchcnn.set_num_threads` limits the pools again (threadpoolctl),
and a torch child also calls ``torch.set_num_threads``. Then every case is built,
warmed up and timed (:func:`.timing.time_calls`) in turn, or measured for memory
(:func:`.memory.step_memory`), and one line ``RESULT_PREFIX + json`` goes to stdout.

CONFIG keys: ``group`` (``scratchcnn``: scratchcnn and NumPy's GEMMs; ``torch``;
``baselines``: naive, einsum, einsum_opt), ``threads``, ``size``, ``cases`` (names),
``reps``, ``warmup``, ``seed``.
"""

import json
import sys

RESULT_PREFIX = "SCRATCHCNN-BENCHMARK-RESULT "
GROUPS = {"scratchcnn": ("scratchcnn", "numpy"), "torch": ("torch",),
          "baselines": ("naive", "einsum", "einsum_opt")}


def _imports(group, threads):
    """Import and limit everything the group uses, before the memory baseline is read."""
    import scratchcnn
    import scratchcnn.interop  # noqa: F401  (what the cases import: part of the baseline)

    if group == "torch":
        import torch

        torch.set_num_threads(threads)
    scratchcnn.set_num_threads(threads)


def _pools():
    from threadpoolctl import threadpool_info

    return [{k: p.get(k) for k in ("user_api", "internal_api", "num_threads", "version")}
            for p in threadpool_info()]


def run(config):
    from . import memory
    from .cases import case_by_name, cases
    from .timing import time_calls
    from .work import build

    group, threads = config["group"], config["threads"]
    _imports(group, threads)
    rss_import = memory.rss_mb()
    all_cases = cases(config["size"])
    results = {}
    for name in config["cases"]:
        case = case_by_name(all_cases, name)
        for library in GROUPS[group]:
            if library not in case.libraries:
                continue
            key = f"{library}:{name}"
            if case.kind == "memory":
                def make_step(library=library, case=case):
                    return build(library, case, config["seed"]).fn
                results[key] = {"memory": memory.step_memory(make_step, rss_import)}
                continue
            work = build(library, case, config["seed"])
            check = {}
            times = time_calls(work.fn, config["reps"], config["warmup"],
                               on_first=lambda out, w=work: check.update(w.check(out)))
            results[key] = {"times_s": times, "flops": work.flops, **check}
            del work
    out = {"results": results, "threadpools": _pools()}
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
