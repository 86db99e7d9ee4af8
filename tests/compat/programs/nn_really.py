# compat: float64 (every number this program records is computed in float64)
"""The shape of 'What is torch.nn really?': a model from raw tensors first (manual
log_softmax, indexing with range(), updates under no_grad), then refactored step by step
into nn.Module, nn.Parameter, nn.Linear, optim, TensorDataset/DataLoader, a CNN with a
Lambda layer and AdaptiveAvgPool2d, and a fit() with loss_batch."""
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

import compat_io

torch.set_default_dtype(torch.float64)
x_train = torch.from_numpy(compat_io.data(0, 64, 64, kind="uniform", dtype="float64"))
y_train = torch.from_numpy(compat_io.data(1, 64, kind="int"))
x_valid = torch.from_numpy(compat_io.data(2, 32, 64, kind="uniform", dtype="float64"))
y_valid = torch.from_numpy(compat_io.data(3, 32, kind="int"))
n, c = x_train.shape
weights = torch.from_numpy(compat_io.data(4, 64, 10, dtype="float64")) / math.sqrt(64)
weights.requires_grad_()
bias = torch.zeros(10, requires_grad=True)


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def model(xb):
    return log_softmax(xb @ weights + bias)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


loss_func = nll
bs, lr, epochs = 16, 0.5, 2
raw_losses = []
for epoch in range(epochs):
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        end_i = start_i + bs
        xb = x_train[start_i:end_i]
        yb = y_train[start_i:end_i]
        pred = model(xb)
        loss = loss_func(pred, yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
        raw_losses.append(loss.item())
compat_io.record("raw_losses", raw_losses)
compat_io.record("raw_accuracy", accuracy(model(x_valid), y_valid))


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(64, 10) / math.sqrt(64))
        self.bias = nn.Parameter(torch.zeros(10))

    def forward(self, xb):
        return xb @ self.weights + self.bias


class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


def preprocess(x):
    return x.view(-1, 1, 8, 8)


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    history = []
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)
        model.eval()
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
        history.append(val_loss)
    return history


train_ds = TensorDataset(x_train, y_train)
valid_ds = TensorDataset(x_valid, y_valid)
train_dl = DataLoader(train_ds, batch_size=bs)
valid_dl = DataLoader(valid_ds, batch_size=bs * 2)
for name, make in [
    ("logistic", lambda: Mnist_Logistic()),
    ("linear", lambda: nn.Linear(64, 10)),
    ("cnn", lambda: nn.Sequential(
        Lambda(preprocess),
        nn.Conv2d(1, 8, kernel_size=3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(8, 10, kernel_size=3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        Lambda(lambda x: x.view(x.size(0), -1)))),
]:
    net = make()
    compat_io.sync(net, torch, name)
    opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    compat_io.record(name, fit(2, net, F.cross_entropy, opt, train_dl, valid_dl))
