"""The command line, run as users run it: ``python -m scratchcnn ...`` in a subprocess
(exit codes, stdout, stderr), plus the many invalid ``explain --config`` files in-process.

Subprocess runs are shared through module-scoped fixtures to keep the file fast."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

import scratchcnn as sc
from scratchcnn import cli
from scratchcnn.explain import DEFAULT_CONFIG

from conftest import read_golden


def run(*argv, check_rc=None):
    env = dict(os.environ, PYTHONUTF8="1", PYTHONIOENCODING="utf-8")
    result = subprocess.run([sys.executable, "-m", "scratchcnn", *argv], capture_output=True,
                            text=True, encoding="utf-8", env=env, timeout=120)
    if check_rc is not None:
        assert result.returncode == check_rc, (result.stdout, result.stderr)
    return result


@pytest.fixture(scope="module")
def explain_text():
    return run("explain", check_rc=0).stdout


@pytest.fixture(scope="module")
def explain_json():
    return json.loads(run("explain", "--format", "json", check_rc=0).stdout)


# --------------------------------------------------------------------- basics
def test_version():
    result = run("--version", check_rc=0)
    assert result.stdout.strip() == f"scratchcnn {sc.__version__}"


def test_no_command_prints_help():
    result = run(check_rc=0)
    assert "usage: scratchcnn" in result.stdout
    for command in ("summary", "params", "explain"):
        assert command in result.stdout


# --------------------------------------------------------------------- summary
def test_summary_alexnet_formulas():
    result = run("summary", "alexnet", "--formulas", check_rc=0)
    out = result.stdout
    assert out == read_golden("summary_alexnet_formulas.txt")
    assert result.stderr == ""
    shapes = ["55x55x96", "27x27x96", "27x27x256", "13x13x256", "13x13x384", "13x13x384",
              "13x13x256", "6x6x256", "9216", "4096", "4096", "1000"]
    rows = [line.split() for line in out.splitlines()
            if re.match(r"(features|flatten|classifier)", line)]
    assert [r[2] for r in rows if r[1] not in ("ReLU", "Dropout")] == shapes
    for formula in ("(227 - 11 + 2x0) / 4 + 1 = 55", "(55 - 3 + 2x0) / 2 + 1 = 27",
                    "(27 - 5 + 2x2) / 1 + 1 = 27", "(27 - 3 + 2x0) / 2 + 1 = 13",
                    "(13 - 3 + 2x1) / 1 + 1 = 13", "(13 - 3 + 2x0) / 2 + 1 = 6"):
        assert formula in out
    assert "Total params: 62,378,344" in out


def test_summary_json_parses():
    data = json.loads(run("summary", "tiny_vgg", "--format", "json", check_rc=0).stdout)
    assert data["model"] == "tiny_vgg"
    assert data["input_shape"] == [1, 3, 64, 64]
    assert data["totals"]["total_params"] == 19_920
    assert [layer["output"] for layer in data["layers"] if layer["type"] == "MaxPool2d"] == [
        "30x30x10", "13x13x10"]
    assert data["layers"][-1]["output_shape"] == [1, 10]


def test_summary_nchw_layout_with_a_batch_input():
    out = run("summary", "lenet5", "--layout", "nchw", "--input", "2x1x28x28", check_rc=0).stdout
    assert "input [2, 1, 28, 28]" in out
    assert "[2, 6, 28, 28]" in out and "[2, 120, 1, 1]" in out and "[2, 10]" in out
    assert "28x28x6" not in out
    assert "Total params: 61,706" in out


def test_summary_unknown_model_exits_2_with_a_message():
    result = run("summary", "resnet50", check_rc=2)
    assert result.stdout == ""
    assert "scratchcnn summary: error: unknown model 'resnet50'" in result.stderr
    assert "alexnet" in result.stderr and "tiny_vgg" in result.stderr
    assert "Traceback" not in result.stderr


def test_summary_bad_input_is_an_argparse_error():
    result = run("summary", "alexnet", "--input", "3by227", check_rc=2)
    assert "usage: scratchcnn summary" in result.stderr
    assert "argument --input: expected sizes like 3x227x227, got '3by227'" in result.stderr


@pytest.mark.parametrize("argv, message", [
    (["summary", "alexnet", "--input", "0x227x227"], "sizes must be positive"),
    (["summary", "alexnet", "--input", "3x-1x227"], "sizes must be positive"),
    (["summary", "alexnet", "--layout", "nhwc"], "invalid choice: 'nhwc'"),
    (["summary", "alexnet", "--format", "yaml"], "invalid choice: 'yaml'"),
    (["params", "--mlp", "32x32x3"], "expected INPUT:UNITS"),
    (["params", "--conv", "3:96"], "expected IN:OUT:KERNEL"),
    (["explain", "--decimals", "two"], "invalid int value"),
])
def test_argparse_errors_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_summary_input_too_small_for_the_model(capsys):
    assert cli.main(["summary", "alexnet", "--input", "3x64x64"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("scratchcnn summary: error: alexnet cannot take a 3x64x64 input: "
                          "the smallest input that works is 3x227x227 (--input 3x227x227). "
                          "in features.")


# --------------------------------------------------------------------- params
def test_params():
    out = run("params", "--mlp", "32x32x3:1000", "--conv", "3:96:11", check_rc=0).stdout
    assert out == read_golden("params_mlp_conv.txt")
    lines = out.splitlines()
    assert lines[0].endswith("= 3,073,000 parameters")
    assert lines[1].endswith("= 34,944 parameters")
    assert "its parameter count depends only on the channels and the kernel size" in out
    assert "grows with the image" in out


def test_params_counts_in_process(capsys):
    assert cli.main(["params", "--mlp", "227x227x3:4096", "--mlp", "8x8:10",
                     "--conv", "96:256:5"]) == 0
    out = capsys.readouterr().out
    assert f"= {227 * 227 * 3 * 4096 + 4096:,} parameters" in out
    assert "= 650 parameters" in out                       # 64 * 10 + 10
    assert f"= {96 * 256 * 25 + 256:,} parameters" in out   # 614,656 as AlexNet's conv2
    # no --conv: no sentence about parameter sharing
    assert cli.main(["params", "--mlp", "4x4x1:2"]) == 0
    assert "reuses" not in capsys.readouterr().out


def test_params_without_arguments_exits_2(capsys):
    assert cli.main(["params"]) == 2
    assert "give --mlp" in capsys.readouterr().err


# --------------------------------------------------------------------- explain: text
def test_explain_text_is_the_golden_file(explain_text):
    assert explain_text == read_golden("explain_default.txt")


def test_explain_convolution_positions(explain_text):
    positions = re.findall(r"position \((\d), (\d)\): patch (\[.*?\]) -> (.*) = (\S+)$",
                           explain_text, flags=re.M)
    assert len(positions) == 9
    assert [(int(i), int(j)) for i, j, *_ in positions] == [(i, j) for i in range(3)
                                                          for j in range(3)]
    assert all(value == "0" for *_, value in positions)
    first = positions[0]
    assert first[2] == "[1, 2, 0, 1]"
    assert first[3] == "(1*1) + (2*0) + (0*0) + (1*-1)"
    assert "position (0, 0): patch [1, 2, 0, 1] -> (1*1) + (2*0) + (0*0) + (1*-1) = 0" \
        in explain_text
    assert "position (1, 0): patch [0, 1, 1, 0] -> (0*1) + (1*0) + (1*0) + (0*-1) = 0" \
        in explain_text


def test_explain_every_number(explain_text):
    text = explain_text
    for expected in [
        "1*1 + 6*2 + 5*(-1) + 3*0 = 8",                          # the first example
        "3 x 3 = 9 positions",
        "ReLU: A = max(0, x)",
        "Max pooling 2x2, stride 1",
        "P (2x2):",
        "Z[0] = (0.1000*0) + (0.3000*0) + (0.5000*0) + (0.7000*0) + 0.1000 = 0.1000",
        "Z[1] = (0.2000*0) + (0.4000*0) + (0.6000*0) + (0.8000*0) + 0.2000 = 0.2000",
        "softmax(Z)[0] = e^0.1000 / (e^0.1000 + e^0.2000) = 0.4750",
        "softmax(Z)[1] = e^0.2000 / (e^0.1000 + e^0.2000) = 0.5250",
        "L = -sum y_i log p_i = -log(0.4750) = 0.7444",
        "dL/dZ = softmax(Z) - y = [0.4750, 0.5250] - [1, 0] = [-0.5250, 0.5250]",
        "dL/dW_fc = P (outer) dL/dZ, a 4x2 matrix",
        "dL/db_fc = dL/dZ = [-0.5250, 0.5250]",
        "dL/dP[0] = (0.1000*-0.5250) + (0.2000*0.5250) = 0.0525",
        "dL/dP[3] = (0.7000*-0.5250) + (0.8000*0.5250) = 0.0525",
        "dL/db = sum of dL/d(pre-activation) = 0",
        "every pre-activation is exactly 0, and ReLU's derivative at 0 is 0",
        "b_fc: [0.1000, 0.2000] -> [0.1525, 0.1475]",
        "W_fc (unchanged):",
        "W (unchanged):",
        "b: [0] -> [0] (unchanged)",
        # the guide's slips, named
        "give 3x3 = 9 positions; the guide lists only four",
        "The guide pools 2x2 at stride 2; on a 3x3 map that leaves 1x1",
        "This network pools at stride 1",
    ]:
        assert expected in text, expected
    assert text.count("= 0.0525\n") == 4                     # one per pooled feature
    # dL/dW_fc: four rows of two zeros, right after its heading
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("dL/dW_fc ="))
    assert [line.split() for line in lines[start + 1:start + 5]] == [["0", "0"]] * 4
    # W_fc after the update: the same four rows as before
    start = lines.index("W_fc (unchanged):")
    assert [line.split() for line in lines[start + 1:start + 5]] == [
        ["0.1000", "0.2000"], ["0.3000", "0.4000"], ["0.5000", "0.6000"], ["0.7000", "0.8000"]]
    # dL/dW: a 2x2 of zeros
    start = next(i for i, line in enumerate(lines) if line.startswith("dL/dW = sum"))
    assert [line.split() for line in lines[start + 1:start + 3]] == [["0", "0"]] * 2


def test_explain_decimals():
    out = run("explain", "--decimals", "2", check_rc=0).stdout
    assert "softmax(Z)[0] = e^0.10 / (e^0.10 + e^0.20) = 0.48" in out
    assert "-log(0.48) = 0.74" in out
    assert "[-0.52, 0.52]" in out
    assert "b_fc: [0.10, 0.20] -> [0.15, 0.15]" in out
    assert "= 0.05\n" in out
    assert "0.4750" not in out.split("Notes on the guide")[0]
    assert "0.7444" not in out


def test_explain_more_decimals_in_process(capsys):
    assert cli.main(["explain", "--decimals", "6"]) == 0
    out = capsys.readouterr().out
    assert "= 0.475021" in out and "= 0.524979" in out and "= 0.744397" in out
    assert "-> [0.152498, 0.147502]" in out
    assert "1*1 + 6*2 + 5*(-1) + 3*0 = 8" in out        # integers stay integers


@pytest.mark.parametrize("decimals", ["-1", "13"])
def test_explain_decimals_out_of_range(decimals, capsys):
    assert cli.main(["explain", "--decimals", decimals]) == 2
    assert "--decimals must be between 0 and 12" in capsys.readouterr().err


# --------------------------------------------------------------------- explain: json
def test_explain_json_values(explain_json, explain_text):
    values = explain_json["values"]
    assert values["first_example"] == 8
    assert values["conv"] == [[0, 0, 0]] * 3
    assert values["pool"] == [[0, 0]] * 2
    assert values["logits"] == pytest.approx([0.1, 0.2])
    softmax = np.exp([0.1, 0.2]) / np.exp([0.1, 0.2]).sum()
    assert values["softmax"] == pytest.approx(softmax, abs=1e-12)
    assert values["softmax"] == pytest.approx([0.475, 0.525], abs=1e-3)
    assert values["loss"] == pytest.approx(-np.log(softmax[0]), abs=1e-12)
    assert values["loss"] == pytest.approx(0.744, abs=1e-3)
    assert values["dL_dZ"] == pytest.approx([softmax[0] - 1, softmax[1]], abs=1e-12)
    assert values["dL_dW_fc"] == [[0, 0]] * 4
    assert np.array(values["dL_dP"]).ravel() == pytest.approx([0.0525] * 4, abs=1e-4)
    assert values["dL_dW"] == [[0, 0]] * 2 and values["dL_db"] == 0
    assert values["new_b_fc"] == pytest.approx([0.1525, 0.1475], abs=1e-4)
    assert values["new_W_fc"] == DEFAULT_CONFIG["fc_weight"]
    assert values["new_W"] == DEFAULT_CONFIG["kernel"]
    assert explain_json["config"] == DEFAULT_CONFIG
    assert len(explain_json["steps"]) == 16
    assert explain_json["steps"][0]["title"] == "The network"
    # the text prints the same numbers, rounded
    for key in ("softmax", "dL_dZ", "new_b_fc"):
        assert "[" + ", ".join(f"{v:.4f}" for v in values[key]) + "]" in explain_text, key
    assert f"{values['loss']:.4f}" in explain_text


# --------------------------------------------------------------------- explain: config files
def test_dump_config_round_trips(tmp_path, explain_text):
    dumped = run("explain", "--dump-config", check_rc=0).stdout
    assert json.loads(dumped) == DEFAULT_CONFIG
    path = tmp_path / "guide.json"
    path.write_text(dumped, encoding="utf-8")
    assert run("explain", "--config", str(path), check_rc=0).stdout == explain_text


def test_custom_config_matches_torch(tmp_path):
    """Another network through --config: every key number agrees with PyTorch."""
    config = {
        "input": [[1, 2, 0, 1, 3], [0, 1, 2, 1, 0], [2, 0, 1, 3, 1], [1, 1, 0, 2, 2],
                  [0, 3, 1, 0, 1]],
        "kernel": [[1, -1], [0.5, 1]], "bias": -0.5, "stride": 1, "padding": 1,
        "pool": {"kind": "avg", "size": 2, "stride": 2},
        "fc_weight": [[0.1, -0.2, 0.3]] * 9, "fc_bias": [0.0, 0.1, -0.1],
        "label": 2, "lr": 0.5,
    }
    path = tmp_path / "custom.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    data = json.loads(run("explain", "--config", str(path), "--format", "json",
                          check_rc=0).stdout)
    values = data["values"]

    x = torch.tensor(config["input"], dtype=torch.float64)[None, None]
    w = torch.tensor(config["kernel"], dtype=torch.float64)[None, None].requires_grad_()
    b = torch.tensor([config["bias"]], dtype=torch.float64, requires_grad=True)
    w_fc = torch.tensor(config["fc_weight"], dtype=torch.float64, requires_grad=True)
    b_fc = torch.tensor(config["fc_bias"], dtype=torch.float64, requires_grad=True)
    pre = torch.nn.functional.conv2d(x, w, b, padding=1)
    pooled = torch.nn.functional.avg_pool2d(torch.relu(pre), 2, 2)
    logits = pooled.flatten(1) @ w_fc + b_fc
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor([2]))
    loss.backward()

    assert np.array(values["conv"]) == pytest.approx(pre[0, 0].detach().numpy())
    assert np.array(values["pool"]) == pytest.approx(pooled[0, 0].detach().numpy())
    assert values["loss"] == pytest.approx(loss.item())
    assert values["softmax"] == pytest.approx(torch.softmax(logits, 1)[0].tolist())
    assert np.array(values["dL_dW"]) == pytest.approx(w.grad[0, 0].numpy())
    assert values["dL_db"] == pytest.approx(b.grad.item())
    assert np.array(values["dL_dW_fc"]) == pytest.approx(w_fc.grad.numpy())
    assert np.abs(values["dL_dW"]).max() > 0            # this time the filter learns
    new_w = (w - 0.5 * w.grad)[0, 0].detach().numpy()
    assert np.array(values["new_W"]) == pytest.approx(new_w)
    assert values["new_b_fc"] == pytest.approx((b_fc - 0.5 * b_fc.grad).tolist())
    assert data["steps"][-1]["lines"][-1].startswith("This run uses a custom configuration")
    assert len([line for line in data["steps"][2]["lines"] if "position (" in line]) == 36


def test_invalid_config_exits_2_naming_the_key(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"pool": {"kind": "min", "size": 2, "stride": 1}}),
                    encoding="utf-8")
    result = run("explain", "--config", str(path), check_rc=2)
    assert result.stdout == ""
    assert "scratchcnn explain: error: 'pool.kind' must be 'max' or 'avg', got 'min'" \
        in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_config_file_exits_2(tmp_path):
    missing = tmp_path / "nope.json"
    result = run("explain", "--config", str(missing), check_rc=2)
    assert f"cannot read {missing}" in result.stderr
    assert "No such file or directory" in result.stderr


def test_invalid_json_exits_2(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"stride": 1,}', encoding="utf-8")
    result = run("explain", "--config", str(path), check_rc=2)
    assert f"{path} is not valid JSON" in result.stderr
    assert "line 1" in result.stderr


@pytest.mark.parametrize("config, message", [
    ({"stride": 0}, "'stride' must be an int >= 1, got 0"),
    ({"stride": 1.5}, "'stride' must be an int >= 1"),
    ({"padding": -1}, "'padding' must be an int >= 0"),
    ({"padding": 4}, "'padding' is at most 3"),
    ({"strides": 1}, "unknown key(s) strides; known: input, kernel"),
    ({"input": "abc"}, "'input' must be a 2-D list of numbers"),
    ({"input": [[1, 2], [3]]}, "'input' must be a 2-D list of numbers"),
    ({"input": [[1e999, 0], [0, 0]]}, "'input' must hold finite numbers"),
    ({"input": [[0] * 17] * 17}, "'input' is at most 16 x 16"),
    ({"kernel": [[1] * 8] * 8}, "'kernel' is at most 7 x 7"),
    ({"kernel": [1, 0]}, "'kernel' must be a non-empty 2-D list"),
    ({"kernel": [[1] * 5] * 5}, "the 5x5 kernel is larger than the padded 4x4 input"),
    ({"bias": None}, "'bias' must be a finite number, got None"),
    ({"bias": "1"}, "'bias' must be a finite number"),
    ({"pool": 2}, "'pool' must be an object with kind, size and stride"),
    ({"pool": {"size": 2, "window": 2}}, "'pool' must be an object"),
    ({"pool": {"size": 0}}, "'size' must be an int >= 1, got 0"),
    ({"pool": {"stride": True}}, "'stride' must be an int >= 1, got True"),
    ({"pool": {"size": 4}}, "the 4x4 pooling window is larger than the 3x3 convolution output"),
    ({"pool": {"kind": "max", "size": 2, "stride": 2}}, "'fc_weight' must be 1 x K"),
    ({"fc_weight": [[0.1, 0.2]] * 3}, "'fc_weight' must be 4 x K"),
    ({"fc_weight": [[0.1]] * 4, "fc_bias": [0.1]}, "K >= 2 classes"),
    ({"fc_bias": [0.1]}, "'fc_bias' must be a list of 2 numbers, got [0.1]"),
    ({"fc_bias": ["a", 0.2]}, "'fc_bias' must be a finite number, got 'a'"),
    ({"label": 2}, "'label' must be < 2 (the number of classes), got 2"),
    ({"label": -1}, "'label' must be an int >= 0"),
    ({"label": True}, "'label' must be an int >= 0, got True"),
    ({"lr": 0}, "'lr' must be > 0"),
    ({"lr": "fast"}, "'lr' must be a finite number"),
    ([1, 2], "the configuration must be a JSON object, got list"),
])
def test_invalid_configs_in_process(config, message, tmp_path, capsys):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    assert cli.main(["explain", "--config", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("scratchcnn explain: error: ")
    assert message in captured.err, captured.err


def test_unreadable_config_in_process(tmp_path, capsys):
    assert cli.main(["explain", "--config", str(tmp_path)]) == 2     # a folder
    assert f"cannot read {tmp_path}" in capsys.readouterr().err
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"bias": "\xe9"}')
    assert cli.main(["explain", "--config", str(path)]) == 2     # no traceback
    assert f"{path} is not UTF-8 text" in capsys.readouterr().err


def test_help_lists_the_config_keys():
    out = run("explain", "--help", check_rc=0).stdout
    for key in DEFAULT_CONFIG:
        assert key in out
    assert "--dump-config" in out and "--decimals" in out
