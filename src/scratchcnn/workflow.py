"""What the ``train``, ``evaluate`` and ``predict`` commands do, as plain functions.

A checkpoint written here is self-describing: it names the zoo model and its
arguments, the class names, the preprocessing (per-channel mean and std) and the
input size, so :func:`load_model` rebuilds a ready-to-use model from the file alone.
"""

import datetime
import os

import numpy as np

from . import models, optim, random
from .errors import ArgumentError
from .serialization import load
from .train import evaluate, fit

# Defaults per data set: the model that suits its images and hyper-parameters that
# reach the README's accuracies.
DATA_DEFAULTS = {
    "digits": dict(model="digits_cnn", epochs=20, batch_size=32, lr=3e-3),
    "mnist": dict(model="mnist_cnn", epochs=5, batch_size=64, lr=1e-3),
    "fashion-mnist": dict(model="mnist_cnn", epochs=10, batch_size=64, lr=1e-3),
    "cifar10": dict(model="tiny_vgg", epochs=20, batch_size=64, lr=1e-3),
    "image-folder": dict(model="tiny_vgg", epochs=20, batch_size=32, lr=1e-3),
    "tiny-imagenet": dict(model="alexnet_tiny_imagenet", epochs=30, batch_size=32, lr=1e-3),
}


# Data sets whose files hold 8-bit pixels: they stay uint8 in memory (a quarter of the
# float32 size; Tiny ImageNet at 227x227 would need 62 GB as float32) and are converted
# batch by batch in the loader.
UINT8_DATA = ("mnist", "fashion-mnist", "cifar10", "image-folder", "tiny-imagenet")


def channel_stats(images, chunk=4096):
    """Per-channel mean and std of (N, C, H, W) images (uint8 scaled to [0, 1]), as lists
    (JSON-ready); computed in chunks so no float copy of the whole set is made."""
    scale = 1 / 255 if images.dtype == np.uint8 else 1.0
    total = np.zeros(images.shape[1])
    squares = np.zeros(images.shape[1])
    for start in range(0, len(images), chunk):
        part = images[start:start + chunk].astype(np.float64) * scale
        total += part.sum(axis=(0, 2, 3))
        squares += (part * part).sum(axis=(0, 2, 3))
    count = len(images) * images.shape[2] * images.shape[3]
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - mean * mean, 0))
    return [float(m) for m in mean], [float(max(s, 1e-8)) for s in std]


def preprocess(preprocessing):
    """The batch transform every split goes through: to float in [0, 1], then normalise."""
    from .data import transforms as T

    return T.Compose([T.ToFloat(), T.Normalize(preprocessing["mean"], preprocessing["std"])])


def normalize(images, preprocessing):
    """:func:`preprocess` applied to one array of images."""
    return preprocess(preprocessing)(images)


def _load(data, data_dir, split):
    from .data import load_dataset

    dtype = "uint8" if data in UINT8_DATA else "float32"
    return load_dataset(data, root=data_dir, split=split, dtype=dtype)


def split_validation(images, labels, fraction, seed):
    """Hold out ``fraction`` of the training images (stratified) for validation."""
    if not 0 <= fraction < 1:
        raise ArgumentError(f"the validation fraction must be in [0, 1), got {fraction}")
    if not fraction:
        return (images, labels), None
    from sklearn.model_selection import train_test_split
    classes = len(np.unique(labels))
    held_out = int(np.ceil(fraction * len(labels)))
    if held_out < classes or len(labels) - held_out < classes:
        raise ArgumentError(
            f"cannot hold out {fraction:.0%} of {len(labels)} images for validation with "
            f"every one of the {classes} classes on both sides; use more images (--limit) "
            "or another --val-fraction (0 disables validation)")
    x_train, x_val, y_train, y_val = train_test_split(
        images, labels, test_size=fraction, stratify=labels, random_state=seed)
    return (x_train, y_train), (x_val, y_val)


def default_out_dir():
    return os.path.join("runs", datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))


def build_model(name, num_classes, input_size):
    """A zoo model for ``num_classes``, checked against the data's image size."""
    model = models.get(name, num_classes=num_classes)
    model.output_shape((1,) + tuple(input_size))   # a clear error now, not mid-epoch
    return model


def _check_train_checkpoint(checkpoint, path="this checkpoint"):
    for key in ("model_name", "model_config", "model_state"):
        if not isinstance(checkpoint, dict) or key not in checkpoint:
            raise ArgumentError(f"{path} has no {key!r}: it was not written by "
                                "`scratchcnn train` (load it with sc.load and your own model)")


def load_model(checkpoint):
    """(model in eval mode, checkpoint dict) from a checkpoint path or dict."""
    path = "this checkpoint"
    if not isinstance(checkpoint, dict):
        path, checkpoint = checkpoint, load(checkpoint)
    _check_train_checkpoint(checkpoint, path)
    model = models.get(checkpoint["model_name"], **checkpoint["model_config"])
    model.load_state_dict(checkpoint["model_state"])
    return model.eval(), checkpoint


def train(data="digits", model=None, data_dir=None, epochs=None, batch_size=None, lr=None,
          optimizer="adam", seed=0, out_dir=None, resume=None, val_fraction=0.1,
          progress=True, log=print, plots=True, limit=None):
    """Train a zoo model on a data set; returns (model, history, test result, out_dir).

    ``limit``: train on a random subset of at most this many training images (quick runs).
    """
    from .data import DataLoader, TensorDataset

    defaults = DATA_DEFAULTS.get(data, DATA_DEFAULTS["digits"])
    checkpoint = load(resume) if resume else None
    if checkpoint is not None:
        _check_train_checkpoint(checkpoint, resume)
        # A resumed run is the same run: its data, model, seed and subset come from the file.
        model = checkpoint["model_name"]
        data = checkpoint.get("data", data)
        seed = checkpoint.get("seed", seed)
        val_fraction = checkpoint.get("val_fraction", val_fraction)
        optimizer = checkpoint.get("optimizer", optimizer)
    model_name = model or defaults["model"]
    epochs = epochs or (checkpoint or {}).get("epochs") or defaults["epochs"]
    batch_size = batch_size or (checkpoint or {}).get("batch_size") or defaults["batch_size"]
    lr = lr or (checkpoint or {}).get("lr") or defaults["lr"]
    if optimizer not in ("sgd", "adam"):
        raise ArgumentError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")

    random.manual_seed(seed)
    train_set = _load(data, data_dir, "train")
    test_set = _load(data, data_dir, "test")
    images, labels = train_set.images, train_set.labels
    limit = limit or (checkpoint or {}).get("limit")
    if limit:
        if limit < 2:
            raise ArgumentError(f"limit must be at least 2 images, got {limit}")
        keep = np.sort(np.random.default_rng(seed).permutation(len(labels))[:limit])
        images, labels = images[keep], labels[keep]
    (x_train, y_train), validation = split_validation(images, labels, val_fraction, seed)
    preprocessing = (checkpoint or {}).get("preprocessing")
    if preprocessing is None:
        mean, std = channel_stats(x_train)
        preprocessing = {"mean": mean, "std": std}
    input_size = list(x_train.shape[1:])
    classes = list(train_set.classes)
    network = build_model(model_name, len(classes), input_size)

    transform = preprocess(preprocessing)
    train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size,
                              shuffle=True, seed=seed, transform=transform)
    val_loader = None
    if validation is not None:
        val_loader = DataLoader(TensorDataset(*validation), batch_size=256, transform=transform)
    test_loader = DataLoader(TensorDataset(test_set.images, test_set.labels), batch_size=256,
                             transform=transform)
    parameters = list(network.parameters())
    opt = (optim.Adam(parameters, lr=lr) if optimizer == "adam" else
           optim.SGD(parameters, lr=lr, momentum=0.9))
    out_dir = out_dir or (os.path.dirname(os.path.abspath(resume)) if resume else
                          default_out_dir())
    meta = {"model_name": model_name, "model_config": {"num_classes": len(classes)},
            "data": data, "classes": classes, "preprocessing": preprocessing,
            "input_size": input_size, "epochs": epochs, "batch_size": batch_size, "lr": lr,
            "optimizer": optimizer, "seed": seed, "limit": limit, "val_fraction": val_fraction}
    if log:
        log(f"{model_name} on {data}: {len(x_train)} train / "
            f"{0 if validation is None else len(validation[1])} validation / "
            f"{len(test_set.labels)} test images of {'x'.join(map(str, input_size))}; "
            f"writing to {out_dir}")
    history = fit(network, train_loader, val_loader, epochs=epochs, optimizer=opt,
                  out_dir=out_dir, checkpoint_meta=meta, resume=checkpoint, progress=progress,
                  log=log)
    result = evaluate(network, test_loader, num_classes=len(classes))
    if plots:
        write_plots(network, history, result["confusion"], classes,
                    normalize(test_set.images[:1], preprocessing)[0], out_dir)
    return network, history, result, out_dir


def write_plots(model, history, confusion, classes, example, out_dir):
    from .viz import plots

    plots.plot_history(history, os.path.join(out_dir, "curves.png"))
    plots.plot_confusion(confusion, classes, os.path.join(out_dir, "confusion.png"))
    plots.plot_filters(model, os.path.join(out_dir, "filters.png"))
    plots.plot_feature_maps(model, example, os.path.join(out_dir, "feature_maps.png"))


def evaluate_checkpoint(path, data=None, data_dir=None, split="test"):
    """(result dict, checkpoint) of a saved model on a data set's split."""
    from .data import DataLoader, TensorDataset

    model, checkpoint = load_model(path)
    data = data or checkpoint.get("data", "digits")
    dataset = _load(data, data_dir, split)
    if list(dataset.images.shape[1:]) != list(checkpoint.get("input_size",
                                                             dataset.images.shape[1:])):
        raise ArgumentError(f"{data} images are {dataset.images.shape[1:]}, the model was "
                            f"trained on {tuple(checkpoint['input_size'])}")
    loader = DataLoader(TensorDataset(dataset.images, dataset.labels), batch_size=256,
                        transform=preprocess(checkpoint["preprocessing"]))
    classes = checkpoint.get("classes") or list(dataset.classes)
    return evaluate(model, loader, num_classes=len(classes)), checkpoint


def read_image(path, input_size, invert=False):
    """An image file as a (C, H, W) float32 array in [0, 1], converted to the model's
    channels and resized to its input size."""
    from PIL import Image, UnidentifiedImageError

    channels, height, width = input_size
    try:
        with Image.open(path) as image:
            image = image.convert("L" if channels == 1 else "RGB").resize((width, height))
            array = np.asarray(image, dtype=np.float32) / 255.0
    except (OSError, UnidentifiedImageError) as error:
        raise ArgumentError(f"cannot read image {path}: {error}") from None
    array = array[None] if channels == 1 else array.transpose(2, 0, 1)
    return 1.0 - array if invert else array


def predict(path, images, topk=3, invert=False):
    """For each image file: [(class name, probability)] of the ``topk`` likeliest classes."""
    from .autograd import no_grad
    from .nn import functional as F
    from .tensor import Tensor

    model, checkpoint = load_model(path)
    batch = np.stack([read_image(p, checkpoint["input_size"], invert) for p in images])
    with no_grad():
        probabilities = F.softmax(model(Tensor(normalize(batch, checkpoint["preprocessing"]))),
                                  dim=1).numpy()
    classes = checkpoint["classes"]
    order = np.argsort(-probabilities, axis=1)[:, :topk]
    return [[(classes[k], float(row[k])) for k in ranks]
            for row, ranks in zip(probabilities, order)]
