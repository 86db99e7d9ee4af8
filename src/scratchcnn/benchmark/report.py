"""The result dict of :func:`.results.summarize` as text tables.

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

from . import machine


def _num(value, digits=1, suffix=""):
    return "-" if value is None else f"{value:.{digits}f}{suffix}"


def _ms(value):
    if value is None:
        return "-"
    return f"{value:.1f}" if value >= 100 else f"{value:.2f}" if value >= 1 else f"{value:.3f}"


def _pct(value):
    return "-" if value is None else f"{100 * value:.0f}%"


def table(rows, columns):
    """Rows as text; ``columns``: (header, width, getter), width < 0 = left-aligned."""
    def cell(text, width):
        return f"{text:<{-width}}" if width < 0 else f"{text:>{width}}"
    lines = [" ".join(cell(h, w) for h, w, _ in columns).rstrip()]
    lines.append("-" * len(lines[0]))
    for row in rows:
        lines.append(" ".join(cell(get(row), w) for _, w, get in columns).rstrip())
    return "\n".join(lines)


def _flag(row):
    return "" if row.get("agree") in (True, None) else " !"


def main_table(result):
    with_torch = result["settings"]["torch"]
    columns = [("case", -22, lambda r: r["case"]), ("shape", -34, lambda r: r["shape"]),
               ("thr", 3, lambda r: str(r["threads"])), ("GFLOP", 7, lambda r: _num(r["gflop"], 2)),
               ("sc ms", 9, lambda r: _ms(r["scratchcnn_ms"]))]
    if with_torch:
        columns.append(("torch ms", 9, lambda r: _ms(r["torch_ms"])))
    columns += [("sc GFLOP/s", 10, lambda r: _num(r["scratchcnn_gflops"])),
                ("%GEMM", 5, lambda r: _pct(r["gemm_fraction"]))]
    if with_torch:
        columns += [("th GFLOP/s", 10, lambda r: _num(r["torch_gflops"])),
                    ("sc/torch", 8, lambda r: _num(r["ratio"], 2, "x") + _flag(r)),
                    ("(best)", 7, lambda r: _num(r["min_ratio"], 2, "x")),
                    ("target", 8, lambda r: r["target"] or ""),
                    ("ok", 4, lambda r: r["status"] or "")]
    return table(result["rows"], columns)


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


NAMES = {"naive": "naive loops", "einsum": "np.einsum", "einsum_opt": "np.einsum(optimize=True)",
         "scratchcnn": "scratchcnn", "torch": "torch"}


def baseline_table(result):
    rows = result["baselines"]
    if not rows:
        return ""
    head = (f"conv forward + backward from scratch vs scratchcnn: {rows[0]['case']} "
            f"({rows[0]['shape']}), per sample:")
    return head + "\n" + table(rows, [
        ("implementation", -25, lambda r: NAMES[r["implementation"]]),
        ("thr", 3, lambda r: str(r["threads"])),
        ("ms/sample", 10, lambda r: _ms(r["ms_per_sample"])),
        ("GFLOP/s", 8, lambda r: _num(r["gflops"], 2)),
        ("time / scratchcnn's", 19, lambda r: _num(r["times_scratchcnn"], 1, "x")),
        ("max rel err", 11, lambda r: "" if r["max_rel_err"] is None
         else f"{r['max_rel_err']:.1e}")])


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
        f"NumPy's BLAS: {machine.blas_summary(m.get('blas'))}",
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
