"""What ``scratchcnn evaluate`` and ``scratchcnn predict`` do: a checkpoint of
``scratchcnn train`` on a test split, or on pictures of one's own."""


import numpy as np

from .errors import ArgumentError, ScratchCNNError
from .serialization import CheckpointError
from .train import evaluate

from .run_data import (
    BACKGROUND_DATA, LOADER_WORKERS, _eval_batch_size, _load, _resize_to, normalize, preprocess,
)
from .runs import _is_int, load_model

def evaluate_checkpoint(path, data=None, data_dir=None, split="test"):
    """(result dict, checkpoint) of a saved model on a data set's split."""
    from .data import DataLoader

    model, checkpoint = load_model(path)
    if checkpoint.get("preprocessing") is None:
        raise CheckpointError(f"{path} has no preprocessing: it was not written by "
                              "`scratchcnn train`")
    if data is None:
        data = checkpoint.get("data", "digits")
    dataset = _load(data, data_dir, split)
    data_shape = list(dataset.images.shape[1:])
    input_size = list(checkpoint.get("input_size") or data_shape)
    resize_to = _resize_to(data, data_shape, input_size)
    if data_shape[:1] + list(resize_to or data_shape[1:]) != input_size:
        raise ArgumentError(f"{data} images are {tuple(data_shape)}, the model was "
                            f"trained on {tuple(checkpoint['input_size'])}")
    workers = LOADER_WORKERS if data in BACKGROUND_DATA else 0
    loader = DataLoader(dataset, batch_size=_eval_batch_size(input_size, 256),
                        transform=preprocess(checkpoint["preprocessing"], resize_to),
                        num_workers=workers)
    classes = checkpoint.get("classes")
    if classes is None:
        classes = list(dataset.classes)
    return evaluate(model, loader, num_classes=len(classes)), checkpoint


def read_image(path, input_size, invert=False):
    """An image file as a (C, H, W) float32 array in [0, 1], converted to the model's
    channels and resized to its input size."""
    from PIL import Image

    from .data.images import check_pixels

    channels, height, width = input_size
    try:
        with Image.open(path) as image:
            check_pixels(image, path)     # a decompression bomb is refused before decoding
            image = image.convert("L" if channels == 1 else "RGB").resize((width, height))
            array = np.asarray(image, dtype=np.float32) / 255.0
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except ScratchCNNError:
        raise
    except Exception as error:   # Pillow raises OSError, ValueError, SyntaxError, ...
        raise ArgumentError(f"cannot read image {path}: {type(error).__name__}: "
                            f"{error}") from None
    array = array[None] if channels == 1 else array.transpose(2, 0, 1)
    return 1.0 - array if invert else array


def predict(path, images, topk=3, invert=None, preprocess=True, report=None):
    """For each image file: [(class name, probability)] of the ``topk`` likeliest classes.

    Each picture is first brought to the training images' form by
    :func:`scratchcnn.data.picture.prepare_picture` (polarity from the border, cropped,
    scaled and centred as the checkpoint's data set was); ``invert`` True/False forces
    the polarity, ``preprocess=False`` only resizes. ``report(path, words)`` is called
    with what was done to each picture."""
    from .autograd import no_grad
    from .data.picture import load_picture
    from .nn import functional as F
    from .tensor import Tensor

    if not _is_int(topk) or topk < 1:
        raise ArgumentError(f"topk must be a positive integer, got {topk!r}")
    model, checkpoint = load_model(path)
    if checkpoint.get("input_size") is None or checkpoint.get("classes") is None \
            or checkpoint.get("preprocessing") is None:
        raise CheckpointError(f"{path} lacks input_size, classes or preprocessing: it was "
                              "not written by `scratchcnn train`")
    arrays = []
    for image in images:
        array, words = load_picture(image, checkpoint["input_size"], checkpoint.get("data"),
                                    invert, preprocess)
        arrays.append(array)
        if report is not None:
            report(image, words)
    batch = np.stack(arrays)
    with no_grad():
        probabilities = F.softmax(model(Tensor(normalize(batch, checkpoint["preprocessing"]))),
                                  dim=1).numpy()
    classes = checkpoint["classes"]
    order = np.argsort(-probabilities, axis=1)[:, :topk]
    return [[(classes[k], float(row[k])) for k in ranks]
            for row, ranks in zip(probabilities, order)]
