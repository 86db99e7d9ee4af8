"""Train the same network on Fashion-MNIST with scratchcnn and with PyTorch, side by side.

Both runs start from identical weights (the scratchcnn model is built with the seed and
copied into PyTorch with ``interop.to_torch``), see the same images in the same order
(scratchcnn's DataLoader feeds both), and use the same optimizer and hyper-parameters.
Each library trains in its own process, so their thread pools cannot disturb each
other. The report gives test accuracy and seconds per epoch for both.

    python benchmarks/fashion_vs_torch.py --model lenet5 --epochs 10
    python benchmarks/fashion_vs_torch.py --model mnist_cnn --epochs 3 --limit 20000
"""

import argparse
import json
import os
import subprocess
import sys
import time


def _data(limit, seed):
    import numpy as np

    from scratchcnn.data import load_dataset
    from scratchcnn.workflow import channel_stats, normalize

    train = load_dataset("fashion-mnist", split="train")
    test = load_dataset("fashion-mnist", split="test")
    images, labels = train.images, train.labels
    if limit:
        keep = np.sort(np.random.default_rng(seed).permutation(len(labels))[:limit])
        images, labels = images[keep], labels[keep]
    mean, std = channel_stats(images)
    preprocessing = {"mean": mean, "std": std}
    return (normalize(images, preprocessing), labels,
            normalize(test.images, preprocessing), test.labels)


def run_child(library, args):
    """Train in this process; print one JSON line with the results."""
    import numpy as np

    import scratchcnn as sc
    from scratchcnn import interop, models
    from scratchcnn.data import DataLoader, TensorDataset

    x_train, y_train, x_test, y_test = _data(args.limit, args.seed)
    sc.manual_seed(args.seed)
    model = models.get(args.model)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size,
                        shuffle=True, seed=args.seed)
    epochs = []
    if library == "torch":
        import torch
        torch.set_num_threads(args.threads)
        net = interop.to_torch(model).train()
        optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
        loss_fn = torch.nn.CrossEntropyLoss()
        for _ in range(args.epochs):
            start = time.perf_counter()
            for images, labels in loader:
                loss = loss_fn(net(torch.from_numpy(images.numpy())),
                               torch.from_numpy(labels.numpy()))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            epochs.append(time.perf_counter() - start)
        net.eval()
        with torch.no_grad():
            logits = torch.cat([net(torch.from_numpy(x_test[i:i + 1000]))
                                for i in range(0, len(x_test), 1000)])
        predicted = logits.argmax(1).numpy()
    else:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)
        optimizer = sc.optim.Adam(model.parameters(), lr=args.lr)
        loss_fn = sc.nn.CrossEntropyLoss()
        for _ in range(args.epochs):
            start = time.perf_counter()
            for images, labels in loader:
                loss = loss_fn(model(images), labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            epochs.append(time.perf_counter() - start)
        model.eval()
        with sc.no_grad():
            predicted = np.concatenate([model(sc.tensor(x_test[i:i + 1000])).numpy().argmax(1)
                                        for i in range(0, len(x_test), 1000)])
    print(json.dumps({"library": library, "epoch_seconds": epochs,
                      "test_accuracy": float((predicted == y_test).mean()),
                      "train_images": int(len(y_train))}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="lenet5", choices=("lenet5", "mnist_cnn"))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--limit", type=int, help="train on a random subset of N images")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", metavar="PATH", help="also write the results here")
    parser.add_argument("--child", choices=("scratchcnn", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return run_child(args.child, args)

    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
               OPENBLAS_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    results = {}
    for library in ("scratchcnn", "torch"):
        print(f"training {args.model} with {library} ...", file=sys.stderr, flush=True)
        child = subprocess.run([sys.executable, __file__, "--child", library] + sys.argv[1:],
                               capture_output=True, text=True, env=env, check=True)
        results[library] = json.loads(child.stdout.strip().splitlines()[-1])
    n = results["scratchcnn"]["train_images"]
    print(f"{args.model} on Fashion-MNIST: {n} training images, {args.epochs} epochs, batch "
          f"{args.batch_size}, Adam lr {args.lr}, {args.threads} thread(s), seed {args.seed}")
    print(f"{'library':<11} {'test accuracy':>13} {'s/epoch (median)':>17}")
    for library, result in results.items():
        times = sorted(result["epoch_seconds"])
        print(f"{library:<11} {100 * result['test_accuracy']:>12.2f}% "
              f"{times[len(times) // 2]:>17.1f}")
    ratio = (sorted(results["scratchcnn"]["epoch_seconds"])[args.epochs // 2]
             / sorted(results["torch"]["epoch_seconds"])[args.epochs // 2])
    print(f"scratchcnn / torch time per epoch: {ratio:.2f}x")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"args": vars(args), "results": results}, handle, indent=2)


if __name__ == "__main__":
    main()
