"""The result of :func:`.runner.run` as a short report in plain words, under 100 columns:
what ``scratchcnn benchmark`` prints. The detailed tables of :mod:`.report` (GFLOP/s,
shares of the GEMM rate, the targets of the full suite) are ``--tables`` and
``benchmarks/suite.py``.

One line per case and thread count, e.g.::

    Convolution, forward and backward
      alexnet_conv2 (8x96x27x27 -> 256, k5 s1 p2)
        1 thread   scratchcnn 169.8 ms, PyTorch 73.2 ms: scratchcnn takes 2.3x PyTorch's time
"""

import statistics

from . import machine
from .report import NAMES, _ms

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
            f"NumPy {m.get('numpy')} with {machine.blas_summary(m.get('blas'))}",
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
        from .report import render
        return render(result)
    lines = (_heading(result) + _cases(result) + _overall(result) + _memory(result)
             + _gemm(result) + _baselines(result)
             + ["", "More numbers (GFLOP/s, shares of the matrix product's rate): "
                    "scratchcnn benchmark --tables; the full suite: benchmarks/suite.py."])
    return "\n".join(wrapped for line in lines for wrapped in _wrap(line)) + "\n"
