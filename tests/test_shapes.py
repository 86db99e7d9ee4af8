"""Shape arithmetic without data: ``conv_output_size`` / ``pool_output_size`` against the
formula, against PyTorch's and scratchcnn's real layers, and ``Module.output_shape`` of
every layer and zoo model against the shape its forward pass really produces."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as tF
from hypothesis import assume, given
from hypothesis import strategies as st

import scratchcnn as sc
from scratchcnn import conv_output_size, models, nn, pool_output_size
from scratchcnn.errors import ArgumentError, ShapeError


def formula(size, kernel, stride, padding, dilation):
    """floor((size - k_eff + 2p) / s) + 1, written independently of the library."""
    k_eff = dilation * (kernel - 1) + 1
    return math.floor((size - k_eff + 2 * padding) / stride) + 1


def forward_shape(module, shape):
    with sc.no_grad():
        return tuple(module(sc.zeros(*shape)).shape)


# --------------------------------------------------------------------- known values
@pytest.mark.parametrize("args, kwargs, expected", [
    ((227, 11), dict(stride=4), 55),                   # AlexNet conv1
    ((27, 5), dict(padding=2), 27),                    # conv2
    ((13, 3), dict(padding=1), 13),                    # conv3-5
    ((32, 5), {}, 28),                                 # LeNet C1 on 32x32
    ((7, 3), dict(dilation=2), 3),                     # dilated kernel spans 5
    ((10, 3), dict(stride=3), 3),                      # floor(7 / 3) + 1
    ((1, 1), {}, 1),
])
def test_conv_output_size_known_values(args, kwargs, expected):
    assert conv_output_size(*args, **kwargs) == expected


def test_pool_output_size_known_values():
    assert pool_output_size(55, 3, stride=2) == 27
    assert pool_output_size(27, 3, stride=2) == 13
    assert pool_output_size(13, 3, stride=2) == 6
    # stride defaults to the kernel size, as in PyTorch: floor((55 - 3) / 3) + 1 = 18
    assert pool_output_size(55, 3) == 18
    assert pool_output_size(28, 2) == 14
    assert pool_output_size(3, 2, stride=1) == 2


def test_int_arguments_give_an_int_and_any_pair_gives_a_pair():
    out = conv_output_size(227, 11, stride=4)
    assert type(out) is int
    assert conv_output_size((227, 227), 11, stride=4) == (55, 55)
    assert conv_output_size(227, (11, 11), stride=4) == (55, 55)
    assert conv_output_size((27, 27), 5, padding=2) == (27, 27)
    # each axis gets its own arguments
    assert conv_output_size((32, 20), (5, 3), stride=(1, 2), padding=(0, 1)) == (28, 10)
    assert conv_output_size([8, 9], 3, dilation=[1, 2]) == (6, 5)
    assert pool_output_size((55, 27), 3, stride=2) == (27, 13)
    assert pool_output_size((8, 6), (2, 3)) == (4, 2)     # stride defaults to each kernel


def test_numpy_integers_are_accepted():
    assert conv_output_size(np.int64(227), np.int32(11), stride=np.int64(4)) == 55


# --------------------------------------------------------------------- random parameters
spatial = dict(size=st.integers(1, 24), kernel=st.integers(1, 7), stride=st.integers(1, 4),
               padding=st.integers(0, 3), dilation=st.integers(1, 3))


@given(**spatial)
def test_conv_output_size_matches_the_formula_and_both_libraries(size, kernel, stride, padding,
                                                                  dilation):
    k_eff = dilation * (kernel - 1) + 1
    if k_eff > size + 2 * padding:
        with pytest.raises(ShapeError, match="larger than the padded input"):
            conv_output_size(size, kernel, stride, padding, dilation)
        with pytest.raises(RuntimeError):        # torch refuses as well
            tF.conv2d(torch.zeros(1, 1, size, size), torch.zeros(1, 1, kernel, kernel),
                      stride=stride, padding=padding, dilation=dilation)
        return
    expected = formula(size, kernel, stride, padding, dilation)
    assert expected >= 1
    assert conv_output_size(size, kernel, stride, padding, dilation) == expected
    assert pool_output_size(size, kernel, stride, padding, dilation) == expected

    torch_out = tF.conv2d(torch.zeros(1, 1, size, size), torch.zeros(1, 1, kernel, kernel),
                          stride=stride, padding=padding, dilation=dilation)
    assert tuple(torch_out.shape) == (1, 1, expected, expected)

    conv = nn.Conv2d(2, 3, kernel, stride=stride, padding=padding, dilation=dilation)
    assert forward_shape(conv, (1, 2, size, size)) == (1, 3, expected, expected)
    assert conv.output_shape((1, 2, size, size)) == (1, 3, expected, expected)


@given(h=st.integers(1, 20), w=st.integers(1, 20), kh=st.integers(1, 5), kw=st.integers(1, 5),
       sh=st.integers(1, 3), sw=st.integers(1, 3), ph=st.integers(0, 2), pw=st.integers(0, 2))
def test_pairs_match_a_rectangular_conv(h, w, kh, kw, sh, sw, ph, pw):
    assume(kh <= h + 2 * ph and kw <= w + 2 * pw)
    out = conv_output_size((h, w), (kh, kw), stride=(sh, sw), padding=(ph, pw))
    assert out == (formula(h, kh, sh, ph, 1), formula(w, kw, sw, pw, 1))
    torch_out = tF.conv2d(torch.zeros(1, 1, h, w), torch.zeros(1, 1, kh, kw),
                          stride=(sh, sw), padding=(ph, pw))
    assert tuple(torch_out.shape[2:]) == out
    conv = nn.Conv2d(1, 1, (kh, kw), stride=(sh, sw), padding=(ph, pw))
    assert forward_shape(conv, (1, 1, h, w))[2:] == out


@given(size=st.integers(1, 24), kernel=st.integers(1, 6), stride=st.one_of(st.none(),
       st.integers(1, 4)), data=st.data())
def test_pool_output_size_matches_torch_and_our_pools(size, kernel, stride, data):
    padding = data.draw(st.integers(0, kernel // 2))   # both libraries require p <= k/2
    assume(kernel <= size + 2 * padding)
    expected = formula(size, kernel, kernel if stride is None else stride, padding, 1)
    assert pool_output_size(size, kernel, stride, padding) == expected
    x = torch.zeros(1, 1, size, size)
    assert tuple(tF.max_pool2d(x, kernel, stride, padding).shape[2:]) == (expected, expected)
    assert tuple(tF.avg_pool2d(x, kernel, stride, padding).shape[2:]) == (expected, expected)
    for layer in (nn.MaxPool2d(kernel, stride, padding), nn.AvgPool2d(kernel, stride, padding)):
        assert forward_shape(layer, (1, 2, size, size)) == (1, 2, expected, expected)
        assert layer.output_shape((1, 2, size, size)) == (1, 2, expected, expected)


@given(size=st.integers(1, 40), kernel=st.integers(1, 9), stride=st.integers(1, 5),
       padding=st.integers(0, 4))
def test_exact_raises_exactly_when_the_division_leaves_a_remainder(size, kernel, stride,
                                                                    padding):
    assume(kernel <= size + 2 * padding)
    remainder = (size + 2 * padding - kernel) % stride
    if remainder == 0:
        assert conv_output_size(size, kernel, stride, padding, exact=True) == \
            formula(size, kernel, stride, padding, 1)
    else:
        with pytest.raises(ShapeError) as info:
            conv_output_size(size, kernel, stride, padding, exact=True)
        assert f"last {remainder} input row" in str(info.value)
        # without exact the same call just floors
        assert conv_output_size(size, kernel, stride, padding) == \
            formula(size, kernel, stride, padding, 1)


# --------------------------------------------------------------------- errors
def test_exact_names_the_uncovered_rows_and_columns():
    # (224 - 11) / 4 = 53.25: the last 1 row/column is never reached
    with pytest.raises(ShapeError) as info:
        conv_output_size(224, 11, stride=4, exact=True)
    message = str(info.value)
    assert "not whole" in message and "224" in message and "11" in message
    assert "last 1 input row(s)/column(s)" in message
    assert conv_output_size(227, 11, stride=4, exact=True) == 55


def test_exact_on_pairs_names_the_axis():
    # H: (227 - 11) / 4 = 54 exactly; W: (230 - 11) / 4 = 54.75 leaves 3 columns
    with pytest.raises(ShapeError) as info:
        conv_output_size((227, 230), 11, stride=4, exact=True)
    assert "along W" in str(info.value) and "last 3 " in str(info.value)
    with pytest.raises(ShapeError, match="along H"):
        pool_output_size((56, 55), 3, stride=2, exact=True)
    assert pool_output_size((55, 55), 3, stride=2, exact=True) == (27, 27)


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: conv_output_size(5, 7), ShapeError, r"larger than the padded input.*5 \+ 2\*0 = 5"),
    (lambda: conv_output_size(5, 3, dilation=3), ShapeError, "kernel of extent 7"),
    (lambda: conv_output_size((5, 20), 7, padding=(0, 0)), ShapeError, "along H"),
    (lambda: pool_output_size(2, 3), ShapeError, "larger than the padded input"),
    (lambda: conv_output_size(10, 3, stride=0), ArgumentError, "stride=0"),
    (lambda: conv_output_size(10, 3, stride=-2), ArgumentError, "stride=-2"),
    (lambda: pool_output_size(10, 3, stride=0), ArgumentError, "positive"),
    (lambda: conv_output_size(10, 0), ArgumentError, "kernel=0"),
    (lambda: conv_output_size(10, 3, dilation=0), ArgumentError, "dilation=0"),
    (lambda: conv_output_size(10, 3, padding=-1), ArgumentError, "padding must be >= 0"),
    (lambda: conv_output_size(0, 3), ShapeError, "must be positive"),
    (lambda: conv_output_size(10.0, 3), ArgumentError, "size to be an int or a pair"),
    (lambda: conv_output_size(10, True), ArgumentError, "kernel_size"),
    (lambda: conv_output_size((1, 2, 3), 3), ArgumentError, "pair of ints"),
    (lambda: conv_output_size(10, "3"), ArgumentError, "kernel_size"),
])
def test_invalid_arguments_raise_clear_errors(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_errors_are_value_errors():
    # users can catch them as ValueError, like the rest of the library's errors
    with pytest.raises(ValueError):
        conv_output_size(3, 5)
    with pytest.raises(ValueError):
        conv_output_size(10, 3, stride=0)


# --------------------------------------------------------------------- Module.output_shape
class TwoHeads(nn.Module):
    """A custom module without its own output_shape: the default runs forward on zeros."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        y = self.conv(x)
        return sc.cat([y, y], dim=1)


LAYERS = {
    "Conv2d": (lambda: nn.Conv2d(3, 8, 3), (2, 3, 10, 12)),
    "Conv2d-rect": (lambda: nn.Conv2d(3, 5, (3, 5), stride=(2, 1), padding=(1, 2),
                                      dilation=(1, 2), bias=False), (1, 3, 9, 11)),
    "Conv2d-unbatched": (lambda: nn.Conv2d(3, 4, 3), (3, 7, 7)),
    "Linear": (lambda: nn.Linear(12, 5), (4, 12)),
    "Linear-3d": (lambda: nn.Linear(6, 2), (2, 3, 6)),
    "Flatten": (lambda: nn.Flatten(), (2, 3, 4, 5)),
    "Flatten-0": (lambda: nn.Flatten(0, -1), (2, 3, 4)),
    "Flatten-mid": (lambda: nn.Flatten(1, 2), (2, 3, 4, 5)),
    "Identity": (lambda: nn.Identity(), (2, 3, 4)),
    "ReLU": (lambda: nn.ReLU(), (2, 5)),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.2), (2, 3, 4, 4)),
    "Tanh": (lambda: nn.Tanh(), (3, 7)),
    "Sigmoid": (lambda: nn.Sigmoid(), (1, 2, 3)),
    "Softmax": (lambda: nn.Softmax(dim=1), (2, 10)),
    "LogSoftmax": (lambda: nn.LogSoftmax(dim=-1), (2, 3, 10)),
    "Dropout": (lambda: nn.Dropout(0.3), (2, 8)),
    "MaxPool2d": (lambda: nn.MaxPool2d(3, stride=2), (1, 4, 55, 55)),
    "MaxPool2d-pad-dil": (lambda: nn.MaxPool2d(3, stride=2, padding=1, dilation=2),
                          (2, 1, 9, 8)),
    "AvgPool2d": (lambda: nn.AvgPool2d(2), (2, 6, 28, 27)),
    "AvgPool2d-pad": (lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
                      (1, 2, 7, 6)),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d((6, 6)), (1, 4, 13, 13)),
    "AdaptiveAvgPool2d-none": (lambda: nn.AdaptiveAvgPool2d((None, 1)), (2, 3, 5, 7)),
    "AdaptiveAvgPool2d-int": (lambda: nn.AdaptiveAvgPool2d(3), (3, 5, 7)),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(4), (2, 4, 5, 5)),
    "LocalResponseNorm": (lambda: nn.LocalResponseNorm(3), (2, 6, 4, 4)),
    "Sequential": (lambda: nn.Sequential(nn.Conv2d(1, 4, 5, padding=2), nn.ReLU(),
                                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 14 * 14, 3)),
                   (2, 1, 28, 28)),
    "custom-default": (TwoHeads, (2, 3, 6, 6)),
    # 1-d layers, instance norm, PReLU & co (tests/test_layers_more.py)
    "BatchNorm1d": (lambda: nn.BatchNorm1d(4), (3, 4)),
    "BatchNorm1d-3d": (lambda: nn.BatchNorm1d(4), (3, 4, 5)),
    "BatchNorm3d": (lambda: nn.BatchNorm3d(2), (2, 2, 3, 4, 4)),
    "InstanceNorm1d": (lambda: nn.InstanceNorm1d(3), (2, 3, 6)),
    "InstanceNorm2d": (lambda: nn.InstanceNorm2d(3, affine=True), (3, 5, 5)),
    "InstanceNorm3d": (lambda: nn.InstanceNorm3d(2), (1, 2, 3, 3, 3)),
    "Conv1d": (lambda: nn.Conv1d(3, 8, 5, stride=2, padding=1, dilation=2), (2, 3, 20)),
    "Conv1d-same": (lambda: nn.Conv1d(3, 4, 4, padding="same", padding_mode="reflect"), (3, 9)),
    "MaxPool1d": (lambda: nn.MaxPool1d(3, stride=2, ceil_mode=True), (2, 3, 10)),
    "AvgPool1d": (lambda: nn.AvgPool1d(4, stride=3, padding=2, ceil_mode=True), (3, 11)),
    "AdaptiveAvgPool1d": (lambda: nn.AdaptiveAvgPool1d(4), (2, 3, 10)),
    "AdaptiveMaxPool1d": (lambda: nn.AdaptiveMaxPool1d(3), (3, 7)),
    "AdaptiveMaxPool2d": (lambda: nn.AdaptiveMaxPool2d((3, None)), (2, 4, 7, 5)),
    "PReLU": (lambda: nn.PReLU(3), (2, 3, 4)),
    "Softmax2d": (lambda: nn.Softmax2d(), (2, 3, 4, 4)),
    "Threshold": (lambda: nn.Threshold(0.1, 2.0), (2, 5)),
    "Unflatten": (lambda: nn.Unflatten(1, (2, 3)), (4, 6)),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1,
                                                   output_padding=1, groups=2), (2, 4, 5, 5)),
    "LazyLinear": (lambda: nn.LazyLinear(3), (2, 7)),
    "LazyConv2d": (lambda: nn.LazyConv2d(6, 3, groups=2), (1, 4, 7, 7)),
    "LayerNorm": (lambda: nn.LayerNorm([4, 5]), (2, 3, 4, 5)),
    "GroupNorm": (lambda: nn.GroupNorm(2, 4), (2, 4, 3, 3)),
    "Upsample": (lambda: nn.Upsample(scale_factor=2, mode="bilinear"), (1, 2, 3, 4)),
    "UpsamplingNearest2d": (lambda: nn.UpsamplingNearest2d(size=(5, 7)), (1, 2, 3, 4)),
    "UpsamplingBilinear2d": (lambda: nn.UpsamplingBilinear2d(scale_factor=3), (1, 2, 3, 4)),
    **{name: (lambda name=name: getattr(nn, name)(), (2, 3, 4, 5)) for name in (
        "ELU", "GELU", "SiLU", "Mish", "ReLU6", "Hardswish", "Hardsigmoid", "Hardtanh",
        "LogSigmoid", "SELU", "Softplus")},
    **{f"Dropout{d}d": (lambda d=d: getattr(nn, f"Dropout{d}d")(0.5), (2, 3) + (4,) * d)
       for d in (1, 2, 3)},
    **{f"{kind}Pad{d}d": (lambda kind=kind, d=d: getattr(nn, f"{kind}Pad{d}d")(
        (1, 2) * d, **({"value": 0.5} if kind == "Constant" else {})),
        (2, 3) + (4,) * d) for kind in ("Zero", "Constant", "Reflection", "Replication",
                                         "Circular") for d in (1, 2, 3)
       if not (kind == "Zero" and d == 3)},
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_output_shape_of_every_layer_equals_its_forward(name):
    build, shape = LAYERS[name]
    layer = build()
    layer.eval()
    predicted = layer.output_shape(shape)
    assert isinstance(predicted, tuple)
    assert predicted == forward_shape(layer, shape)


def test_the_layer_list_covers_every_nn_layer():
    losses = {"CrossEntropyLoss", "NLLLoss"}        # two inputs: no single output_shape
    losses |= {name for name in nn.__all__ if name.endswith("Loss")}
    containers = {"Module", "ModuleList", "ModuleDict", "Parameter", "ParameterList",
                  "ParameterDict", "UninitializedParameter"}
    containers.add("Embedding")     # takes integer indices: test_embedding_output_shape
    layer_names = {name for name in nn.__all__ if name[0].isupper()} - losses - containers
    covered = {name.split("-")[0] for name in LAYERS}
    assert layer_names <= covered, layer_names - covered


def test_embedding_output_shape():
    layer = nn.Embedding(10, 3)
    assert layer.output_shape((2, 5)) == tuple(layer(sc.zeros(2, 5, dtype=sc.int64)).shape) \
        == (2, 5, 3)


def test_output_shape_runs_no_forward_for_closed_form_layers():
    calls = []
    model = nn.Sequential(nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), nn.MaxPool2d(3, stride=2))
    for layer in model:
        layer.register_forward_hook(lambda *args: calls.append(args))
    # a batch of 10000 AlexNet images would need gigabytes if any data were made
    assert model.output_shape((10000, 3, 227, 227)) == (10000, 96, 27, 27)
    assert calls == []


def test_output_shape_errors_name_the_layer():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(3, 4, 3))
    with pytest.raises(ShapeError) as info:
        model.output_shape((1, 3, 8, 8))
    message = str(info.value)
    assert message.startswith("in 2:"), message
    assert "3 channels" in message
    with pytest.raises(ShapeError, match="larger than the padded input"):
        nn.Conv2d(3, 4, 5).output_shape((1, 3, 4, 4))
    with pytest.raises(ShapeError, match="larger than the padded input"):
        nn.MaxPool2d(3).output_shape((1, 3, 2, 9))
    with pytest.raises(ShapeError, match=r"\(\.\.\., 12\)"):
        nn.Linear(12, 3).output_shape((2, 11))
    with pytest.raises(ShapeError):
        nn.BatchNorm2d(4).output_shape((2, 3, 5, 5))


@pytest.mark.parametrize("name", models.names())
def test_output_shape_of_every_zoo_model_equals_its_forward(name):
    model = models.get(name).eval()
    shape = (2,) + models.input_size(name)
    if name.startswith("alexnet"):
        shape = (1,) + models.input_size(name)     # keep the big ones at batch 1
    predicted = model.output_shape(shape)
    assert predicted == forward_shape(model, shape)
    classes = 200 if name == "alexnet_tiny_imagenet" else 1000 if name == "alexnet" else 10
    assert predicted == (shape[0], classes)


@pytest.mark.parametrize("name", ["alexnet", "alexnet_tiny_imagenet"])
def test_zoo_output_shape_for_a_large_batch_and_wrong_size(name):
    model = models.get(name)
    assert model.output_shape((512, 3, 227, 227))[0] == 512
    # 224x224 gives 54 -> 26 -> 12 -> 5: 6400 features, not the 9216 the first FC expects
    with pytest.raises(ShapeError) as info:
        model.output_shape((1, 3, 224, 224))
    assert "9216" in str(info.value)


def test_zoo_feature_shapes_follow_the_guide():
    features = models.alexnet().features
    shape, seen = (1, 3, 227, 227), []
    for layer in features:
        shape = layer.output_shape(shape)
        if not isinstance(layer, nn.ReLU):
            seen.append(shape[1:])
    assert seen == [(96, 55, 55), (96, 27, 27), (256, 27, 27), (256, 13, 13), (384, 13, 13),
                    (384, 13, 13), (256, 13, 13), (256, 6, 6)]
