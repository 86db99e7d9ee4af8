# compat: float64 (every number this program records is computed in float64)
"""MobileNet-style blocks: depthwise and grouped convolutions, ReLU6, Hardswish, SiLU,
GELU, a squeeze-and-excitation gate, LayerNorm on the pooled features, AdamW."""
import torch
import torch.nn as nn
import torch.nn.functional as F

import compat_io


class SqueezeExcite(nn.Module):
    def __init__(self, channels, reduced):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, reduced, 1)
        self.fc2 = nn.Conv2d(reduced, channels, 1)

    def forward(self, x):
        scale = F.adaptive_avg_pool2d(x, 1)
        scale = F.silu(self.fc1(scale))
        return x * F.hardsigmoid(self.fc2(scale))


class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, expand_ratio):
        super().__init__()
        hidden = inp * expand_ratio
        self.use_res_connect = stride == 1 and inp == oup
        self.conv = nn.Sequential(
            nn.Conv2d(inp, hidden, 1, 1, 0, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.Hardswish(),
            SqueezeExcite(hidden, 4),
            nn.Conv2d(hidden, oup, 1, 1, 0, bias=False),
            nn.BatchNorm2d(oup),
        )

    def forward(self, x):
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


class TinyMobileNet(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, 2, 1, bias=False)
        self.grouped = nn.Conv2d(8, 8, 3, 1, 1, groups=2)
        self.blocks = nn.Sequential(InvertedResidual(8, 8, 1, 2), InvertedResidual(8, 12, 2, 2))
        self.norm = nn.LayerNorm(12)
        self.head = nn.Sequential(nn.Linear(12, 16), nn.GELU(), nn.Linear(16, num_classes))

    def forward(self, x):
        x = F.relu6(self.stem(x))
        x = F.gelu(self.grouped(x), approximate="tanh")
        x = self.blocks(x)
        x = x.mean([2, 3])
        return self.head(self.norm(x))


model = TinyMobileNet().double()
compat_io.sync(model, torch)
x = torch.from_numpy(compat_io.data(0, 4, 3, 16, 16, dtype="float64"))
y = torch.from_numpy(compat_io.data(1, 4, kind="int", high=5))
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.05)
losses = []
for step in range(4):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
compat_io.record("losses", losses)
compat_io.record("depthwise_grad", model.blocks[0].conv[3].weight.grad)
compat_io.record("grouped_weight", model.grouped.weight)
