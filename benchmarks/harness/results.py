"""From the children's raw samples to the rows of the tables (all numbers, no text).

``summarize`` returns a JSON-ready dict:

* ``rows``: one per timed case (conv, pool, step) and thread count: ``gflop`` (nominal
  work of one call), ``scratchcnn_ms`` / ``torch_ms`` (medians), ``scratchcnn_gflops``,
  ``torch_gflops``, ``gemm_fraction`` (scratchcnn's GFLOP/s / the square GEMM's),
  ``ratio`` (scratchcnn / torch medians), ``min_ratio`` (the same from the fastest
  samples), ``agree`` (sum |y|, |dx|, ... or the initial loss within 1e-3 relative),
  ``target`` / ``status``;
* ``gemm``: per thread count the square GEMM's rate (NumPy, torch), and per conv layer
  the rate of its three GEMMs alone and its fraction of the square rate;
* ``memory``: per thread count, each library's memory numbers (:mod:`.memory`) and
  the ratio of working memory (peak - baseline RSS);
* ``baselines``: per thread count and implementation, ms per sample of conv forward +
  backward, GFLOP/s, how many times slower than scratchcnn, max relative error;
* ``targets``: every target that applies, with its value and pass/FAIL;
* ``raw``: every child's samples, thread pools, wall time, CPU-busy sample and
  environment.

``summarize_breakdown`` (a ``breakdown`` run) returns ``breakdown``: one row per
``conv_fb`` case and thread count with the mean ms of each piece (:mod:`.breakdown`).
"""

from dataclasses import asdict

from .flops import conv_gemm_shapes
from .targets import target_for
from .timing import median, ratio

TIMED_KINDS = ("conv_fwd", "conv_fb", "pool_fwd", "pool_fb", "step")


def describe(case):
    """A short text for the shape of ``case``."""
    if case.kind in ("step", "memory"):
        model, kwargs, shape = case.spec
        args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        return f"{model}({args}), batch {shape[0]}"
    if case.kind == "gemm":
        n = case.spec[0]
        return f"{n}x{n} @ {n}x{n}"
    n, c, h, w, o, k, s, p = case.spec
    if case.kind.startswith("pool"):
        return f"{n}x{c}x{h}x{w}, {k}x{k}/{s}"
    if case.kind == "conv_gemms":
        o, kk, m = conv_gemm_shapes(case.spec)[0]
        return f"O={o} K={kk} M={m}"
    return f"{n}x{c}x{h}x{w} -> {o}, k{k} s{s} p{p}"


def _agree(a, b, rtol=1e-3):
    if not a or not b or len(a) != len(b):
        return None
    return all(abs(x - y) <= rtol * max(abs(x), abs(y), 1e-30) for x, y in zip(a, b))


def _collect(raw_children):
    """samples[key] (all rounds), first[key] (one child's result dict), memory[key]."""
    samples, first, memory, pools = {}, {}, {}, {}
    for out in raw_children:
        for key, res in out["results"].items():
            if "memory" in res:
                memory[key] = res["memory"]
                continue
            samples.setdefault(key, []).extend(res["times_s"])
            first.setdefault(key, res)
        pools[out["child"]["group"]] = out.get("threadpools")
    return samples, first, memory, pools


def _target(case, metric, threads, value):
    target = target_for(case, metric, threads)
    if target is None:
        return None, None
    return target.label, target.status(value)


def _main_rows(cases, threads, samples, first, square_gflops):
    rows = []
    for case in (c for c in cases if c.kind in TIMED_KINDS):
        sc_key, th_key = f"scratchcnn:{case.name}", f"torch:{case.name}"
        sc, th = median(samples.get(sc_key)), median(samples.get(th_key))
        flops = (first.get(sc_key) or first.get(th_key) or {}).get("flops")

        def rate(seconds):
            return flops / seconds / 1e9 if flops and seconds else None

        best = ratio(min(samples[sc_key]) if sc_key in samples else None,
                     min(samples[th_key]) if th_key in samples else None)
        label, status = _target(case.name, "ratio", threads, ratio(sc, th))
        rows.append({
            "case": case.name, "kind": case.kind, "shape": describe(case), "threads": threads,
            "gflop": flops / 1e9 if flops else None,
            "scratchcnn_ms": sc and 1e3 * sc, "torch_ms": th and 1e3 * th,
            "scratchcnn_gflops": rate(sc), "torch_gflops": rate(th),
            "gemm_fraction": ratio(rate(sc), square_gflops),
            "ratio": ratio(sc, th), "min_ratio": best,
            "n_samples": len(samples.get(sc_key, [])),
            "agree": _agree(first.get(sc_key, {}).get("checksums"),
                            first.get(th_key, {}).get("checksums")),
            "target": label, "status": status,
        })
    return rows


def _gemm_rows(cases, threads, samples, first):
    def rate(key):
        t = median(samples.get(key))
        return first[key]["flops"] / t / 1e9 if t else None

    square = {"case": "gemm/square", "threads": threads,
              "shape": describe(next(c for c in cases if c.name == "gemm/square")),
              "numpy_gflops": rate("numpy:gemm/square") if "numpy:gemm/square" in first
              else None,
              "torch_gflops": rate("torch:gemm/square") if "torch:gemm/square" in first
              else None}
    rows = [square]
    for case in (c for c in cases if c.kind == "conv_gemms"):
        key = f"numpy:{case.name}"
        if key not in first:
            continue
        gflops = rate(key)
        fraction = ratio(gflops, square["numpy_gflops"])
        label, status = _target(case.name, "gemm_fraction", threads, fraction)
        rows.append({"case": case.name, "threads": threads, "shape": describe(case),
                     "gflop": first[key]["flops"] / 1e9,
                     "ms": 1e3 * median(samples[key]), "numpy_gflops": gflops,
                     "fraction": fraction, "target": label, "status": status})
    return rows


def _memory_rows(cases, threads, memory):
    rows = []
    for case in (c for c in cases if c.kind == "memory"):
        sc, th = memory.get(f"scratchcnn:{case.name}"), memory.get(f"torch:{case.name}")
        if sc is None:
            continue
        working = ratio(sc["working_mb"], th and th["working_mb"])
        label, status = _target(case.name, "memory_ratio", threads, working)
        rows.append({"case": case.name, "threads": threads, "shape": describe(case),
                     "scratchcnn": sc, "torch": th, "working_ratio": working,
                     "peak_ratio": ratio(sc["peak_mb"], th and th["peak_mb"]),
                     "target": label, "status": status})
    return rows


def _baseline_rows(cases, threads, samples, first):
    rows = []
    for case in (c for c in cases if c.kind == "baseline"):
        batch = case.spec[0]
        sc = median(samples.get(f"scratchcnn:{case.name}"))
        for library in ("naive", "einsum", "einsum_opt", "scratchcnn", "torch"):
            key = f"{library}:{case.name}"
            t = median(samples.get(key))
            if t is None:
                continue
            rows.append({"case": case.name, "threads": threads, "implementation": library,
                         "shape": describe(case), "batch": batch,
                         "ms_per_sample": 1e3 * t / batch,
                         "gflops": first[key]["flops"] / t / 1e9,
                         "times_scratchcnn": ratio(t, sc),
                         "max_rel_err": first[key].get("max_rel_err")})
    return rows


def summarize(cases, settings, machine_info, raw, command):
    result = {"command": command, "machine": machine_info, "settings": asdict(settings),
              "rows": [], "gemm": [], "memory": [], "baselines": [], "raw": {}}
    for threads_text, children in raw.items():
        threads = int(threads_text)
        samples, first, memory, pools = _collect(children)
        gemm = _gemm_rows(cases, threads, samples, first)
        result["gemm"] += gemm
        result["rows"] += _main_rows(cases, threads, samples, first, gemm[0]["numpy_gflops"])
        result["memory"] += _memory_rows(cases, threads, memory)
        result["baselines"] += _baseline_rows(cases, threads, samples, first)
        result["raw"][threads_text] = {
            "samples_s": samples, "threadpools": pools,
            "torch_num_threads": next((c["torch_num_threads"] for c in children
                                       if "torch_num_threads" in c), None),
            "children": [c["child"] for c in children]}
    result["targets"] = [
        {"case": r["case"], "threads": r["threads"], "metric": metric,
         "value": r[field], "target": r["target"], "status": r["status"]}
        for table, metric, field in (("rows", "ratio", "ratio"),
                                     ("gemm", "gemm_fraction", "fraction"),
                                     ("memory", "memory_ratio", "working_ratio"))
        for r in result[table] if r.get("target")]
    return result


def summarize_breakdown(cases, settings, machine_info, raw, command):
    """The result of a ``breakdown`` run: its rows, and each child's record."""
    shapes = {c.name: describe(c) for c in cases}
    rows = [{"case": key.split(":", 1)[1], "threads": int(threads_text),
             "shape": shapes[key.split(":", 1)[1]], **res["breakdown_ms"]}
            for threads_text, children in raw.items() for out in children
            for key, res in out["results"].items()]
    return {"command": command, "machine": machine_info, "settings": asdict(settings),
            "breakdown": rows,
            "raw": {t: {"children": [c["child"] for c in children]} for t, children in raw.items()}}
