# compat: float64 (every number this program records is computed in float64)
"""Autograd by hand, as in the 'learning PyTorch with examples' tutorial: raw
tensors with requires_grad, grad_fn introspection, updates under no_grad, .grad.zero_(),
detach, and a functional loss."""
import math

import torch

import compat_io

dtype = torch.float64
device = torch.device("cpu")
x = torch.linspace(-math.pi, math.pi, 200, device=device, dtype=dtype)
y = torch.sin(x)
a = torch.tensor(compat_io.data(0, 4, dtype="float64"), device=device, requires_grad=True)
b, c, d = (torch.tensor(v, dtype=dtype, requires_grad=True) for v in (0.1, -0.2, 0.05))
learning_rate = 1e-6
losses = []
for t in range(50):
    y_pred = a[0] + b * x + c * x ** 2 + d * x ** 3 + a[1:].sum() * 0
    loss = (y_pred - y).pow(2).sum()
    if t == 0:
        print(loss.grad_fn, loss.grad_fn.name(), loss.grad_fn.next_functions[0][0].name())
    if t % 10 == 9:
        print(t, loss.item())
    losses.append(loss.item())
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad.zero_()
        b.grad = None
        c.grad.zero_()
        d.grad = None
compat_io.record("losses", losses)
compat_io.record("coefficients", torch.stack([a[0].detach(), b.detach(), c.detach(), d.detach()]))

w = torch.randn(3, 2, dtype=dtype, requires_grad=True)
with torch.no_grad():
    w.copy_(torch.from_numpy(compat_io.data(1, 3, 2, dtype="float64")))
inputs = torch.from_numpy(compat_io.data(2, 5, 3, dtype="float64"))
target = torch.tensor([0, 1, 1, 0, 1])
logits = inputs @ w
loss = torch.nn.functional.cross_entropy(logits, target)
loss.backward()
compat_io.record("ce_loss", loss.detach())
compat_io.record("ce_grad", w.grad)
compat_io.record("requires_grad", [logits.requires_grad, logits.detach().requires_grad,
                                   w.is_leaf, logits.is_leaf])
