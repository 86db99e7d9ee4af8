# compat: float64 (every number this program records is computed in float64)
"""A small convolutional autoencoder: ConvTranspose2d with output_padding, GroupNorm,
F.pad, F.interpolate and nn.Upsample, ELU and Softplus, a sigmoid output with BCE."""
import torch
import torch.nn as nn
import torch.nn.functional as F

import compat_io


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.GroupNorm(2, 8), nn.ELU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.Softplus(),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1), nn.SiLU(),
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(8, 1, 3, padding=1),
        )

    def forward(self, x):
        z = self.encoder(x)
        out = self.decoder(z)
        out = F.interpolate(out, size=(12, 12), mode="bilinear", align_corners=False)
        out = F.pad(out, (2, 2, 2, 2), mode="replicate")
        return torch.sigmoid(out)


model = AutoEncoder().double()
compat_io.sync(model, torch)
x = torch.from_numpy(compat_io.data(0, 3, 1, 16, 16, kind="uniform", dtype="float64"))
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
criterion = nn.BCELoss()
losses = []
for step in range(4):
    optimizer.zero_grad()
    reconstruction = model(x)
    loss = criterion(reconstruction, x)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
compat_io.record("losses", losses)
compat_io.record("reconstruction", reconstruction.detach())
compat_io.record("transpose_grad", model.decoder[0].weight.grad)
