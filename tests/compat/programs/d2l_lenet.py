"""A textbook's LeNet chapter: nn.Sequential with Sigmoid and AvgPool2d, Xavier init
through net.apply, accuracy written with argmax(axis=1) and .type(y.dtype)."""
import torch
from torch import nn

import compat_io

net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
    nn.Linear(120, 84), nn.Sigmoid(),
    nn.Linear(84, 10))

X = torch.rand(size=(1, 1, 28, 28), dtype=torch.float32)
for layer in net:
    X = layer(X)
    print(layer.__class__.__name__, 'output shape: \t', X.shape)


def init_weights(m):
    if type(m) == nn.Linear or type(m) == nn.Conv2d:
        nn.init.xavier_uniform_(m.weight)


net.apply(init_weights)
compat_io.sync(net, torch)


def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


X = torch.from_numpy(compat_io.data(0, 16, 1, 28, 28, kind="uniform"))
y = torch.from_numpy(compat_io.data(1, 16, kind="int"))
optimizer = torch.optim.SGD(net.parameters(), lr=0.9)
loss = nn.CrossEntropyLoss()
losses, accs = [], []
for epoch in range(3):
    net.train()
    optimizer.zero_grad()
    y_hat = net(X)
    l = loss(y_hat, y)
    l.backward()
    optimizer.step()
    with torch.no_grad():
        losses.append(l * X.shape[0])
        accs.append(accuracy(y_hat, y))
compat_io.record("losses", torch.stack(losses))
compat_io.record("accuracies", accs)
