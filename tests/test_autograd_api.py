"""PyTorch's autograd API against torch: custom Functions, autograd.grad,
autograd.backward over several outputs, backward(inputs=...), Variable, Generator,
and nn.utils gradient clipping."""

import numpy as np
import pytest
import torch

import scratchcnn as sc
from scratchcnn.errors import ArgumentError, GraphError

from conftest import assert_close, to_torch


def make_square(library):
    class MySquare(library.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return x * x * scale

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return 2 * x * ctx.scale * grad_output, None
    return MySquare


def test_custom_function_matches_torch():
    array = np.random.default_rng(0).standard_normal((3, 4))
    x, tx = sc.tensor(array, requires_grad=True), to_torch(array, requires_grad=True)
    y = make_square(sc).apply(x, 1.5)
    ty = make_square(torch).apply(tx, 1.5)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    assert_close(y, ty)
    assert_close(x.grad, tx.grad)
    assert y.grad_fn.name() == "MySquareBackward0"


def test_custom_function_with_wrong_gradient_count_is_clear():
    class Broken(sc.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad, grad
    x = sc.ones(2, requires_grad=True)
    with pytest.raises(GraphError, match="incorrect number of gradients"):
        Broken.apply(x).sum().backward()


def test_autograd_grad_matches_torch_and_leaves_grad_alone():
    array = np.random.default_rng(1).standard_normal((2, 3))
    x, tx = sc.tensor(array, requires_grad=True), to_torch(array, requires_grad=True)
    hidden, thidden = x * 3, tx * 3
    gx, gh = sc.autograd.grad((hidden ** 2).sum(), [x, hidden])
    tgx, tgh = torch.autograd.grad((thidden ** 2).sum(), [tx, thidden])
    assert_close(gx, tgx)
    assert_close(gh, tgh)
    assert x.grad is None


def test_autograd_grad_unused_input():
    x, unused = sc.ones(2, requires_grad=True), sc.ones(2, requires_grad=True)
    with pytest.raises(GraphError, match="allow_unused=True"):
        sc.autograd.grad((x * 2).sum(), [x, unused])
    gx, gu = sc.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gu is None and gx.tolist() == [2.0, 2.0]
    with pytest.raises(ArgumentError, match="create_graph"):
        sc.autograd.grad((x * 2).sum(), x, create_graph=True)


def test_backward_of_several_outputs_and_inputs_argument():
    array = np.random.default_rng(2).standard_normal(3)
    x, tx = sc.tensor(array, requires_grad=True), to_torch(array, requires_grad=True)
    w, tw = sc.tensor(array * 2, requires_grad=True), to_torch(array * 2, requires_grad=True)
    sc.autograd.backward([(x * w).sum(), (x ** 2).sum()])
    torch.autograd.backward([(tx * tw).sum(), (tx ** 2).sum()])
    assert_close(x.grad, tx.grad)
    assert_close(w.grad, tw.grad)
    x.grad = w.grad = None
    tx.grad = tw.grad = None
    (x * w).sum().backward(inputs=[w])
    (tx * tw).sum().backward(inputs=[tw])
    assert x.grad is None and tx.grad is None
    assert_close(w.grad, tw.grad)


def test_variable_is_a_tensor():
    v = sc.autograd.Variable(sc.ones(2), requires_grad=True)
    assert isinstance(v, sc.Tensor) and v.requires_grad


def test_generator_is_seeded_and_separate():
    a = sc.Generator().manual_seed(5)
    b = sc.Generator().manual_seed(5)
    assert a.initial_seed() == 5
    assert a.numpy_generator.random() == b.numpy_generator.random()


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 3.0])
def test_clip_grad_norm_matches_torch(norm_type):
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((3, 4)) * 5, rng.standard_normal(4) * 5]
    ours = [sc.nn.Parameter(sc.tensor(a)) for a in arrays]
    theirs = [torch.nn.Parameter(to_torch(a)) for a in arrays]
    for p, t, a in zip(ours, theirs, arrays):
        p.grad = sc.tensor(a * 1.5)
        t.grad = to_torch(a * 1.5)
    total = sc.nn.utils.clip_grad_norm_(ours, max_norm=1.0, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, max_norm=1.0, norm_type=norm_type)
    assert_close(total, ttotal)
    for p, t in zip(ours, theirs):
        assert_close(p.grad, t.grad)


def test_clip_grad_value_and_vector_round_trip_match_torch():
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((2, 3)), rng.standard_normal(3)]
    ours = [sc.nn.Parameter(sc.tensor(a)) for a in arrays]
    theirs = [torch.nn.Parameter(to_torch(a)) for a in arrays]
    for p, t, a in zip(ours, theirs, arrays):
        p.grad, t.grad = sc.tensor(a * 2), to_torch(a * 2)
    sc.nn.utils.clip_grad_value_(ours, 0.5)
    torch.nn.utils.clip_grad_value_(theirs, 0.5)
    for p, t in zip(ours, theirs):
        assert_close(p.grad, t.grad)
    vector = sc.nn.utils.parameters_to_vector(ours)
    assert_close(vector, torch.nn.utils.parameters_to_vector(theirs))
    sc.nn.utils.vector_to_parameters(vector * 2, ours)
    assert_close(ours[1], theirs[1] * 2)
