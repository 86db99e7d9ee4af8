# compat: float64 (every number this program records is computed in float64)
"""A Dataset subclass and TensorDataset read through DataLoader with worker processes,
random_split with a seeded generator, and a training loop over the batches."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset, TensorDataset, random_split

import compat_io


class SquaresDataset(Dataset):
    def __init__(self, n):
        self.x = compat_io.data(0, n, 3, dtype="float64")

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        x = torch.from_numpy(self.x[idx])
        return x, (x ** 2).sum()


def main():
    dataset = SquaresDataset(40)
    loader = DataLoader(dataset, batch_size=8, shuffle=False, num_workers=2)
    model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 1)).double()
    compat_io.sync(model, torch)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for epoch in range(2):
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(inputs).squeeze(1), targets)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    compat_io.record("losses", losses)

    tensors = TensorDataset(torch.arange(10.0), torch.arange(10))
    first = tensors[3]
    compat_io.record("item_is_tensor", [torch.is_tensor(v) for v in first])
    train_set, val_set = random_split(tensors, [7, 3], generator=torch.Generator().manual_seed(0))
    compat_io.record("split_sizes", [len(train_set), len(val_set)])
    batches = [b[1] for b in DataLoader(tensors, batch_size=4, drop_last=True, num_workers=1)]
    compat_io.record("batches", torch.cat(batches))
    compat_io.record("num_batches", len(DataLoader(tensors, batch_size=4)))


main()   # no __main__ guard: workers must not need one
