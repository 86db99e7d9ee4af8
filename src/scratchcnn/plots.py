"""Training plots as PNG files (matplotlib, no display needed).

- :func:`plot_history`: loss and accuracy (in percent) per epoch, training and validation.
- :func:`plot_confusion`: the confusion matrix, with counts.
- :func:`plot_filters`: the first convolution layer's filters, one tile per filter, one
  shared scale.
- :func:`plot_feature_maps`: the input and every layer's output for one example image.

Each ``plot_*`` draws with the matching ``*_figure`` function and writes the PNG; the
``*_figure`` functions return the matplotlib ``Figure`` itself (to show in a notebook).
"""

import numpy as np

from . import nn
from .autograd import no_grad
from .safe_write import atomic_write
from .tensor import Tensor

__all__ = ["history_figure", "plot_history", "confusion_figure", "plot_confusion", "first_conv",
           "filters_figure", "plot_filters", "feature_maps", "feature_maps_figure",
           "plot_feature_maps"]


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


def _integer_epochs(axis):
    """Epochs are whole numbers: no 1.5 on the x axis."""
    from matplotlib.ticker import MaxNLocator
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))


def history_figure(history):
    """The figure of :func:`plot_history`: loss (left) and accuracy in percent (right), as
    the terminal prints them, one point per epoch on integer ticks."""
    from matplotlib.ticker import PercentFormatter
    epochs = [row["epoch"] for row in history]
    figure = _figure(figsize=(10, 4))
    loss_axis, accuracy_axis = figure.subplots(1, 2)
    for key, label, axis, scale in (("train_loss", "train", loss_axis, 1),
                                    ("val_loss", "validation", loss_axis, 1),
                                    ("train_accuracy", "train", accuracy_axis, 100),
                                    ("val_accuracy", "validation", accuracy_axis, 100)):
        values = [row.get(key) for row in history]
        if any(v is not None for v in values):
            axis.plot(epochs, [np.nan if v is None else v * scale for v in values],
                      marker="o", label=label)
    loss_axis.set(title="Loss", xlabel="epoch", ylabel="cross-entropy")
    accuracy_axis.set(title="Accuracy", xlabel="epoch", ylabel="accuracy (%)")
    accuracy_axis.yaxis.set_major_formatter(PercentFormatter(100))
    for axis in (loss_axis, accuracy_axis):
        _integer_epochs(axis)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    return figure


def plot_history(history, path):
    """Loss and accuracy curves from ``fit``'s history (:func:`history_figure`)."""
    _save(history_figure(history), path)


# Above this many classes the cells are too small to read: no numbers in them, fewer
# tick labels, and a bounded figure (Tiny ImageNet's 200 classes would otherwise draw a
# 122-inch figure with 40,000 labels, several GB of memory).
MAX_LABELLED_CLASSES = 30
MAX_CONFUSION_INCHES = 12


def confusion_figure(confusion, classes):
    """The figure of :func:`plot_confusion`: rows true class, columns predicted class.
    Up to :data:`MAX_LABELLED_CLASSES` classes every cell shows its count; above, the
    matrix is a heat map with a colour bar and about 20 class names per axis."""
    k = len(confusion)
    size = min(max(4, 0.6 * k + 2), MAX_CONFUSION_INCHES)
    figure = _figure(figsize=(size, size))
    axis = figure.subplots()
    image = axis.imshow(confusion, cmap="Blues")
    if k <= MAX_LABELLED_CLASSES:
        threshold = confusion.max() / 2 if confusion.size else 0
        for i in range(k):        # k*k text labels: a figure, not a hot path
            for j in range(k):
                axis.text(j, i, str(confusion[i, j]), ha="center", va="center", fontsize=8,
                          color="white" if confusion[i, j] > threshold else "black")
        ticks = range(k)
    else:
        figure.colorbar(image, ax=axis, fraction=0.046, pad=0.04, label="images")
        ticks = range(0, k, max(1, k // 20))
    axis.set_xticks(ticks, [classes[i] for i in ticks], rotation=45, ha="right")
    axis.set_yticks(ticks, [classes[i] for i in ticks])
    axis.set(xlabel="predicted", ylabel="true", title="Confusion matrix")
    figure.tight_layout()
    return figure


def plot_confusion(confusion, classes, path):
    """Rows: true class; columns: predicted class (:func:`confusion_figure`)."""
    _save(confusion_figure(confusion, classes), path)


def first_conv(model):
    """The first Conv2d in ``model`` (module order), or None."""
    return next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)


def _grid(count):
    columns = int(np.ceil(np.sqrt(count)))
    return int(np.ceil(count / columns)), columns


def _framed(axis):
    """No ticks, but a visible border: neighbouring tiles stay apart."""
    axis.set_xticks([])
    axis.set_yticks([])
    for spine in axis.spines.values():
        spine.set(visible=True, color="0.3", linewidth=0.8)


def filters_figure(model):
    """The figure of :func:`plot_filters`, or None when ``model`` has no convolution.

    One framed tile per filter, all on one scale [-m, m] with m the largest absolute
    weight, so that tiles compare: grey filters (the channel mean) through a diverging
    colour map (white = 0), 3-channel filters as RGB (mid-grey = 0)."""
    conv = first_conv(model)
    if conv is None:
        return None
    weights = conv.weight._array.astype(np.float64)
    count, channels = weights.shape[:2]
    rgb = channels == 3
    m = float(np.abs(weights).max()) or 1.0
    rows, columns = _grid(count)
    tile = max(0.9, min(2.0, 9.0 / columns))
    figure = _figure(figsize=(columns * tile + 1.4, rows * tile + 1.0), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False)
    for axis in axes.ravel():
        axis.axis("off")
    colour_map = "gray" if rgb else "RdBu_r"
    image = None
    for axis, kernel in zip(axes.ravel(), weights):
        axis.axis("on")
        _framed(axis)
        if rgb:
            axis.imshow(np.clip((kernel.transpose(1, 2, 0) + m) / (2 * m), 0, 1))
        else:
            image = axis.imshow(kernel.mean(axis=0), cmap=colour_map, vmin=-m, vmax=m)
    if image is None:     # RGB tiles: a grey bar shows how each channel's weight maps
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize
        image = ScalarMappable(Normalize(-m, m), colour_map)
    label = "weight (each of R, G, B)" if rgb else (
        "weight" if channels == 1 else f"weight (mean of {channels} channels)")
    figure.colorbar(image, ax=axes, shrink=0.8, label=label)
    kh, kw = weights.shape[2:]
    figure.suptitle(f"First convolution's {count} filters ({kh}x{kw}, {channels} input "
                    f"channel{'s' if channels != 1 else ''}), one shared scale")
    return figure


def plot_filters(model, path):
    """Each filter of the first convolution (:func:`filters_figure`); False if there is none."""
    figure = filters_figure(model)
    if figure is None:
        return False
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


def _row_label(axis, lines):
    axis.axis("off")
    axis.text(1.0, 0.5, "\n".join(lines), ha="right", va="center", fontsize=8,
              transform=axis.transAxes)


def _shape_text(maps):
    c, h, w = maps.shape
    return f"{c} x {h} x {w} (C x H x W)"


def _channels_text(shown, total, bars=False):
    if bars:
        return f"all {total} channels, 1x1 each: bars"
    return f"all {total} channels" if shown == total else f"{shown} of {total} channels"


def feature_maps_figure(model, image, max_maps=16):
    """The figure of :func:`plot_feature_maps`, or None when no layer has a 4-D output.

    The first row is the input image. Then one row per layer with a 4-D output, named by
    its path, type and shape, with up to ``max_maps`` channels ("16 of 120 channels") on
    one colour scale per layer and that layer's colour bar. A layer whose maps are 1x1
    shows every channel's value as a bar instead of a row of one-pixel squares."""
    layers = feature_maps(model, image)
    if not layers:
        return None
    modules = dict(model.named_modules())
    columns = min(max_maps, max(maps.shape[0] for _, maps in layers))
    rows = len(layers) + 1
    figure = _figure(figsize=(2.4 + columns * 0.9 + 0.6, rows * 1.05 + 0.6))
    grid = figure.add_gridspec(rows, columns + 2, width_ratios=[2.6] + [1] * columns + [0.12],
                               left=0.01, right=0.95, top=1 - 0.5 / (rows * 1.05 + 0.6),
                               bottom=0.02, wspace=0.08, hspace=0.35)
    # Row 0: what the network sees (after the data set's normalisation).
    _row_label(figure.add_subplot(grid[0, 0]), ["input", _shape_text(image)])
    axis = figure.add_subplot(grid[0, 1])
    _framed(axis)
    if image.shape[0] == 3:
        low, high = float(image.min()), float(image.max())
        axis.imshow((image.transpose(1, 2, 0) - low) / (high - low or 1.0))
    else:
        shown = axis.imshow(image.mean(axis=0), cmap="gray")
        figure.colorbar(shown, cax=figure.add_subplot(grid[0, -1]))
    for row, (name, maps) in enumerate(layers, 1):
        kind = type(modules[name]).__name__
        total = maps.shape[0]
        bars = maps.shape[1:] == (1, 1)
        shown_count = total if bars else min(max_maps, total)
        _row_label(figure.add_subplot(grid[row, 0]),
                   [f"{name} ({kind})", _shape_text(maps),
                    _channels_text(shown_count, total, bars)])
        low, high = float(maps.min()), float(maps.max())
        if high == low:       # a constant layer: a visible, honest scale around its value
            low, high = low - 0.5, high + 0.5
        if bars:
            _bars(figure.add_subplot(grid[row, 1:columns + 1]), maps.ravel())
            continue
        for column, channel in enumerate(maps[:max_maps], 1):
            axis = figure.add_subplot(grid[row, column])
            _framed(axis)
            shown = axis.imshow(channel, cmap="viridis", vmin=low, vmax=high)
        colour_bar = figure.colorbar(shown, cax=figure.add_subplot(grid[row, -1]))
        colour_bar.ax.tick_params(labelsize=6)
    figure.suptitle("Feature maps of one example, layer by layer (one colour scale per row)")
    return figure


def _bars(axis, values):
    """1x1 maps: one bar per channel, so different values look different."""
    axis.bar(np.arange(len(values)), values, width=0.8,
             color=np.where(values >= 0, "tab:blue", "tab:red"))
    axis.axhline(0, color="0.3", linewidth=0.6)
    axis.set_xlim(-0.6, len(values) - 0.4)
    axis.yaxis.tick_right()     # the left side holds the row's name
    axis.tick_params(labelsize=6, pad=1)


def plot_feature_maps(model, image, path, max_maps=16):
    """Every layer's output for one example (:func:`feature_maps_figure`); False if none."""
    figure = feature_maps_figure(model, image, max_maps)
    if figure is None:
        return False
    _save(figure, path)
    return True
