"""Train a small CNN on scikit-learn's bundled 8x8 digits, with scratchcnn alone.

Run:  python examples/train_digits.py [--epochs 20] [--seed 0]

Everything below is plain PyTorch-style code: only the import differs. It prints the
training loss and accuracy per epoch and ends with the test accuracy on the 360
held-out images (a stratified 80/20 split with a fixed seed).
"""

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import scratchcnn as sc
from scratchcnn import models, nn


def load_split(seed=0):
    """(N, 1, 8, 8) float32 images scaled to [0, 1], int64 labels; 1,437 train / 360 test."""
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    labels = digits.target.astype(np.int64)
    return train_test_split(images, labels, test_size=0.2, stratify=labels, random_state=seed)


def accuracy(model, images, labels):
    model.eval()
    with sc.no_grad():
        predictions = model(sc.tensor(images)).argmax(dim=1).numpy()
    model.train()
    return float((predictions == labels).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.003)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    sc.manual_seed(args.seed)
    x_train, x_test, y_train, y_test = load_split(args.seed)
    print(f"digits: {len(x_train)} train / {len(x_test)} test images of 8x8")
    model = models.digits_cnn()   # conv-relu-pool x2, then FC 128-64-10
    optimizer = sc.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    shuffle = np.random.default_rng(args.seed)

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        order = shuffle.permutation(len(x_train))
        total_loss = 0.0
        for first in range(0, len(order), args.batch_size):
            batch = order[first:first + args.batch_size]
            loss = loss_fn(model(sc.tensor(x_train[batch])), sc.tensor(y_train[batch]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(batch)
        print(f"epoch {epoch:2d}  loss {total_loss / len(order):.4f}  "
              f"train accuracy {accuracy(model, x_train, y_train):.2%}")
    print(f"trained in {time.perf_counter() - start:.1f} s")
    print(f"test accuracy: {accuracy(model, x_test, y_test):.2%}")


if __name__ == "__main__":
    main()
