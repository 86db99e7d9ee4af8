"""``summary(model, input_size)``: golden text outputs, and the numbers behind them.

The golden files in tests/golden/ were generated with ``pytest --update-golden`` and
checked by eye against the guide (AlexNet: 55x55x96 ... 6x6x256, 9216, 62,378,344
parameters; the hand-trained network's numbers). Outputs must match them byte for byte.
"""

import json

import numpy as np
import pytest

import scratchcnn as sc
from scratchcnn import cli, models, nn, summary
from scratchcnn.errors import ShapeError

ALEXNET_TOTAL = 62_378_344


@pytest.fixture(scope="module")
def alexnet_summary():
    return summary(models.alexnet(), (3, 227, 227), formulas=True, name="alexnet")


def run_cli(capsys, *argv):
    """The command's stdout, run in this process (the subprocess runs are in test_cli)."""
    code = cli.main(list(argv))
    out = capsys.readouterr().out
    assert code == 0
    return out


# --------------------------------------------------------------------- golden outputs
def test_golden_alexnet_formulas_text(alexnet_summary, golden):
    golden("summary_alexnet_formulas.txt", str(alexnet_summary))


def test_golden_alexnet_cli_equals_the_library(alexnet_summary, capsys):
    assert run_cli(capsys, "summary", "alexnet", "--formulas") == str(alexnet_summary)


def test_golden_lenet5_nchw_markdown(golden, capsys):
    text = summary(models.lenet5(), (1, 28, 28), layout="nchw", name="lenet5").to_markdown()
    golden("summary_lenet5_nchw.md", text)
    assert run_cli(capsys, "summary", "lenet5", "--layout", "nchw", "--format",
                   "markdown") == text


def test_golden_tiny_vgg_json(golden, capsys):
    text = summary(models.tiny_vgg(), (3, 64, 64), name="tiny_vgg").to_json() + "\n"
    golden("summary_tiny_vgg.json", text)
    assert run_cli(capsys, "summary", "tiny_vgg", "--format", "json") == text


def test_golden_params(golden, capsys):
    golden("params_mlp_conv.txt",
           run_cli(capsys, "params", "--mlp", "32x32x3:1000", "--conv", "3:96:11"))


def test_golden_explain_text(golden, capsys):
    golden("explain_default.txt", run_cli(capsys, "explain"))


def test_golden_explain_markdown(golden, capsys):
    golden("explain_default.md", run_cli(capsys, "explain", "--format", "markdown"))


# --------------------------------------------------------------------- AlexNet, structurally
def test_alexnet_outputs_follow_the_guide(alexnet_summary):
    shown = [row["output"] for row in alexnet_summary.rows
             if row["type"] not in ("ReLU", "Dropout")]
    assert shown == ["55x55x96", "27x27x96", "27x27x256", "13x13x256", "13x13x384",
                     "13x13x384", "13x13x256", "6x6x256", "9216", "4096", "4096", "1000"]
    assert [row["type"] for row in alexnet_summary.rows][:3] == ["Conv2d", "ReLU", "MaxPool2d"]
    assert alexnet_summary.rows[0]["name"] == "features.0"
    assert alexnet_summary.rows[-1]["name"] == "classifier.6"
    assert alexnet_summary.rows[0]["output_shape"] == [1, 96, 55, 55]


def test_alexnet_totals(alexnet_summary):
    s = alexnet_summary
    assert s.total_params == ALEXNET_TOTAL
    assert s.trainable_params == ALEXNET_TOTAL
    assert sum(row["params"] for row in s.rows) == ALEXNET_TOTAL
    assert [row["params"] for row in s.rows if row["params"]] == [
        34_944, 614_656, 885_120, 1_327_488, 884_992, 37_752_832, 16_781_312, 4_097_000]
    totals = s.totals()
    assert totals["non_trainable_params"] == 0
    assert totals["param_memory_mb"] == round(ALEXNET_TOTAL * 4 / 1e6, 2) == 249.51
    activations = sum(int(np.prod(row["output_shape"])) for row in s.rows)
    assert totals["activation_memory_mb"] == round(activations * 4 / 1e6, 2)
    text = str(s)
    assert "Total params: 62,378,344" in text
    assert "Trainable params: 62,378,344" in text


def test_alexnet_macs(alexnet_summary):
    rows = alexnet_summary.rows
    assert rows[0]["macs"] == 55 * 55 * 96 * 3 * 11 * 11 == 105_415_200
    assert rows[3]["macs"] == 27 * 27 * 256 * 96 * 5 * 5
    linears = [row["macs"] for row in rows if row["type"] == "Linear"]
    assert linears == [9216 * 4096, 4096 * 4096, 4096 * 1000]
    assert all(row["macs"] == 0 for row in rows if row["type"] in ("ReLU", "MaxPool2d",
                                                                    "Dropout", "Flatten"))
    assert alexnet_summary.total_macs == sum(row["macs"] for row in rows)
    assert alexnet_summary.totals()["flops"] == 2 * alexnet_summary.total_macs
    assert "105,415,200" in str(alexnet_summary)


def test_alexnet_receptive_fields(alexnet_summary):
    spatial = [row["receptive_field"] for row in alexnet_summary.rows
               if row["type"] in ("Conv2d", "MaxPool2d")]
    assert spatial == [11, 19, 51, 67, 99, 131, 163, 195]
    rows = alexnet_summary.rows
    assert rows[1]["type"] == "ReLU" and rows[1]["receptive_field"] == 11   # carried over
    assert all(row["receptive_field"] is None for row in rows[13:])          # past flatten
    assert "195x195" in str(alexnet_summary)


def test_alexnet_formulas(alexnet_summary):
    formulas = [row["formula"] for row in alexnet_summary.rows if row["formula"]]
    assert formulas == [
        "(227 - 11 + 2x0) / 4 + 1 = 55", "(55 - 3 + 2x0) / 2 + 1 = 27",
        "(27 - 5 + 2x2) / 1 + 1 = 27", "(27 - 3 + 2x0) / 2 + 1 = 13",
        "(13 - 3 + 2x1) / 1 + 1 = 13", "(13 - 3 + 2x1) / 1 + 1 = 13",
        "(13 - 3 + 2x1) / 1 + 1 = 13", "(13 - 3 + 2x0) / 2 + 1 = 6"]
    assert [row["kernel"] for row in alexnet_summary.rows[:3]] == ["11x11 / 4 / 0", None,
                                                                   "3x3 / 2 / 0"]
    text = str(alexnet_summary)
    assert "(227 - 11 + 2x0) / 4 + 1 = 55" in text and "Formula" in text
    plain = str(summary(models.alexnet(), (3, 227, 227)))
    assert "Formula" not in plain and "(227 - 11" not in plain


def test_formula_marks_floor_and_rectangles():
    s = summary(nn.Sequential(nn.Conv2d(3, 2, 11, stride=4)), (3, 224, 224), formulas=True)
    assert s.rows[0]["formula"] == "floor((224 - 11 + 2x0) / 4) + 1 = 54"
    s = summary(nn.Sequential(nn.Conv2d(1, 2, (3, 5), padding=(1, 0))), (1, 8, 9),
                formulas=True)
    assert s.rows[0]["formula"] == "H: (8 - 3 + 2x1) / 1 + 1 = 8; W: (9 - 5 + 2x0) / 1 + 1 = 5"
    # a dilated kernel enters with its extent d*(k-1)+1
    s = summary(nn.Sequential(nn.Conv2d(1, 1, 3, dilation=2)), (1, 9, 9), formulas=True)
    assert s.rows[0]["formula"] == "(9 - 5 + 2x0) / 1 + 1 = 5"
    assert s.rows[0]["receptive_field"] == 5


def test_nchw_layout(alexnet_summary):
    s = summary(models.alexnet(), (3, 227, 227), layout="nchw")
    assert s.rows[0]["output"] == "[1, 96, 55, 55]"
    assert s.rows[13]["output"] == "[1, 9216]"
    text = str(s)
    assert "[1, 96, 55, 55]" in text and "55x55x96" not in text
    assert "input [1, 3, 227, 227]" in text
    assert "input 227x227x3" in str(alexnet_summary)
    with pytest.raises(ValueError, match="layout"):
        summary(models.alexnet(), (3, 227, 227), layout="nhwc")


# --------------------------------------------------------------------- other models and inputs
def test_nchw_input_with_a_batch():
    single = summary(models.tiny_vgg(), (3, 64, 64))
    batch = summary(models.tiny_vgg(), (4, 3, 64, 64), layout="nchw")
    assert batch.input_shape == (4, 3, 64, 64)
    assert single.input_shape == (1, 3, 64, 64)
    assert [row["output"] for row in batch.rows][:5] == [
        "[4, 10, 62, 62]", "[4, 10, 62, 62]", "[4, 10, 60, 60]", "[4, 10, 60, 60]",
        "[4, 10, 30, 30]"]
    assert [row["output"] for row in single.rows if row["type"] != "ReLU"] == [
        "62x62x10", "60x60x10", "30x30x10", "28x28x10", "26x26x10", "13x13x10", "1690", "10"]
    # parameters do not depend on the batch; work and activations grow with it
    assert batch.total_params == single.total_params == 19_920
    assert batch.total_macs == 4 * single.total_macs
    assert batch.activation_bytes == 4 * single.activation_bytes
    assert single.rows[0]["macs"] == 62 * 62 * 10 * 3 * 3 * 3


def test_summary_name_defaults_to_the_class():
    assert str(summary(models.lenet5(), (1, 28, 28))).startswith("LeNet5 — input 28x28x1")
    assert summary(models.mnist_cnn(), (1, 28, 28)).model_name == "Sequential"
    assert summary(models.mnist_cnn(), (1, 28, 28), name="mnist").to_dict()["model"] == "mnist"


def test_lenet5_receptive_fields_and_shapes():
    s = summary(models.lenet5(), (1, 28, 28))
    spatial = [(row["output"], row["receptive_field"]) for row in s.rows
               if row["type"] in ("Conv2d", "AvgPool2d")]
    assert spatial == [("28x28x6", 5), ("14x14x6", 6), ("10x10x16", 14), ("5x5x16", 16),
                       ("1x1x120", 32)]
    assert s.total_params == 61_706


def test_shared_parameter_counts_once():
    first, second = nn.Linear(4, 4), nn.Linear(4, 4)
    second.weight = first.weight                      # tied weights, separate biases
    model = nn.Sequential(first, nn.ReLU(), second)
    s = summary(model, (2, 4))
    assert s.total_params == 16 + 4 + 4
    assert [row["params"] for row in s.rows] == [20, 0, 4]
    assert s.param_bytes == 24 * 4
    # the same layer applied twice: listed twice, counted once
    twice = nn.Sequential(first, nn.ReLU(), first)
    s = summary(twice, (1, 4))
    assert s.total_params == 20
    assert [row["params"] for row in s.rows] == [20, 0, 0]
    assert [row["macs"] for row in s.rows] == [16, 0, 16]
    assert "Total params: 20\n" in str(s)


def test_frozen_parameters_are_not_trainable():
    model = models.digits_cnn()
    model[0].requires_grad_(False)
    s = summary(model, (1, 8, 8))
    frozen = 16 * 9 + 16
    assert s.total_params == 13_706
    assert s.trainable_params == 13_706 - frozen
    assert s.totals()["non_trainable_params"] == frozen
    assert f"Non-trainable params: {frozen:,}" in str(s)


def test_to_dict_is_json_ready(alexnet_summary):
    data = alexnet_summary.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["model"] == "alexnet"
    assert data["input_shape"] == [1, 3, 227, 227]
    assert data["totals"]["total_params"] == ALEXNET_TOTAL
    assert len(data["layers"]) == len(alexnet_summary.rows) == 21
    assert set(data["layers"][0]) >= {"name", "type", "output", "output_shape", "kernel",
                                      "params", "macs", "receptive_field", "formula"}
    assert json.loads(alexnet_summary.to_json()) == data
    # a copy: editing it leaves the summary alone
    data["layers"][0]["params"] = -1
    assert alexnet_summary.rows[0]["params"] == 34_944


def test_markdown_table(alexnet_summary):
    lines = alexnet_summary.to_markdown().splitlines()
    assert lines[0].startswith("| Layer | Type | Output |")
    assert lines[1].count("---:") == 2
    assert "| features.0 | Conv2d | 55x55x96 | 11x11 / 4 / 0 | 34,944 |" in lines[2]
    assert "- Total params: 62,378,344" in lines


def test_summary_restores_mode_and_removes_its_hooks():
    model = models.digits_cnn()
    model.train()
    first = summary(model, (1, 8, 8))
    assert model.training and all(m.training for m in model.modules())
    second = summary(model, (1, 8, 8))
    assert len(second.rows) == len(first.rows) == 10      # hooks did not pile up
    assert all(not m._forward_hooks for m in model.modules())
    model.eval()
    summary(model, (1, 8, 8))
    assert not any(m.training for m in model.modules())


def test_summary_leaves_weights_alone():
    model = models.digits_cnn()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    summary(model, (2, 1, 8, 8))
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


@pytest.mark.parametrize("bad", [(227,), (1, 1, 3, 227, 227)])
def test_bad_input_size(bad):
    with pytest.raises(ShapeError, match=r"\(C, H, W\) or \(N, C, H, W\)"):
        summary(models.alexnet(), bad)


def test_too_small_input_names_the_layer():
    with pytest.raises(ShapeError) as info:
        summary(models.alexnet(), (3, 64, 64))
    assert "in features." in str(info.value)
