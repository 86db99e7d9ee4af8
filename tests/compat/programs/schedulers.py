# compat: float64 (every number this program records is computed in float64)
"""Learning-rate schedules stepped per batch and per epoch, as tutorials use them."""
import torch
import torch.nn as nn
from torch.optim import lr_scheduler

import compat_io

x = torch.from_numpy(compat_io.data(0, 10, 3, dtype="float64"))
t = torch.from_numpy(compat_io.data(1, 10, 1, dtype="float64"))


def run(name, make_scheduler, steps=12, plateau=False):
    model = nn.Linear(3, 1).double()
    compat_io.sync(model, torch, name)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = make_scheduler(optimizer)
    lrs, losses = [], []
    for step in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), t)
        loss.backward()
        optimizer.step()
        if plateau:
            scheduler.step(1.0 if step < 3 else 2.0)   # stops improving after step 3
        else:
            scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
        losses.append(loss.item())
    compat_io.record(name + "_lrs", lrs)
    compat_io.record(name + "_losses", losses)
    compat_io.record(name + "_momentum", optimizer.param_groups[0]["momentum"])


run("multistep", lambda o: lr_scheduler.MultiStepLR(o, milestones=[3, 7], gamma=0.5))
run("exponential", lambda o: lr_scheduler.ExponentialLR(o, gamma=0.8))
run("lambda", lambda o: lr_scheduler.LambdaLR(o, lr_lambda=lambda epoch: 0.95 ** epoch))
run("onecycle", lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=12))
run("step", lambda o: lr_scheduler.StepLR(o, step_size=4, gamma=0.3))
run("cosine", lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=6))
run("plateau", lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=2),
    plateau=True)
