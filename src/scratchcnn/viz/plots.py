"""Training plots as PNG files (matplotlib, no display needed).

- :func:`plot_history`: loss and accuracy per epoch, training and validation.
- :func:`plot_confusion`: the confusion matrix, with counts.
- :func:`plot_filters`: the first convolution layer's filters, one tile per filter.
- :func:`plot_feature_maps`: every layer's output for one example image.
"""

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..safe_write import atomic_write
from ..tensor import Tensor


def _save(figure, path):
    """The figure as a PNG at ``path``, through :mod:`scratchcnn.safe_write` (a unique
    temporary file, never through a planted link, renamed when complete)."""
    with atomic_write(path) as handle:
        figure.savefig(handle, format="png", dpi=100)


def _figure(**kwargs):
    """A figure drawn off-screen and saved to a file; pyplot's global state (and the
    user's chosen backend, e.g. in a notebook) is left alone."""
    from matplotlib.figure import Figure
    return Figure(**kwargs)


def plot_history(history, path):
    """Loss and accuracy curves from ``fit``'s history."""
    epochs = [row["epoch"] for row in history]
    figure = _figure(figsize=(10, 4))
    loss_axis, accuracy_axis = figure.subplots(1, 2)
    for key, label, axis in (("train_loss", "train", loss_axis),
                             ("val_loss", "validation", loss_axis),
                             ("train_accuracy", "train", accuracy_axis),
                             ("val_accuracy", "validation", accuracy_axis)):
        values = [row.get(key) for row in history]
        if any(v is not None for v in values):
            axis.plot(epochs, [np.nan if v is None else v for v in values], marker="o",
                      label=label)
    loss_axis.set(title="Loss", xlabel="epoch", ylabel="cross-entropy")
    accuracy_axis.set(title="Accuracy", xlabel="epoch", ylabel="accuracy")
    for axis in (loss_axis, accuracy_axis):
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    _save(figure, path)


def plot_confusion(confusion, classes, path):
    """Rows: true class; columns: predicted class."""
    k = len(confusion)
    size = max(4, 0.6 * k + 2)
    figure = _figure(figsize=(size, size))
    axis = figure.subplots()
    axis.imshow(confusion, cmap="Blues")
    threshold = confusion.max() / 2 if confusion.size else 0
    for i in range(k):        # k*k text labels: a figure, not a hot path
        for j in range(k):
            axis.text(j, i, str(confusion[i, j]), ha="center", va="center", fontsize=8,
                      color="white" if confusion[i, j] > threshold else "black")
    axis.set_xticks(range(k), classes, rotation=45, ha="right")
    axis.set_yticks(range(k), classes)
    axis.set(xlabel="predicted", ylabel="true", title="Confusion matrix")
    figure.tight_layout()
    _save(figure, path)


def first_conv(model):
    """The first Conv2d in ``model`` (module order), or None."""
    return next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)


def _grid(count):
    columns = int(np.ceil(np.sqrt(count)))
    return int(np.ceil(count / columns)), columns


def plot_filters(model, path):
    """Each filter of the first convolution: its channel mean (or RGB when C == 3),
    scaled to its own range."""
    conv = first_conv(model)
    if conv is None:
        return False
    weights = conv.weight._array
    rows, columns = _grid(len(weights))
    figure = _figure(figsize=(columns * 1.2, rows * 1.2))
    axes = figure.subplots(rows, columns, squeeze=False)
    for axis in axes.ravel():
        axis.axis("off")
    for axis, kernel in zip(axes.ravel(), weights):
        low, high = kernel.min(), kernel.max()
        scaled = (kernel - low) / (high - low + 1e-12)
        if kernel.shape[0] == 3:
            axis.imshow(scaled.transpose(1, 2, 0))
        else:
            axis.imshow(scaled.mean(axis=0), cmap="gray")
    figure.suptitle(f"First convolution's {len(weights)} filters")
    _save(figure, path)
    return True


def feature_maps(model, image):
    """[(layer name, (C, H, W) array)] for every leaf layer with a 4-D output."""
    captured = []
    names = {id(m): name for name, m in model.named_modules()}
    handles = [m.register_forward_hook(
        lambda module, inputs, output: captured.append((names[id(module)], output._array[0])))
        for m in model.modules() if not m._modules]
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(Tensor(image[None]))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return [(name, maps) for name, maps in captured if maps.ndim == 3]


def plot_feature_maps(model, image, path, max_maps=16):
    """One row per layer: its name, then up to ``max_maps`` channels of its output."""
    layers = feature_maps(model, image)
    if not layers:
        return False
    columns = min(max_maps, max(maps.shape[0] for _, maps in layers)) + 1
    figure = _figure(figsize=(columns * 1.1, len(layers) * 1.2))
    axes = figure.subplots(len(layers), columns, squeeze=False)
    for axis in axes.ravel():
        axis.axis("off")
    for row, (name, maps) in enumerate(layers):
        axes[row, 0].text(0.5, 0.5, f"{name}\n{maps.shape[1]}x{maps.shape[2]}x{maps.shape[0]}",
                          ha="center", va="center", fontsize=7)
        for column, channel in enumerate(maps[:max_maps], 1):
            axes[row, column].imshow(channel, cmap="viridis")
    figure.suptitle("Feature maps of one example, layer by layer")
    _save(figure, path)
    return True
