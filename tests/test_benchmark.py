"""The full suite's machinery (benchmarks/harness, imported from the repository),
sc.set_num_threads, and the installed ``scratchcnn benchmark`` command
(scratchcnn.benchmark). No timing assertions: only that it runs, agrees with itself and
prints what it should."""

import gc
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import scratchcnn as sc
from scratchcnn import benchmark as short
from scratchcnn import models
from scratchcnn.benchmark import measure
from scratchcnn.benchmark import measure as reference        # the np.einsum convolution
from scratchcnn.benchmark import report as readable
from scratchcnn.ops import naive as naive_ops
from scratchcnn.errors import ArgumentError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from harness import BenchmarkError, Settings, flops, render, report, run, runner  # noqa: E402
from harness.cases import Case, cases, select, unknown_patterns  # noqa: E402
from harness.inputs import conv_inputs  # noqa: E402
from harness.results import summarize  # noqa: E402
from harness.targets import TARGETS, target_for  # noqa: E402
from harness.work_numpy import max_rel_err, scratchcnn_result  # noqa: E402


# --------------------------------------------------------------------- threads
def test_set_get_num_threads_round_trip():
    before = sc.get_num_threads()
    try:
        sc.set_num_threads(1)
        assert sc.get_num_threads() == 1
        assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")
        sc.set_num_threads(2)
        assert sc.get_num_threads() == 2
    finally:
        sc.set_num_threads(before)
    assert sc.get_num_threads() == before


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", None, True])
def test_set_num_threads_rejects(bad):
    before = sc.get_num_threads()
    with pytest.raises(ArgumentError, match="set_num_threads\\(\\) expects a positive int"):
        sc.set_num_threads(bad)
    assert sc.get_num_threads() == before


def test_set_num_threads_accepts_numpy_int():
    before = sc.get_num_threads()
    try:
        sc.set_num_threads(np.int64(1))
        assert sc.get_num_threads() == 1
    finally:
        sc.set_num_threads(before)


# --------------------------------------------------------------------- baselines
@pytest.mark.parametrize("spec", [(2, 3, 7, 7, 4, 3, 1, 1), (1, 2, 9, 8, 3, 3, 2, 0),
                                  (2, 4, 6, 6, 5, 1, 1, 0), (1, 3, 11, 11, 2, 5, 3, 2)])
def test_naive_einsum_and_scratchcnn_agree(spec):
    x, w, b, g = (a.astype(np.float64) for a in conv_inputs(spec, seed=1))
    s, p = spec[6], spec[7]
    expected = scratchcnn_result(x, w, b, g, s, p)
    naive = (naive_ops.conv2d_forward(x, w, b, s, p),
             *naive_ops.conv2d_backward(g, x, w, True, s, p))
    for optimize in (False, True):
        einsum = (reference.einsum_conv2d(x, w, b, s, p, optimize),
                  *reference.einsum_conv2d_backward(g, x, w, s, p, optimize))
        for got in (naive, einsum):
            assert [a.shape for a in got] == [e.shape for e in expected]
            assert max_rel_err(got, expected) < 1e-12


def test_max_rel_err():
    assert max_rel_err([np.array([1.0, 2.0])], [np.array([1.0, 2.5])]) == pytest.approx(0.2)


# --------------------------------------------------------------------- FLOP formulas
def test_conv_flops_by_hand():
    conv1 = (32, 3, 227, 227, 96, 11, 4, 0)          # output 55x55
    assert flops.conv_output_hw(conv1) == (55, 55)
    assert flops.conv_output_hw((1, 1, 14, 14, 1, 3, 1, 1, 2)) == (12, 12)   # dilation 2
    assert flops.conv_macs(conv1) == 32 * 96 * 55 * 55 * 3 * 11 * 11 == 3_373_286_400
    assert flops.conv_flops(conv1) == 2 * 3_373_286_400
    assert flops.conv_flops(conv1, backward=True) == 6 * 3_373_286_400
    mnist2 = (128, 32, 14, 14, 64, 3, 1, 1)
    assert flops.conv_macs(mnist2) == 128 * 64 * 14 * 14 * 32 * 9 == 462_422_016
    assert flops.conv_gemm_shapes(mnist2) == [(64, 288, 25088), (288, 25088, 64), (288, 64, 25088)]
    assert sum(flops.gemm_flops(*s) for s in flops.conv_gemm_shapes(mnist2)) == \
        flops.conv_flops(mnist2, backward=True)


def test_step_flops_mnist_cnn_by_hand():
    # per image: conv1 32*28*28*1*9, conv2 64*14*14*32*9, fc1 3136*128, fc2 128*10 MACs
    conv1, rest = 225_792, 3_612_672 + 401_408 + 1_280
    expected = 2 * 128 * (3 * (conv1 + rest) - conv1)
    assert flops.step_flops(models.mnist_cnn(), (128, 1, 28, 28)) == expected == 3_199_401_984


def test_step_flops_alexnet200():
    gflop = flops.step_flops(models.alexnet(num_classes=200), (32, 3, 227, 227)) / 1e9
    assert gflop == pytest.approx(210.6, abs=0.1)


# --------------------------------------------------------------------- cases, targets
def test_case_selection():
    full = cases("full")
    names = [c.name for c in select(full, ["step"])]
    assert names == ["step/mnist_cnn", "step/alexnet200", "gemm/square"]
    names = [c.name for c in select(full, ["conv_fb/*"])]
    assert "conv_fwd/alexnet_conv1" not in names and "gemm/alexnet_conv1" in names
    assert unknown_patterns(full, ["step", "nonsense"]) == ["nonsense"]
    assert {c.spec[0] for c in full if c.name.startswith("conv_fb/alexnet")} == {32}
    assert all(c.spec[0] <= 16 for c in cases("quick") if c.kind.startswith("conv"))
    with pytest.raises(ValueError):
        cases("huge")


def test_targets():
    assert len(TARGETS) == 14                     # issue 13: every conv layer of both networks
    assert target_for("step/alexnet200", "ratio", 1) is None
    assert target_for("step/alexnet200", "ratio", 2).status(1.0) == "pass"
    assert target_for("step/alexnet200", "ratio", 2).status(1.05) == "FAIL"
    assert target_for("conv_fb/alexnet_conv5", "ratio", 1).status(1.2) == "pass"
    assert target_for("gemm/alexnet_conv2", "gemm_fraction", 1).status(0.8) == "FAIL"


# --------------------------------------------------------------------- results from samples
def _child(group, results, **extra):
    return {"results": results, "threadpools": [], **extra,
            "child": {"group": group, "label": "made up", "wall_s": 1.0,
                      "cpu_busy_before": None, "env": {}, "scratchcnn_file": "x"}}


def _memory(working, peak):
    return {"rss_baseline_mb": 40.0, "rss_before_step_mb": peak - 10, "peak_mb": peak,
            "step_increase_mb": 10.0, "working_mb": working, "method": "VmHWM after reset"}


def made_up_result():
    """summarize() of made-up samples: 2 threads (two rounds each), and 1 thread (a step)."""
    names = {"conv_fb/alexnet_conv2", "step/mnist_cnn", "memory/alexnet200",
             "gemm/alexnet_conv2", "gemm/square"}
    chosen = [c for c in cases("full") if c.name in names]
    conv, step = "conv_fb/alexnet_conv2", "step/mnist_cnn"
    raw = {"2": [
        _child("scratchcnn", {
            f"scratchcnn:{conv}": {"times_s": [0.2, 0.4], "flops": 6e9, "checksums": [1.0, 2.0]},
            f"scratchcnn:{step}": {"times_s": [1.2], "flops": 3e9, "checksums": [2.3]},
            "numpy:gemm/square": {"times_s": [0.02, 0.03], "flops": 1e9},
            "numpy:gemm/alexnet_conv2": {"times_s": [0.03], "flops": 1e9}}),
        _child("torch", {
            f"torch:{conv}": {"times_s": [0.25, 0.3], "flops": 6e9, "checksums": [1.0005, 2.0]},
            f"torch:{step}": {"times_s": [1.0], "flops": 3e9, "checksums": [2.31]},
            "torch:gemm/square": {"times_s": [0.05], "flops": 1e9}}, torch_num_threads=2),
        _child("torch", {
            f"torch:{conv}": {"times_s": [0.2], "flops": 6e9, "checksums": [1.0005, 2.0]},
            f"torch:{step}": {"times_s": [1.0], "flops": 3e9, "checksums": [2.31]},
            "torch:gemm/square": {"times_s": [0.05], "flops": 1e9}}, torch_num_threads=2),
        _child("scratchcnn", {
            f"scratchcnn:{conv}": {"times_s": [0.3], "flops": 6e9, "checksums": [1.0, 2.0]},
            f"scratchcnn:{step}": {"times_s": [1.1], "flops": 3e9, "checksums": [2.3]},
            "numpy:gemm/square": {"times_s": [0.025], "flops": 1e9},
            "numpy:gemm/alexnet_conv2": {"times_s": [0.02, 0.04], "flops": 1e9}}),
        _child("scratchcnn", {"scratchcnn:memory/alexnet200": {"memory": _memory(300.0, 340.0)}}),
        _child("torch", {"torch:memory/alexnet200": {"memory": _memory(250.0, 500.0)}}),
    ], "1": [
        _child("scratchcnn", {f"scratchcnn:{step}": {"times_s": [1.0], "flops": 3e9,
                                                      "checksums": [2.3]}}),
        _child("torch", {f"torch:{step}": {"times_s": [0.5], "flops": 3e9,
                                            "checksums": [2.3]}}),
    ]}
    settings = Settings(size="full", threads=(2, 1)).resolved()
    return summarize(chosen, settings, {"cpu_model": "made up"}, raw, "made up")


def test_summarize_rows_from_samples():
    result = made_up_result()
    rows = {(r["case"], r["threads"]): r for r in result["rows"]}
    conv = rows["conv_fb/alexnet_conv2", 2]          # medians over both rounds
    assert conv["scratchcnn_ms"] == pytest.approx(300.0)          # of 0.2, 0.4, 0.3 s
    assert conv["torch_ms"] == pytest.approx(250.0)               # of 0.25, 0.3, 0.2 s
    assert conv["ratio"] == pytest.approx(0.3 / 0.25)             # scratchcnn / torch
    assert conv["min_ratio"] == pytest.approx(0.2 / 0.2)
    assert conv["gflop"] == pytest.approx(6.0)
    assert conv["scratchcnn_gflops"] == pytest.approx(6.0 / 0.3)  # GFLOP / median s
    assert conv["torch_gflops"] == pytest.approx(6.0 / 0.25)
    assert conv["gemm_fraction"] == pytest.approx((6.0 / 0.3) / (1.0 / 0.025))
    assert conv["n_samples"] == 3
    assert conv["agree"] is True                     # checksums within 1e-3 relative
    assert (conv["target"], conv["status"]) == ("<= 1.25x", "pass")
    step = rows["step/mnist_cnn", 2]
    assert step["ratio"] == pytest.approx(1.15 / 1.0)
    assert step["agree"] is False                    # 2.3 vs 2.31
    assert (step["target"], step["status"]) == ("<= 1.10x", "FAIL")
    one = rows["step/mnist_cnn", 1]                  # the step targets are for 2 threads
    assert one["ratio"] == pytest.approx(2.0) and one["target"] is None
    assert one["gemm_fraction"] is None              # no square GEMM at 1 thread
    assert rows["conv_fb/alexnet_conv2", 1]["ratio"] is None      # not measured


def test_summarize_gemm_memory_and_targets():
    result = made_up_result()
    gemm = {(r["case"], r["threads"]): r for r in result["gemm"]}
    square = gemm["gemm/square", 2]
    assert square["numpy_gflops"] == pytest.approx(1.0 / 0.025)
    assert square["torch_gflops"] == pytest.approx(1.0 / 0.05)
    layer = gemm["gemm/alexnet_conv2", 2]
    assert layer["ms"] == pytest.approx(30.0)
    assert layer["fraction"] == pytest.approx((1.0 / 0.03) / (1.0 / 0.025))
    assert (layer["target"], layer["status"]) == (">= 85%", "FAIL")
    (memory,) = result["memory"]
    assert memory["threads"] == 2
    assert memory["working_ratio"] == pytest.approx(300.0 / 250.0)
    assert memory["peak_ratio"] == pytest.approx(340.0 / 500.0)
    assert (memory["target"], memory["status"]) == ("<= 1.30x", "pass")
    targets = {(t["case"], t["threads"], t["metric"]): (t["value"], t["status"])
               for t in result["targets"]}
    assert targets == {
        ("conv_fb/alexnet_conv2", 2, "ratio"): (pytest.approx(1.2), "pass"),
        ("step/mnist_cnn", 2, "ratio"): (pytest.approx(1.15), "FAIL"),
        ("conv_fb/alexnet_conv2", 1, "ratio"): (None, "-"),
        ("gemm/alexnet_conv2", 2, "gemm_fraction"): (pytest.approx(0.8333, abs=1e-4), "FAIL"),
        ("memory/alexnet200", 2, "memory_ratio"): (pytest.approx(1.2), "pass"),
    }
    assert result["raw"]["2"]["torch_num_threads"] == 2
    assert sorted(result["raw"]["2"]["samples_s"]["scratchcnn:" + "conv_fb/alexnet_conv2"]) \
        == [0.2, 0.3, 0.4]
    text = render({**result, "machine": {"cpu_model": "made up", "logical_cpus": 2,
                                         "python": "3", "scratchcnn": "0"}})
    assert "targets (issue #5): 2 pass, 2 FAIL, 1 not measured" in text
    assert "1.20x" in text and "! scratchcnn and torch disagree" in text


def test_runner_alternates_the_first_library(monkeypatch):
    calls = []

    def fake_spawn(group, threads, names, settings, reps, warmup, label=""):
        calls.append((threads, label, group))
        return {"results": {}, "threadpools": [], "env": {}, "scratchcnn_file": "x"}

    monkeypatch.setattr(runner, "spawn", fake_spawn)
    run(Settings(size="tiny", threads=(1, 2), rounds=2, only=["conv_fb/mnist_conv2"],
                 baselines=False), progress=io.StringIO())
    assert [(t, g) for t, _, g in calls] == [
        (1, "scratchcnn"), (1, "torch"), (1, "torch"), (1, "scratchcnn"),
        (2, "torch"), (2, "scratchcnn"), (2, "scratchcnn"), (2, "torch")]


def test_child_timeout_names_the_child():
    settings = Settings(size="tiny", threads=(1,), only=["conv_fb/mnist_conv2"], torch=False,
                        baselines=False, child_timeout_s=0.05)
    with pytest.raises(BenchmarkError, match=r"the scratchcnn child \(threads=1, round 1/1\) "
                       r"did not finish within 0.05 s"):
        run(settings, progress=io.StringIO())
    assert Settings(size="full").resolved().child_timeout_s == 1800
    with pytest.raises(BenchmarkError, match="timeout"):
        Settings(child_timeout_s=0).resolved()


def test_src_tree_and_breakdown(tmp_path):
    # another source tree (here: a link to this scratchcnn); the children import it
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "scratchcnn").symlink_to(Path(sc.__file__).resolve().parent)
    settings = Settings(size="tiny", threads=(1,), only=["conv_fb/mnist_conv2"], torch=False,
                        baselines=False, src=str(tmp_path / "src"))
    src = Path(settings.resolved().src)
    assert src == (tmp_path / "src").resolve()
    result = run(settings, progress=io.StringIO())
    (child,) = result["raw"]["1"]["children"]
    assert child["scratchcnn_file"] == str(src / "scratchcnn" / "__init__.py")
    assert result["rows"][0]["scratchcnn_ms"] > 0
    assert f"the children import scratchcnn from {src}" in render(result)
    with pytest.raises(BenchmarkError, match="no scratchcnn package"):
        Settings(src=str(tmp_path)).resolved()
    result = run(Settings(size="tiny", threads=(1,), only=["mnist_conv2"], breakdown=True),
                 progress=io.StringIO())
    (row,) = result["breakdown"]                     # conv_fb only, scratchcnn only
    assert row["case"] == "conv_fb/mnist_conv2" and row["threads"] == 1
    assert row["total"] > 0 and row["im2col"] >= 0
    assert row["outside_ops"] == pytest.approx(
        row["total"] - row["conv2d_forward"] - row["conv2d_backward"])
    text = render(result)
    assert "scatter_windows" in text and "forward_rest" in text
    with pytest.raises(BenchmarkError, match="conv_fb"):
        run(Settings(size="tiny", only=["step"], breakdown=True), progress=io.StringIO())


def test_torch_memory_model_is_not_built_after_the_baseline(monkeypatch):
    torch = pytest.importorskip("torch")
    from scratchcnn import interop
    from harness import work_scratchcnn, work_torch

    built = []
    original = work_scratchcnn.build_model
    monkeypatch.setattr(work_scratchcnn, "build_model",
                        lambda *args: built.append(args) or original(*args))

    def live_scratchcnn_modules():
        gc.collect()
        return sum(issubclass(type(o), sc.nn.Module) for o in gc.get_objects())

    case = Case("memory/mnist_cnn", "memory", ("mnist_cnn", {}, (2, 1, 28, 28)))
    before = live_scratchcnn_modules()
    materialize = work_torch.prepare(case, seed=0)   # before the baseline RSS
    assert len(built) == 1
    assert live_scratchcnn_modules() <= before       # that scratchcnn model is freed
    work = work_torch.build("torch", case, 0, materialize)   # after the baseline
    assert len(built) == 1                           # no scratchcnn model built here
    assert isinstance(work.fn(), float)
    model, classes, _ = work_torch.prepare(case, seed=0)()
    assert classes == 10 and all(p.device.type == "cpu" for p in model.parameters())
    expected = interop.to_torch(original("mnist_cnn", {}, 0)[0]).state_dict()
    assert all(torch.equal(v, expected[k]) for k, v in model.state_dict().items())


MEMORY_SCRIPT = """
import json, sys, numpy as np
sys.path.insert(0, "benchmarks")
from harness import memory
base = memory.rss_mb()
kept = []
print(json.dumps(memory.step_memory(lambda: lambda: kept.append(np.ones(50 * 2**20 // 8)), base)))
"""


def test_step_memory_counts_a_big_allocation():
    # a fresh process: in this one, memory freed by earlier tests would be reused
    out = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT], capture_output=True, text=True,
                         timeout=120, check=True, cwd=Path(__file__).resolve().parent.parent).stdout
    result = json.loads(out)                         # two calls, 50 MiB kept by each
    assert result["peak_mb"] >= result["rss_before_step_mb"] > 0
    assert 90 < result["working_mb"] < 150
    if result["method"].startswith("VmHWM"):
        assert 40 < result["step_increase_mb"] < 75


# --------------------------------------------------------------------- the command
def run_cli(*argv):
    env = dict(os.environ, PYTHONUTF8="1")
    for name in ("SCRATCHCNN_KEEP_FREED_MEMORY", "OPENBLAS_THREAD_TIMEOUT"):
        env.pop(name, None)                          # the defaults, whatever the developer set
    return subprocess.run([sys.executable, "-m", "scratchcnn_launcher", "benchmark", "--size", "tiny",
                           "--threads", "1", *argv], capture_output=True, text=True, env=env,
                          timeout=300)


def test_cli_benchmark_with_torch(tmp_path):
    path = tmp_path / "out.json"
    result = run_cli("--only", "conv_fb/mnist_conv2", "step/mnist_cnn", "--json", str(path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    data = json.loads(path.read_text())
    # a report in words: under 100 columns, no test-log verdicts, no issue numbers
    assert max(len(line) for line in out.splitlines()) < 100
    assert "FAIL" not in out and "pass" not in out and "issue" not in out and "#" not in out
    rows = {(r["case"], r["threads"]): r for r in data["rows"]}
    conv = rows["conv_fb/mnist_conv2", 1]
    assert "Convolution, forward and backward\n  mnist_conv2 (" in out
    assert (f"    1 thread   scratchcnn {readable._ms(conv['scratchcnn_ms'])} ms, PyTorch "
            f"{readable._ms(conv['torch_ms'])} ms: scratchcnn takes "
            f"{readable._times(conv['ratio'])} PyTorch's time") in out
    assert "Training step" in out and "mnist_cnn (mnist_cnn(), batch" in out
    assert "np.matmul" in out and "naive loops" not in out   # baselines only without torch
    assert "Over these 2 measurements scratchcnn takes " in out
    # honest numbers: the median of warm calls, as many for each library
    assert data["settings"]["reps"] == 3 and data["settings"]["warmup"] == 1
    assert conv["n_samples"] == 3 and conv["ratio"] == pytest.approx(
        conv["scratchcnn_ms"] / conv["torch_ms"])
    tables = short.tables(data)                      # --tables: the detailed tables
    header = next(line for line in tables.splitlines() if line.startswith("case "))
    for column in ("shape", "thr", "GFLOP", "sc ms", "torch ms", "sc GFLOP/s", "%GEMM",
                   "th GFLOP/s", "sc/torch", "(best)"):
        assert column in header
    assert "target" not in header                    # the full suite's targets only
    assert "128x128" in tables
    assert rows["conv_fb/mnist_conv2", 1]["agree"] is True
    assert rows["step/mnist_cnn", 1]["agree"] is True
    assert data["command"].startswith("scratchcnn benchmark")
    assert sc.get_num_threads() >= 1


def test_cli_benchmark_without_torch():
    result = run_cli("--only", "conv_fb/mnist_conv2", "--no-torch")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert max(len(line) for line in out.splitlines()) < 100
    assert "    1 thread   scratchcnn " in out and "PyTorch" not in out and "torch" not in out
    for name in ("naive loops", "np.einsum", "np.einsum(optimize=True)", "scratchcnn's time"):
        assert name in out
    result = run_cli("--only", "conv_fb/mnist_conv2", "--no-torch", "--tables")
    header = next(line for line in result.stdout.splitlines() if line.startswith("case "))
    assert "sc ms" in header and "torch" not in header and "sc/torch" not in header
    assert "time / scratchcnn's" in result.stdout and "torch.mm" not in result.stdout


def test_cli_benchmark_refuses_an_unknown_case():
    result = run_cli("--only", "conv_fb/nonsense", "--no-torch")
    assert result.returncode != 0 and "no case matches 'conv_fb/nonsense'" in result.stderr
    assert "Traceback" not in result.stderr


def test_short_benchmark_in_process_restores_threads():
    before = sc.get_num_threads()
    result = short.run(short.Settings(size="tiny", threads=(1,), only=["pool_fb"], torch=False,
                                      baselines=False, reps=2), progress=io.StringIO())
    assert sc.get_num_threads() == before
    (row,) = result["rows"]
    assert row["case"] == "pool_fb/alexnet_pool1" and row["n_samples"] == 2
    assert row["shape"] == "1x96x55x55, 3x3/2" and row["scratchcnn_ms"] > 0
    assert [r["case"] for r in result["gemm"]] == ["gemm/square"]
    with pytest.raises(short.BenchmarkError, match="time limit"):
        short.Settings(time_limit_s=0).resolved()
    with pytest.raises(short.BenchmarkError, match="did not finish within"):
        short.run(short.Settings(size="tiny", threads=(1,), only=["step"], torch=False,
                                 baselines=False, time_limit_s=1e-9), progress=io.StringIO())


def test_short_and_full_cases_share_names_and_shapes():
    full = {c.name: c for c in cases("quick")}
    for case in measure.cases("quick"):
        if case.kind in ("conv_fwd", "conv_fb", "pool_fwd", "pool_fb", "step"):
            assert case.name in full and case.spec == full[case.name].spec, case.name
    assert measure.conv_output_hw((1, 3, 227, 227, 96, 11, 4, 0)) == flops.conv_output_hw(
        (1, 3, 227, 227, 96, 11, 4, 0)) == (55, 55)


def test_harness_children_environment():
    result = run(Settings(size="tiny", threads=(1,), only=["conv_fwd/mnist_conv1"],
                          baselines=False), progress=io.StringIO())
    env = {c["group"]: c["env"] for c in result["raw"]["1"]["children"]}
    for group in ("torch", "scratchcnn"):     # the same allocator settings for both
        assert env[group]["MALLOC_MMAP_MAX_"] == "0"
        assert env[group]["MALLOC_TRIM_THRESHOLD_"] == "100000000000"
    assert env["torch"]["OMP_NUM_THREADS"] == env["scratchcnn"]["OPENBLAS_NUM_THREADS"] == "1"
    assert all(p["num_threads"] == 1 for p in result["raw"]["1"]["threadpools"]["scratchcnn"])
    assert result["raw"]["1"]["torch_num_threads"] == 1


def test_suite_script_parses_the_shared_options(tmp_path):
    path = tmp_path / "suite.json"
    run_ = subprocess.run([sys.executable, "benchmarks/suite.py", "--size", "tiny", "--threads",
                           "1", "--only", "pool_fwd", "--no-torch", "--no-baselines", "--json",
                           str(path)], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parent.parent)
    assert run_.returncode == 0, run_.stderr
    assert "pool_fwd/alexnet_pool1" in run_.stdout and "sc ms" in run_.stdout
    assert json.loads(path.read_text())["settings"]["threads"] == [1]
    bad = subprocess.run([sys.executable, "benchmarks/suite.py", "--threads", "0"],
                         capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parent.parent)
    assert bad.returncode == 2 and "--threads" in bad.stderr
