"""Learning-rate schedules follow torch.optim.lr_scheduler's sequence exactly."""

import numpy as np
import pytest
import torch

import scratchcnn as sc


def _pair(lr=0.1):
    ours = sc.optim.SGD([sc.zeros(2, requires_grad=True)], lr=lr)
    theirs = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=lr)
    return ours, theirs


@pytest.mark.parametrize("name, kwargs", [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("StepLR", dict(step_size=1)),
    ("CosineAnnealingLR", dict(T_max=7)),
    ("CosineAnnealingLR", dict(T_max=4, eta_min=0.01)),
])
def test_schedule_matches_torch(name, kwargs):
    ours, theirs = _pair()
    mine = getattr(sc.optim.lr_scheduler, name)(ours, **kwargs)
    reference = getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
    for _ in range(20):   # past T_max: the cosine restarts upwards, as in PyTorch
        np.testing.assert_allclose(mine.get_last_lr(), reference.get_last_lr(), rtol=1e-12)
        assert ours.param_groups[0]["lr"] == pytest.approx(theirs.param_groups[0]["lr"],
                                                           rel=1e-12)
        ours.step(); theirs.step()
        mine.step(); reference.step()


def test_state_dict_resumes_the_schedule():
    ours, _ = _pair()
    scheduler = sc.optim.lr_scheduler.CosineAnnealingLR(ours, T_max=10)
    for _ in range(4):
        scheduler.step()
    saved, saved_lr = scheduler.state_dict(), ours.param_groups[0]["lr"]
    expected = [scheduler.step() or scheduler.get_last_lr()[0] for _ in range(3)]

    fresh, _ = _pair()
    resumed = sc.optim.lr_scheduler.CosineAnnealingLR(fresh, T_max=10)
    resumed.load_state_dict(saved)
    fresh.param_groups[0]["lr"] = saved_lr
    assert [resumed.step() or resumed.get_last_lr()[0] for _ in range(3)] == expected
    assert "optimizer" not in saved


@pytest.mark.parametrize("make", [
    lambda opt: sc.optim.lr_scheduler.StepLR(opt, step_size=0),
    lambda opt: sc.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=0),
    lambda opt: sc.optim.lr_scheduler.StepLR(opt, step_size=2, last_epoch=5),
])
def test_bad_arguments_raise(make):
    ours, _ = _pair()
    with pytest.raises(ValueError):
        make(ours)
