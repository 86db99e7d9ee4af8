# compat: float64 (every number this program records is computed in float64)
"""Every optimizer a few steps on the same small network, with parameter groups."""
import torch
import torch.nn as nn
import torch.optim as optim

import compat_io

x = torch.from_numpy(compat_io.data(0, 12, 5, dtype="float64"))
y = torch.from_numpy(compat_io.data(1, 12, kind="int", high=3))

makers = {
    "sgd_nesterov": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "adam": lambda p: optim.Adam(p, lr=1e-2, betas=(0.8, 0.99), weight_decay=1e-3),
    "adam_amsgrad": lambda p: optim.Adam(p, lr=1e-2, amsgrad=True),
    "adamw": lambda p: optim.AdamW(p, lr=1e-2),
    "rmsprop": lambda p: optim.RMSprop(p, lr=1e-2, momentum=0.5, centered=True),
    "adagrad": lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=1e-3),
    "adadelta": lambda p: optim.Adadelta(p, lr=1.0, rho=0.95),
}
for name, make in makers.items():
    model = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3)).double()
    compat_io.sync(model, torch, name)
    optimizer = make([{"params": model[0].parameters()},
                      {"params": model[2].parameters(), "lr": 0.05}])
    losses = []
    for step in range(5):
        def closure():
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            return loss
        loss = optimizer.step(closure)
        losses.append(loss.item())
    compat_io.record(name, losses)
    compat_io.record(name + "_weight", model[2].weight)
