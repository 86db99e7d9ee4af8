"""Adadelta, RMSprop, Adagrad, AdamW (and SGD, Adam again) follow torch.optim step by step.

Each test gives the same parameters the same gradients in both libraries, step after step
(the gradients depend on the current parameters, so any divergence grows), and compares
every parameter and every state array after every step: float64 to 1e-10, float32 to
rtol 1e-4 / atol 1e-5. Parameters sit in two groups with different options.
"""

import math

import numpy as np
import pytest
import torch

import scratchcnn as sc
from scratchcnn.errors import ArgumentError

from conftest import assert_close

STEPS = 8
SHAPES = [(3, 4), (5,), (2, 1, 3)]


def make_params(dtype, seed=0):
    """The same starting values as scratchcnn Parameters and torch Parameters."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]
    ours = [sc.nn.Parameter(a.copy()) for a in arrays]
    theirs = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in arrays]
    return ours, theirs


def gradient(array, step, index):
    """A gradient that depends on the parameter (so errors compound) and changes sign
    now and then (so maxima, centering and momentum matter)."""
    rng = np.random.default_rng(1000 * step + index)
    noise = rng.standard_normal(array.shape)
    return (np.tanh(array) + 0.5 * noise * math.cos(step)).astype(array.dtype)


def set_grads(ours, theirs, step):
    for index, (a, b) in enumerate(zip(ours, theirs)):
        g = gradient(a.numpy(), step, index)
        a.grad = sc.tensor(g)
        b.grad = torch.from_numpy(g.copy())


def groups(params, group_options):
    """First parameter alone in a group with its own options, the rest in another."""
    if group_options is None:
        return params
    return [dict({"params": params[:1]}, **group_options), {"params": params[1:]}]


def compare(ours, theirs, our_opt, torch_opt, dtype, step):
    for index, (a, b) in enumerate(zip(ours, theirs)):
        try:
            assert_close(a, b, dtype)
        except AssertionError as error:
            raise AssertionError(f"parameter {index} differs after step {step}") from error
    torch_state = [torch_opt.state[b] for b in theirs]
    for a, theirs_state in zip(ours, torch_state):
        mine = our_opt.state[a]          # indexing by the parameter, as in torch
        arrays = {k for k, v in theirs_state.items() if k != "step" and v.dim() > 0}
        assert arrays == {k for k, v in mine.items() if isinstance(v, np.ndarray)}
        for name in arrays:
            assert_close(mine[name], theirs_state[name], dtype)
        if "step" in theirs_state:
            assert int(mine["step"]) == int(theirs_state["step"])


def run_both(our_class, torch_class, kwargs, dtype, group_options=None, steps=STEPS):
    ours, theirs = make_params(dtype)
    our_opt = our_class(groups(ours, group_options), **kwargs)
    torch_opt = torch_class(groups(theirs, group_options), **kwargs)
    start = [p.numpy().copy() for p in ours]
    for step in range(1, steps + 1):
        set_grads(ours, theirs, step)
        our_opt.step()
        torch_opt.step()
        compare(ours, theirs, our_opt, torch_opt, dtype, step)
    for p, before in zip(ours, start):   # a meaningful test: every parameter moved
        assert not np.allclose(p.numpy(), before)
    return ours, theirs, our_opt, torch_opt


CONFIGS = {
    "SGD": [dict(lr=0.1), dict(lr=0.05, momentum=0.9, dampening=0.2, weight_decay=0.01),
            dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True)],
    "Adam": [dict(), dict(lr=0.01, amsgrad=True, weight_decay=0.1),
             dict(lr=0.02, betas=(0.3, 0.9), eps=1e-3, maximize=True)],
    "AdamW": [dict(), dict(lr=0.01, weight_decay=0.1, amsgrad=True),
              dict(lr=0.02, betas=(0.6, 0.95), maximize=True)],
    "Adadelta": [dict(), dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.05),
                 dict(maximize=True, rho=0.95)],
    "RMSprop": [dict(), dict(lr=0.01, momentum=0.9), dict(lr=0.01, centered=True),
                dict(lr=0.005, alpha=0.9, eps=1e-6, weight_decay=0.1, momentum=0.5,
                     centered=True, maximize=True)],
    "Adagrad": [dict(), dict(lr=0.1, lr_decay=0.05, weight_decay=0.1),
                dict(lr=0.05, initial_accumulator_value=0.3, eps=1e-6, maximize=True)],
}
CASES = [(name, config) for name, configs in CONFIGS.items() for config in configs]
IDS = [f"{name}-{i}" for name, configs in CONFIGS.items() for i in range(len(configs))]
# Options a first group overrides (each optimizer has lr and weight_decay).
GROUP_OPTIONS = dict(lr=0.03, weight_decay=0.02)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, kwargs", CASES, ids=IDS)
def test_trajectory_matches_torch(name, kwargs, dtype):
    run_both(getattr(sc.optim, name), getattr(torch.optim, name), kwargs, dtype)


@pytest.mark.parametrize("name, kwargs", CASES, ids=IDS)
def test_two_param_groups_match_torch(name, kwargs):
    _, _, our_opt, torch_opt = run_both(getattr(sc.optim, name), getattr(torch.optim, name),
                                        kwargs, np.float64, GROUP_OPTIONS)
    assert len(our_opt.param_groups) == 2
    for mine, theirs in zip(our_opt.param_groups, torch_opt.param_groups):
        for key, value in mine.items():
            if key != "params":
                assert theirs[key] == value, key


@pytest.mark.parametrize("name, defaults", [
    ("SGD", dict(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 maximize=False)),
    ("Adam", dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                  maximize=False, decoupled_weight_decay=False)),
    ("AdamW", dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                   maximize=False, decoupled_weight_decay=True)),
    ("Adadelta", dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False)),
    ("RMSprop", dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                     centered=False, maximize=False)),
    ("Adagrad", dict(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                     eps=1e-10, maximize=False)),
])
def test_defaults_are_torchs(name, defaults):
    ours, theirs = make_params(np.float32)
    mine = getattr(sc.optim, name)(ours).defaults
    reference = getattr(torch.optim, name)(theirs).defaults
    for key, value in defaults.items():
        assert mine[key] == reference[key] == value, key


def test_adagrad_creates_state_for_every_parameter_at_construction():
    ours, theirs = make_params(np.float32)
    mine = sc.optim.Adagrad(ours, initial_accumulator_value=0.5)
    reference = torch.optim.Adagrad(theirs, initial_accumulator_value=0.5)
    assert sorted(mine.state_dict()["state"]) == sorted(reference.state_dict()["state"])
    assert_close(mine.state[ours[0]]["sum"], reference.state[theirs[0]]["sum"], np.float32)


def test_add_param_group_mid_run_matches_torch():
    ours, theirs = make_params(np.float64)
    our_opt = sc.optim.RMSprop(ours[:2], lr=0.01, momentum=0.5)
    torch_opt = torch.optim.RMSprop(theirs[:2], lr=0.01, momentum=0.5)
    for step in range(1, 7):
        if step == 3:
            our_opt.add_param_group({"params": ours[2:], "lr": 0.1, "centered": True})
            torch_opt.add_param_group({"params": theirs[2:], "lr": 0.1, "centered": True})
        set_grads(ours, theirs, step)
        our_opt.step()
        torch_opt.step()
        for a, b in zip(ours, theirs):
            assert_close(a, b)
    assert our_opt.param_groups[1]["centered"] and not our_opt.param_groups[0]["centered"]
    with pytest.raises(ArgumentError, match="more than one parameter group"):
        our_opt.add_param_group({"params": ours[:1]})


@pytest.mark.parametrize("name, kwargs", CASES, ids=IDS)
def test_state_dict_through_save_and_load_continues_the_same_run(name, kwargs, tmp_path):
    our_class = getattr(sc.optim, name)
    ours, theirs = make_params(np.float64)
    opt = our_class(groups(ours, GROUP_OPTIONS), **kwargs)
    torch_opt = getattr(torch.optim, name)(groups(theirs, GROUP_OPTIONS), **kwargs)
    for step in range(1, 4):
        set_grads(ours, theirs, step)
        opt.step()
        torch_opt.step()
    path = tmp_path / "optimizer.npz"
    sc.save({"params": [p.numpy() for p in ours], "optimizer": opt.state_dict()}, path)
    for step in range(4, 8):              # the uninterrupted run, and torch's
        set_grads(ours, theirs, step)
        opt.step()
        torch_opt.step()

    saved = sc.load(path)
    resumed = [sc.nn.Parameter(array.copy()) for array in saved["params"]]
    other_options = dict(kwargs, lr=123.0)   # the saved hyper-parameters must win
    resumed_opt = our_class(groups(resumed, dict(GROUP_OPTIONS, lr=7.0)), **other_options)
    resumed_opt.load_state_dict(saved["optimizer"])
    assert resumed_opt.param_groups[0]["lr"] == GROUP_OPTIONS["lr"]
    for step in range(4, 8):
        for index, p in enumerate(resumed):
            p.grad = sc.tensor(gradient(p.numpy(), step, index))
        resumed_opt.step()
    for a, b, c in zip(resumed, ours, theirs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        assert_close(a, c)


def test_load_state_dict_copies_the_arrays():
    ours, _ = make_params(np.float64)
    opt = sc.optim.Adadelta(ours)
    for p in ours:
        p.grad = sc.ones_like(p)
    opt.step()
    saved = opt.state_dict()
    before = saved["state"][0]["square_avg"].copy()
    opt.load_state_dict(saved)
    opt.step()
    np.testing.assert_array_equal(saved["state"][0]["square_avg"], before)


# ----------------------------------------------------------------------- closure
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adadelta", "RMSprop", "Adagrad"])
def test_step_with_closure_runs_under_enable_grad_and_returns_its_loss(name):
    ours, theirs = make_params(np.float64)
    our_opt = getattr(sc.optim, name)(ours, lr=0.1)
    torch_opt = getattr(torch.optim, name)(theirs, lr=0.1)

    def make_closure(params, opt, lib):
        def closure():
            opt.zero_grad()
            loss = sum((p * p).sum() + p.sin().sum() for p in params)
            loss.backward()
            return loss
        return closure

    for _ in range(3):
        with sc.no_grad():   # the training loop's mode must not stop the closure's graph
            loss = our_opt.step(make_closure(ours, our_opt, sc))
        with torch.no_grad():
            expected = torch_opt.step(make_closure(theirs, torch_opt, torch))
        assert isinstance(loss, sc.Tensor)
        assert_close(loss, expected)
        for a, b in zip(ours, theirs):
            assert_close(a, b)
    assert our_opt.step() is None


# ----------------------------------------------------------------------- bad arguments
BAD_VALUES = {
    "SGD": dict(lr=0.1, momentum=0.5, weight_decay=0.1),
    "Adam": dict(lr=0.1, eps=1e-8, weight_decay=0.1),
    "AdamW": dict(lr=0.1, eps=1e-8, weight_decay=0.1),
    "Adadelta": dict(lr=0.1, rho=0.9, eps=1e-6, weight_decay=0.1),
    "RMSprop": dict(lr=0.1, alpha=0.9, eps=1e-8, weight_decay=0.1, momentum=0.5),
    "Adagrad": dict(lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.1,
                    eps=1e-10),
}
BAD_CASES = [(name, key) for name, keys in BAD_VALUES.items() for key in keys]


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf, -math.inf], ids=str)
@pytest.mark.parametrize("name, key", BAD_CASES, ids=[f"{n}-{k}" for n, k in BAD_CASES])
def test_out_of_range_or_non_finite_hyperparameters_raise(name, key, bad):
    ours, theirs = make_params(np.float32)
    kwargs = dict(BAD_VALUES[name], **{key: bad})
    with pytest.raises(ArgumentError, match="Invalid") as info:
        getattr(sc.optim, name)(ours, **kwargs)
    assert isinstance(info.value, ValueError)
    assert str(bad) in str(info.value) and name in str(info.value)
    if bad == -1.0:   # torch refuses this too (it accepts inf, and some accept nan)
        with pytest.raises(ValueError):
            getattr(torch.optim, name)(theirs, **kwargs)
    # The same value in a parameter group is refused as well.
    with pytest.raises(ArgumentError):
        getattr(sc.optim, name)([{"params": ours[:1]}, {"params": ours[1:], key: bad}],
                                **BAD_VALUES[name])


def test_message_reads_like_torchs():
    ours, theirs = make_params(np.float32)
    with pytest.raises(ValueError) as theirs_info:
        torch.optim.SGD(theirs, lr=-1)
    with pytest.raises(ArgumentError) as ours_info:
        sc.optim.SGD(ours, lr=-1)
    assert str(theirs_info.value) == "Invalid learning rate: -1"
    assert str(ours_info.value).startswith("Invalid learning rate: -1 (SGD expects")


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize("betas", [(1.0, 0.999), (0.9, -0.1), (math.nan, 0.9),
                                   (0.9, math.inf), (0.9,), "ab"], ids=str)
def test_bad_betas_raise(name, betas):
    ours, _ = make_params(np.float32)
    with pytest.raises(ArgumentError, match="[Ii]nvalid beta"):
        getattr(sc.optim, name)(ours, betas=betas)


def test_rho_above_one_raises_as_in_torch():
    ours, theirs = make_params(np.float32)
    with pytest.raises(ValueError):
        torch.optim.Adadelta(theirs, rho=1.5)
    with pytest.raises(ArgumentError, match="Invalid rho value: 1.5"):
        sc.optim.Adadelta(ours, rho=1.5)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_non_number_hyperparameter_raises(name):
    ours, _ = make_params(np.float32)
    with pytest.raises(ArgumentError, match="expects a real number, got str"):
        getattr(sc.optim, name)(ours, lr="0.1")


def test_params_as_a_tensor_or_a_group_as_a_set_raise_type_error():
    ours, theirs = make_params(np.float32)
    for params, lib in ((ours[0], sc), ([{"params": set(ours)}], sc), (theirs[0], torch),
                        ([{"params": set(theirs)}], torch)):
        with pytest.raises(TypeError):
            lib.optim.SGD(params, lr=0.1)


def test_differentiable_is_refused_and_foreach_accepted():
    ours, _ = make_params(np.float32)
    sc.optim.Adam(ours, foreach=False, fused=None)
    with pytest.raises(ArgumentError, match="differentiable"):
        sc.optim.RMSprop(ours, differentiable=True)


def test_named_parameters_are_accepted_and_saved():
    ours, _ = make_params(np.float32)
    opt = sc.optim.AdamW([("a", ours[0]), ("b", ours[1])])
    assert opt.param_groups[0]["param_names"] == ["a", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["a", "b"]
