"""Time conv2d forward + backward (dL/dx, dL/dw, dL/db) in scratchcnn against PyTorch.

    .venv/bin/python benchmarks/conv_vs_torch.py --quick          # < 1 minute
    .venv/bin/python benchmarks/conv_vs_torch.py                  # AlexNet + MNIST shapes, 1 and 2 threads
    .venv/bin/python benchmarks/conv_vs_torch.py --threads 1 --cases alexnet_conv2 --json out.json

Each library runs in a child process of its own (NumPy's and PyTorch's thread pools in
one process disturb each other's timings), and the children alternate, scratchcnn then
torch, for ``--rounds`` rounds, so that a slow phase of the machine hits both alike.
Every child builds the same float32 inputs from the same seed, runs one untimed
warm-up iteration per case, then times ``--reps`` iterations. The table gives the
median over all timed iterations of all rounds. See benchmarks/README.md.
"""

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"  # where scratchcnn is imported from; --src changes it

# name: (batch, in_channels, height, width, out_channels, kernel, stride, padding)
CASES = {
    "alexnet_conv1": (32, 3, 227, 227, 96, 11, 4, 0),
    "alexnet_conv2": (32, 96, 27, 27, 256, 5, 1, 2),
    "alexnet_conv3": (32, 256, 13, 13, 384, 3, 1, 1),
    "mnist_conv2": (128, 32, 14, 14, 64, 3, 1, 1),
}
# --quick: the same layers on smaller batches.
QUICK_BATCH = {"alexnet_conv1": 2, "alexnet_conv2": 2, "alexnet_conv3": 4, "mnist_conv2": 16}
LIBRARIES = ("scratchcnn", "torch")
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def output_hw(h, w, k, s, p):
    return (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1


def forward_macs(spec):
    n, c, h, w, o, k, s, p = spec
    oh, ow = output_hw(h, w, k, s, p)
    return n * o * oh * ow * c * k * k


def flops_fwd_bwd(spec):
    """2 FLOPs per multiply-add; forward, dL/dx and dL/dw each cost one forward."""
    return 2 * 3 * forward_macs(spec)


# ----------------------------------------------------------------------------- child
def make_inputs(spec, seed):
    """x, w, b and the upstream gradient g = dL/dy, float32, identical in every child."""
    import numpy as np

    n, c, h, w, o, k, s, p = spec
    oh, ow = output_hw(h, w, k, s, p)
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(c * k * k)
    x = rng.standard_normal((n, c, h, w), dtype=np.float32)
    weight = rng.uniform(-bound, bound, (o, c, k, k)).astype(np.float32)
    bias = rng.uniform(-bound, bound, (o,)).astype(np.float32)
    grad = rng.standard_normal((n, o, oh, ow), dtype=np.float32)
    return x, weight, bias, grad


def checksums(*arrays):
    """Sum of |a| in float64 for y, dx, dw, db: lets the parent see both libraries agree."""
    import numpy as np

    return [float(np.abs(np.asarray(a, dtype=np.float64)).sum()) for a in arrays]


def scratchcnn_step(spec, arrays):
    sys.path.insert(0, str(SRC))  # works without `pip install -e .` too
    import scratchcnn as sc
    import scratchcnn.nn.functional as F

    _, _, _, _, _, _, s, p = spec
    x_np, w_np, b_np, g_np = arrays
    x, w, b = (sc.from_numpy(a).requires_grad_() for a in (x_np, w_np, b_np))

    def step():
        x.grad = w.grad = b.grad = None
        y = F.conv2d(x, w, b, s, p)
        y.backward(g_np)
        return y

    def result(y):  # y from the last step; the grads are still those of that step
        return checksums(y.data, x.grad.data, w.grad.data, b.grad.data)

    return step, result


def torch_step(spec, arrays):
    import torch

    _, _, _, _, _, _, s, p = spec
    x, w, b, g = (torch.from_numpy(a) for a in arrays)
    for t in (x, w, b):
        t.requires_grad_()

    def step():
        x.grad = w.grad = b.grad = None
        y = torch.nn.functional.conv2d(x, w, b, s, p)
        y.backward(g)
        return y

    def result(y):
        return checksums(y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy())

    return step, result


def time_step(step, reps):
    """Seconds per call of ``step`` and the last call's output."""
    times, out = [], None
    for _ in range(reps):
        out = None  # free the previous graph before timing the next step
        start = time.perf_counter()
        out = step()
        times.append(time.perf_counter() - start)
    return times, out


def breakdown(spec, arrays, reps):
    """scratchcnn only: time the pieces of ops/conv.py by wrapping its module functions."""
    from scratchcnn.ops import conv

    totals = {}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            out = fn(*args, **kwargs)
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - start
            return out
        return wrapper

    names = ("conv2d_forward", "conv2d_backward", "im2col", "scatter_windows")
    originals = {n: getattr(conv, n) for n in names if hasattr(conv, n)}
    for name, fn in originals.items():
        setattr(conv, name, timed(name, fn))
    try:
        step, _ = scratchcnn_step(spec, arrays)
        step()
        totals.clear()
        wall = sum(time_step(step, reps)[0])
    finally:
        for name, fn in originals.items():
            setattr(conv, name, fn)
    ms = {name: 1e3 * t / reps for name, t in totals.items()}
    ms["total"] = 1e3 * wall / reps
    fwd, bwd = ms.get("conv2d_forward"), ms.get("conv2d_backward")
    if fwd is not None and "im2col" in ms:
        ms["forward_rest"] = fwd - ms["im2col"]
    if bwd is not None and "scatter_windows" in ms:
        ms["backward_rest"] = bwd - ms["scatter_windows"]
    if fwd is not None and bwd is not None:
        ms["outside_ops"] = ms["total"] - fwd - bwd
    return ms


def run_child(args):
    """Time every case in this process with one library; print one JSON line."""
    import numpy  # noqa: F401  (threadpoolctl limits only libraries already loaded)
    from threadpoolctl import threadpool_info, threadpool_limits

    if args.child == "torch":
        import torch

        torch.set_num_threads(args.threads)
        make_step = torch_step
    else:
        import scratchcnn  # noqa: F401
        make_step = scratchcnn_step
    threadpool_limits(args.threads)
    results = {}
    for name in args.cases:
        spec = case_spec(name, args.quick)
        arrays = make_inputs(spec, args.seed)
        if args.child == "breakdown":
            results[name] = breakdown(spec, arrays, args.reps)
            continue
        step, result = make_step(spec, arrays)
        for _ in range(args.warmup):
            step()
        times, y = time_step(step, args.reps)
        results[name] = {"times_s": times, "checksums": result(y)}
        del step, result, arrays, y
    pools = [{k: p.get(k) for k in ("user_api", "internal_api", "num_threads", "version")}
             for p in threadpool_info()]
    extra = {}
    if args.child == "torch":
        import torch

        extra = {"torch_num_threads": torch.get_num_threads()}
    print(json.dumps({"results": results, "threadpools": pools, **extra}))


# ----------------------------------------------------------------------------- parent
def case_spec(name, quick):
    spec = CASES[name]
    return (QUICK_BATCH[name],) + spec[1:] if quick else spec


def spawn(library, threads, args):
    env = dict(os.environ, **{var: str(threads) for var in THREAD_ENV})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", library,
           "--threads", str(threads), "--reps", str(args.reps), "--warmup", str(args.warmup),
           "--seed", str(args.seed), "--src", str(SRC), "--cases", *args.cases] + (
               ["--quick"] if args.quick else [])
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"{library} child failed (threads={threads}):\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine_info():
    model = platform.processor() or platform.machine()
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    versions = subprocess.run(
        [sys.executable, "-c", "import numpy, torch, threadpoolctl; print(numpy.__version__, "
         "torch.__version__, threadpoolctl.__version__)"], capture_output=True, text=True,
    ).stdout.split()
    return {"cpu_model": model, "logical_cpus": os.cpu_count(), "python": platform.python_version(),
            "loadavg_at_start": load_average(),
            "platform": platform.platform(),
            **dict(zip(("numpy", "torch", "threadpoolctl"), versions))}


def cpu_busy(seconds):
    """Fraction of all CPUs' time spent busy over ``seconds`` (Linux /proc/stat), or None."""
    def sample():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        return values[3] + values[4], sum(values[:8])  # idle + iowait, total (no guest)
    try:
        idle0, total0 = sample()
        time.sleep(seconds)
        idle1, total1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    return round(1 - (idle1 - idle0) / max(total1 - total0, 1), 3)


def load_average():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def agree(a, b, rtol=1e-3):
    return all(abs(x - y) <= rtol * max(abs(x), abs(y), 1e-30) for x, y in zip(a, b))


def describe(spec):
    n, c, h, w, o, k, s, p = spec
    return f"{n}x{c}x{h}x{w} -> {o}, k{k} s{s} p{p}"


def run_parent(args):
    sys.stdout.reconfigure(line_buffering=True)  # keep the order with the progress on stderr
    info = machine_info()
    command = shlex.join([os.path.relpath(sys.executable)] + sys.argv)
    print(f"CPU: {info['cpu_model']} ({info['logical_cpus']} logical CPUs); numpy "
          f"{info.get('numpy')}, torch {info.get('torch')}, Python {info['python']}")
    print(f"rounds={args.rounds} reps={args.reps} warmup={args.warmup} seed={args.seed}"
          f"{' (quick)' if args.quick else ''}")
    print(f"scratchcnn from {SRC}\n")
    busy = info["cpu_busy_at_start"] = cpu_busy(1.0)
    if busy is not None and busy > 0.1:
        print(f"WARNING: the machine is busy ({busy:.0%} of the CPU time over the last second "
              "went to other processes): they take CPU time from both libraries, most of all "
              f"with --threads {os.cpu_count()}.\n", file=sys.stderr)
    if args.breakdown:
        return run_breakdown(args, info)
    rows, raw = [], {}
    for threads in args.threads:
        samples = {lib: {name: [] for name in args.cases} for lib in LIBRARIES}
        checks, pools, children = {}, {}, []
        for r in range(args.rounds):
            for lib in LIBRARIES:
                busy = cpu_busy(0.3)  # what other processes use just before the child
                t0 = time.perf_counter()
                out = spawn(lib, threads, args)
                wall = time.perf_counter() - t0
                children.append({"round": r + 1, "library": lib, "wall_s": round(wall, 2),
                                 "cpu_busy_before": busy})
                print(f"  threads={threads} round {r + 1}/{args.rounds} {lib:<10} "
                      f"{wall:6.1f} s" + ("" if busy is None else f"  (CPU busy before: "
                                           f"{busy:.0%})"), file=sys.stderr)
                pools[lib] = out["threadpools"]
                for name, res in out["results"].items():
                    samples[lib][name] += res["times_s"]
                    checks[lib, name] = res["checksums"]
        raw[str(threads)] = {"samples_s": samples, "threadpools": pools, "children": children}
        for name in args.cases:
            spec = case_spec(name, args.quick)
            med = {lib: statistics.median(samples[lib][name]) for lib in LIBRARIES}
            rows.append({
                "case": name, "shape": describe(spec), "threads": threads,
                "gflop": flops_fwd_bwd(spec) / 1e9,
                "scratchcnn_ms": 1e3 * med["scratchcnn"], "torch_ms": 1e3 * med["torch"],
                "scratchcnn_gflops": flops_fwd_bwd(spec) / med["scratchcnn"] / 1e9,
                "torch_gflops": flops_fwd_bwd(spec) / med["torch"] / 1e9,
                "ratio": med["scratchcnn"] / med["torch"],
                "min_scratchcnn_ms": 1e3 * min(samples["scratchcnn"][name]),
                "min_torch_ms": 1e3 * min(samples["torch"][name]),
                "min_ratio": min(samples["scratchcnn"][name]) / min(samples["torch"][name]),
                "n_samples": len(samples["scratchcnn"][name]),
                "results_agree": agree(checks["scratchcnn", name], checks["torch", name]),
            })
    print_table(rows)
    if not all(row["results_agree"] for row in rows):
        print("\nWARNING: scratchcnn and torch gave different results (sum |y|, |dx|, |dw|, "
              "|db| differ by > 1e-3 relative) for the cases marked '!'.")
    if args.json:
        info["loadavg_at_end"] = load_average()
        Path(args.json).write_text(json.dumps(
            {"command": command, "machine": info, "settings": settings(args), "rows": rows,
             "raw": raw}, indent=2) + "\n")
        print(f"\nwrote {args.json}")


def settings(args):
    return {k: getattr(args, k) for k in ("threads", "cases", "rounds", "reps", "warmup", "seed",
                                          "quick", "src")}


def print_table(rows):
    head = (f"{'case':<14} {'input -> out, kernel':<28} {'thr':>3} {'GFLOP':>6} "
            f"{'scratchcnn ms':>13} {'torch ms':>9} {'sc GFLOP/s':>10} {'th GFLOP/s':>10} "
            f"{'sc/torch':>8} {'(best)':>7}")
    print(head)
    print("-" * len(head))
    for r in rows:
        flag = "" if r["results_agree"] else " !"
        print(f"{r['case']:<14} {r['shape']:<28} {r['threads']:>3} {r['gflop']:>6.2f} "
              f"{r['scratchcnn_ms']:>13.1f} {r['torch_ms']:>9.1f} {r['scratchcnn_gflops']:>10.1f} "
              f"{r['torch_gflops']:>10.1f} {r['ratio']:>7.2f}x {r['min_ratio']:>6.2f}x{flag}")


def run_breakdown(args, info):
    """Where scratchcnn's time goes, per case and thread count (ms per iteration)."""
    keys = ("total", "im2col", "forward_rest", "scatter_windows", "backward_rest", "outside_ops")
    rows = []
    print(f"{'case':<14} {'thr':>3} " + " ".join(f"{k:>15}" for k in keys))
    for threads in args.threads:
        out = spawn("breakdown", threads, args)
        for name, ms in out["results"].items():
            rows.append({"case": name, "threads": threads, **ms})
            print(f"{name:<14} {threads:>3} " + " ".join(
                f"{ms[k]:>15.1f}" if k in ms else f"{'n/a':>15}" for k in keys))
    print("\nforward_rest = conv2d_forward - im2col (GEMM, bias, NCHW copy); backward_rest = "
          "conv2d_backward - scatter_windows (two GEMMs, bias sum, transposes); outside_ops = "
          "autograd + argument checks + gradient copy.")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"machine": info, "settings": settings(args), "breakdown_ms": rows}, indent=2) + "\n")


def main(argv=None):
    global SRC
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                        help="thread counts to run, each in its own children (default: 1 2)")
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES),
                        metavar="CASE", help=f"which layers (default: all): {', '.join(CASES)}")
    parser.add_argument("--quick", action="store_true",
                        help="smaller batches and fewer repetitions (well under a minute)")
    parser.add_argument("--rounds", type=int, help="alternating scratchcnn/torch child pairs "
                        "per thread count (default 3, quick 2)")
    parser.add_argument("--reps", type=int, help="timed iterations per case per child "
                        "(default 3, quick 2)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed iterations first (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--src", metavar="DIR", default=str(SRC),
                        help="import scratchcnn from this source tree (default: this checkout's "
                        "src/); e.g. a `git worktree` of another commit, to time before/after")
    parser.add_argument("--breakdown", action="store_true",
                        help="instead of comparing, split scratchcnn's time into im2col, scatter "
                        "and the rest (one child per thread count)")
    parser.add_argument("--child", choices=LIBRARIES + ("breakdown",), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    SRC = Path(args.src).resolve()
    args.rounds = args.rounds or (2 if args.quick else 3)
    args.reps = args.reps or (2 if args.quick else 3)
    if min(args.threads) < 1 or args.rounds < 1 or args.reps < 1 or args.warmup < 0:
        parser.error("--threads, --rounds and --reps must be >= 1, --warmup >= 0")
    if args.child:
        args.threads = args.threads[0]
        run_child(args)
    else:
        run_parent(args)


if __name__ == "__main__":
    main()
