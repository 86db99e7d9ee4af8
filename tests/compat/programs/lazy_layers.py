# compat: float64 (every number this program records is computed in float64)
"""Lazy layers infer their input size at the first call; the optimizer is built
before that call and must still update them."""
import torch
import torch.nn as nn
import torch.nn.functional as F

import compat_io


class LazyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.LazyConv2d(6, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.LazyLinear(24)
        self.fc2 = nn.LazyLinear(3)

    def forward(self, x):
        x = self.pool(F.relu(self.conv(x)))
        x = x.view(x.size(0), -1)
        return self.fc2(F.relu(self.fc1(x)))


model = LazyNet()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
x = torch.from_numpy(compat_io.data(0, 5, 2, 8, 8, dtype="float64"))
y = torch.from_numpy(compat_io.data(1, 5, kind="int", high=3))
model = model.double()
model(x)        # the first call fixes the shapes
print(model)
print([tuple(p.shape) for p in model.parameters()])
compat_io.sync(model, torch)
losses = []
for step in range(4):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
compat_io.record("losses", losses)
compat_io.record("conv_weight", model.conv.weight)
compat_io.record("shapes", [p.numel() for p in model.parameters()])
