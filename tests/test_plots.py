"""Training plots stay readable and bounded whatever the class count."""

import numpy as np

from scratchcnn import plots


def test_small_confusion_matrices_show_every_count():
    confusion = np.arange(9).reshape(3, 3)
    figure = plots.confusion_figure(confusion, ["a", "b", "c"])
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert texts == [str(v) for v in confusion.ravel()]


def test_a_200_class_confusion_matrix_is_a_bounded_heat_map(tmp_path):
    """Tiny ImageNet: no 40,000 labels and no 122-inch figure (gigabytes of memory)."""
    confusion = np.random.default_rng(0).integers(0, 50, (200, 200))
    figure = plots.confusion_figure(confusion, [f"class{i}" for i in range(200)])
    assert max(figure.get_size_inches()) <= plots.MAX_CONFUSION_INCHES
    assert not figure.axes[0].texts
    assert len(figure.axes[0].get_xticklabels()) <= 25
    assert len(figure.axes) == 2          # and a colour bar says what the colours mean
    plots.plot_confusion(confusion, [f"class{i}" for i in range(200)], tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 0
