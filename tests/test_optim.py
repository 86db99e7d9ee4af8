"""Optimizers: SGD and Adam follow torch.optim's trajectories step for step.

Each test builds the same small CNN (Conv2d -> ReLU -> Flatten -> Linear) in both
libraries, copies torch's initial weights into ours, and trains both on the same
random batch with cross entropy, comparing every parameter after every step.
"""

import numpy as np
import pytest
import torch

import scratchcnn as sc
from scratchcnn import nn

from conftest import assert_close

STEPS = 6
N, C, H, W, CLASSES = 4, 2, 6, 6, 5


def make_models(seed=0):
    """The same network in torch and in scratchcnn, with torch's random initial weights
    (the same weights on every call)."""
    torch.manual_seed(seed)
    torch_model = torch.nn.Sequential(
        torch.nn.Conv2d(C, 3, 3), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(3 * (H - 2) * (W - 2), CLASSES))
    ours = nn.Sequential(nn.Conv2d(C, 3, 3), nn.ReLU(), nn.Flatten(),
                         nn.Linear(3 * (H - 2) * (W - 2), CLASSES))
    ours.load_state_dict(torch_model.state_dict())
    return torch_model, ours


def make_batch(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    y = rng.integers(0, CLASSES, size=N)
    return x, y


def train_step(model, optimizer, x, y, lib, set_to_none=True):
    optimizer.zero_grad(set_to_none=set_to_none)
    loss = lib.nn.CrossEntropyLoss()(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def assert_same_params(torch_model, ours, step, **tolerance):
    torch_params = dict(torch_model.named_parameters())
    our_params = dict(ours.named_parameters())
    assert list(our_params) == list(torch_params)
    for name, param in our_params.items():
        try:
            assert_close(param, torch_params[name], np.float32, **tolerance)
        except AssertionError as error:
            raise AssertionError(f"parameter {name} differs after step {step}") from error


def run_both(torch_factory, our_factory, steps=STEPS, **tolerance):
    """Train both models side by side; ``*_factory(model)`` returns the optimizer."""
    torch_model, ours = make_models()
    x, y = make_batch()
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    sx, sy = sc.tensor(x), sc.tensor(y)
    torch_opt, our_opt = torch_factory(torch_model), our_factory(ours)
    initial = {name: p.numpy().copy() for name, p in ours.named_parameters()}
    torch_losses, our_losses = [], []
    for step in range(1, steps + 1):
        torch_losses.append(train_step(torch_model, torch_opt, tx, ty, torch))
        our_losses.append(train_step(ours, our_opt, sx, sy, sc))
        assert_same_params(torch_model, ours, step, **tolerance)
    np.testing.assert_allclose(our_losses, torch_losses, rtol=1e-4, atol=1e-5)
    # The test is only meaningful if training moved every parameter.
    for name, param in ours.named_parameters():
        assert not np.allclose(param.numpy(), initial[name]), f"{name} never moved"
    return torch_model, ours, torch_opt, our_opt


SGD_CONFIGS = {
    "plain": dict(lr=0.1),
    "momentum": dict(lr=0.05, momentum=0.9),
    "dampening": dict(lr=0.05, momentum=0.9, dampening=0.3),
    "nesterov": dict(lr=0.05, momentum=0.9, nesterov=True),
    "weight_decay": dict(lr=0.1, weight_decay=0.01),
    "momentum+weight_decay": dict(lr=0.05, momentum=0.8, weight_decay=0.05),
    "dampening+weight_decay": dict(lr=0.05, momentum=0.8, dampening=0.5, weight_decay=0.05),
    "nesterov+weight_decay": dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1),
    "nesterov+weight_decay+maximize": dict(lr=0.01, momentum=0.5, nesterov=True,
                                           weight_decay=0.1, maximize=True),
}


@pytest.mark.parametrize("config", SGD_CONFIGS.values(), ids=SGD_CONFIGS.keys())
def test_sgd_trajectory_matches_torch(config):
    _, _, torch_opt, our_opt = run_both(lambda m: torch.optim.SGD(m.parameters(), **config),
                                        lambda m: sc.optim.SGD(m.parameters(), **config))
    if config.get("momentum"):
        # One momentum buffer per parameter, equal to torch's.
        torch_state = list(torch_opt.state.values())
        our_state = [our_opt.state[id(p)] for p in our_opt.param_groups[0]["params"]]
        assert len(our_state) == len(torch_state) == 4
        for ours, theirs in zip(our_state, torch_state):
            assert_close(ours["momentum_buffer"], theirs["momentum_buffer"], np.float32)


ADAM_CONFIGS = {
    "default": dict(),
    "lr": dict(lr=0.01),
    "weight_decay": dict(lr=0.01, weight_decay=0.1),
    "amsgrad": dict(lr=0.01, amsgrad=True),
    "betas_eps": dict(lr=0.02, betas=(0.5, 0.9), eps=1e-3),
    "all": dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.05, amsgrad=True),
    "maximize": dict(lr=0.005, maximize=True, weight_decay=0.01),
}


@pytest.mark.parametrize("config", ADAM_CONFIGS.values(), ids=ADAM_CONFIGS.keys())
def test_adam_trajectory_matches_torch(config):
    _, _, torch_opt, our_opt = run_both(lambda m: torch.optim.Adam(m.parameters(), **config),
                                        lambda m: sc.optim.Adam(m.parameters(), **config))
    torch_state = list(torch_opt.state.values())
    our_state = [our_opt.state[id(p)] for p in our_opt.param_groups[0]["params"]]
    names = ["exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if config.get("amsgrad") else [])
    for ours, theirs in zip(our_state, torch_state):
        assert int(ours["step"]) == int(theirs["step"]) == STEPS
        for name in names:
            assert_close(ours[name], theirs[name], np.float32, atol=1e-7)


def grouped(model, optimizer_class, **defaults):
    """Two groups: the conv layer at one learning rate, the linear layer at another."""
    conv, linear = model[0], model[3]
    return optimizer_class([{"params": conv.parameters(), "lr": 0.2},
                            {"params": linear.parameters()}], **defaults)


@pytest.mark.parametrize("torch_class, our_class, defaults", [
    (torch.optim.SGD, sc.optim.SGD, dict(lr=0.02, momentum=0.9)),
    (torch.optim.Adam, sc.optim.Adam, dict(lr=0.003)),
], ids=["SGD", "Adam"])
def test_param_groups_with_different_lr_match_torch(torch_class, our_class, defaults):
    _, _, _, our_opt = run_both(lambda m: grouped(m, torch_class, **defaults),
                                lambda m: grouped(m, our_class, **defaults))
    assert [g["lr"] for g in our_opt.param_groups] == [0.2, defaults["lr"]]
    assert [len(g["params"]) for g in our_opt.param_groups] == [2, 2]


def test_param_groups_lr_really_differs():
    """The per-group lr is used: one SGD step moves the conv bias by lr * grad of its group."""
    _, ours = make_models()
    x, y = make_batch()
    opt = sc.optim.SGD([{"params": ours[0].parameters(), "lr": 0.5},
                        {"params": ours[3].parameters()}], lr=0.01)
    before = [p.numpy().copy() for p in ours.parameters()]
    opt.zero_grad()
    nn.CrossEntropyLoss()(ours(sc.tensor(x)), sc.tensor(y)).backward()
    grads = [p.grad.numpy().copy() for p in ours.parameters()]
    opt.step()
    for param, old, grad, lr in zip(ours.parameters(), before, grads, [0.5, 0.5, 0.01, 0.01]):
        np.testing.assert_allclose(param.numpy(), old - lr * grad, rtol=1e-6, atol=1e-7)


def test_changing_group_lr_after_construction_is_used():
    """Schedulers write ``group['lr']``; the next step must use the new value (as torch)."""
    def set_lr(opt):
        for group in opt.param_groups:
            group["lr"] = 0.3
        return opt
    run_both(lambda m: set_lr(torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.5)),
             lambda m: set_lr(sc.optim.SGD(m.parameters(), lr=0.01, momentum=0.5)), steps=3)


# ----------------------------------------------------------------------- zero_grad
@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    torch_model, ours = make_models()
    x, y = make_batch()
    torch_opt = torch.optim.SGD(torch_model.parameters(), lr=0.1, momentum=0.9)
    our_opt = sc.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    train_step(torch_model, torch_opt, torch.from_numpy(x), torch.from_numpy(y), torch)
    train_step(ours, our_opt, sc.tensor(x), sc.tensor(y), sc)
    assert all(p.grad is not None and np.any(p.grad.numpy() != 0) for p in ours.parameters())

    our_opt.zero_grad(set_to_none=set_to_none)
    torch_opt.zero_grad(set_to_none=set_to_none)
    for param, theirs in zip(ours.parameters(), torch_model.parameters()):
        if set_to_none:
            assert param.grad is None and theirs.grad is None
        else:
            assert param.grad.shape == param.shape
            assert param.grad.dtype == param.dtype
            assert np.all(param.grad.numpy() == 0)
    # A step now: with zero gradients momentum still moves the parameters; with None
    # gradients nothing moves. Either way torch agrees.
    before = [p.numpy().copy() for p in ours.parameters()]
    torch_opt.step()
    our_opt.step()
    assert_same_params(torch_model, ours, "after zero_grad")
    moved = any(not np.array_equal(p.numpy(), b) for p, b in zip(ours.parameters(), before))
    assert moved == (not set_to_none)

    # Gradients accumulate without zero_grad, and restart from zero after it.
    loss_fn = nn.CrossEntropyLoss()
    our_opt.zero_grad(set_to_none=set_to_none)
    loss_fn(ours(sc.tensor(x)), sc.tensor(y)).backward()
    once = [p.grad.numpy().copy() for p in ours.parameters()]
    loss_fn(ours(sc.tensor(x)), sc.tensor(y)).backward()
    for param, grad in zip(ours.parameters(), once):
        np.testing.assert_allclose(param.grad.numpy(), 2 * grad, rtol=1e-6, atol=1e-7)


# ----------------------------------------------------------------------- state_dict
@pytest.mark.parametrize("optimizer_class, kwargs", [
    (sc.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (sc.optim.Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
], ids=["SGD", "Adam"])
def test_state_dict_round_trip_continues_the_same_trajectory(optimizer_class, kwargs):
    x, y = make_batch()
    sx, sy = sc.tensor(x), sc.tensor(y)

    # Uninterrupted: 6 steps.
    _, reference = make_models()
    reference_opt = optimizer_class(reference.parameters(), **kwargs)
    for _ in range(6):
        train_step(reference, reference_opt, sx, sy, sc)

    # Interrupted after 3 steps: save model and optimizer, then keep training the
    # original (its in-place buffers must not leak into the saved copy).
    torch_model, interrupted = make_models()
    opt = optimizer_class(interrupted.parameters(), **kwargs)
    for _ in range(3):
        train_step(interrupted, opt, sx, sy, sc)
    saved_model, saved_opt = interrupted.state_dict(), opt.state_dict()
    assert sorted(saved_opt["state"]) == [0, 1, 2, 3]
    assert saved_opt["param_groups"][0]["params"] == [0, 1, 2, 3]
    for _ in range(2):
        train_step(interrupted, opt, sx, sy, sc)

    # Resume in a fresh model and a fresh optimizer built with a different lr: the saved
    # hyper-parameters win, as in torch.
    _, resumed = make_models()
    resumed.load_state_dict(saved_model)
    resumed_opt = optimizer_class(resumed.parameters(), **dict(kwargs, lr=123.0))
    resumed_opt.load_state_dict(saved_opt)
    assert resumed_opt.param_groups[0]["lr"] == kwargs["lr"]
    for _ in range(3):
        train_step(resumed, resumed_opt, sx, sy, sc)

    for (name, a), b in zip(resumed.named_parameters(), reference.parameters()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7, err_msg=name)
    # And resuming without the optimizer state does NOT give the same trajectory for
    # stateful optimizers (so the comparison above is not vacuous).
    _, restarted = make_models()
    restarted.load_state_dict(saved_model)
    restarted_opt = optimizer_class(restarted.parameters(), **kwargs)
    for _ in range(3):
        train_step(restarted, restarted_opt, sx, sy, sc)
    assert not all(np.allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
                   for a, b in zip(restarted.parameters(), reference.parameters()))


def test_load_state_dict_with_wrong_group_sizes_raises():
    _, ours = make_models()
    opt = sc.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    other = sc.optim.SGD(list(ours.parameters())[:2], lr=0.1, momentum=0.9)
    with pytest.raises((ValueError, KeyError, RuntimeError)):
        other.load_state_dict(opt.state_dict())


# ----------------------------------------------------------------------- invalid arguments
def _params():
    return [nn.Parameter(np.ones(3, np.float32))]


@pytest.mark.parametrize("factory", [
    lambda p: sc.optim.SGD(p, lr=-0.1),
    lambda p: sc.optim.Adam(p, lr=-1e-3),
    lambda p: sc.optim.SGD(p, lr=0.1, momentum=-0.5),
    lambda p: sc.optim.SGD(p, lr=0.1, weight_decay=-1.0),
    lambda p: sc.optim.Adam(p, betas=(1.0, 0.999)),
    lambda p: sc.optim.Adam(p, betas=(0.9, -0.1)),
    lambda p: sc.optim.Adam(p, eps=-1e-8),
    lambda p: sc.optim.Adam(p, weight_decay=-0.1),
], ids=["sgd-lr", "adam-lr", "sgd-momentum", "sgd-weight_decay", "adam-beta1",
        "adam-beta2", "adam-eps", "adam-weight_decay"])
def test_invalid_hyperparameters_raise_value_error(factory):
    with pytest.raises(ValueError):
        factory(_params())


def test_torch_also_rejects_negative_lr():
    with pytest.raises(ValueError):
        torch.optim.SGD([torch.nn.Parameter(torch.ones(3))], lr=-0.1)


def test_invalid_lr_in_a_param_group_raises():
    with pytest.raises(ValueError):
        sc.optim.SGD([{"params": _params()}, {"params": _params(), "lr": -1.0}], lr=0.1)


@pytest.mark.parametrize("kwargs", [dict(lr=0.1, nesterov=True),
                                    dict(lr=0.1, nesterov=True, momentum=0.0),
                                    dict(lr=0.1, nesterov=True, momentum=0.9, dampening=0.1)],
                         ids=["no-momentum", "zero-momentum", "dampening"])
def test_nesterov_requires_momentum_and_no_dampening(kwargs):
    with pytest.raises(ValueError):
        torch.optim.SGD([torch.nn.Parameter(torch.ones(3))], **kwargs)
    with pytest.raises(ValueError):
        sc.optim.SGD(_params(), **kwargs)


@pytest.mark.parametrize("optimizer_class", [sc.optim.SGD, sc.optim.Adam])
@pytest.mark.parametrize("params", [[], iter([]), (p for p in [])], ids=["list", "iter", "gen"])
def test_empty_parameter_list_raises(optimizer_class, params):
    with pytest.raises(ValueError):
        optimizer_class(params, lr=0.1)


def test_empty_module_parameters_raise():
    with pytest.raises(ValueError):
        sc.optim.Adam(nn.ReLU().parameters())


def test_non_tensor_params_raise_type_error():
    with pytest.raises(TypeError):
        sc.optim.SGD([np.ones(3)], lr=0.1)


# ----------------------------------------------------------------------- skipped params
@pytest.mark.parametrize("torch_class, our_class, kwargs", [
    (torch.optim.SGD, sc.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
    (torch.optim.Adam, sc.optim.Adam, dict(lr=0.01, weight_decay=0.1)),
], ids=["SGD", "Adam"])
def test_params_without_grad_are_skipped(torch_class, our_class, kwargs):
    """A parameter unused by the loss and a frozen parameter have no .grad: the optimizer
    must leave them (and their state) untouched, even with weight decay."""
    torch_model, ours = make_models()
    torch_unused = torch.nn.Parameter(torch.ones(3))
    our_unused = nn.Parameter(np.ones(3, np.float32))
    # Freeze the conv bias in both.
    torch_model[0].bias.requires_grad_(False)
    ours[0].bias.requires_grad_(False)
    frozen_before = ours[0].bias.numpy().copy()

    torch_opt = torch_class(list(torch_model.parameters()) + [torch_unused], **kwargs)
    our_opt = our_class(list(ours.parameters()) + [our_unused], **kwargs)
    x, y = make_batch()
    for step in range(3):
        train_step(torch_model, torch_opt, torch.from_numpy(x), torch.from_numpy(y), torch)
        train_step(ours, our_opt, sc.tensor(x), sc.tensor(y), sc)
        assert_same_params(torch_model, ours, step)
    assert our_unused.grad is None and ours[0].bias.grad is None
    np.testing.assert_array_equal(our_unused.numpy(), np.ones(3, np.float32))
    np.testing.assert_array_equal(ours[0].bias.numpy(), frozen_before)
    assert id(our_unused) not in our_opt.state and id(ours[0].bias) not in our_opt.state
    assert len(our_opt.state) == len(torch_opt.state) == 3
    # state_dict indexes only the parameters that have state, as torch does.
    assert sorted(our_opt.state_dict()["state"]) == sorted(torch_opt.state_dict()["state"])


def test_step_returns_closure_loss():
    _, ours = make_models()
    x, y = make_batch()
    opt = sc.optim.SGD(ours.parameters(), lr=0.1)

    def closure():
        opt.zero_grad()
        loss = nn.CrossEntropyLoss()(ours(sc.tensor(x)), sc.tensor(y))
        loss.backward()
        return loss

    before = ours[3].bias.numpy().copy()
    loss = opt.step(closure)
    assert isinstance(loss, sc.Tensor) and loss.numel() == 1
    assert not np.allclose(ours[3].bias.numpy(), before)
