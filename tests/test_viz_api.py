"""The visualizer's JSON API (issue #6): the pure endpoint functions, checked against the
library and PyTorch, and the HTTP server on an ephemeral port (validation, limits, static
files, path traversal, methods)."""

import http.client
import json
import os
import re
import socket
import threading
import time

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchcnn import models, workflow
from scratchcnn.autograd import no_grad
from scratchcnn.explain import ConfigError, explain, validate_config
from scratchcnn.nn import functional as F
from scratchcnn.summary import summary
from scratchcnn.tensor import Tensor
from scratchcnn.viz import explorers, layers
from scratchcnn.viz.api import DEFAULT_LAYERS, Api
from scratchcnn.viz.network import NetworkService, prepare_drawing
from scratchcnn.viz.server import MAX_BODY, VisualizerServer, static_files
from scratchcnn.viz.validation import ValidationError

from conftest import read_golden
from viz_support import call, running_server, shared_checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return shared_checkpoint(tmp_path_factory)


@pytest.fixture(scope="module")
def service(checkpoint, tmp_path_factory):
    return NetworkService(checkpoint=checkpoint, workdir=tmp_path_factory.mktemp("work"))


@pytest.fixture(scope="module")
def server(service):
    with running_server(network=service) as running:
        yield running


def torch_conv(image, kernel, padding, stride, dilation, bias=0.0):
    x = torch.tensor(np.array(image, dtype=np.float64))[None, None]
    w = torch.tensor(np.array(kernel, dtype=np.float64))[None, None]
    return torch.nn.functional.conv2d(x, w, torch.tensor([bias], dtype=torch.float64),
                                      stride=stride, padding=padding,
                                      dilation=dilation)[0, 0].numpy()


# ============================================================ convolution explorer
def test_conv_the_issue_example():
    result = explorers.conv_explorer({"input": [[1, 6, 2], [5, 3, 1], [0, 2, 4]],
                                      "kernel": [[1, 2], [-1, 0]]})
    assert result["equations"][0][0] == "1*1 + 6*2 + 5*(-1) + 3*0 = 8"
    assert result["output"] == [[8, 7], [11, 3]]


def test_conv_defaults_caption_and_formula():
    result = explorers.conv_explorer(explorers.DEFAULT_CONV)
    assert result["valid"] and result["warning"] is None
    assert result["caption"] == "Input (7, 7) · After padding (9, 9) · Output (7, 7)"
    assert result["formula"][-1] == "(7 - 3 + 2x1) / 1 + 1 = 7"
    assert result["sizes"] == {"input": [7, 7], "padded": [9, 9], "kernel": [3, 3],
                               "kernel_extent": [3, 3], "output": [7, 7]}


@pytest.mark.parametrize("size, k, padding, stride, dilation", [
    (7, 3, 1, 1, 1), (7, 3, 0, 2, 1), (8, 3, 2, 3, 2), (5, 2, 3, 4, 3), (16, 7, 3, 1, 1),
    (1, 1, 0, 1, 1), (6, 4, 1, 2, 1)])
def test_conv_every_position_matches_torch(size, k, padding, stride, dilation):
    rng = np.random.default_rng(size * 100 + k)
    image = rng.integers(-5, 10, (size, size)).tolist()
    kernel = rng.normal(size=(k, k)).round(2).tolist()
    result = explorers.conv_explorer({"input": image, "kernel": kernel, "padding": padding,
                                      "stride": stride, "dilation": dilation, "bias": 0.5})
    expected = torch_conv(image, kernel, padding, stride, dilation, 0.5)
    np.testing.assert_allclose(result["output"], expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result["sums"], expected, rtol=1e-12, atol=1e-12)
    padded = np.array(result["padded"])
    assert padded.shape == (size + 2 * padding,) * 2
    np.testing.assert_array_equal(padded[padding:padding + size, padding:padding + size], image)
    rows, cols = np.array(result["window_rows"]), np.array(result["window_cols"])
    oh, ow = expected.shape
    # The window of (i, j) is rows i*s + u*d, columns j*s + v*d of the padded input.
    np.testing.assert_array_equal(rows, np.arange(oh)[:, None] * stride
                                  + np.arange(k)[None] * dilation)
    np.testing.assert_array_equal(cols, np.arange(ow)[:, None] * stride
                                  + np.arange(k)[None] * dilation)
    for i in range(oh):
        for j in range(ow):
            patch = padded[np.ix_(rows[i], cols[j])]
            np.testing.assert_allclose(result["products"][i][j], patch * np.array(kernel))
            assert result["equations"][i][j].endswith(
                "= " + explorers.Formatter(4).num(expected[i, j]))
    # Hovering a padded cell: the last window that covers it, or -1.
    for axis_owner, coords in ((result["cell_rows"], rows), (result["cell_cols"], cols)):
        for cell, owner in enumerate(axis_owner):
            covering = [i for i in range(len(coords)) if cell in coords[i]]
            assert owner == (max(covering) if covering else -1)


@pytest.mark.parametrize("bias", [0.0, -0.5])
def test_conv_terms_labels_and_ranges_rebuild_the_equations(bias):
    """The page colours each term by its weight: terms, bias term and output labels join
    into the equation, written by ``scratchcnn explain``'s own formatter."""
    from scratchcnn.explain import Formatter as ExplainFormatter
    rng = np.random.default_rng(3)
    image = rng.integers(-5, 10, (6, 6)).tolist()
    kernel = rng.normal(size=(3, 3)).round(2).tolist()
    result = explorers.conv_explorer({"input": image, "kernel": kernel, "stride": 2,
                                      "padding": 1, "bias": bias})
    fmt = ExplainFormatter(4)
    expected = torch_conv(image, kernel, 1, 2, 1, bias)
    padded = np.pad(np.array(image, float), 1)
    for i in range(expected.shape[0]):
        for j in range(expected.shape[1]):
            terms = result["terms"][i][j]
            assert len(terms) == 9
            patch = padded[np.ix_(result["window_rows"][i], result["window_cols"][j])].ravel()
            assert terms == [f"{fmt.num(a) if a >= 0 else f'({fmt.num(a)})'}*"
                             f"{fmt.num(b) if b >= 0 else f'({fmt.num(b)})'}"
                             for a, b in zip(patch, np.ravel(kernel))]
            assert " + ".join(terms) + result["bias_term"] + " = " + \
                result["labels"]["output"][i][j] == result["equations"][i][j]
            assert result["labels"]["output"][i][j] == fmt.num(expected[i, j])
    assert result["bias_term"] == ("" if bias == 0 else " + (-0.5000)")
    assert result["labels"]["kernel"] == [[fmt.num(b) for b in row] for row in kernel]
    assert result["ranges"]["output"]["low"] == pytest.approx(expected.min())
    assert result["ranges"]["output"]["high"] == pytest.approx(expected.max())
    assert result["ranges"]["input"]["labels"] == [fmt.num(np.min(image)), fmt.num(np.max(image))]


def test_pool_labels_show_minus_infinity_and_no_dilation():
    result = explorers.pool_explorer({"input": [[1, 2], [3, 4]], "window": 3, "stride": 1,
                                      "padding": 1})
    assert result["labels"]["padded"][0] == ["−∞"] * 4
    assert result["formula"][0] == "out = (in - k + 2p) / s + 1, rounded down"
    assert result["ranges"]["input"] == {"low": 1.0, "high": 4.0, "labels": ["1", "4"]}


def test_conv_kernel_larger_than_padded_input_is_explained():
    result = explorers.conv_explorer({"input": [[1, 2, 3]] * 3, "kernel": [[1] * 7] * 7,
                                      "padding": 1})
    assert result["valid"] is False
    assert "larger than the padded input" in result["problem"]
    assert "3 + 2*1 = 5" in result["problem"]
    assert "output" not in result and result["padded"] == np.pad(
        np.full((3, 3), 0.0) + [1, 2, 3], 1).tolist()
    dilated = explorers.conv_explorer({"input": [[1] * 5] * 5, "kernel": [[1] * 3] * 3,
                                       "dilation": 3})
    assert dilated["valid"] is False and "extent 7" in dilated["problem"]


def test_conv_uncovered_rows_and_columns_are_named():
    result = explorers.conv_explorer({"input": [[1] * 8] * 8, "kernel": [[1] * 3] * 3,
                                      "stride": 2})
    assert result["valid"]
    assert result["uncovered"] == {"rows": [7], "cols": [7]}
    assert "row 7 and column 7" in result["warning"]
    assert result["cell_rows"][7] == -1
    wide = explorers.conv_explorer({"input": [[1] * 9] * 6, "kernel": [[1] * 2] * 2,
                                    "stride": 4})
    assert wide["uncovered"] == {"rows": [2, 3], "cols": [2, 3, 6, 7, 8]}
    assert "rows 2, 3 and columns 2, 3, 6, 7, 8" in wide["warning"]


@pytest.mark.parametrize("body, field, message", [
    ({"kernel": [[1] * 8] * 8}, "kernel", "kernel must have 1 to 7 rows, got 8"),
    ({"kernel": 9}, "kernel", "kernel must be a list of rows of numbers, got 9"),
    ({"input": [[1] * 17]}, "input", "input rows must have 1 to 16 values, row 0 has 17"),
    ({"input": [[1] * 16] * 17}, "input", "input must have 1 to 16 rows, got 17"),
    ({"input": [[1, 2], [3]]}, "input", "rows must all have the same length"),
    ({"input": [[1, "2"]]}, "input", "input must hold numbers only, got '2'"),
    ({"input": [[1, True]]}, "input", "numbers only"),
    ({"input": [[1, None]]}, "input", "numbers only"),
    ({"input": [[1e7]]}, "input", "between -1e+06 and 1e+06"),
    ({"input": [[10 ** 400]]}, "input", "between"),
    ({"input": [[float("nan")]]}, "input", "between"),
    ({"input": []}, "input", "1 to 16 rows, got 0"),
    ({"input": [[]]}, "input", "row 0 has 0"),
    ({"input": [1, 2]}, "input", "row 0 must be a list"),
    ({"padding": 9}, "padding", "padding must be an integer in 0..3, got 9"),
    ({"padding": -1}, "padding", "0..3"),
    ({"stride": 0}, "stride", "stride must be an integer in 1..4, got 0"),
    ({"stride": 1.5}, "stride", "got 1.5"),
    ({"stride": "2"}, "stride", "got '2'"),
    ({"dilation": True}, "dilation", "dilation must be an integer in 1..3, got True"),
    ({"bias": "x"}, "bias", "bias must be a number"),
    ({"bias": float("inf")}, "bias", "bias must be a number"),
    ({"colour": 1}, "colour", "unknown field 'colour'"),
])
def test_conv_rejects_bad_input(body, field, message):
    with pytest.raises(ValidationError, match=None) as raised:
        explorers.conv_explorer(body)
    assert raised.value.field == field and raised.value.status == 400
    assert message in str(raised.value)


def test_conv_rejects_non_objects():
    for body in ([], "x", 3, None):
        with pytest.raises(ValidationError, match="must be a JSON object"):
            explorers.conv_explorer(body)


# ============================================================ pooling explorer
@pytest.mark.parametrize("kind, window, stride, padding", [
    ("max", 2, 2, 0), ("max", 3, 2, 1), ("max", 3, 1, 0), ("avg", 2, 2, 0), ("avg", 3, 2, 1),
    ("max", 1, 1, 0), ("avg", 2, 3, 1)])
def test_pool_matches_torch_and_names_the_winner(kind, window, stride, padding):
    rng = np.random.default_rng(window * 10 + stride)
    image = rng.integers(0, 10, (7, 7)).astype(float)
    result = explorers.pool_explorer({"input": image.tolist(), "kind": kind, "window": window,
                                      "stride": stride, "padding": padding})
    x = torch.tensor(image)[None, None]
    expected = (torch.nn.functional.max_pool2d(x, window, stride, padding) if kind == "max"
                else torch.nn.functional.avg_pool2d(x, window, stride, padding))[0, 0].numpy()
    np.testing.assert_allclose(result["output"], expected)
    rows, cols = result["window_rows"], result["window_cols"]
    padded = np.array([[-np.inf if v is None else v for v in row] for row in result["padded"]])
    for i in range(expected.shape[0]):
        for j in range(expected.shape[1]):
            window_values = padded[np.ix_(rows[i], cols[j])]
            if kind == "max":
                r, c = result["winners"][i][j]
                assert r in rows[i] and c in cols[j]
                assert padded[r, c] == expected[i, j] == window_values.max()
                # the first maximum in row-major order, as the backward pass routes it
                first = np.argmax(window_values.ravel())
                assert (rows[i][first // window], cols[j][first % window]) == (r, c)
                assert result["equations"][i][j].startswith("max(")
            else:
                assert result["winners"] is None
                assert result["equations"][i][j].endswith(
                    f"/ {window * window} = {explorers.Formatter(4).num(expected[i, j])}")


def test_pool_max_padding_is_minus_infinity_shown_as_null():
    result = explorers.pool_explorer({"input": [[1, 2], [3, 4]], "window": 3, "stride": 1,
                                      "padding": 1})
    assert result["padded"][0] == [None, None, None, None]
    assert result["equations"][0][0] == "max(-inf, -inf, -inf, -inf, 1, 2, -inf, 3, 4) = 4"
    json.dumps(result, allow_nan=False)   # JSON-safe


def test_pool_refusals_come_from_the_library():
    result = explorers.pool_explorer({"input": [[1] * 5] * 5, "window": 2, "padding": 2})
    assert result["valid"] is False and result["problem"].startswith(
        "Padding 2 is more than half the window (2 / 2): pooling allows a padding of at most 1")
    assert result["max_padding"] == 1 and "dilation" not in " ".join(result["formula"])
    result = explorers.pool_explorer({"input": [[1] * 2] * 2, "window": 5, "padding": 1})
    assert result["valid"] is False and "larger than" in result["problem"]
    for body, field in (({"kind": "min"}, "kind"), ({"window": 8}, "window"),
                        ({"stride": 8}, "stride"), ({"window": "2"}, "window")):
        with pytest.raises(ValidationError) as raised:
            explorers.pool_explorer(body)
        assert raised.value.field == field


# ============================================================ shape calculator
def test_shapes_alexnet_is_scratchcnn_summary():
    api = Api(network=None)
    result = api.shapes({})
    expected = summary(models.alexnet(), (3, 227, 227), formulas=True, name="alexnet")
    assert result["model"] == "alexnet"
    assert result["layers"] == expected.to_dict()["layers"]
    assert result["totals"]["total_params"] == 62378344
    assert result["text"] == read_golden("summary_alexnet_formulas.txt")


def test_shapes_zoo_model_with_another_input_and_layout():
    result = Api(None).shapes({"model": "tiny_vgg", "input": [3, 64, 64], "layout": "nchw"})
    assert result["layers"][0]["output"] == "[1, 10, 62, 62]"
    with pytest.raises(ValidationError, match="does not fit a 3x8x8 input") as raised:
        Api(None).shapes({"model": "alexnet", "input": [3, 8, 8]})
    assert raised.value.field == "input"
    with pytest.raises(ValidationError, match="takes 3 input channel"):
        Api(None).shapes({"model": "alexnet", "input": [1, 227, 227]})


@pytest.mark.parametrize("body, message", [
    ({"model": "alexnet", "input": [227, 227, 3]},
     "alexnet takes 3 input channel(s), got 227 (sizes are C x H x W): did you mean 3x227x227?"),
    ({"layers": "conv 8 3", "input": [227, 227, 3]},
     "input must have at most 64 channels, got 227 (sizes are C x H x W): did you mean "
     "3x227x227?"),
    ({"layers": "Conv2d(3, 8, 3)", "input": [32, 32, 3]},
     "line 1: conv expects 3 input channels, but its input has 32 (sizes are C x H x W): did "
     "you mean 3x32x32?"),
])
def test_shapes_channels_last_input_asks_did_you_mean(body, message, server):
    with pytest.raises(ValidationError) as raised:
        Api(None).shapes(body)
    assert str(raised.value) == message and raised.value.field == "input"
    status, _, answer = call(server.url + "/api/shapes", "POST", body)
    assert status == 400 and answer == {"error": message, "field": "input"}


def test_shapes_channels_first_mismatch_has_no_hint():
    with pytest.raises(ValidationError) as raised:
        Api(None).shapes({"layers": "Conv2d(3, 8, 3)", "input": [1, 32, 32]})
    assert "did you mean" not in str(raised.value)


def test_shapes_layer_list_counts_like_the_zoo_model():
    result = Api(None).shapes({"layers": DEFAULT_LAYERS, "input": [1, 28, 28]})
    lenet = summary(models.lenet5(), (1, 28, 28), formulas=True)
    assert result["totals"] == lenet.to_dict()["totals"]
    assert [r["output"] for r in result["layers"]] == [r["output"] for r in lenet.rows]
    assert [r["formula"] for r in result["layers"]] == [r["formula"] for r in lenet.rows]
    pytorch_style = Api(None).shapes({"layers": "nn.Conv2d(3, 96, kernel_size=11, stride=4)\n"
                                                "nn.ReLU()\nnn.MaxPool2d(3, stride=2)",
                                      "input": [3, 227, 227]})
    assert [r["output"] for r in pytorch_style["layers"]] == ["55x55x96", "55x55x96",
                                                              "27x27x96"]


@pytest.mark.parametrize("text, message", [
    ("", "the layer list is empty"),
    ("# only a comment", "the layer list is empty"),
    ("conv 8 3\nfoo 3", "line 2: unknown layer 'foo'"),
    ("conv 8", "line 1: conv needs OUT KERNEL"),
    ("conv 8 3 stride=0", "stride must be an integer in 1..31, got 0"),
    ("conv 8 3 colour=2", "conv takes no argument 'colour'"),
    ("conv 8 x", "'x' is not a number"),
    ("conv 2 8 3", "conv expects 2 input channels, but its input has 1"),
    ("linear 10", "add 'flatten' before it"),
    ("flatten\nconv 3 3", "needs an image input"),
    ("conv 8 29", "larger than the padded input"),
    ("maxpool 3 padding=2", "at most half the kernel size"),
    ("conv 4096 1\n" + "relu\n" * 9, "values per image"),
    ("conv 4096 3\nconv 4096 3", "parameters"),
    ("flatten\nlinear 16384\nlinear 16384", "parameters"),
    ("\n".join(["relu"] * 65), "at most 64 layers"),
    ("dropout 2", "dropout p must be in [0, 1)"),
])
def test_shapes_layer_list_errors_name_the_line(text, message):
    with pytest.raises(ValidationError) as raised:
        Api(None).shapes({"layers": text, "input": [1, 28, 28]})
    assert message in str(raised.value) and raised.value.field == "layers"


def test_shapes_limits_are_checked_before_allocating():
    # 4096 x 4096 x 31 x 31 weights would be 63 GB: refused by arithmetic, not by MemoryError.
    with pytest.raises(ValidationError, match="parameters"):
        layers.build_model("conv 4096 1\nconv 4096 31", (1, 4, 4))
    for body, field in (({"input": [1, 28, 28, 1]}, "input"), ({"input": [0, 28, 28]}, "input"),
                        ({"input": [1, 100000, 28]}, "input"), ({"model": "resnet"}, "model"),
                        ({"model": "alexnet", "layers": "relu"}, "layers"),
                        ({"layers": "relu" * 5000}, "layers"), ({"layers": ["relu"]}, "layers"),
                        ({"layers": "relu", "input": [65, 8, 8]}, "input")):
        with pytest.raises(ValidationError) as raised:
            Api(None).shapes(body)
        assert raised.value.field == field, body


# ============================================================ worked example
def test_explain_default_and_custom():
    api = Api(None)
    # The trace of `scratchcnn explain`, plus its pictures (tested below).
    default = api.explain_default({})
    assert default["pictures"] and {k: value for k, value in default.items()
                                    if k != "pictures"} == json.loads(explain().json())
    custom = dict(api.explain({"config": {"label": 1}, "decimals": 2}))
    assert custom["config"]["label"] == 1 and custom["steps"][0]["title"] == "The network"
    assert custom.pop("pictures")[7]["notes"] == [
        f"loss = {explorers.Formatter(2).num(custom['values']['loss'])}"]
    assert custom == json.loads(explain({"label": 1}, decimals=2).json())
    with pytest.raises(ValidationError, match="'padding' is at most 3") as raised:
        api.explain({"config": {"padding": 7}})
    assert raised.value.field == "config"
    for body in ({"config": [1]}, {"decimals": 13}, {"config": {"kernel": "x"}}, {"x": 1}):
        with pytest.raises(ValidationError):
            api.explain(body)


# ============================================================ network explorer
def reference_forward(checkpoint, image):
    model, meta = workflow.load_model(checkpoint)
    with no_grad():
        logits = model(Tensor(workflow.normalize(image[None], meta["preprocessing"])))
    return F.softmax(logits, dim=1).numpy()[0]


def test_network_predicts_like_the_library(service, checkpoint):
    result = service.predict({"index": 3})
    image = np.array(result["image"], dtype=np.float32)
    from scratchcnn.data import load_dataset
    np.testing.assert_array_equal(image, load_dataset("digits", split="test").images[3])
    np.testing.assert_allclose(result["probabilities"], reference_forward(checkpoint, image),
                               rtol=1e-6)
    assert result["prediction"]["index"] == int(np.argmax(result["probabilities"]))
    kinds = [(layer["type"], layer["shape"], layer["inspect"]) for layer in result["layers"]]
    assert kinds[0] == ("Conv2d", [16, 8, 8], "conv")
    assert kinds[2] == ("MaxPool2d", [16, 4, 4], "pool")
    assert kinds[6] == ("Flatten", [128], None)
    assert kinds[-1] == ("Linear", [10], "linear")
    np.testing.assert_allclose(F.softmax(Tensor(np.array([result["layers"][-1]["values"]])),
                                         dim=1).numpy()[0], result["probabilities"], rtol=1e-5)


def test_network_inspect_recomputes_every_kind_of_value(service):
    layers_ = service.predict({"index": 5})["layers"]
    for layer in layers_:
        if layer["inspect"] is None:
            with pytest.raises(ValidationError, match="cannot be inspected"):
                service.inspect({"index": 5, "layer": layer["index"], "channel": 0})
            continue
        shape = layer["shape"]
        spots = [(c, r, k) for c in (0, shape[0] - 1) for r in (0, shape[1] - 1)
                 for k in (0, shape[2] - 1)] if len(shape) == 3 else [(0, 0, 0),
                                                                        (shape[0] - 1, 0, 0)]
        for channel, row, col in spots:
            result = service.inspect({"index": 5, "layer": layer["index"],
                                      "channel": channel, "row": row, "col": col})
            value = (layer["values"][channel][row][col] if len(shape) == 3
                     else layer["values"][channel])
            assert result["value"] == pytest.approx(value, rel=1e-6, abs=1e-6)
            assert result["sum"] == pytest.approx(value, rel=1e-4, abs=1e-4)
            if result["kind"] == "conv":
                patch, kernel = np.array(result["patch"]), np.array(result["kernel"])
                assert patch.shape == kernel.shape
                assert (patch * kernel).sum() + result["bias"] == pytest.approx(value, abs=1e-4)
                assert result["equation"].endswith("= " + explorers.Formatter(4).num(result["sum"]))
            if result["kind"] == "pool":
                u, v = result["winner"]
                assert result["patch"][u][v] == pytest.approx(value)


def test_network_inspect_conv_patch_includes_the_padding(service):
    result = service.inspect({"index": 0, "layer": 0, "channel": 2, "row": 0, "col": 7})
    assert result["rows"] == [-1, 0, 1] and result["cols"] == [6, 7, 8]
    assert np.array(result["patch"])[0, 0].tolist() == [0, 0, 0]   # the padded top row


def test_network_drawings(service, checkpoint):
    digit = np.zeros((32, 32))
    digit[4:28, 14:18] = 1.0                                        # a "1"
    result = service.predict({"image": digit.tolist()})
    image = prepare_drawing(digit, (1, 8, 8))
    np.testing.assert_allclose(result["image"], image)
    assert image.max() == 1 and image[0, :, 0].max() == 0          # centred, filling 8 rows
    np.testing.assert_allclose(result["probabilities"], reference_forward(checkpoint, image),
                               rtol=1e-6)
    for body, message in (({"image": np.zeros((8, 8)).tolist()}, "the drawing is empty"),
                          ({"image": [[2.0]]}, "between 0 and 1"),
                          ({"image": [[0.5] * 65]}, "1 to 64 values"),
                          ({}, "exactly one of index"),
                          ({"index": 1, "image": [[1]]}, "exactly one of index"),
                          ({"index": 100000}, "index must be an integer in 0..359"),
                          ({"index": "1"}, "index must be an integer"),
                          ({"index": 1, "layer": 0}, "unknown field 'layer'")):
        with pytest.raises(ValidationError, match=None) as raised:
            service.predict(body)
        assert message in str(raised.value), body


def test_network_inspect_validates_positions(service):
    for extra, field in (({"layer": 10}, "layer"), ({"layer": 0, "channel": 16}, "channel"),
                         ({"layer": 0, "channel": 0, "row": 8, "col": 0}, "row"),
                         ({"layer": 0, "channel": 0, "row": 0, "col": -1}, "col"),
                         ({"layer": 9, "channel": 0, "row": 1}, "row")):
        with pytest.raises(ValidationError) as raised:
            service.inspect({"index": 0, **extra})
        assert raised.value.field == field, extra


def test_network_examples(service):
    result = service.examples(5)
    assert result["total"] == 360 and len(result["images"]) == 5
    assert np.array(result["images"][0]["pixels"]).shape == (1, 8, 8)


def test_network_trains_the_default_model_on_first_use_and_caches_it(tmp_path):
    service = NetworkService(workdir=tmp_path, training={"epochs": 1, "limit": 200})
    assert service.status()["state"] == "idle"
    with pytest.raises(ValidationError) as raised:
        service.predict({"index": 0})
    assert raised.value.status == 503
    assert service.start()["state"] == "training"
    status = service.wait(120)
    assert status["state"] == "ready", status
    assert status["model"] == "digits_cnn" and status["input_size"] == [1, 8, 8]
    assert os.path.exists(tmp_path / "digits_cnn.npz")
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".training-")]
    again = NetworkService(workdir=tmp_path)
    assert again.status()["state"] == "ready"
    assert "trained earlier" in again.status()["message"]


def test_network_reports_a_broken_cache_and_bad_checkpoints(tmp_path):
    (tmp_path / "digits_cnn.npz").write_text("not a checkpoint")
    service = NetworkService(workdir=tmp_path)
    assert service.status()["state"] == "idle"
    assert "could not be read" in service.status()["message"]
    from scratchcnn.serialization import CheckpointError
    with pytest.raises(CheckpointError):
        NetworkService(checkpoint=tmp_path / "digits_cnn.npz")
    with pytest.raises(FileNotFoundError):
        NetworkService(checkpoint=tmp_path / "missing.npz")


# ============================================================ the HTTP server
def test_every_endpoint_over_http(server):
    url = server.url
    status, headers, info = call(url + "api/info")
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert set(info["endpoints"]) == {f"{m} {p}" for m, p in Api(None).routes}
    assert info["limits"]["input"] == 16 and info["limits"]["kernel"] == 7
    assert call(url + "api/conv", "POST", {"padding": 1})[2]["caption"] == \
        "Input (7, 7) · After padding (9, 9) · Output (7, 7)"
    assert call(url + "api/pool", "POST", {})[2]["kind"] == "max"
    assert call(url + "api/shapes", "POST", {"model": "lenet5"})[2]["totals"][
        "total_params"] == 61706
    assert call(url + "api/explain")[2]["values"]["loss"] == pytest.approx(0.744, abs=1e-3)
    assert call(url + "api/explain", "POST", {"decimals": 2})[0] == 200
    assert call(url + "api/network/status")[2]["state"] == "ready"
    assert call(url + "api/network/start", "POST", {})[2]["state"] == "ready"
    assert len(call(url + "api/network/examples?count=3")[2]["images"]) == 3
    predicted = call(url + "api/network/predict", "POST", {"index": 2})[2]
    assert len(predicted["probabilities"]) == 10
    inspected = call(url + "api/network/inspect", "POST",
                     {"index": 2, "layer": 3, "channel": 4, "row": 1, "col": 2})[2]
    assert inspected["value"] == pytest.approx(predicted["layers"][3]["values"][4][1][2])
    backward = call(url + "api/network/backward", "POST", {"index": 2, "label": 1})[2]
    assert backward["loss"] > 0 and backward["session"] is None
    stepped = call(url + "api/network/backward", "POST",
                   {"index": 2, "label": 1, "steps": 1, "lr": 0.05})[2]
    assert stepped["losses"][0] == pytest.approx(backward["loss"])
    assert call(url + "api/network/reset", "POST",
                {"session": stepped["session"]})[2]["reset"] is True


@pytest.mark.parametrize("path, body, status, field", [
    ("api/conv", {"kernel": [[1] * 9] * 9}, 400, "kernel"),
    ("api/conv", {"input": "abc"}, 400, "input"),
    ("api/conv", {"stride": 10 ** 30}, 400, "stride"),
    ("api/conv", [1, 2], 400, None),
    ("api/conv", "text", 400, None),
    ("api/pool", {"window": None}, 400, "window"),
    ("api/shapes", {"layers": "conv 999999 3"}, 400, "layers"),
    ("api/explain", {"config": {"lr": -1}}, 400, "config"),
    ("api/network/predict", {"index": -1}, 400, "index"),
    ("api/network/predict", {"image": [[0.5] * 100] * 100}, 400, "image"),
    ("api/network/inspect", {"index": 0, "layer": "0"}, 400, "layer"),
    ("api/network/start", {"now": True}, 400, "now"),
    ("api/network/backward", {"index": 0}, 400, "label"),
    ("api/network/backward", {"index": 0, "label": 10}, 400, "label"),
    ("api/network/backward", {"index": 0, "label": 1, "lr": 0}, 400, "lr"),
    ("api/network/backward", {"index": 0, "label": 1, "session": "0" * 32}, 400, "session"),
    ("api/network/reset", {}, 400, "session"),
])
def test_bad_requests_answer_400_json(server, path, body, status, field):
    code, headers, answer = call(server.url + path, "POST", body)
    assert code == status and headers.get_content_type() == "application/json"
    assert answer["error"] and answer.get("field") == field


def raw_request(server, method, path, headers=None, body=b""):
    """A request sent as written (no client-side normalisation of the path)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        headers = {"Host": f"127.0.0.1:{server.server_port}", **(headers or {})}
        for key, value in headers.items():
            if value is not None:           # None: leave the header out
                connection.putheader(key, value)
        connection.endheaders(body or None)
        response = connection.getresponse()
        payload = response.read()
    finally:
        connection.close()
    kind = response.getheader("Content-Type", "")
    return response.status, response, json.loads(payload) if "json" in kind else payload


def test_body_size_type_and_syntax(server):
    json_type = {"Content-Type": "application/json"}
    status, _, answer = raw_request(server, "POST", "/api/conv",
                                    {**json_type, "Content-Length": str(MAX_BODY + 1)})
    assert status == 413 and "too large" in answer["error"]
    status, _, answer = raw_request(server, "POST", "/api/conv", json_type)
    assert status == 411
    status, _, _ = raw_request(server, "POST", "/api/conv",
                               {**json_type, "Transfer-Encoding": "chunked"}, b"0\r\n\r\n")
    assert status == 411
    status, _, answer = raw_request(server, "POST", "/api/conv",
                                    {"Content-Type": "text/plain", "Content-Length": "2"},
                                    b"{}")
    assert status == 415
    for body, message in ((b"{", "not valid JSON"), (b'{"bias": NaN}', "NaN"),
                          (b'{"bias": Infinity}', "Infinity"), (b"\xff\xfe", "UTF-8"),
                          (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
                          (b'{"bias": 1' + b"0" * 5000 + b"}", "not valid JSON")):
        status, _, answer = raw_request(server, "POST", "/api/conv",
                                        {**json_type, "Content-Length": str(len(body))}, body)
        assert status == 400 and message in answer["error"], (body[:20], answer)
    # A body that is just under the limit is read and validated normally.
    big = json.dumps({"input": [[0.5] * 16] * 16, "pad": "x" * (MAX_BODY - 2000)}).encode()
    status, _, answer = raw_request(server, "POST", "/api/conv",
                                    {**json_type, "Content-Length": str(len(big))}, big)
    assert status == 400 and answer["field"] == "pad"


def test_unknown_endpoints_methods_and_queries(server):
    status, _, answer = raw_request(server, "GET", "/api/nothing")
    assert status == 404 and "no endpoint /api/nothing" in answer["error"]
    status, response, answer = raw_request(server, "PUT", "/api/conv")
    assert status == 405 and response.getheader("Allow") == "POST"
    status, response, _ = raw_request(server, "GET", "/api/conv")
    assert status == 405
    status, response, _ = raw_request(server, "DELETE", "/api/explain")
    assert status == 405 and response.getheader("Allow") == "GET, POST"
    assert raw_request(server, "POST", "/")[0] == 405
    assert raw_request(server, "BREW", "/")[0] == 501
    for query in ("count=0", "count=101", "count=1&count=2", "count=%FF", "other=1",
                  "count=%C2%B3"):
        status, _, answer = raw_request(server, "GET", "/api/network/examples?" + query)
        assert status == 400, query
    assert raw_request(server, "GET", "/api/info?x=1")[0] == 400
    status, _, answer = raw_request(server, "POST", "/api/conv?x=1",
                                    {"Content-Type": "application/json", "Content-Length": "2"},
                                    b"{}")
    assert status == 400 and "no query parameters" in answer["error"]


def test_malformed_requests_get_json_errors(server):
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1 extra\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    answer = answer.decode("latin-1")
    assert answer.startswith("HTTP/1.0 400") and '{"error": "Bad request' in answer


def test_only_loopback_host_names_are_answered(server):
    assert raw_request(server, "GET", "/api/info", {"Host": "evil.example:80"})[0] == 403
    assert raw_request(server, "GET", "/", {"Host": "localhost:1234"})[0] == 200
    assert raw_request(server, "GET", "/api/info", {"Host": "[::1]:80"})[0] == 200
    assert raw_request(server, "GET", "/api/info", {"Host": "[bad"})[0] == 403
    assert raw_request(server, "GET", "/api/info", {"Host": None})[0] == 200   # not a browser


def test_static_files(server):
    status, response, page = raw_request(server, "GET", "/")
    assert status == 200 and response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert b"scratchcnn visualizer" in page
    assert "default-src 'self'" in response.getheader("Content-Security-Policy")
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert b'<script type="module" src="/static/main.js">' in page
    assert raw_request(server, "GET", "/static/style.css")[0] == 200
    modules = sorted(name for name in static_files() if name.endswith(".js"))
    assert sorted(static_files()) == sorted(modules + ["index.html", "style.css"])
    for name in modules:          # ES modules: served as JavaScript, each small
        status, response, script = raw_request(server, "GET", f"/static/{name}")
        assert status == 200 and response.getheader("Content-Type").startswith("text/javascript")
        script = script.decode()
        assert len(script.splitlines()) <= 400, name
        # every module it imports is one of the page's files (no build step, no CDN)
        for imported in re.findall(r'from "\./([\w.]+)"', script):
            assert imported in modules, (name, imported)


@pytest.mark.parametrize("path", [
    "/static/../server.py", "/static/%2e%2e/server.py", "/static/%2E%2E%2Fserver.py",
    "/static/..%2f..%2f__init__.py", "/static/..%5cserver.py", "/../../etc/passwd",
    "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/etc/passwd", "/static/",
    "/static/./main.js", "/static/main.js%00.html", "/static/nothing.js", "/index.html/..",
    "/static/\\..\\server.py", "/api/../static/main.js", "//etc/passwd",
])
def test_no_file_outside_the_asset_folder(server, path):
    status, _, answer = raw_request(server, "GET", path)
    assert status in (400, 404), path
    assert isinstance(answer, dict) and "error" in answer


def test_symlinks_out_of_the_asset_folder_are_not_served(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_text("<p>hello</p>")
    secret = tmp_path / "secret.js"
    secret.write_text("secret")
    (static / "leak.js").symlink_to(secret)
    (static / "inside.css").symlink_to(static / "index.html")
    server = VisualizerServer("127.0.0.1", 0, Api(None), static_dir=static)
    import threading
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert raw_request(server, "GET", "/")[0] == 200
        assert raw_request(server, "GET", "/static/leak.js")[0] == 404
        assert raw_request(server, "GET", "/static/inside.css")[0] == 404
        status, _, answer = raw_request(server, "GET", "/api/network/status")
        assert status == 503 and "no network explorer" in answer["error"]
    finally:
        server.shutdown()
        server.server_close()


def test_server_start_errors_are_clear(service):
    from scratchcnn.viz.server import VisualizerError, make_server
    with running_server(network=service) as busy:
        with pytest.raises(VisualizerError, match="already in use.*--port 0"):
            make_server("127.0.0.1", busy.server_port, network=service)
    with pytest.raises(VisualizerError, match="port must be an integer"):
        make_server("127.0.0.1", 70000, network=service)
    with pytest.raises(VisualizerError, match="cannot listen on 192.0.2.1"):
        make_server("192.0.2.1", 0, network=service)


# ============================================================ hostile and odd input
# Nothing a client sends may answer 500 (an unexpected exception): bad input is a 400.
POST_FIELDS = {f"/api/{path}": fields for path, fields in (
    ("conv", ("input", "kernel", "padding", "stride", "dilation", "bias", "decimals")),
    ("pool", ("input", "kind", "window", "stride", "padding", "decimals")),
    ("shapes", ("model", "layers", "input", "layout")),
    ("explain", ("config", "decimals")),
    ("network/start", ()),
    ("network/predict", ("index", "image", "center")),
    ("network/inspect", ("index", "image", "center", "layer", "channel", "row", "col",
                         "decimals")),
    ("network/backward", ("index", "image", "center", "label", "lr", "steps", "layer",
                          "filter", "weight", "session", "decimals")),
    ("network/reset", ("session",)),
)}
HUGE = st.one_of(st.sampled_from([10 ** 20, -10 ** 20, 2 ** 63, 2 ** 64 + 1, 1e308, -1e308,
                                  5e-324]),
                 st.integers(min_value=10 ** 300, max_value=10 ** 400),     # beyond floats
                 st.integers(min_value=-10 ** 400, max_value=-10 ** 300))
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-40, 40), st.integers(), HUGE,
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "nan", "1e400", "", "0", "max", "avg",
                     "alexnet", "lenet5", "hwc", "nchw", "conv 1 31", "Conv2d(1.0, 6, 5)",
                     "flatten\nlinear 784.0 10", "()", "relu\nmaxpool 2", "conv 8 3 stride=2"]),
    st.text(max_size=8))
CONFIG_KEYS = ("input", "kernel", "bias", "stride", "padding", "pool", "fc_weight",
               "fc_bias", "label", "lr", "kind", "size")
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(CONFIG_KEYS) | st.text(max_size=5), children, max_size=4),
    max_leaves=16)
MATRICES = st.lists(st.lists(SCALARS, min_size=1, max_size=3), min_size=1, max_size=3)


def bodies(path):
    """Mostly objects of the endpoint's own fields (so that every field's checks are
    reached), with odd values: huge numbers, strings, lists, nested objects."""
    fields = POST_FIELDS[path]
    values = st.one_of(HUGE, SCALARS, MATRICES, JSON_VALUES)
    odd = st.one_of(JSON_VALUES, st.dictionaries(st.text(max_size=5), values, max_size=3))
    if not fields:
        return st.one_of(st.just({}), odd)
    one = st.dictionaries(st.sampled_from(fields), values, min_size=1, max_size=1)
    some = st.dictionaries(st.sampled_from(fields), values, min_size=min(2, len(fields)),
                           max_size=4)
    if path == "/api/explain":
        one = st.fixed_dictionaries({"config": st.dictionaries(
            st.sampled_from(CONFIG_KEYS[:10]), values, min_size=1, max_size=2)})
    return st.one_of(one, one, some, odd)


def test_the_fuzzed_endpoints_are_all_the_post_endpoints():
    assert {f"POST {path}" for path in POST_FIELDS} == {
        f"{m} {p}" for m, p in Api(None).routes if m == "POST"}


@pytest.mark.parametrize("path", sorted(POST_FIELDS))
@settings(max_examples=100)
@given(data=st.data())
def test_random_json_never_answers_500(server, path, data):
    body = data.draw(bodies(path), label="body")
    status, headers, answer = call(server.url + path[1:], "POST", raw=json.dumps(body).encode(),
                                   headers={"Content-Type": "application/json"})
    assert status in (200, 400), (status, answer)
    assert headers.get_content_type() == "application/json"
    if status == 400:
        assert answer["error"]


@pytest.mark.parametrize("path, body, field, message", [
    ("api/conv", {"bias": 10 ** 400}, "bias", "bias must be a number between"),
    ("api/pool", {"window": 10 ** 400}, "window", "window must be an integer"),
    ("api/shapes", {"layers": "flatten\nlinear 784.0 10"}, "layers",
     "in_features must be an integer"),
    ("api/shapes", {"layers": "Conv2d(1.0, 6, 5)"}, "layers", "in_channels must be an integer"),
    ("api/shapes", {"layers": "conv 8 3\n()"}, "layers", "line 2: cannot read"),
    ("api/shapes", {"layers": "conv 1 31", "input": [64, 250, 250]}, "layers", "im2col"),
    ("api/shapes", {"model": "alexnet", "input": [3, 512, 512]}, "input", "multiply-adds"),
    ("api/explain", {"config": {"stride": 10 ** 20}}, "config", "'stride' is at most 32"),
    ("api/explain", {"config": {"pool": {"size": 10 ** 20}}}, "config", "'size' is at most"),
    ("api/explain", {"config": {"input": [[10 ** 400]]}}, "config", "within ±1e+06"),
    ("api/explain", {"config": {"input": [[1e300]]}}, "config", "within ±1e+06"),
    ("api/explain", {"config": {"bias": 10 ** 400}}, "config", "within ±1e+06"),
    ("api/explain", {"config": {"lr": 1e300}}, "config", "within ±1e+06"),
    ("api/explain", {"config": {"fc_bias": [10 ** 400, 0]}}, "config", "within ±1e+06"),
])
def test_overflowing_and_mistyped_numbers_answer_400(server, path, body, field, message):
    status, _, answer = call(server.url + path, "POST", body)
    assert status == 400, answer
    assert answer.get("field") == field and message in answer["error"], answer


def test_explain_config_bounds_keep_every_number_finite():
    # The largest values and sizes allowed: every number of the trace is still finite.
    config = {"input": [[1e6] * 16] * 16, "kernel": [[1e6] * 7] * 7, "bias": 1e6, "label": 1,
              "padding": 3, "pool": {"kind": "avg", "size": 1, "stride": 1},
              "fc_weight": [[1e6, -1e6]] * 256, "fc_bias": [1e6, -1e6], "lr": 1e6}
    trace = json.loads(explain(config).json())      # 16x16 pooled values: 256 features
    json.dumps(trace, allow_nan=False)
    assert abs(trace["values"]["loss"]) > 1e15
    for key, value in (("stride", 33), ("label", 10 ** 30), ("padding", 10 ** 30)):
        with pytest.raises(ConfigError):
            validate_config({key: value})


def test_shapes_cost_is_checked_before_anything_is_built_or_run(monkeypatch):
    # conv 1 31 on 64x250x250: 30 million multiply-adds, but an im2col matrix of 3 billion
    # values (12 GB): refused by arithmetic, before a layer exists.
    def no_building(*args, **kwargs):
        raise AssertionError("a layer was built")
    monkeypatch.setattr(layers.nn.Conv2d, "__init__", no_building)
    with pytest.raises(ValidationError, match="im2col") as raised:
        layers.build_model("conv 1 31", (64, 250, 250))
    assert raised.value.field == "layers"
    with pytest.raises(ValidationError, match="line 4: .* multiply-adds"):
        layers.build_model("conv 64 3 padding=1\n" * 4, (64, 128, 128))
    monkeypatch.undo()
    from scratchcnn.viz import api as api_module
    monkeypatch.setattr(api_module, "summary", lambda *a, **k: pytest.fail("summary ran"))
    for size in ([3, 512, 512], [3, 400, 500]):
        with pytest.raises(ValidationError,
                           match="alexnet at a .* input, layer features") as raised:
            Api(None).shapes({"model": "alexnet", "input": size})
        assert raised.value.field == "input"


def test_request_size_fields_are_checked_before_int(server):
    count = "1" * 4301
    status, _, answer = raw_request(server, "GET", "/api/network/examples?count=" + count)
    assert status == 400 and answer["field"] == "count"
    status, _, answer = raw_request(server, "POST", "/api/conv",
                                    {"Content-Type": "application/json",
                                     "Content-Length": "9" * 4301})
    assert status == 413 and "4301-digit" in answer["error"]
    status, _, answer = raw_request(server, "POST", "/api/conv",
                                    {"Content-Type": "application/json",
                                     "Content-Length": "0" * 5000 + "2"}, b"{}")
    assert status == 200


def test_deeply_nested_bodies_are_refused(server):
    deep = {"config": {"input": json.loads("[" * 40 + "1" + "]" * 40)}}
    status, _, answer = call(server.url + "api/explain", "POST", deep)
    assert status == 400 and "nested too deeply" in answer["error"]


def test_head_requests_for_the_page(server):
    for path, kind in (("/", "text/html"), ("/static/main.js", "text/javascript")):
        status, response, body = raw_request(server, "HEAD", path)
        assert status == 200 and response.getheader("Content-Type").startswith(kind)
        assert int(response.getheader("Content-Length")) > 1000 and body == b""
    status, response, _ = raw_request(server, "PUT", "/")
    assert status == 405 and response.getheader("Allow") == "GET, HEAD"


@pytest.mark.parametrize("method, path, content_type, status", [
    ("POST", "/api/nothing", "application/json", 404),
    ("POST", "/api/info", "application/json", 405),
    ("POST", "/", "application/json", 405),
    ("POST", "/api/conv", "text/plain", 415),
    ("POST", "/api/conv?x=1", "application/json", 400),
])
def test_error_answers_read_the_body_first(server, method, path, content_type, status):
    # A body the answer does not need is still read, so that closing the connection does
    # not reset it before the client has read the answer (a client sends the whole body
    # before it reads).
    body = json.dumps({"pad": "x" * 600_000}).encode()
    for _ in range(3):
        answer = raw_request(server, method, path, {"Content-Type": content_type,
                                                    "Content-Length": str(len(body))}, body)
        assert answer[0] == status and "error" in answer[2]


def serving(**options):
    """A VisualizerServer with non-default limits, serving from a thread."""
    server = VisualizerServer("127.0.0.1", 0, Api(None), **options)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    return server, thread


def stop_serving(server, thread):
    server.shutdown()
    server.server_close()
    thread.join(5)


def trickle(server, first, more, seconds=8):
    """Send ``first``, then ``more`` every 0.2 s until the server answers or closes;
    (what it sent, seconds taken)."""
    import select
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as sock:
        sock.sendall(first)
        started, answer = time.monotonic(), b""
        while time.monotonic() - started < seconds:
            if select.select([sock], [], [], 0.2)[0]:
                try:
                    chunk = sock.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                answer += chunk
            else:
                sock.sendall(more)
        return answer, time.monotonic() - started


def test_a_slow_client_has_one_deadline_for_the_whole_request():
    # A byte every 0.2 s would never hit a per-read timeout; the deadline is for it all.
    server, thread = serving(request_deadline=1.0)
    try:
        answer, took = trickle(server, b"POST /api/conv HTTP/1.0\r\nContent-Type: "
                               b"application/json\r\nContent-Length: 100\r\n\r\n{", b" ")
        assert answer.startswith(b"HTTP/1.0 408") and took < 5, answer
        assert b"did not arrive within 1.0 seconds" in answer
        answer, took = trickle(server, b"GET / HTTP/1.0\r\n", b"X-Slow: 1\r\n")
        assert answer == b"" and took < 5          # closed without an answer
        assert raw_request(server, "GET", "/api/info")[0] == 200
    finally:
        stop_serving(server, thread)


def test_requests_beyond_the_handler_limit_answer_503():
    server, thread = serving(max_handlers=2, request_deadline=20)
    idle = [socket.create_connection(("127.0.0.1", server.server_port), timeout=10)
            for _ in range(2)]
    try:
        time.sleep(0.5)                     # both are being served (waiting for a request)
        status, response, answer = raw_request(server, "GET", "/api/info")
        assert status == 503 and "busy" in answer["error"]
        assert response.getheader("Retry-After") == "1"
        for sock in idle:
            sock.close()
        deadline = time.monotonic() + 10
        while raw_request(server, "GET", "/api/info")[0] != 200:
            assert time.monotonic() < deadline, "the handlers were not released"
            time.sleep(0.1)
    finally:
        for sock in idle:
            sock.close()
        stop_serving(server, thread)


def test_unreadable_test_images_answer_503(checkpoint, tmp_path, monkeypatch):
    import scratchcnn.data
    def unreadable(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(scratchcnn.data, "load_dataset", unreadable)
    service = NetworkService(checkpoint=checkpoint, workdir=tmp_path)
    with pytest.raises(ValidationError, match="could not be read.*Permission denied") as raised:
        service.examples(3)
    assert raised.value.status == 503
    assert service.status()["state"] == "ready"


def test_stale_training_folders_are_removed_at_start(tmp_path):
    old, new = tmp_path / ".training-old", tmp_path / ".training-new"
    for folder in (old, new):
        folder.mkdir()
        (folder / "best.npz").write_text("partial")
    long_ago = time.time() - 2 * 3600
    os.utime(old, (long_ago, long_ago))
    NetworkService(workdir=tmp_path)
    assert not old.exists() and new.exists()    # a recent one may be another server's


# ============================================================ the backward pass
def torch_twin_records(checkpoint, image, label):
    """The backward pass in PyTorch (through ``interop``): (torch model, loss, every leaf
    layer's (output, dL/d(output)))."""
    from scratchcnn import interop
    model, meta = workflow.load_model(checkpoint)
    twin = interop.to_torch(model)
    outputs = []
    leaves = [m for m in twin.modules() if not list(m.children())]

    def keep(module, inputs, output):
        output.retain_grad()
        outputs.append(output)

    handles = [m.register_forward_hook(keep) for m in leaves]
    x = torch.tensor(workflow.normalize(image[None], meta["preprocessing"]))
    loss = torch.nn.functional.cross_entropy(twin(x), torch.tensor([label]))
    twin.zero_grad()
    loss.backward()
    for handle in handles:
        handle.remove()
    return twin, loss, outputs


def test_backward_equals_torch_autograd_and_one_sgd_step(service, checkpoint):
    from scratchcnn.data import load_dataset
    image = load_dataset("digits", split="test").images[4]
    result = service.backward({"index": 4, "label": 7, "layer": 3, "filter": 5})
    twin, loss, outputs = torch_twin_records(checkpoint, image, 7)
    assert result["loss"] == pytest.approx(loss.item(), rel=1e-5)
    assert result["loss_text"] == explorers.Formatter(4).num(result["loss"])
    assert len(result["layers"]) == len(outputs)
    for layer, output in zip(result["layers"], outputs):
        np.testing.assert_allclose(layer["output"]["values"], output[0].detach().numpy(),
                                   rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(layer["grad"]["values"], output.grad[0].numpy(),
                                   rtol=1e-4, atol=1e-6)
    conv = [m for m in twin.modules() if isinstance(m, torch.nn.Conv2d)][1]
    weights = result["weights"]
    np.testing.assert_allclose(weights["grad"]["values"], conv.weight.grad[5].numpy(),
                               rtol=1e-4, atol=1e-6)
    assert weights["sum"] == pytest.approx(weights["autograd"], rel=1e-4, abs=1e-7)
    assert weights["equation"].endswith(
        "= " + explorers.Formatter(len(weights["grad"]["labels"][0][0][0].split(".")[-1]))
        .num(weights["sum"]))
    # One SGD step with torch.optim.SGD on the same weights: the same new loss and maps.
    optimizer = torch.optim.SGD(twin.parameters(), lr=0.05)
    optimizer.step()
    stepped = service.backward({"index": 4, "label": 7, "steps": 1, "lr": 0.05})
    x = torch.tensor(workflow.normalize(image[None], service.served()[1]["preprocessing"]))
    with torch.no_grad():
        logits = twin(x)
        new_loss = torch.nn.functional.cross_entropy(logits, torch.tensor([7])).item()
    assert stepped["losses"][0] == pytest.approx(loss.item(), rel=1e-5)
    assert stepped["loss"] == pytest.approx(new_loss, rel=1e-4)
    assert stepped["loss"] < stepped["losses"][0]          # a step downhill
    np.testing.assert_allclose(stepped["probabilities"],
                               torch.softmax(logits, 1)[0].numpy(), rtol=1e-4, atol=1e-6)
    assert stepped["session"] and stepped["steps_taken"] == 1
    # The served model never changes.
    assert service.predict({"index": 4})["probabilities"] == \
        service.predict({"index": 4})["probabilities"]
    np.testing.assert_allclose(service.predict({"index": 4})["probabilities"],
                               reference_forward(checkpoint, image), rtol=1e-6)
    service.reset({"session": stepped["session"]})


def test_backward_weight_gradient_matches_finite_differences(service, checkpoint):
    """dL/dW of the served model against central differences of the loss in float64."""
    model, meta = workflow.load_model(checkpoint)
    model = model.double()
    image = np.array(service.predict({"index": 9})["image"])
    x = Tensor(workflow.normalize(image[None], meta["preprocessing"]).astype(np.float64))

    def loss_at(weight, at, value):
        array = weight._array
        old = array[at]
        array[at] = value
        with no_grad():
            loss = F.cross_entropy(model(x), Tensor(np.array([2]))).item()
        array[at] = old
        return loss

    for layer, filt, weight in ((0, 3, [0, 1, 1]), (3, 7, [4, 2, 0]), (7, 11, [5]),
                                (9, 2, None)):
        body = {"index": 9, "label": 2, "layer": layer, "filter": filt}
        if weight is not None:
            body["weight"] = weight
        result = service.backward(body)["weights"]
        at = (filt, *result["weight"])
        param = model[layer].weight
        eps = 1e-6
        numeric = (loss_at(param, at, param._array[at] + eps)
                   - loss_at(param, at, param._array[at] - eps)) / (2 * eps)
        assert result["autograd"] == pytest.approx(numeric, rel=1e-3, abs=1e-6), body
        assert result["sum"] == pytest.approx(result["autograd"], rel=1e-4, abs=1e-7)
        if weight is None:             # the default: the largest gradient of the filter
            grads = np.abs(np.array(result["grad"]["values"]))
            assert grads[tuple(result["weight"])] == grads.max()


def test_backward_sessions_accumulate_reset_and_are_bounded(service):
    from scratchcnn.viz.backward import MAX_SESSIONS
    first = service.backward({"index": 1, "label": 3, "steps": 2, "lr": 0.02})
    assert len(first["losses"]) == 3 and first["steps_taken"] == 2
    again = service.backward({"index": 1, "label": 3, "steps": 1, "lr": 0.02,
                              "session": first["session"]})
    assert again["session"] == first["session"] and again["steps_taken"] == 3
    assert again["losses"][0] == pytest.approx(first["loss"], rel=1e-6)
    looked = service.backward({"index": 1, "label": 3, "session": first["session"]})
    assert looked["loss"] == pytest.approx(again["loss"], rel=1e-6)
    assert looked["steps_taken"] == 3          # steps 0: only looks
    trained = service.backward({"index": 1, "label": 3})
    assert trained["loss"] == pytest.approx(first["losses"][0], rel=1e-6)
    assert service.reset({"session": first["session"]}) == {"reset": True, "session": None}
    with pytest.raises(ValidationError) as raised:
        service.backward({"index": 1, "label": 3, "session": first["session"]})
    assert raised.value.field == "session" and "unknown or has expired" in str(raised.value)
    made = [service.backward({"index": 1, "label": 3, "steps": 1, "lr": 0.01})["session"]
            for _ in range(MAX_SESSIONS + 2)]
    assert len(service.sessions) == MAX_SESSIONS
    with pytest.raises(ValidationError):       # the oldest were dropped
        service.backward({"index": 1, "label": 3, "session": made[0]})
    service.backward({"index": 1, "label": 3, "session": made[-1]})
    # Too large a learning rate: the step is undone and said so, nothing infinite served.
    wild = service.backward({"index": 1, "label": 3, "steps": 20, "lr": 10})
    json.dumps(wild, allow_nan=False)
    for session in made:
        service.reset({"session": session})


@pytest.mark.parametrize("extra, field, message", [
    ({}, "label", "label is required"),
    ({"label": True}, "label", "label must be an integer in 0..9"),
    ({"label": "3"}, "label", "label must be an integer in 0..9"),
    ({"label": -1}, "label", "label must be an integer in 0..9"),
    ({"label": 1, "lr": -0.1}, "lr", "lr must be a number in (0, 10]"),
    ({"label": 1, "lr": 11}, "lr", "lr must be a number between"),
    ({"label": 1, "lr": 10 ** 400}, "lr", "lr must be a number between"),
    ({"label": 1, "steps": 21}, "steps", "steps must be an integer in 0..20"),
    ({"label": 1, "layer": 1}, "layer", "has no weights: choose one of the layers 0, 3, 7, 9"),
    ({"label": 1, "layer": 10}, "layer", "layer must be an integer in 0..9"),
    ({"label": 1, "layer": 3, "filter": 32}, "filter", "filter must be an integer in 0..31"),
    ({"label": 1, "weight": [0, 3, 0]}, "weight", "weight must be a list of 3 integers"),
    ({"label": 1, "weight": [0, 0]}, "weight", "weight must be a list of 3 integers"),
    ({"label": 1, "session": "abc"}, "session", "session must be the id"),
    ({"label": 1, "decimals": 9}, "decimals", "decimals must be an integer in 0..8"),
    ({"label": 1, "channel": 0}, "channel", "unknown field 'channel'"),
])
def test_backward_refuses_bad_fields_naming_them(service, extra, field, message):
    with pytest.raises(ValidationError) as raised:
        service.backward({"index": 0, **extra})
    assert raised.value.field == field and message in str(raised.value), str(raised.value)


def test_unusual_drawings_are_named_and_mnist_drawings_get_a_margin(service):
    dot = np.zeros((32, 32))
    dot[15:17, 15:17] = 1
    warned = service.predict({"image": dot.tolist()})["warning"]
    assert warned.startswith("The input looks nothing like the training images")
    digit = np.zeros((32, 32))
    digit[4:28, 14:18] = 1
    assert service.predict({"image": digit.tolist()})["warning"] is None
    assert service.predict({"index": 0})["warning"] is None
    framed = prepare_drawing(digit, (1, 28, 28), fill=20 / 28)
    rows = np.flatnonzero(framed[0].max(axis=1) > 0)
    assert rows[0] >= 3 and rows[-1] <= 24                  # MNIST's 20-pixel box, centred
    assert service.status()["drawing"] == 32


def test_predict_layers_carry_their_values_as_text(service):
    layer = service.predict({"index": 0})["layers"][0]
    fmt = explorers.Formatter(4)
    assert layer["labels"][2][3][4] == fmt.num(layer["values"][2][3][4])
    assert layer["range"]["labels"] == [fmt.num(layer["min"]), fmt.num(layer["max"])]


def test_worked_example_pictures_are_the_trace_numbers():
    trace = Api(None).handle("GET", "/api/explain", {})
    fmt = explorers.Formatter(4)
    conv = trace["pictures"][2]
    assert [f["name"] for f in conv["figures"]] == ["input X", "kernel W", "feature map"]
    assert conv["figures"][2]["labels"] == [[fmt.num(x) for x in row]
                                            for row in trace["values"]["conv"]]
    backward = {p["title"]: p for p in trace["pictures"]}["Backward: through pooling"]
    assert backward["figures"][0]["values"] == trace["values"]["dL_dA"]


def test_inspect_names_the_receptive_field_in_the_input(service):
    # Layer 5 is the second pooling: (1, 1) <- conv rows 2..3 <- pool rows 1..4 <- conv
    # rows 2..9 <- input rows 1..10, clipped to the 8x8 image.
    for layer, row, col, rows, cols in ((0, 4, 4, [3, 5], [3, 5]), (0, 0, 0, [0, 1], [0, 1]),
                                        (2, 1, 1, [1, 4], [1, 4]), (5, 1, 1, [1, 7], [1, 7]),
                                        (3, 0, 3, [0, 4], [3, 7])):
        window = service.inspect({"index": 0, "layer": layer, "channel": 0, "row": row,
                                  "col": col})["input_window"]
        assert window == {"rows": rows, "cols": cols}, (layer, row, col)


def test_an_interrupt_while_a_handler_starts_gives_its_slot_back_once(tmp_path, monkeypatch):
    """Ctrl+C landing inside Thread.start() after the handler thread began: the slot is
    released once (not twice, which raised ValueError, hid the interrupt and kept the
    server running), and the interrupt reaches the caller."""
    import socket
    import threading
    import time as time_module
    server = VisualizerServer("127.0.0.1", 0, Api(None), static_dir=tmp_path, max_handlers=2)
    original_start = threading.Thread.start
    thread_errors = []
    monkeypatch.setattr(threading, "excepthook", thread_errors.append)

    def start_then_interrupt(thread):
        original_start(thread)
        raise KeyboardInterrupt

    client = socket.create_connection(server.server_address[:2], timeout=5)
    try:
        request, address = server.get_request()
        client.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        monkeypatch.setattr(threading.Thread, "start", start_then_interrupt)
        with pytest.raises(KeyboardInterrupt):
            server.process_request(request, address)
        monkeypatch.setattr(threading.Thread, "start", original_start)
        client.recv(65536)                        # the started handler still answered
        deadline = time_module.monotonic() + 5
        while server._slots._value != 2 and time_module.monotonic() < deadline:
            time_module.sleep(0.01)
        assert server._slots._value == 2          # both slots free again
        time_module.sleep(0.1)
        assert thread_errors == []                # and no "released too many times"
    finally:
        client.close()
        server.server_close()
