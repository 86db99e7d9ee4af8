"""'Saving and loading a general checkpoint': a dict with the epoch, the model's and the
optimizer's state dicts and the loss, saved, loaded into fresh objects, training resumed
and frozen layers (requires_grad = False) left alone by the optimizer."""
import copy
import os

import torch
import torch.nn as nn
import torch.optim as optim

import compat_io


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = torch.relu(self.fc1(x))
        return self.fc2(x)


net = Net()
compat_io.sync(net, torch)
for param in net.conv1.parameters():
    param.requires_grad = False
optimizer = optim.SGD(filter(lambda p: p.requires_grad, net.parameters()), lr=0.01,
                      momentum=0.9)
criterion = nn.CrossEntropyLoss()
inputs = torch.from_numpy(compat_io.data(0, 8, 3, 32, 32))
labels = torch.from_numpy(compat_io.data(1, 8, kind="int"))
frozen = copy.deepcopy(net.conv1.weight.detach())
losses = []
for epoch in range(3):
    optimizer.zero_grad()
    loss = criterion(net(inputs), labels)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
PATH = "model.pt"
torch.save({
    'epoch': epoch,
    'model_state_dict': net.state_dict(),
    'optimizer_state_dict': optimizer.state_dict(),
    'loss': loss,
}, PATH)

model = Net()
for param in model.conv1.parameters():
    param.requires_grad = False
optimizer = optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.01,
                      momentum=0.9)
checkpoint = torch.load(PATH, weights_only=True)
model.load_state_dict(checkpoint['model_state_dict'])
optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
epoch = checkpoint['epoch']
loss = checkpoint['loss']
model.train()
for step in range(2):
    optimizer.zero_grad()
    loss = criterion(model(inputs), labels)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
os.remove(PATH)
compat_io.record("losses", losses)
compat_io.record("epoch", epoch)
compat_io.record("conv1_unchanged", bool(torch.equal(model.conv1.weight, frozen)))
compat_io.record("fc2", model.fc2.weight)
compat_io.record("conv1_grad_is_none", model.conv1.weight.grad is None)
