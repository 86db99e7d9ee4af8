# compat: float64 (every number this program records is computed in float64)
"""A script that picks its device the way tutorials do, creates tensors on it, and
moves a model and its batches there with .to(device) and .to(device, dtype)."""
import torch
from torch import nn

import compat_io

if torch.cuda.is_available():
    device = torch.device("cuda")
elif torch.backends.mps.is_available():
    device = torch.device("mps")
else:
    device = torch.device("cpu")
accelerator = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else None
device = accelerator if accelerator is not None else device
print(f"Using {device} device")
torch.backends.cudnn.benchmark = True
torch.backends.cudnn.deterministic = True
print("cuda devices:", torch.cuda.device_count())


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(6 * 6, 32),
            nn.ReLU(),
            nn.Linear(32, 32),
            nn.ReLU(),
            nn.Linear(32, 5),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork().to(device)
model = model.to(device, torch.float64)
compat_io.sync(model, torch)
print(model)

X = torch.from_numpy(compat_io.data(0, 8, 6, 6)).to(device, torch.float64)
y = torch.from_numpy(compat_io.data(1, 8, kind="int", high=5)).to(device)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-1)
losses = []
for step in range(5):
    pred = model(X)
    loss = loss_fn(pred, y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    losses.append(loss.item())
    print(f"loss: {loss.item():>7f}  [{step:>5d}]")

with torch.no_grad():
    logits = model(torch.rand(1, 6, 6, device=device, dtype=torch.float64) * 0 + X[:1])
    pred_probab = nn.Softmax(dim=1)(logits)
    y_pred = pred_probab.argmax(1)
print(f"Predicted class: {y_pred}, on {X.device}, {X.device.type}")
zeros = torch.zeros(3, device=device)
compat_io.record("losses", losses)
compat_io.record("probabilities", pred_probab)
compat_io.record("prediction", y_pred)
compat_io.record("device_type", X.device.type == "cpu")
compat_io.record("zeros", zeros)
