"""Every schedule gives torch.optim.lr_scheduler's learning rates, step for step.

Both libraries get an optimizer with two parameter groups at different rates, the same
scheduler, and many steps; the rates (and, for OneCycleLR, the momentum or beta1) must be
equal to 1e-12 after every step. Saving a scheduler mid-run with scratchcnn.save and
loading it into a fresh one must continue the same sequence.
"""

import math
import warnings

import numpy as np
import pytest
import torch

import scratchcnn as sc
from scratchcnn.errors import ArgumentError

STEPS = 30


def optimizers(name="SGD", **kwargs):
    """The same two-group optimizer in both libraries (rates 0.1 and 0.02)."""
    def build(lib, make):
        params = [make(), make()]
        return getattr(lib.optim, name)([{"params": [params[0]]},
                                          {"params": [params[1]], "lr": 0.02}],
                                         lr=0.1, **kwargs)
    return (build(sc, lambda: sc.zeros(2, requires_grad=True)),
            build(torch, lambda: torch.zeros(2, requires_grad=True)))


def assert_same_rates(ours, theirs, mine, reference, step):
    np.testing.assert_allclose(mine.get_last_lr(), reference.get_last_lr(), rtol=1e-12,
                               atol=1e-15, err_msg=f"get_last_lr() at step {step}")
    np.testing.assert_allclose([g["lr"] for g in ours.param_groups],
                               [g["lr"] for g in theirs.param_groups], rtol=1e-12,
                               atol=1e-15, err_msg=f"group lr at step {step}")
    for key in ("momentum", "betas"):
        if key in theirs.param_groups[0]:
            np.testing.assert_allclose([g[key] for g in ours.param_groups],
                                       [g[key] for g in theirs.param_groups], rtol=1e-12,
                                       err_msg=f"{key} at step {step}")


def run(ours, theirs, mine, reference, steps=STEPS):
    assert mine.last_epoch == reference.last_epoch
    rates = []
    for step in range(steps):
        assert_same_rates(ours, theirs, mine, reference, step)
        rates.append(mine.get_last_lr()[0])
        ours.step()
        theirs.step()
        mine.step()
        reference.step()
        assert mine.last_epoch == reference.last_epoch
    assert_same_rates(ours, theirs, mine, reference, steps)
    return rates


def double(epoch):
    return 0.5 ** epoch + 0.1


SCHEDULES = [
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[3, 7, 7, 20], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("LambdaLR", dict(lr_lambda=double)),
    ("LambdaLR", dict(lr_lambda=[double, lambda e: 1.0 / (e + 1)])),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.95)),
    ("ConstantLR", dict(factor=0.25, total_iters=6)),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.9, total_iters=10)),
    ("LinearLR", dict()),
    ("CosineAnnealingLR", dict(T_max=9, eta_min=0.001)),
]
SCHEDULE_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(SCHEDULES)]


@pytest.mark.parametrize("name, kwargs", SCHEDULES, ids=SCHEDULE_IDS)
def test_schedule_matches_torch(name, kwargs):
    ours, theirs = optimizers(momentum=0.9)
    mine = getattr(sc.optim.lr_scheduler, name)(ours, **kwargs)
    reference = getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
    assert [g["initial_lr"] for g in ours.param_groups] == [0.1, 0.02]
    rates = run(ours, theirs, mine, reference)
    if name != "ConstantLR" or kwargs:
        assert len(set(rates)) > 1   # the schedule did change the rate


ONE_CYCLE = [
    ("SGD", dict(momentum=0.9), dict(max_lr=1.0, total_steps=STEPS)),
    ("SGD", dict(momentum=0.9, nesterov=True),
     dict(max_lr=[0.5, 2.0], epochs=3, steps_per_epoch=10, pct_start=0.25,
          anneal_strategy="linear", base_momentum=[0.8, 0.7], max_momentum=0.99,
          div_factor=10.0, final_div_factor=100.0)),
    ("SGD", dict(momentum=0.9), dict(max_lr=0.3, total_steps=STEPS, three_phase=True)),
    ("SGD", dict(), dict(max_lr=0.3, total_steps=STEPS, cycle_momentum=False)),
    ("Adam", dict(), dict(max_lr=0.01, total_steps=STEPS)),
    ("AdamW", dict(betas=(0.5, 0.9)),
     dict(max_lr=0.01, total_steps=STEPS, three_phase=True, anneal_strategy="linear",
          base_momentum=0.6, max_momentum=0.9)),
]


@pytest.mark.parametrize("optimizer_name, optimizer_kwargs, kwargs", ONE_CYCLE,
                         ids=[f"{o}-{i}" for i, (o, _, _) in enumerate(ONE_CYCLE)])
def test_one_cycle_matches_torch_including_momentum(optimizer_name, optimizer_kwargs, kwargs):
    ours, theirs = optimizers(optimizer_name, **optimizer_kwargs)
    mine = sc.optim.lr_scheduler.OneCycleLR(ours, **kwargs)
    reference = torch.optim.lr_scheduler.OneCycleLR(theirs, **kwargs)
    for key in ("initial_lr", "max_lr", "min_lr"):
        assert [g[key] for g in ours.param_groups] == [g[key] for g in theirs.param_groups]
    run(ours, theirs, mine, reference, steps=STEPS - 1)
    if kwargs.get("cycle_momentum", True):
        key = "betas" if "betas" in ours.defaults else "momentum"
        assert ours.param_groups[0][key] != optimizers(optimizer_name,
                                                       **optimizer_kwargs)[0].param_groups[0][key]
    # One step past total_steps is an error in both.
    ours.step(), theirs.step(), mine.step(), reference.step()
    with pytest.raises(ValueError, match="Tried to step"):
        mine.step()
    with pytest.raises(ValueError, match="Tried to step"):
        reference.step()


def test_one_cycle_really_drives_adam_beta1():
    """Adam's betas[0] is the momentum OneCycleLR cycles, and Adam's steps use it."""
    ours, theirs = optimizers("Adam")
    mine = sc.optim.lr_scheduler.OneCycleLR(ours, max_lr=0.05, total_steps=10)
    reference = torch.optim.lr_scheduler.OneCycleLR(theirs, max_lr=0.05, total_steps=10)
    params = [g["params"][0] for g in ours.param_groups]
    torch_params = [g["params"][0] for g in theirs.param_groups]
    for step in range(9):
        for p, q in zip(params, torch_params):
            g = np.array([1.0, -2.0], np.float32) * (step + 1) + p.numpy()
            p.grad, q.grad = sc.tensor(g), torch.from_numpy(g.copy())
        ours.step(), theirs.step(), mine.step(), reference.step()
        for p, q in zip(params, torch_params):
            np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert ours.param_groups[0]["betas"][0] == pytest.approx(theirs.param_groups[0]["betas"][0])


PLATEAU = [
    dict(),
    dict(patience=2, factor=0.5),
    dict(mode="max", patience=1, threshold=0.05),
    dict(patience=0, threshold_mode="abs", threshold=0.1, cooldown=2),
    dict(mode="max", threshold_mode="abs", patience=1, min_lr=[0.01, 0.005], factor=0.3),
    dict(patience=1, factor=0.5, min_lr=0.019, eps=1e-3),
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(i) for i in range(len(PLATEAU))])
def test_reduce_on_plateau_matches_torch(kwargs):
    ours, theirs = optimizers()
    mine = sc.optim.lr_scheduler.ReduceLROnPlateau(ours, **kwargs)
    reference = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **kwargs)
    assert "initial_lr" not in ours.param_groups[0]     # no step in the constructor
    rng = np.random.default_rng(3)
    metrics = np.concatenate([np.linspace(1.0, 0.5, 5), 0.5 + 0.02 * rng.standard_normal(20),
                              np.linspace(0.5, 0.2, 5), np.full(15, 0.2)])
    rates = []
    for step, metric in enumerate(metrics):
        value = sc.tensor(metric) if step % 2 else float(metric)   # Tensor or number
        mine.step(value)
        reference.step(float(metric))
        assert_same_rates(ours, theirs, mine, reference, step)
        for key in ("best", "num_bad_epochs", "cooldown_counter", "last_epoch"):
            assert getattr(mine, key) == getattr(reference, key), key
        rates.append(ours.param_groups[0]["lr"])
    assert len(set(rates)) > 1


def test_sequential_matches_torch():
    ours, theirs = optimizers(momentum=0.9)

    def build(lib, opt):
        schedulers = lib.optim.lr_scheduler
        return schedulers.SequentialLR(
            opt, [schedulers.LinearLR(opt, start_factor=0.1, total_iters=5),
                  schedulers.CosineAnnealingLR(opt, T_max=10),
                  schedulers.ExponentialLR(opt, gamma=0.8)], milestones=[5, 15])
    run(ours, theirs, build(sc, ours), build(torch, theirs))


@pytest.mark.parametrize("name, kwargs", [
    ("StepLR", dict(step_size=3, gamma=0.5)), ("MultiStepLR", dict(milestones=[2, 5])),
    ("ExponentialLR", dict(gamma=0.7)), ("CosineAnnealingLR", dict(T_max=6)),
    ("LinearLR", dict(total_iters=4)), ("ConstantLR", dict(total_iters=3)),
])
def test_step_with_epoch_uses_the_closed_form_as_torch(name, kwargs):
    ours, theirs = optimizers()
    mine = getattr(sc.optim.lr_scheduler, name)(ours, **kwargs)
    reference = getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (4, 2, 9, 0, 5):
            mine.step(epoch)
            reference.step(epoch)
            assert_same_rates(ours, theirs, mine, reference, epoch)


@pytest.mark.parametrize("name, kwargs", [("ExponentialLR", dict(gamma=0.9)),
                                          ("CosineAnnealingLR", dict(T_max=8)),
                                          ("StepLR", dict(step_size=2))])
def test_constructing_with_last_epoch_matches_torch(name, kwargs):
    ours, theirs = optimizers()
    for opt in (ours, theirs):
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"] * 2
    mine = getattr(sc.optim.lr_scheduler, name)(ours, last_epoch=4, **kwargs)
    reference = getattr(torch.optim.lr_scheduler, name)(theirs, last_epoch=4, **kwargs)
    run(ours, theirs, mine, reference, steps=10)


def _resume_cases():
    schedulers = sc.optim.lr_scheduler
    return {
        "StepLR": lambda opt: schedulers.StepLR(opt, step_size=3, gamma=0.5),
        "MultiStepLR": lambda opt: schedulers.MultiStepLR(opt, [2, 6, 6, 9]),
        "ExponentialLR": lambda opt: schedulers.ExponentialLR(opt, 0.9),
        "LambdaLR": lambda opt: schedulers.LambdaLR(opt, double),
        "MultiplicativeLR": lambda opt: schedulers.MultiplicativeLR(opt, lambda e: 0.9),
        "LinearLR": lambda opt: schedulers.LinearLR(opt, total_iters=8),
        "CosineAnnealingLR": lambda opt: schedulers.CosineAnnealingLR(opt, T_max=5),
        "OneCycleLR": lambda opt: schedulers.OneCycleLR(opt, max_lr=1.0, total_steps=20,
                                                        three_phase=True),
        "SequentialLR": lambda opt: schedulers.SequentialLR(
            opt, [schedulers.ConstantLR(opt, total_iters=2),
                  schedulers.ExponentialLR(opt, 0.8)], milestones=[4]),
        "ReduceLROnPlateau": lambda opt: schedulers.ReduceLROnPlateau(opt, patience=1,
                                                                      factor=0.5),
    }


@pytest.mark.parametrize("name", list(_resume_cases()))
def test_state_dict_through_save_and_load_continues_the_schedule(name, tmp_path):
    make = _resume_cases()[name]
    metrics = [1.0, 0.9, 0.95, 0.97, 0.96, 0.99, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99, 1.0, 1.1]

    def advance(opt, scheduler, steps, offset):
        rates = []
        for i in range(steps):
            opt.step()
            if name == "ReduceLROnPlateau":
                scheduler.step(metrics[offset + i])
            else:
                scheduler.step()
            rates.append((scheduler.get_last_lr(), [dict(g) for g in opt.param_groups]))
        return rates

    opt, _ = optimizers(momentum=0.9)
    scheduler = make(opt)
    advance(opt, scheduler, 6, 0)
    path = tmp_path / "checkpoint.npz"
    sc.save({"optimizer": opt.state_dict(), "scheduler": scheduler.state_dict()}, path)
    expected = advance(opt, scheduler, 8, 6)

    fresh, _ = optimizers(momentum=0.1)
    fresh.param_groups[0]["lr"] = 0.5        # the loaded states must override these
    resumed = make(fresh)                       # scheduler first, then the states (torch's order)
    saved = sc.load(path)
    fresh.load_state_dict(saved["optimizer"])
    resumed.load_state_dict(saved["scheduler"])
    got = advance(fresh, resumed, 8, 6)
    for (lr_a, groups_a), (lr_b, groups_b) in zip(got, expected):
        assert lr_a == lr_b
        for a, b in zip(groups_a, groups_b):
            assert {k: v for k, v in a.items() if k != "params"} == \
                   {k: v for k, v in b.items() if k != "params"}
    assert len({str(lr) for lr, _ in expected}) > 1 or name == "ReduceLROnPlateau"


def test_lambda_state_dict_saves_callable_objects_not_functions():
    class Warmup:
        def __init__(self):
            self.factor = 0.5

        def __call__(self, epoch):
            return self.factor * (epoch + 1)

    ours, theirs = optimizers()
    warmup = Warmup()
    mine = sc.optim.lr_scheduler.LambdaLR(ours, [warmup, double])
    reference = torch.optim.lr_scheduler.LambdaLR(theirs, [Warmup(), double])
    assert mine.state_dict()["lr_lambdas"] == reference.state_dict()["lr_lambdas"] == \
        [{"factor": 0.5}, None]
    state = mine.state_dict()
    state["lr_lambdas"][0]["factor"] = 0.25
    mine.load_state_dict(state)
    assert warmup.factor == 0.25


# ----------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("make", [
    lambda opt: sc.optim.lr_scheduler.MultiStepLR(opt, milestones=[1.5]),
    lambda opt: sc.optim.lr_scheduler.ConstantLR(opt, factor=1.5),
    lambda opt: sc.optim.lr_scheduler.LinearLR(opt, start_factor=0.0),
    lambda opt: sc.optim.lr_scheduler.LinearLR(opt, end_factor=math.nan),
    lambda opt: sc.optim.lr_scheduler.LambdaLR(opt, [double]),
    lambda opt: sc.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0),
    lambda opt: sc.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=0),
    lambda opt: sc.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=9, pct_start=2.0),
    lambda opt: sc.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=9,
                                                 anneal_strategy="cosine"),
    lambda opt: sc.optim.lr_scheduler.OneCycleLR(opt, max_lr=[1.0], total_steps=9),
    lambda opt: sc.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.0),
    lambda opt: sc.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="lowest"),
    lambda opt: sc.optim.lr_scheduler.ReduceLROnPlateau(opt, threshold_mode="relative"),
    lambda opt: sc.optim.lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1]),
    lambda opt: sc.optim.lr_scheduler.SequentialLR(opt, [], milestones=[]),
    lambda opt: sc.optim.lr_scheduler.SequentialLR(
        opt, [sc.optim.lr_scheduler.ExponentialLR(opt, 0.9)], milestones=[3]),
], ids=["milestone-float", "constant-factor", "linear-start", "linear-end-nan",
        "lambda-count", "onecycle-no-steps", "onecycle-zero", "onecycle-pct",
        "onecycle-anneal", "onecycle-max_lr-count", "plateau-factor", "plateau-mode",
        "plateau-threshold-mode", "plateau-min_lr-count", "sequential-empty",
        "sequential-milestones"])
def test_bad_arguments_raise_argument_error(make):
    ours, _ = optimizers()
    with pytest.raises(ArgumentError):
        make(ours)


def test_one_cycle_needs_momentum_or_betas():
    ours, _ = optimizers("Adagrad")
    with pytest.raises(ArgumentError, match="momentum or beta1"):
        sc.optim.lr_scheduler.OneCycleLR(ours, max_lr=1.0, total_steps=5)
    sc.optim.lr_scheduler.OneCycleLR(ours, max_lr=1.0, total_steps=5, cycle_momentum=False)


def test_scheduler_needs_an_optimizer_and_plateau_a_number():
    with pytest.raises(TypeError):
        sc.optim.lr_scheduler.StepLR(object(), step_size=2)
    ours, _ = optimizers()
    with pytest.raises(ArgumentError, match="metric"):
        sc.optim.lr_scheduler.ReduceLROnPlateau(ours).step("low")
