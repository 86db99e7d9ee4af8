"""Every deliberate error: the Python class a user catches (ValueError / TypeError), the
class PyTorch raises in the same situation (RuntimeError / IndexError), and a message
that names the module and the expected and received values."""

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import scratchcnn as sc
import scratchcnn.nn.functional as F
from scratchcnn import nn
from scratchcnn.errors import (ArgumentError, DTypeError, GraphError, ScratchCNNError,
                               ShapeError, StateDictError, TargetError)


def raises_like_torch(scratch_call, torch_call, python_class, torch_class):
    """Run both; both must fail. Return our exception for message checks."""
    with pytest.raises(python_class) as info:
        scratch_call()
    assert isinstance(info.value, ScratchCNNError)
    assert isinstance(info.value, torch_class), (type(info.value).__mro__, torch_class)
    if torch_call is not None:
        with pytest.raises(torch_class):
            torch_call()
    return info.value


# =========================================================================== class hierarchy
@pytest.mark.parametrize("cls,bases", [
    (ShapeError, (ValueError, RuntimeError)),
    (DTypeError, (TypeError, RuntimeError)),
    (ArgumentError, (ValueError,)),
    (TargetError, (ValueError, IndexError)),
    (GraphError, (ValueError, RuntimeError)),
    (StateDictError, (ValueError, RuntimeError, KeyError)),
])
def test_error_classes_have_python_and_torch_bases(cls, bases):
    assert issubclass(cls, ScratchCNNError)
    for base in bases:
        assert issubclass(cls, base), (cls, base)


def test_messages_are_plain_text():
    """str() shows the message itself (no KeyError-style quoting, real newlines)."""
    error = StateDictError("line one\n\tline two")
    assert str(error) == "line one\n\tline two"
    assert str(ShapeError("got (1, 2)", "conv2d()")) == "conv2d() got (1, 2)"


# =========================================================================== Linear
def test_linear_wrong_in_features():
    layer, tlayer = nn.Linear(9216, 4096), tnn.Linear(9216, 4096)
    error = raises_like_torch(lambda: layer(sc.zeros(32, 4096)),
                              lambda: tlayer(torch.zeros(32, 4096)), ValueError, RuntimeError)
    message = str(error)
    assert "Linear(in_features=9216, out_features=4096" in message
    assert "(..., 9216)" in message
    assert "(32, 4096)" in message


def test_linear_functional_wrong_in_features():
    error = raises_like_torch(lambda: F.linear(sc.zeros(2, 3), sc.zeros(4, 5)),
                              lambda: TF.linear(torch.zeros(2, 3), torch.zeros(4, 5)),
                              ValueError, RuntimeError)
    assert "linear()" in str(error) and "(..., 5)" in str(error) and "(2, 3)" in str(error)


@pytest.mark.parametrize("shape", [(2, 3, 5), (4, 5), (1, 2, 3, 5), (5,)])
def test_linear_accepts_any_leading_axes_like_torch(shape):
    layer, tlayer = nn.Linear(5, 7), tnn.Linear(5, 7)
    assert layer(sc.zeros(*shape)).shape == tuple(tlayer(torch.zeros(shape)).shape)


def test_linear_scalar_input():
    with pytest.raises(ValueError) as info:
        nn.Linear(5, 2)(sc.tensor(1.0))
    assert "Linear(in_features=5, out_features=2" in str(info.value)


def test_linear_non_int_features():
    with pytest.raises(TypeError) as info:
        nn.Linear(2.5, 3)
    assert "in_features" in str(info.value) and "2.5" in str(info.value)
    with pytest.raises(ValueError) as info:
        nn.Linear(-1, 3)
    assert "in_features" in str(info.value) and "-1" in str(info.value)


# =========================================================================== Conv2d geometry
def test_conv_kernel_larger_than_input():
    conv, tconv = nn.Conv2d(3, 4, 5), tnn.Conv2d(3, 4, 5)
    error = raises_like_torch(lambda: conv(sc.zeros(1, 3, 3, 3)),
                              lambda: tconv(torch.zeros(1, 3, 3, 3)), ValueError, RuntimeError)
    message = str(error)
    assert message.startswith("Conv2d(3, 4, kernel_size=(5, 5)")
    assert "5" in message and "3 + 2*0 = 3" in message and "(1, 3, 3, 3)" in message


def test_conv_kernel_larger_than_padded_input_but_padding_helps():
    conv = nn.Conv2d(1, 1, 5, padding=1)
    with pytest.raises(ShapeError) as info:
        conv(sc.zeros(1, 1, 2, 8))           # H: 2 + 2 = 4 < 5
    assert "along H" in str(info.value) and "2 + 2*1 = 4" in str(info.value)
    assert conv(sc.zeros(1, 1, 3, 3)).shape == (1, 1, 1, 1)   # 3 + 2 = 5 fits


def test_conv_dilated_kernel_too_large():
    with pytest.raises(ValueError) as info:
        nn.Conv2d(1, 1, 3, dilation=3)(sc.zeros(1, 1, 6, 6))
    assert "extent 7" in str(info.value)
    with pytest.raises(RuntimeError):
        tnn.Conv2d(1, 1, 3, dilation=3)(torch.zeros(1, 1, 6, 6))


def test_functional_conv_kernel_too_large():
    error = raises_like_torch(lambda: F.conv2d(sc.zeros(1, 1, 2, 2), sc.zeros(1, 1, 3, 3)),
                              lambda: TF.conv2d(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 3, 3)),
                              ValueError, RuntimeError)
    assert str(error).startswith("conv2d()")


def test_pool_kernel_larger_than_input():
    with pytest.raises(ValueError) as info:
        nn.MaxPool2d(4)(sc.zeros(1, 1, 3, 3))
    assert "MaxPool2d" in str(info.value) and "(1, 1, 3, 3)" in str(info.value)
    with pytest.raises(RuntimeError):
        tnn.MaxPool2d(4)(torch.zeros(1, 1, 3, 3))


@pytest.mark.parametrize("padding", [-1, (0, -2)])
def test_negative_padding_module(padding):
    with pytest.raises(ValueError) as info:
        nn.Conv2d(3, 8, 3, padding=padding)
    message = str(info.value)
    assert isinstance(info.value, ArgumentError)
    assert "Conv2d(3, 8)" in message and "padding >= 0" in message
    assert str(padding if isinstance(padding, tuple) else (padding, padding)) in message
    with pytest.raises(RuntimeError):
        tnn.Conv2d(3, 8, 3, padding=padding)(torch.zeros(1, 3, 5, 5))


def test_negative_padding_functional():
    with pytest.raises(ValueError) as info:
        F.conv2d(sc.zeros(1, 1, 5, 5), sc.zeros(1, 1, 3, 3), padding=-1)
    assert "conv2d()" in str(info.value) and "padding >= 0" in str(info.value)
    assert "(-1, -1)" in str(info.value)
    with pytest.raises(RuntimeError):
        TF.conv2d(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3, 3), padding=-1)


def test_negative_padding_pooling():
    with pytest.raises(ValueError) as info:
        nn.MaxPool2d(2, padding=-1)
    assert "padding" in str(info.value) and "MaxPool2d" in str(info.value)
    with pytest.raises(ValueError):
        F.max_pool2d(sc.zeros(1, 1, 4, 4), 2, padding=-1)


@pytest.mark.parametrize("stride", [0, (1, 0)])
def test_zero_stride_module(stride):
    with pytest.raises(ValueError) as info:
        nn.Conv2d(3, 8, 3, stride=stride)
    assert "Conv2d(3, 8)" in str(info.value) and "stride > 0" in str(info.value)
    with pytest.raises(RuntimeError):
        tnn.Conv2d(3, 8, 3, stride=stride)(torch.zeros(1, 3, 5, 5))


def test_zero_stride_functional_and_pool():
    with pytest.raises(ValueError) as info:
        F.conv2d(sc.zeros(1, 1, 5, 5), sc.zeros(1, 1, 3, 3), stride=0)
    assert "conv2d()" in str(info.value) and "stride=(0, 0)" in str(info.value)
    with pytest.raises(ValueError) as info:
        nn.MaxPool2d(2, stride=0)
    assert "stride" in str(info.value)
    with pytest.raises(ValueError):
        F.avg_pool2d(sc.zeros(1, 1, 4, 4), 2, stride=0)


@pytest.mark.parametrize("value", [2.5, "3", (1, 2, 3)])
def test_non_int_kernel_size(value):
    with pytest.raises(ValueError) as info:
        nn.Conv2d(1, 1, value)
    assert "kernel_size" in str(info.value) and repr(value) in str(info.value)


# =========================================================================== input rank, channels
@pytest.mark.parametrize("shape", [(5, 5), (1, 1, 3, 5, 5), (7,)])
def test_conv_wrong_rank(shape):
    conv, tconv = nn.Conv2d(3, 4, 3), tnn.Conv2d(3, 4, 3)
    error = raises_like_torch(lambda: conv(sc.zeros(*shape)),
                              lambda: tconv(torch.zeros(shape)), ValueError, RuntimeError)
    message = str(error)
    assert "Conv2d(3, 4" in message
    assert "(N, 3, H, W)" in message and str(shape) in message and f"{len(shape)}-D" in message


def test_conv_unbatched_3d_input_is_fine_like_torch():
    conv, tconv = nn.Conv2d(3, 4, 3), tnn.Conv2d(3, 4, 3)
    assert conv(sc.zeros(3, 5, 5)).shape == tuple(tconv(torch.zeros(3, 5, 5)).shape)


def test_conv_channel_mismatch():
    conv, tconv = nn.Conv2d(3, 4, 3), tnn.Conv2d(3, 4, 3)
    error = raises_like_torch(lambda: conv(sc.zeros(2, 1, 8, 8)),
                              lambda: tconv(torch.zeros(2, 1, 8, 8)), ValueError, RuntimeError)
    message = str(error)
    assert "Conv2d(3, 4" in message
    assert "3 channels" in message and "got 1 channels" in message and "(2, 1, 8, 8)" in message


def test_conv_channel_mismatch_functional():
    with pytest.raises(ValueError) as info:
        F.conv2d(sc.zeros(1, 2, 5, 5), sc.zeros(4, 3, 3, 3))
    assert "conv2d()" in str(info.value) and "3 channels" in str(info.value)


def test_pool_wrong_rank():
    with pytest.raises(ValueError) as info:
        nn.MaxPool2d(2)(sc.zeros(4, 4))
    assert "MaxPool2d" in str(info.value) and "(4, 4)" in str(info.value)


def test_functional_requires_tensor():
    with pytest.raises(TypeError) as info:
        F.conv2d(np.zeros((1, 1, 3, 3)), sc.zeros(1, 1, 3, 3))
    assert "ndarray" in str(info.value) and "sc.tensor" in str(info.value)


# =========================================================================== targets
def test_target_class_out_of_range():
    loss, tloss = nn.CrossEntropyLoss(), tnn.CrossEntropyLoss()
    logits = np.zeros((4, 3), dtype=np.float32)
    target = np.array([0, 1, 2, 3])
    error = raises_like_torch(lambda: loss(sc.tensor(logits), sc.tensor(target)),
                              lambda: tloss(torch.tensor(logits), torch.tensor(target)),
                              ValueError, IndexError)
    message = str(error)
    assert "CrossEntropyLoss()" in message
    assert "target class 3" in message and "3 classes" in message and "0..2" in message


def test_negative_target_class():
    with pytest.raises(IndexError) as info:
        F.nll_loss(sc.zeros(2, 3), sc.tensor([0, -2]))
    assert "nll_loss()" in str(info.value) and "-2" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_ignore_index_is_not_out_of_range():
    loss = F.cross_entropy(sc.zeros(2, 3), sc.tensor([-100, 1]))
    tloss = TF.cross_entropy(torch.zeros(2, 3), torch.tensor([-100, 1]))
    assert np.isclose(loss.item(), tloss.item())


def test_batch_size_mismatch():
    loss, tloss = nn.CrossEntropyLoss(), tnn.CrossEntropyLoss()
    error = raises_like_torch(lambda: loss(sc.zeros(4, 3), sc.tensor([0, 1, 2])),
                              lambda: tloss(torch.zeros(4, 3), torch.tensor([0, 1, 2])),
                              ValueError, (ValueError, RuntimeError))
    message = str(error)
    assert "CrossEntropyLoss()" in message and "batch size" in message
    assert "(4,)" in message and "(3,)" in message and "(4, 3)" in message


def test_float_targets_of_wrong_shape():
    with pytest.raises(ValueError) as info:
        F.cross_entropy(sc.zeros(4, 3), sc.zeros(4, 2))
    assert "(4, 3)" in str(info.value) and "(4, 2)" in str(info.value)


def test_nll_loss_float_target_dtype():
    with pytest.raises(TypeError) as info:
        F.nll_loss(sc.zeros(2, 3), sc.tensor([0.0, 1.0]))
    assert "nll_loss()" in str(info.value) and "float32" in str(info.value)


def test_bad_reduction():
    with pytest.raises(ValueError) as info:
        nn.CrossEntropyLoss(reduction="average")
    assert "'average'" in str(info.value)


# =========================================================================== autograd
def test_backward_on_non_scalar_without_gradient():
    x = sc.zeros(2, 3, requires_grad=True)
    tx = torch.zeros(2, 3, requires_grad=True)
    error = raises_like_torch(lambda: (x * 2).backward(), lambda: (tx * 2).backward(),
                              ValueError, RuntimeError)
    assert "(2, 3)" in str(error) and "gradient" in str(error)


def test_backward_through_freed_graph():
    x = sc.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError) as info:
        y.backward()
    assert "retain_graph=True" in str(info.value)


# =========================================================================== load_state_dict
def test_load_state_dict_missing_keys():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Linear(4, 2))
    tmodel = tnn.Sequential(tnn.Conv2d(1, 2, 3), tnn.ReLU(), tnn.Linear(4, 2))
    state = {"0.weight": np.zeros((2, 1, 3, 3), np.float32)}
    error = raises_like_torch(lambda: model.load_state_dict(state),
                              lambda: tmodel.load_state_dict(
                                  {k: torch.tensor(v) for k, v in state.items()}),
                              ValueError, RuntimeError)
    message = str(error)
    assert "Sequential" in message and "missing" in message
    for key in ("0.bias", "2.weight", "2.bias"):
        assert key in message
    assert "\n" in message and "\\n" not in message   # readable, not a quoted repr


def test_load_state_dict_unexpected_keys():
    model = nn.Linear(2, 2)
    state = dict(model.state_dict(), **{"fc.weight": np.zeros((2, 2))})
    with pytest.raises(ValueError) as info:
        model.load_state_dict(state)
    assert "unexpected" in str(info.value) and "fc.weight" in str(info.value)
    assert isinstance(info.value, RuntimeError)


def test_load_state_dict_missing_and_unexpected_together():
    model = nn.Linear(2, 2)
    with pytest.raises(StateDictError) as info:
        model.load_state_dict({"weight": np.zeros((2, 2)), "bais": np.zeros(2)})
    message = str(info.value)
    assert "missing keys: bias" in message and "unexpected keys: bais" in message


def test_load_state_dict_wrong_shapes():
    model, tmodel = nn.Linear(3, 2), tnn.Linear(3, 2)
    state = {"weight": np.zeros((2, 4), np.float32), "bias": np.zeros(2, np.float32)}
    error = raises_like_torch(lambda: model.load_state_dict(state),
                              lambda: tmodel.load_state_dict(
                                  {k: torch.tensor(v) for k, v in state.items()}),
                              ValueError, RuntimeError)
    message = str(error)
    assert "size mismatch for weight" in message
    assert "(2, 4)" in message and "(2, 3)" in message
    assert "bias" not in message.split("size mismatch for weight")[1]   # only the bad one


def test_error_is_still_a_key_error():
    with pytest.raises(KeyError):
        nn.Linear(2, 2).load_state_dict({})


# =========================================================================== dropout p
@pytest.mark.parametrize("p", [-0.1, 1.5, "a", None, True])
def test_invalid_dropout_p(p):
    with pytest.raises((ValueError, TypeError)) as info:
        nn.Dropout(p)
    message = str(info.value)
    assert "Dropout" in message and repr(p) in message and "between 0 and 1" in message
    with pytest.raises((ValueError, TypeError)):
        F.dropout(sc.ones(3), p)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_invalid_dropout_p_torch_agrees(p):
    with pytest.raises(ValueError):
        tnn.Dropout(p)


@pytest.mark.parametrize("p", [0, 0.0, 0.5, 1, 1.0])
def test_valid_dropout_p(p):
    assert nn.Dropout(p).p == float(p)


# =========================================================================== dtype mismatch
def test_dtype_mismatch_linear():
    layer, tlayer = nn.Linear(3, 2), tnn.Linear(3, 2)
    error = raises_like_torch(lambda: layer(sc.zeros(4, 3, dtype=sc.float64)),
                              lambda: tlayer(torch.zeros(4, 3, dtype=torch.float64)),
                              TypeError, RuntimeError)
    message = str(error)
    assert "Linear(in_features=3, out_features=2" in message
    assert "float64" in message and "float32" in message
    assert ".double()" in message or ".float()" in message


def test_dtype_mismatch_conv():
    conv, tconv = nn.Conv2d(1, 2, 3), tnn.Conv2d(1, 2, 3)
    error = raises_like_torch(lambda: conv(sc.zeros(1, 1, 5, 5, dtype=sc.float64)),
                              lambda: tconv(torch.zeros(1, 1, 5, 5, dtype=torch.float64)),
                              TypeError, RuntimeError)
    assert "Conv2d(1, 2" in str(error) and "float64" in str(error)


def test_dtype_mismatch_after_double():
    model = nn.Sequential(nn.Linear(3, 2)).double()
    with pytest.raises(TypeError) as info:
        model(sc.zeros(1, 3))
    assert isinstance(info.value, RuntimeError)
    assert "in 0:" in str(info.value) and "float32" in str(info.value)


def test_requires_grad_on_integer_tensor():
    with pytest.raises(TypeError):
        sc.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2], requires_grad=True)


# =========================================================================== layer path
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(8 * 3 * 3, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def test_nested_error_names_layer_path():
    net = Net()
    assert net(sc.zeros(1, 3, 8, 8)).shape == (1, 10)
    with pytest.raises(ValueError) as info:
        net(sc.zeros(1, 1, 8, 8))
    message = str(info.value)
    assert message.startswith("in features.0: Conv2d(3, 8, kernel_size=(3, 3)")
    assert "3 channels" in message and "(1, 1, 8, 8)" in message
    assert info.value.layer_path() == "features.0"


def test_nested_error_in_later_layer():
    net = Net()
    with pytest.raises(ValueError) as info:
        net(sc.zeros(1, 3, 10, 10))           # 10 -> 8 -> 4: 8*4*4 features, not 8*3*3
    message = str(info.value)
    assert message.startswith("in classifier.1: Linear(in_features=72, out_features=10")
    assert "(..., 72)" in message and "(1, 128)" in message


def test_deeper_nesting_path():
    outer = nn.Sequential(nn.Identity(), Net())
    with pytest.raises(ScratchCNNError) as info:
        outer(sc.zeros(1, 2, 8, 8))
    assert str(info.value).startswith("in 1.features.0: Conv2d(3, 8")


def test_error_raised_twice_does_not_accumulate_path():
    net = Net()
    for _ in range(2):
        with pytest.raises(ValueError) as info:
            net(sc.zeros(1, 1, 8, 8))
        assert str(info.value).startswith("in features.0: ")


def test_top_level_module_error_has_no_path():
    with pytest.raises(ValueError) as info:
        nn.Linear(4, 2)(sc.zeros(3, 5))
    assert str(info.value).startswith("Linear(in_features=4, out_features=2, bias=True) ")
