"""The result dict of :func:`.results.summarize` as text tables (the main table and
the baselines' are :mod:`scratchcnn.benchmark.report`'s, shared with ``scratchcnn benchmark``).

Main table, one row per case and thread count:

=============  =================================================================
case, shape    what was timed (see :mod:`.cases`) and its input
thr            threads each library was given
GFLOP          nominal work of one call (:mod:`.flops`); ``-`` for pooling
sc ms          scratchcnn's median time per call
torch ms       PyTorch's median time per call (with torch only)
sc GFLOP/s     GFLOP / scratchcnn's median seconds
%GEMM          sc GFLOP/s as a share of the square GEMM's rate (NumPy, same threads)
th GFLOP/s     the same for PyTorch
sc/torch       scratchcnn median / torch median: > 1 means scratchcnn is slower
(best)         the same ratio from each library's fastest call
target, ok     the issue's target for this row, if any, and pass / FAIL
=============  =================================================================

Then the GEMM rates, the peak memory of the training step, the from-scratch
baselines, and the list of targets. A ``breakdown`` run has one table instead: the
pieces of scratchcnn's conv (:mod:`.breakdown`).
"""

from scratchcnn.benchmark.report import (NAMES, _ms, _num, _pct,  # noqa: F401  (one home)
                                         baseline_table, blas_summary, main_table, table)


def gemm_table(result):
    lines = []
    for row in (r for r in result["gemm"] if r["case"] == "gemm/square"):
        torch = "" if row["torch_gflops"] is None else \
            f", torch.mm {row['torch_gflops']:.1f} GFLOP/s"
        lines.append(f"square GEMM {row['shape']} (float32), {row['threads']} thread(s): "
                     f"np.matmul {_num(row['numpy_gflops'])} GFLOP/s{torch}")
    layers = [r for r in result["gemm"] if r["case"] != "gemm/square"]
    if layers:
        lines += ["", "the three im2col GEMMs of each conv layer alone (np.matmul into "
                  "preallocated outputs; K = C*k*k, M = N*OH*OW):\nforward (O x K) @ (K x M), "
                  "dL/dw^T (K x M) @ (M x O), dL/dcols (K x O) @ (O x M)",
                  table(layers, [
                      ("case", -20, lambda r: r["case"]), ("shapes", -22, lambda r: r["shape"]),
                      ("thr", 3, lambda r: str(r["threads"])),
                      ("GFLOP", 7, lambda r: _num(r["gflop"], 2)),
                      ("ms", 9, lambda r: _ms(r["ms"])),
                      ("GFLOP/s", 8, lambda r: _num(r["numpy_gflops"])),
                      ("of square", 9, lambda r: _pct(r["fraction"])),
                      ("target", 7, lambda r: r["target"] or ""),
                      ("ok", 4, lambda r: r["status"] or "")])]
    return "\n".join(lines)


def memory_table(result):
    rows = []
    for r in result["memory"]:
        for library in ("scratchcnn", "torch"):
            m = r[library]
            if m is None:
                continue
            last = library == "torch"      # the ratio and target go on the torch row
            rows.append({"case": r["case"], "threads": r["threads"], "library": library, **m,
                         "ratio": r["working_ratio"] if last else None,
                         "target": r["target"] if last else None,
                         "status": r["status"] if last else None})
    if not rows:
        return ""
    head = (f"peak memory of a training step, MiB ({result['memory'][0]['shape']}; peak: "
            f"{rows[0]['method']}; working = peak - baseline, the resident memory before the "
            "model's weights are allocated):")
    return head + "\n" + table(rows, [
        ("case", -18, lambda r: r["case"]), ("thr", 3, lambda r: str(r["threads"])),
        ("library", -10, lambda r: r["library"]),
        ("baseline", 8, lambda r: _num(r["rss_baseline_mb"], 0)),
        ("peak", 7, lambda r: _num(r["peak_mb"], 0)),
        ("working", 8, lambda r: _num(r["working_mb"], 0)),
        ("sc/torch", 8, lambda r: _num(r["ratio"], 2, "x")),
        ("target", 8, lambda r: r["target"] or ""), ("ok", 4, lambda r: r["status"] or "")])


def targets_summary(result):
    targets = result["targets"]
    if not result["settings"]["torch"]:     # the ratios to PyTorch were not measured
        targets = [t for t in targets if t["metric"] == "gemm_fraction"]
    if not targets:
        return ""
    counts = {s: sum(t["status"] == s for t in targets) for s in ("pass", "FAIL", "-")}
    lines = [f"targets (issue #5): {counts['pass']} pass, {counts['FAIL']} FAIL, "
             f"{counts['-']} not measured"]
    if result["settings"]["size"] != "full":
        lines.append(f"  (this run used the {result['settings']['size']} sizes; the targets "
                     "are defined for the full ones, so pass/FAIL is only indicative)")
    for t in targets:
        value = _pct(t["value"]) if t["metric"] == "gemm_fraction" else _num(t["value"], 2, "x")
        lines.append(f"  {t['status']:<4}  {t['case']:<22} {t['threads']} thr  "
                     f"{t['metric']:<13} {value:>7}  (target {t['target']})")
    return "\n".join(lines)


def header(result):
    m, s = result["machine"], result["settings"]
    versions = ", ".join(f"{k} {m[k]}" for k in ("numpy", "torch", "threadpoolctl")
                         if m.get(k))
    busy = m.get("cpu_busy_at_start")
    return "\n".join([
        f"CPU: {m['cpu_model']} ({m['logical_cpus']} logical CPUs, {m.get('memory_gib')} GiB); "
        f"Python {m['python']}, {versions}; scratchcnn {m['scratchcnn']}",
        f"NumPy's BLAS: {blas_summary(m.get('blas'))}",
        f"size={s['size']} threads={' '.join(map(str, s['threads']))} rounds={s['rounds']} "
        f"reps={s['reps']} warmup={s['warmup']} seed={s['seed']}"
        + ("" if busy is None else f"; CPU busy at start: {busy:.0%}"),
        f"command: {result['command']}"]
        + ([f"the children import scratchcnn from {s['src']}"] if s.get("src") else []))


def breakdown_table(result):
    from .breakdown import KEYS

    def piece(key):
        return lambda r: _ms(r.get(key)) if key in r else "n/a"

    return ("where scratchcnn's conv forward + backward spends its time, mean ms per call:\n"
            + table(result["breakdown"], [("case", -22, lambda r: r["case"]),
                                          ("thr", 3, lambda r: str(r["threads"]))]
                    + [(key, max(9, len(key)), piece(key)) for key in KEYS])
            + "\nforward_rest = conv2d_forward - im2col (GEMM, bias, NCHW copy); "
            "backward_rest = conv2d_backward - scatter_windows\n(two GEMMs, bias sum, "
            "transposes); outside_ops = total - both (autograd, argument checks, the copy of "
            "g); n/a: not found in ops/conv.py.")


def render(result):
    if "breakdown" in result:
        return "\n\n".join([header(result), breakdown_table(result)]) + "\n"
    parts = [header(result), main_table(result)]
    if not all(r["agree"] in (True, None) for r in result["rows"]):
        parts.append("! scratchcnn and torch disagree (sum |y|, |dx|, |dw|, |db| or the initial "
                     "loss differ by more than 1e-3 relative)")
    parts += [gemm_table(result), memory_table(result), baseline_table(result),
              targets_summary(result)]
    return "\n\n".join(p for p in parts if p) + "\n"
