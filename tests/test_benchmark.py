"""The benchmark machinery (scratchcnn.benchmark), sc.set_num_threads and the
``scratchcnn benchmark`` command. No timing assertions: only that it runs, agrees with
itself and prints what it should."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import scratchcnn as sc
from scratchcnn import models
from scratchcnn.benchmark import flops, reference
from scratchcnn.benchmark.cases import cases, select, unknown_patterns
from scratchcnn.benchmark.inputs import conv_inputs
from scratchcnn.benchmark.targets import TARGETS, target_for
from scratchcnn.benchmark.work_numpy import max_rel_err, scratchcnn_result
from scratchcnn.errors import ArgumentError


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
    naive = (reference.naive_conv2d(x, w, b, s, p), *reference.naive_conv2d_backward(g, x, w, s, p))
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
    assert flops.conv_macs(conv1) == 32 * 96 * 55 * 55 * 3 * 11 * 11 == 3_373_286_400
    assert flops.conv_flops(conv1) == 2 * 3_373_286_400
    assert flops.conv_flops(conv1, backward=True) == 6 * 3_373_286_400
    mnist2 = (128, 32, 14, 14, 64, 3, 1, 1)
    assert flops.conv_macs(mnist2) == 128 * 64 * 14 * 14 * 32 * 9 == 462_422_016
    assert flops.conv_gemm_shapes(mnist2) == [(64, 288, 25088), (64, 25088, 288), (288, 64, 25088)]
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
    assert len(TARGETS) == 11
    assert target_for("step/alexnet200", "ratio", 1) is None
    assert target_for("step/alexnet200", "ratio", 2).status(1.15) == "pass"
    assert target_for("gemm/alexnet_conv2", "gemm_fraction", 1).status(0.8) == "FAIL"


MEMORY_SCRIPT = """
import json, numpy as np
from scratchcnn.benchmark import memory
base = memory.rss_mb()
kept = []
print(json.dumps(memory.step_memory(lambda: lambda: kept.append(np.ones(50 * 2**20 // 8)), base)))
"""


def test_step_memory_counts_a_big_allocation():
    # a fresh process: in this one, memory freed by earlier tests would be reused
    out = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    result = json.loads(out)                         # two calls, 50 MiB kept by each
    assert result["peak_mb"] >= result["rss_before_step_mb"] > 0
    assert 90 < result["working_mb"] < 150
    if result["method"].startswith("VmHWM"):
        assert 40 < result["step_increase_mb"] < 75


# --------------------------------------------------------------------- the command
def run_cli(*argv):
    env = dict(os.environ, PYTHONUTF8="1")
    return subprocess.run([sys.executable, "-m", "scratchcnn", "benchmark", "--size", "tiny",
                           "--threads", "1", *argv], capture_output=True, text=True, env=env,
                          timeout=300)


def test_cli_benchmark_with_torch(tmp_path):
    path = tmp_path / "out.json"
    result = run_cli("--only", "conv_fb/mnist_conv2", "step/mnist_cnn", "--json", str(path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    header = next(line for line in out.splitlines() if line.startswith("case "))
    for column in ("shape", "thr", "GFLOP", "sc ms", "torch ms", "sc GFLOP/s", "%GEMM",
                   "th GFLOP/s", "sc/torch", "(best)", "target", "ok"):
        assert column in header
    assert "conv_fb/mnist_conv2" in out and "step/mnist_cnn" in out
    assert "square GEMM 128x128" in out and "gemm/mnist_conv2" in out
    assert "naive loops" not in out                  # baselines only without torch
    assert "targets (issue #5)" in out
    data = json.loads(path.read_text())
    rows = {(r["case"], r["threads"]): r for r in data["rows"]}
    assert rows["conv_fb/mnist_conv2", 1]["agree"] is True
    assert rows["step/mnist_cnn", 1]["agree"] is True
    assert rows["conv_fb/mnist_conv2", 1]["ratio"] > 0
    assert data["raw"]["1"]["torch_num_threads"] == 1
    assert all(p["num_threads"] == 1 for p in data["raw"]["1"]["threadpools"]["scratchcnn"])
    assert data["command"].startswith("scratchcnn benchmark")
    env = {c["group"]: c["env"] for c in data["raw"]["1"]["children"]}
    assert env["torch"]["SCRATCHCNN_KEEP_FREED_MEMORY"] == "0"      # PyTorch as users run it
    assert "SCRATCHCNN_KEEP_FREED_MEMORY" not in env["scratchcnn"]
    assert env["torch"]["OMP_NUM_THREADS"] == env["scratchcnn"]["OPENBLAS_NUM_THREADS"] == "1"


def test_cli_benchmark_without_torch():
    result = run_cli("--only", "conv_fb/mnist_conv2", "--no-torch")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    header = next(line for line in out.splitlines() if line.startswith("case "))
    assert "sc ms" in header and "torch" not in header and "sc/torch" not in header
    for name in ("naive loops", "np.einsum", "np.einsum(optimize=True)", "time / scratchcnn's"):
        assert name in out
    assert "torch ms" not in out and "torch.mm" not in out


def test_cli_benchmark_unknown_case():
    result = run_cli("--only", "conv_fb/lenet9")
    assert result.returncode == 2
    assert "scratchcnn benchmark: error: no case matches 'conv_fb/lenet9'" in result.stderr
