"""The network explorer's model: a trained checkpoint, its test images, every layer's output,
and how one chosen value of a feature map was computed.

Without a checkpoint the default digits model is trained on first use, in a background
thread, exactly as ``scratchcnn train`` does it (``workflow.train``, fewer epochs), and
cached in ``workdir`` so that later runs start at once. The forward pass records each
leaf layer's input and output with forward hooks; an inspected value is recomputed from
the layer's own weights and the window of its input that ``ops.conv.windows`` reads.
"""

import copy
import glob
import os
import re
import shutil
import tempfile
import threading
import time

import numpy as np

from .. import workflow
from ..autograd import no_grad
from ..errors import ScratchCNNError
from ..nn import functional as F
from ..tensor import Tensor
from . import backward as backward_pass
from . import validation as v
from .explorers import Formatter
from .inspection import EXPLAIN, input_window, inspect_kind as _inspect_kind
from .typical import ink_profile, unusual

DEFAULT_TRAINING = {"data": "digits", "epochs": 10}
CACHED_NAME = "digits_cnn.npz"
MAX_DRAWING = 64          # the drawing grid is at most 64 x 64
MAX_EXAMPLES = 100
# Data sets whose test split is read from its usual place without options and fits in
# memory (an image folder needs its path; Tiny ImageNet would take gigabytes).
EXAMPLE_DATA = ("digits", "mnist", "fashion-mnist", "cifar10")
# How much of the model's input side a centred drawing fills: MNIST's digits were fitted
# into a 20x20 box of the 28x28 image; the 8x8 digits and Fashion-MNIST fill theirs.
DRAWING_FILL = {"mnist": 20 / 28}
# Training folders (``.training-*`` in the workdir) left behind by a server that was
# killed while training are removed at start once they are this old; a younger one may
# belong to another server training right now (the digits model takes seconds).
STALE_TRAINING_SECONDS = 3600


def default_workdir():
    """Where the default model is trained and cached: ``~/.cache/scratchcnn/visualize``
    (``$SCRATCHCNN_DATA/visualize`` when that is set)."""
    from ..data import cache_dir
    return cache_dir("visualize")


def prepare_drawing(pixels, input_size, center=True, fill=1.0):
    """A drawing (H x W ink values in [0, 1]) as a model input (C, H, W) in [0, 1].

    Like the digits' own preprocessing: the ink's bounding box, padded to a centred square
    that it fills along its longer side, averaged down to the model's size
    (``adaptive_avg_pool2d``), scaled so that its darkest pixel is 1. ``fill`` < 1 leaves
    a margin around the square (MNIST's digits fill 20 of 28 pixels).
    """
    channels, height, width = input_size
    ink = pixels > 0.05
    if not ink.any():
        raise v.ValidationError("the drawing is empty: draw a digit first", "image")
    if center:
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        crop = pixels[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        side = max(crop.shape)          # the digits fill their box along the longer side
        square = np.zeros((side, side))
        top, left = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
        square[top:top + crop.shape[0], left:left + crop.shape[1]] = crop
        pixels = square
        if fill < 1:
            margin = int(round(side * (1 / fill - 1) / 2))
            pixels = np.pad(square, margin)
    small = F.adaptive_avg_pool2d(Tensor(pixels[None, None].astype(np.float32)),
                                  (height, width)).numpy()[0, 0]
    small = small / max(float(small.max()), 1e-6)
    return np.repeat(small[None], channels, axis=0).astype(np.float32)


class NetworkService:
    """The model behind the network explorer; safe to use from several threads."""

    def __init__(self, checkpoint=None, workdir=None, training=None):
        self.workdir = os.path.abspath(workdir or default_workdir())
        self.training = dict(DEFAULT_TRAINING, **(training or {}))
        self._state_lock = threading.Lock()
        self._run_lock = threading.Lock()      # one forward pass with hooks at a time
        self._examples_lock = threading.Lock()  # loading the test images (may be slow)
        self._thread = None
        self._model = self._checkpoint = self._path = None
        self._state, self._message, self._progress = "idle", "", None
        self._examples = None                   # (data set name, its test split)
        self._profile = None                    # (data set name, its ink profile)
        self.sessions = backward_pass.Sessions()  # weight copies that SGD steps change
        _remove_stale_training_folders(self.workdir)
        if checkpoint is not None:
            # A named checkpoint must load: errors reach the command line.
            path = os.fspath(checkpoint)
            self._use(path, f"loaded {path}")
        elif os.path.exists(self.cached_path):
            try:
                self._use(self.cached_path,
                          f"loaded the model trained earlier ({self.cached_path})")
            except Exception as error:   # damaged in any way: our own cache, retrained
                self._message = f"the cached model could not be read ({error}); it will be "\
                                "trained again"

    @property
    def cached_path(self):
        return os.path.join(self.workdir, CACHED_NAME)

    # ------------------------------------------------------------------ state
    def _use(self, path, message):
        """Load the checkpoint at ``path`` and make it the model: state, model and
        ``message`` change together, so no one sees "ready" with an old message."""
        model, checkpoint = workflow.load_model(path)
        size = checkpoint.get("input_size")
        if not isinstance(size, list) or len(size) != 3:
            raise v.ValidationError(f"{path} is not an image classifier checkpoint (its "
                                    f"input_size is {size!r}, expected [C, H, W])")
        with self._state_lock:
            self._model, self._checkpoint, self._path = model, checkpoint, path
            self._state, self._progress, self._message = "ready", None, message

    def status(self):
        """``{"state": "idle" | "training" | "ready" | "error", "message", "progress",
        "checkpoint"}``, plus the model, data set, classes and input size once ready."""
        with self._state_lock:
            return self._status()

    def _status(self):
        status = {"state": self._state, "message": self._message, "progress": self._progress,
                  "checkpoint": self._path}
        if self._checkpoint is not None:
            status.update(model=self._checkpoint["model_name"],
                          data=self._checkpoint.get("data"),
                          classes=[str(c) for c in self._checkpoint["classes"]],
                          input_size=list(self._checkpoint["input_size"]),
                          drawing=self._drawing_side())
        return status

    def _drawing_side(self):
        """The drawing canvas' side in pixels: about twice the model's input, 32..64."""
        side = max(self._checkpoint["input_size"][1:])
        return int(min(MAX_DRAWING, max(32, 2 * side)))

    def served(self):
        """(the served model, its checkpoint dict); a 503 while it is not ready."""
        return self._ready()

    def copy_model(self, base):
        """A copy of the served model ``base`` (weights and all) that may be changed. Made
        while no forward pass runs, so no recording hook of one is copied with it."""
        with self._run_lock:
            return copy.deepcopy(base)

    def backward(self, body):
        """``POST /api/network/backward``: see :mod:`scratchcnn.viz.backward`."""
        return backward_pass.backward(self, self.sessions, body)

    def reset(self, body):
        """``POST /api/network/reset``: forget a session's changed weights."""
        return backward_pass.reset(self.sessions, body)

    def start(self):
        """Train the default model in the background unless it is ready or training."""
        with self._state_lock:
            if self._state in ("ready", "training"):
                return self._status()
            self._state, self._progress = "training", {"epoch": 0,
                                                       "epochs": self.training["epochs"]}
            self._message = (f"training digits_cnn on the digits data set "
                             f"({self.training['epochs']} epochs); the model is cached in "
                             f"{self.workdir}")
            self._thread = threading.Thread(target=self._train, name="scratchcnn-train",
                                            daemon=True)
            self._thread.start()
            return self._status()

    def wait(self, timeout=None):
        """Block until background training has finished (for tests and scripts)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.status()

    def _log(self, line):
        match = re.match(r"epoch\s+(\d+)/(\d+)", line)
        with self._state_lock:
            if match:
                self._progress = {"epoch": int(match[1]), "epochs": int(match[2])}
                self._message = line

    def _train(self):
        run_dir = None
        try:
            os.makedirs(self.workdir, exist_ok=True)
            run_dir = tempfile.mkdtemp(prefix=".training-", dir=self.workdir)
            _, _, result, _ = workflow.train(out_dir=run_dir, progress=False, plots=False,
                                             log=self._log, **self.training)
            os.replace(os.path.join(run_dir, "best.npz"), self.cached_path)
            self._use(self.cached_path, f"trained digits_cnn: {100 * result['accuracy']:.1f}% "
                                        f"test accuracy; cached in {self.cached_path}")
        except Exception as error:   # reported on the page; the server keeps running
            with self._state_lock:
                self._state, self._message = "error", f"training failed: {error}"
        finally:
            if run_dir is not None:
                shutil.rmtree(run_dir, ignore_errors=True)

    def _ready(self):
        with self._state_lock:
            if self._state != "ready":
                detail = self._message or "start it from the page (or POST /api/network/start)"
                raise v.ValidationError(f"the model is not ready ({self._state}): {detail}",
                                        status=503)
            return self._model, self._checkpoint

    # ------------------------------------------------------------------ images
    def _test_set(self):
        _, checkpoint = self._ready()
        data = checkpoint.get("data", "digits")
        if data not in EXAMPLE_DATA:
            raise v.ValidationError(f"test images are shown for checkpoints trained on "
                                    f"{', '.join(EXAMPLE_DATA)}, not {data}: draw instead",
                                    status=404)
        # Its own lock: loading may take a while, and status requests must not wait.
        with self._examples_lock:
            if self._examples is None or self._examples[0] != data:
                from ..data import load_dataset
                try:
                    self._examples = (data, load_dataset(data, split="test"))
                except ScratchCNNError as error:
                    raise v.ValidationError(f"the test images are not available: {error}",
                                            status=404) from None
                except OSError as error:
                    raise v.ValidationError(f"the test images of {data} could not be read "
                                            f"({error.strerror or error}); draw instead",
                                            status=503) from None
            return self._examples[1]

    def examples(self, count):
        """The first ``count`` test images (C, H, W in [0, 1]) with their labels."""
        test = self._test_set()
        count = min(count, len(test.labels))
        return {"total": int(len(test.labels)), "classes": [str(c) for c in test.classes],
                "images": [{"index": i, "label": int(test.labels[i]),
                            "class": str(test.classes[test.labels[i]]),
                            "pixels": test.images[i].tolist()} for i in range(count)]}

    def image_from(self, body):
        """The (C, H, W) image a request names: ``index`` (a test image) or ``image`` (a
        drawing, H x W ink in [0, 1], centred unless ``center`` is false)."""
        _, checkpoint = self._ready()
        if ("index" in body) == ("image" in body):
            raise v.ValidationError("give exactly one of index (a test image) and image "
                                    "(a drawing)", "image")
        if "index" in body:
            test = self._test_set()
            index = v.integer(body, "index", 0, len(test.labels) - 1)
            image = test.images[index].astype(np.float32)
            if list(image.shape) != list(checkpoint["input_size"]):
                raise v.ValidationError(f"test image of shape {image.shape} does not fit the "
                                        f"model's input {checkpoint['input_size']}", "index")
            return image
        pixels = v.matrix(body, "image", MAX_DRAWING, low=0.0, high=1.0)
        center = v.boolean(body, "center", default=True)
        fill = DRAWING_FILL.get(checkpoint.get("data"), 1.0)
        return prepare_drawing(pixels, checkpoint["input_size"], center, fill)

    def warning(self, image):
        """A sentence when ``image`` looks nothing like the test images, else None."""
        _, checkpoint = self._ready()
        data = checkpoint.get("data", "digits")
        if checkpoint["input_size"][0] != 1:
            return None                       # ink is measured on gray images only
        try:
            test = self._test_set()
        except v.ValidationError:             # no test images to compare with
            return None
        with self._examples_lock:
            if self._profile is None or self._profile[0] != data:
                self._profile = (data, ink_profile(test.images))
            return unusual(image, self._profile[1])

    # ------------------------------------------------------------------ forward pass
    def _forward(self, image):
        """(probabilities, [(name, module, input, output)]) for one (C, H, W) image."""
        model, checkpoint = self._ready()
        batch = workflow.normalize(image[None], checkpoint["preprocessing"])
        names = {id(m): name for name, m in model.named_modules()}
        records = []

        def record(module, inputs, output):
            records.append((names.get(id(module), type(module).__name__), module,
                            inputs[0].numpy(), output.numpy()))

        with self._run_lock:
            handles = [m.register_forward_hook(record) for m in model.modules()
                       if not m._modules]
            try:
                with no_grad():
                    logits = model(Tensor(batch.astype(model.float_dtype())))
                    probabilities = F.softmax(logits, dim=1).numpy()[0]
            finally:
                for handle in handles:
                    handle.remove()
        return probabilities, batch[0], records

    def predict(self, body):
        """The prediction for an image and every layer's output (feature maps)."""
        v.require_object(body, ("index", "image", "center"))
        image = self.image_from(body)
        probabilities, normalized, records = self._forward(image)
        classes = [str(c) for c in self._checkpoint["classes"]]
        best = int(np.argmax(probabilities))
        fmt = Formatter(4)
        layers = []
        for index, (name, module, _, output) in enumerate(records):
            values = output[0]
            layers.append({"index": index, "name": name, "type": type(module).__name__,
                           "description": repr(module), "shape": list(values.shape),
                           "values": values.tolist(), "min": float(values.min()),
                           "max": float(values.max()), "inspect": _inspect_kind(module),
                           "labels": _labels(fmt, values),
                           "range": {"low": float(values.min()), "high": float(values.max()),
                                     "labels": [fmt.num(values.min()),
                                                fmt.num(values.max())]}})
        return {"image": image.tolist(), "normalized": normalized.tolist(),
                "classes": classes, "probabilities": probabilities.tolist(),
                "prediction": {"index": best, "class": classes[best],
                               "probability": float(probabilities[best])},
                "warning": self.warning(image) if "image" in body else None,
                "layers": layers}

    def inspect(self, body):
        """How one value of one layer's output was computed: for a convolution the kernel,
        the input patch under it (from the previous layer's padded output), the dot
        product and the bias; for pooling the window; for an activation its input."""
        v.require_object(body, ("index", "image", "center", "layer", "channel", "row", "col",
                                "decimals"))
        image = self.image_from(body)
        _, _, records = self._forward(image)
        layer = v.integer(body, "layer", 0, len(records) - 1)
        name, module, x, y = records[layer]
        kind = _inspect_kind(module)
        if kind is None:
            raise v.ValidationError(f"layer {layer} ({type(module).__name__}) cannot be "
                                    "inspected: choose a convolution, pooling, activation or "
                                    "linear layer", "layer")
        channel = v.integer(body, "channel", 0, y.shape[1] - 1)
        if y.ndim == 4:
            row = v.integer(body, "row", 0, y.shape[2] - 1)
            col = v.integer(body, "col", 0, y.shape[3] - 1)
            at = (0, channel, row, col)
        else:
            row = v.integer(body, "row", 0, 0, default=0)
            col = v.integer(body, "col", 0, 0, default=0)
            at = (0, channel)
        fmt = Formatter(v.integer(body, "decimals", 0, 8, default=4))
        result = {"layer": layer, "name": name, "type": type(module).__name__,
                  "description": repr(module), "kind": kind, "channel": channel, "row": row,
                  "col": col, "value": float(y[at]), "input_shape": list(x.shape[1:])}
        result.update(EXPLAIN[kind](module, x, y, at, fmt))
        if y.ndim == 4:
            result["input_window"] = input_window([r[1] for r in records], layer, row, col,
                                                  self._checkpoint["input_size"])
        return result


def _labels(fmt, array):
    """Every value of ``array`` as text, written by ``fmt`` (the page shows these)."""
    return np.vectorize(fmt.num, otypes=[object])(array).tolist()


def _remove_stale_training_folders(workdir):
    """Remove ``.training-*`` folders that a killed server left in ``workdir`` (only ones
    older than :data:`STALE_TRAINING_SECONDS`: a newer one may be in use)."""
    now = time.time()
    for folder in glob.glob(os.path.join(glob.escape(workdir), ".training-*")):
        try:
            if os.path.isdir(folder) and not os.path.islink(folder) and \
                    now - os.path.getmtime(folder) > STALE_TRAINING_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass
