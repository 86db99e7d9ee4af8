"""The guide's small CNN trained by hand (sections 3, 5 and 6), reproduced number by number.

Network: 4x4 input -> Conv2d(1, 1, 2) -> ReLU -> MaxPool2d(2, stride=1) -> Flatten ->
Linear(4, 2) -> cross entropy with class 0, one SGD step at lr 0.1.

The guide pools 2x2 at stride 2, but the 3x3 convolution output would then shrink to
1x1 and not give the four features its fully connected layer takes; at stride 1 the
map goes 3x3 -> 2x2 -> 4 features, and since every value is 0 the guide's numbers hold.
Two more of its slips are checked as corrected: dL/dW_fc is a 4x2 (here (2, 4) in
PyTorch's layout) outer product of P and dL/dZ, and dL/dP = W_fc dL/dZ is 0.0525 per
feature, not 0. The conv gradient vanishes one step later, at the ReLU, because every
pre-activation is exactly 0 and ReLU's derivative at 0 is 0.
"""

import numpy as np
import pytest
import torch

import scratchcnn as sc
from scratchcnn.nn import functional as F

from conftest import assert_close

X = [[1, 2, 1, 0], [0, 1, 2, 1], [1, 0, 1, 2], [2, 1, 0, 1]]
W_CONV = [[1.0, 0.0], [0.0, -1.0]]
W_FC = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]], np.float32)  # 4x2, guide
B_FC = np.array([0.1, 0.2], np.float32)
LR = 0.1


def assert_printed(actual, expected, decimals):
    """``actual`` agrees with the guide's number to the decimals it prints."""
    actual = np.asarray(actual, dtype=np.float64)
    assert actual.shape == np.shape(expected), (actual.shape, np.shape(expected))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=0.5 * 10.0 ** -decimals)


def as_numpy(t):
    return t.detach().numpy().copy() if isinstance(t, torch.Tensor) else t.numpy().copy()


def hand_trained(lib):
    """Forward, backward and one SGD step of the guide's network in ``lib`` (sc or torch)."""
    nn = lib.nn
    conv, relu, pool = nn.Conv2d(1, 1, 2), nn.ReLU(), nn.MaxPool2d(2, stride=1)
    flatten, fc = nn.Flatten(), nn.Linear(4, 2)
    conv.load_state_dict({"weight": torch.tensor([[W_CONV]]), "bias": torch.zeros(1)})
    fc.load_state_dict({"weight": torch.from_numpy(W_FC.T.copy()),
                        "bias": torch.from_numpy(B_FC)})
    optimizer = lib.optim.SGD(list(conv.parameters()) + list(fc.parameters()), lr=LR)

    x = lib.tensor([[X]], dtype=lib.float32)                    # (1, 1, 4, 4)
    pre = conv(x)                                               # (1, 1, 3, 3)
    act = relu(pre)
    pooled = pool(act)                                          # (1, 1, 2, 2)
    features = flatten(pooled)                                  # (1, 4)
    logits = fc(features)                                       # (1, 2)
    for t in (pre, act, pooled, features, logits):
        t.retain_grad()
    probs = logits.softmax(1)
    loss = nn.CrossEntropyLoss()(logits, lib.tensor([0]))
    optimizer.zero_grad()
    loss.backward()
    result = dict(
        pre=as_numpy(pre), act=as_numpy(act), pooled=as_numpy(pooled),
        features=as_numpy(features), logits=as_numpy(logits), probs=as_numpy(probs),
        loss=loss.item(),
        dlogits=as_numpy(logits.grad), dfeatures=as_numpy(features.grad),
        dpooled=as_numpy(pooled.grad), dact=as_numpy(act.grad), dpre=as_numpy(pre.grad),
        dw_fc=as_numpy(fc.weight.grad), db_fc=as_numpy(fc.bias.grad),
        dw_conv=as_numpy(conv.weight.grad), db_conv=as_numpy(conv.bias.grad))
    optimizer.step()
    result.update(w_fc=as_numpy(fc.weight), b_fc=as_numpy(fc.bias),
                  w_conv=as_numpy(conv.weight), b_conv=as_numpy(conv.bias))
    return result


@pytest.fixture(scope="module")
def ours():
    return hand_trained(sc)


@pytest.fixture(scope="module")
def theirs():
    return hand_trained(torch)


# ----------------------------------------------------------------------- section 3
@pytest.mark.parametrize("lib", [sc, torch], ids=["scratchcnn", "torch"])
def test_first_convolution_example_gives_8(lib):
    """Patch [[1, 6], [5, 3]] . kernel [[1, 2], [-1, 0]] = 1 + 12 - 5 + 0 = 8."""
    patch = lib.tensor([[[[1.0, 6.0], [5.0, 3.0]]]])
    kernel = lib.tensor([[[[1.0, 2.0], [-1.0, 0.0]]]])
    functional = F if lib is sc else torch.nn.functional
    out = functional.conv2d(patch, kernel)
    assert tuple(out.shape) == (1, 1, 1, 1)
    assert out.item() == 8.0


def test_convolution_is_cross_correlation_on_a_larger_input():
    """The kernel is not flipped: on a 2x3 input it gives the guide's sum at each position."""
    x = np.array([[1.0, 6.0, 2.0], [5.0, 3.0, 1.0]], np.float32)
    kernel = np.array([[1.0, 2.0], [-1.0, 0.0]], np.float32)
    out = F.conv2d(sc.tensor(x[None, None]), sc.tensor(kernel[None, None]))
    assert out.numpy().ravel().tolist() == [8.0, 6 + 4 - 3 + 0]


# ----------------------------------------------------------------------- section 5
def test_convolution_output_is_a_3x3_map_of_zeros(ours):
    assert ours["pre"].shape == (1, 1, 3, 3)
    np.testing.assert_array_equal(ours["pre"], np.zeros((1, 1, 3, 3)))
    np.testing.assert_array_equal(ours["act"], np.zeros((1, 1, 3, 3)))


def test_the_guides_four_listed_positions_are_zero():
    """Its four worked positions are (0, 0), (0, 1), (0, 2) and (1, 0) of the 3x3 map."""
    x = np.array(X, np.float32)
    w = np.array(W_CONV, np.float32)
    for (i, j), patch in zip([(0, 0), (0, 1), (0, 2), (1, 0)],
                             [[[1, 2], [0, 1]], [[2, 1], [1, 2]], [[1, 0], [2, 1]],
                              [[0, 1], [1, 0]]]):
        np.testing.assert_array_equal(x[i:i + 2, j:j + 2], patch)
        assert float((x[i:i + 2, j:j + 2] * w).sum()) == 0.0


def test_pooling_at_stride_1_gives_the_four_features(ours):
    assert ours["pooled"].shape == (1, 1, 2, 2)
    assert ours["features"].shape == (1, 4)
    np.testing.assert_array_equal(ours["features"], np.zeros((1, 4)))


def test_pooling_at_the_guides_stride_2_leaves_one_value_not_four():
    """The guide's slip: 2x2 pooling at stride 2 on a 3x3 map keeps only one window, so
    Linear(4, 2) cannot take it; both libraries refuse."""
    ours = sc.nn.MaxPool2d(2, stride=2)(sc.zeros(1, 1, 3, 3))
    assert ours.shape == (1, 1, 1, 1)
    with pytest.raises(ValueError):
        sc.nn.Linear(4, 2)(sc.nn.Flatten()(ours))
    theirs = torch.nn.MaxPool2d(2, stride=2)(torch.zeros(1, 1, 3, 3))
    assert tuple(theirs.shape) == (1, 1, 1, 1)
    with pytest.raises(RuntimeError):
        torch.nn.Linear(4, 2)(torch.nn.Flatten()(theirs))


def test_logits_are_the_fc_bias(ours):
    assert_printed(ours["logits"], [[0.1, 0.2]], 6)


def test_softmax(ours):
    assert_printed(ours["probs"], [[0.475, 0.525]], 3)


def test_loss(ours):
    assert_printed(ours["loss"], 0.744, 3)
    assert ours["loss"] == pytest.approx(-np.log(1 / (1 + np.exp(0.1))), rel=1e-6)


# ----------------------------------------------------------------------- section 6
def test_gradient_of_logits_is_softmax_minus_one_hot(ours):
    assert_printed(ours["dlogits"], [[-0.525, 0.525]], 3)
    np.testing.assert_allclose(ours["dlogits"], ours["probs"] - [[1.0, 0.0]], atol=1e-7)


def test_gradient_of_fc_weight_is_a_zero_outer_product(ours):
    """dL/dW_fc = P (4) outer dL/dZ (2): 4x2 in the guide's layout, (2, 4) in PyTorch's."""
    assert ours["dw_fc"].shape == (2, 4)
    np.testing.assert_array_equal(ours["dw_fc"], np.zeros((2, 4)))
    outer = np.outer(ours["features"][0], ours["dlogits"][0])        # 4x2
    np.testing.assert_array_equal(ours["dw_fc"].T, outer)


def test_gradient_of_fc_bias_is_dl_dz(ours):
    assert_printed(ours["db_fc"], [-0.525, 0.525], 3)
    np.testing.assert_array_equal(ours["db_fc"], ours["dlogits"][0])


def test_gradient_reaching_the_pooled_features_is_not_zero(ours):
    """The guide's slip: dL/dP = W_fc dL/dZ = 0.1 * -0.525 + 0.2 * 0.525 = 0.0525, not 0."""
    assert_printed(ours["dfeatures"], [[0.0525] * 4], 4)
    np.testing.assert_allclose(ours["dfeatures"][0], W_FC @ ours["dlogits"][0], rtol=1e-6)
    assert_printed(ours["dpooled"], [[[[0.0525, 0.0525], [0.0525, 0.0525]]]], 4)


def test_max_pool_routes_each_window_gradient_to_one_activation(ours):
    """dL/dA is non-zero where the pool picked (four windows, each sends 0.0525 to one
    input); every input of a tie is 0, so the first one (top-left) is picked."""
    dact = ours["dact"][0, 0]
    assert dact.shape == (3, 3)
    assert np.count_nonzero(dact) == 4
    assert_printed(dact.sum(), 4 * 0.0525, 4)
    assert_printed(dact, [[0.0525, 0.0525, 0], [0.0525, 0.0525, 0], [0, 0, 0]], 4)


def test_relu_kills_the_gradient_at_exactly_zero(ours):
    """Every pre-activation is 0 and ReLU's derivative at 0 is 0 (PyTorch's convention), so
    nothing reaches the convolution."""
    np.testing.assert_array_equal(ours["pre"], 0.0)
    np.testing.assert_array_equal(ours["dpre"], np.zeros((1, 1, 3, 3)))
    np.testing.assert_array_equal(ours["dw_conv"], np.zeros((1, 1, 2, 2)))
    np.testing.assert_array_equal(ours["db_conv"], np.zeros(1))


def test_sgd_step_updates_only_the_fc_bias(ours):
    assert_printed(ours["b_fc"], [0.1525, 0.1475], 4)
    np.testing.assert_allclose(ours["b_fc"], B_FC - LR * ours["db_fc"], rtol=1e-6)
    np.testing.assert_array_equal(ours["w_fc"], W_FC.T)
    np.testing.assert_array_equal(ours["w_conv"], [[W_CONV]])
    np.testing.assert_array_equal(ours["b_conv"], [0.0])


# ----------------------------------------------------------------------- cross-check
def test_torch_gives_the_guides_numbers_too(theirs):
    assert_printed(theirs["probs"], [[0.475, 0.525]], 3)
    assert_printed(theirs["loss"], 0.744, 3)
    assert_printed(theirs["dlogits"], [[-0.525, 0.525]], 3)
    assert_printed(theirs["dfeatures"], [[0.0525] * 4], 4)
    np.testing.assert_array_equal(theirs["dw_conv"], np.zeros((1, 1, 2, 2)))
    assert_printed(theirs["b_fc"], [0.1525, 0.1475], 4)


@pytest.mark.parametrize("key", ["pre", "act", "pooled", "features", "logits", "probs", "loss",
                                 "dlogits", "dfeatures", "dpooled", "dact", "dpre", "dw_fc",
                                 "db_fc", "dw_conv", "db_conv", "w_fc", "b_fc", "w_conv",
                                 "b_conv"])
def test_every_number_matches_torch(ours, theirs, key):
    assert np.shape(ours[key]) == np.shape(theirs[key])
    assert_close(ours[key], theirs[key], np.float32, rtol=1e-6, atol=1e-7)
