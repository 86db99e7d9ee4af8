"""A benchmark's result as text: the short report in plain words that ``scratchcnn
benchmark`` prints (:func:`readable_report`, lines under 100 columns), and the tables of
``--tables`` (:func:`tables`). The repository's full suite (``benchmarks/``) prints its
results with the same functions and adds its own tables.

One line per case and thread count, e.g.::

    Convolution, forward and backward
      alexnet_conv2 (8x96x27x27 -> 256, k5 s1 p2)
        1 thread   scratchcnn 169.8 ms, PyTorch 73.2 ms: scratchcnn takes 2.3x PyTorch's time

A result is a dict: ``machine`` (versions, CPU), ``settings`` (``torch``, ``reps``,
``rounds``, ``threads``...), ``rows`` (one per timed case and thread count:
``case``, ``kind``, ``shape``, ``threads``, ``scratchcnn_ms``, ``torch_ms``, ``ratio`` =
scratchcnn / PyTorch, ``agree``...), ``gemm`` (the square matrix product's rate),
``memory`` (the full suite only) and ``baselines`` (ms per sample of each from-scratch
convolution and how many times scratchcnn's time it takes).

>>> _times(2.345), _times(0.5), _times(12.0)
('2.3x', '0.50x', '12x')
"""

import statistics

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
    """One row per case and thread count; the full suite's rows add ``target`` / ``ok``."""
    with_torch = result["settings"]["torch"]
    targets = any("target" in r for r in result["rows"])
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
                    ("(best)", 7, lambda r: _num(r["min_ratio"], 2, "x"))]
    if with_torch and targets:
        columns += [("target", 8, lambda r: r["target"] or ""),
                    ("ok", 4, lambda r: r["status"] or "")]
    return table(result["rows"], columns)


NAMES = {"naive": "naive loops", "einsum": "np.einsum", "einsum_opt": "np.einsum(optimize=True)",
         "scratchcnn": "scratchcnn", "torch": "torch"}


def baseline_table(result):
    """The from-scratch convolutions against scratchcnn, ms per sample."""
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
        ("max rel err", 11, lambda r: "" if r.get("max_rel_err") is None
         else f"{r['max_rel_err']:.1e}")])

def blas_summary(blas):
    """'openblas 0.3.31 (SkylakeX kernel)' plus any override set in the environment."""
    if not blas or not blas.get("library"):
        return "BLAS unknown"
    text = f"{blas['library']} {blas.get('version') or ''}".strip()
    if blas.get("kernel"):
        text += f" ({blas['kernel']} kernel)"
    overrides = blas.get("overrides") or {}
    if overrides:
        text += ", with " + " ".join(f"{k}={v}" for k, v in overrides.items())
    return text


WIDTH = 99
KINDS = {
    "conv_fwd": "Convolution, forward",
    "conv_fb": "Convolution, forward and backward",
    "pool_fwd": "Max pooling, forward",
    "pool_fb": "Max pooling, forward and backward",
    "step": "Training step: forward, backward and the optimizer's update",
}


def _times(ratio):
    """'2.3x' (two significant digits below 10)."""
    return f"{ratio:.2f}x" if ratio < 1 else f"{ratio:.1f}x" if ratio < 10 else f"{ratio:.0f}x"


def _threads(n):
    return f"{n} thread" + ("" if n == 1 else "s")


def _comparison(row, with_torch):
    own = f"scratchcnn {_ms(row['scratchcnn_ms'])} ms"
    if not with_torch or row.get("torch_ms") is None or row.get("ratio") is None:
        return own
    return (f"{own}, PyTorch {_ms(row['torch_ms'])} ms: scratchcnn takes "
            f"{_times(row['ratio'])} PyTorch's time")


def _heading(result):
    m, s = result["machine"], result["settings"]
    against = f" against PyTorch {m['torch']}" if s["torch"] and m.get("torch") else ""
    return [f"scratchcnn {m['scratchcnn']}{against} on {m['cpu_model']} "
            f"({m['logical_cpus']} logical CPUs)",
            f"NumPy {m.get('numpy')} with {blas_summary(m.get('blas'))}",
            f"Times are per call, the median of {s['reps']} timed calls ("
            f"{s['rounds']} round{'s' if s['rounds'] > 1 else ''} per thread count); "
            "less is faster."]


def _cases(result):
    with_torch = result["settings"]["torch"]
    lines = []
    kinds = list(dict.fromkeys(row["kind"] for row in result["rows"]))
    for kind in kinds:
        lines += ["", KINDS.get(kind, kind)]
        rows = [row for row in result["rows"] if row["kind"] == kind]
        for case in dict.fromkeys(row["case"] for row in rows):
            shape = next(r["shape"] for r in rows if r["case"] == case)
            lines.append(f"  {case.split('/', 1)[-1]} ({shape})")
            for row in (r for r in rows if r["case"] == case):
                lines.append(f"    {_threads(row['threads']):<10} {_comparison(row, with_torch)}")
                if row.get("agree") is False:
                    lines.append("      (its results differ from PyTorch's by more than 1e-3 "
                                 "relative)")
    return lines


def _overall(result):
    ratios = [row["ratio"] for row in result["rows"] if row.get("ratio") is not None]
    if not result["settings"]["torch"] or not ratios:
        return []
    return ["", f"Over these {len(ratios)} measurements scratchcnn takes "
                f"{_times(statistics.median(ratios))} PyTorch's time (median; from "
                f"{_times(min(ratios))} to {_times(max(ratios))})."]


def _memory(result):
    lines = []
    for r in result["memory"]:
        own, torch = r.get("scratchcnn"), r.get("torch")
        if own is None:
            continue
        text = f"{own['working_mb']:.0f} MiB"
        if torch is not None:
            text = f"scratchcnn {text}, PyTorch {torch['working_mb']:.0f} MiB"
        lines += ["", f"Memory of a training step of {r['shape']}, {_threads(r['threads'])}:",
                  f"  {text} (the peak less what the process held before the model)"]
    return lines


def _gemm(result):
    lines = []
    for row in (r for r in result["gemm"] if r["case"] == "gemm/square"):
        torch = "" if row["torch_gflops"] is None else \
            f", torch.mm {row['torch_gflops']:.1f}"
        lines.append(f"  {_threads(row['threads'])}: np.matmul {row['numpy_gflops']:.1f} "
                     f"GFLOP/s{torch}")
    if lines:
        shape = next(r["shape"] for r in result["gemm"] if r["case"] == "gemm/square")
        lines = ["", f"For scale, a plain matrix product ({shape}, float32):"] + lines
    return lines


def _baselines(result):
    rows = result["baselines"]
    if not rows:
        return []
    lines = ["", f"The same convolution written from scratch: {rows[0]['case'].split('/')[-1]} "
                 f"({rows[0]['shape']}), forward and backward, per sample:"]
    for row in rows:
        times = row.get("times_scratchcnn")
        tail = "" if times is None or row["implementation"] == "scratchcnn" else \
            f": {_times(times)} scratchcnn's time"
        lines.append(f"  {NAMES[row['implementation']]:<26} {_threads(row['threads']):<10} "
                     f"{_ms(row['ms_per_sample'])} ms{tail}")
    return lines


def _wrap(line):
    """Lines longer than WIDTH broken at spaces, the rest indented like the first."""
    if len(line) <= WIDTH:
        return [line]
    indent = " " * (len(line) - len(line.lstrip()) + 2)
    out, current = [], ""
    for word in line.split(" "):
        if current and len(current) + 1 + len(word) > WIDTH:
            out.append(current)
            current = indent + word
        else:
            current = f"{current} {word}" if current else word
    return out + [current]


def readable_report(result):
    """The report as text (lines of at most 99 characters, ending with a newline)."""
    if "breakdown" in result:
        raise ValueError("a breakdown run has no short report: render it with the full "
                         "suite's tables (benchmarks/suite.py)")
    lines = (_heading(result) + _cases(result) + _overall(result) + _memory(result)
             + _gemm(result) + _baselines(result)
             + ["", "More numbers (GFLOP/s, shares of the matrix product's rate): "
                    "scratchcnn benchmark --tables; the full suite: benchmarks/suite.py."])
    return "\n".join(wrapped for line in lines for wrapped in _wrap(line)) + "\n"


def tables(result):
    """The detailed tables: per case GFLOP, ms, GFLOP/s, share of the square matrix
    product's rate, the ratio to PyTorch; the matrix product; the baselines."""
    parts = [main_table(result)]
    if not all(r.get("agree") in (True, None) for r in result["rows"]):
        parts.append("! scratchcnn and torch disagree (sum |y|, |dx|, |dw|, |db| or the initial "
                     "loss differ by more than 1e-3 relative)")
    parts += ["\n".join(line.strip() for line in _gemm(result) if line), baseline_table(result)]
    return "\n\n".join(p for p in parts if p) + "\n"
