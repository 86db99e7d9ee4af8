# compat: float64 (every number this program records is computed in float64)
"""Regression and binary losses with every reduction, and the deprecated
size_average/reduce arguments, training a small network a few steps each."""
import warnings

import torch
import torch.nn as nn

import compat_io

torch.manual_seed(0)
x = torch.from_numpy(compat_io.data(0, 16, 4, dtype="float64"))
target = torch.from_numpy(compat_io.data(1, 16, 1, dtype="float64"))
labels = torch.from_numpy(compat_io.data(2, 16, 1, kind="uniform", dtype="float64")).round()

criteria = {
    "mse": nn.MSELoss(),
    "mse_sum": nn.MSELoss(reduction="sum"),
    "l1": nn.L1Loss(),
    "smooth_l1": nn.SmoothL1Loss(beta=0.5),
    "huber": nn.HuberLoss(delta=0.7),
    "bce_with_logits": nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0], dtype=torch.float64)),
}
for name, criterion in criteria.items():
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    compat_io.sync(model, torch, name)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for step in range(3):
        optimizer.zero_grad()
        wanted = labels if "bce" in name else target
        loss = criterion(model(x), wanted)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    compat_io.record(name, losses)

probabilities = torch.sigmoid(x[:, :1])
compat_io.record("bce", nn.BCELoss()(probabilities, labels))
compat_io.record("bce_none", nn.BCELoss(reduction="none")(probabilities, labels))
compat_io.record("bce_weighted", nn.BCELoss(weight=labels + 1)(probabilities, labels))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    compat_io.record("legacy_sum", nn.MSELoss(size_average=False)(x[:, 0], target[:, 0]))
    compat_io.record("legacy_none", nn.L1Loss(reduce=False)(x[:, 0], target[:, 0]))
compat_io.record("f_mse", torch.nn.functional.mse_loss(x[:, 0], target[:, 0]))
compat_io.record("f_smooth", torch.nn.functional.smooth_l1_loss(x[:, 0], target[:, 0],
                                                                 reduction="none"))
