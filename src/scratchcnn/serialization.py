"""``save`` / ``load``: state dicts and checkpoints as ``.npz`` files, never pickle.

A saved object is any nesting of dicts, lists, tuples, strings, numbers, None, NumPy
arrays and Tensors. Arrays go into the ``.npz`` archive under their path in the
object (``model/features.0.weight``); everything else goes into one JSON document
stored beside them (``__metadata__``). Loading uses ``allow_pickle=False``, so a file
from an untrusted source cannot run code: at worst it fails to load.

Writes are atomic: the archive is written to a temporary file in the same folder,
flushed and fsync'ed, then moved over the destination with ``os.replace``. An
interrupted save leaves the previous file intact.

>>> import os, tempfile, numpy as np, scratchcnn as sc
>>> path = os.path.join(tempfile.mkdtemp(), "weights.npz")
>>> sc.save({"w": np.arange(3.0), "epoch": 2}, path)
>>> sc.load(path)["epoch"]
2
"""

import json
import os
import tempfile
import zipfile

import numpy as np

from .errors import ScratchCNNError

FORMAT = "scratchcnn-npz"
VERSION = 1
_METADATA_KEY = "__metadata__"


class CheckpointError(ScratchCNNError, ValueError):
    """A file is not a readable scratchcnn archive (corrupt, truncated, wrong format)."""


def _split(obj, arrays, path):
    """JSON-ready tree with arrays replaced by ``{"__array__": key}`` references."""
    from .tensor import Tensor

    if isinstance(obj, Tensor):   # comes back as a Tensor (plain arrays come back as arrays)
        key = path or "tensor"
        while key in arrays:
            key += "_"
        arrays[key] = obj.numpy()
        return {"__tensor__": key}
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            raise TypeError(f"cannot save an object array at {path or 'the top level'}")
        key = path or "array"
        while key in arrays:
            key += "_"
        arrays[key] = obj
        return {"__array__": key}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: _split(v, arrays, f"{path}/{k}" if path else k) for k, v in obj.items()}
        # Non-string keys (an optimizer's parameter indices) survive as a list of pairs.
        return {"__items__": [[_split(k, arrays, f"{path}/key{i}"),
                               _split(v, arrays, f"{path}/{k}" if path else str(k))]
                              for i, (k, v) in enumerate(obj.items())]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_split(v, arrays, f"{path}/{i}") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_split(v, arrays, f"{path}/{i}") for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot save {type(obj).__name__} at {path or 'the top level'}: only "
                    "dicts, lists, tuples, strings, numbers, None, arrays and Tensors")


def _join(tree, arrays):
    if isinstance(tree, dict):
        if set(tree) == {"__array__"}:
            return arrays[tree["__array__"]]
        if set(tree) == {"__tensor__"}:
            from .tensor import Tensor
            return Tensor(arrays[tree["__tensor__"]])
        if set(tree) == {"__items__"}:
            return {_join(k, arrays): _join(v, arrays) for k, v in tree["__items__"]}
        if set(tree) == {"__tuple__"}:
            return tuple(_join(v, arrays) for v in tree["__tuple__"])
        return {k: _join(v, arrays) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_join(v, arrays) for v in tree]
    return tree


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save(obj, path, pickle_module=None, pickle_protocol=None,
         _use_new_zipfile_serialization=True):
    """Write ``obj`` to ``path`` (``.npz`` archive + JSON metadata), atomically.

    ``path`` may also be a writable binary file object (``io.BytesIO``). The other
    arguments are PyTorch's and are accepted for compatibility: nothing is pickled."""
    arrays = {}
    tree = _split(obj, arrays, "")
    metadata = json.dumps({"format": FORMAT, "version": VERSION, "tree": tree})
    arrays[_METADATA_KEY] = np.frombuffer(metadata.encode("utf-8"), dtype=np.uint8)
    if hasattr(path, "write"):
        np.savez(path, **arrays)
        return
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix=".tmp-", suffix=".npz", delete=False)
    try:
        with handle:
            np.savez(handle, **arrays)   # a file object: NumPy adds no ".npz" to the name
            handle.flush()
            os.fsync(handle.fileno())
            os.chmod(handle.name, 0o666 & ~_umask())   # temp files are 0600; use the usual mode
        os.replace(handle.name, path)
    except BaseException:
        if os.path.exists(handle.name):
            os.unlink(handle.name)
        raise


def load(path, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Read an object written by :func:`save`. Never unpickles anything.

    ``path`` may be a readable binary file object. PyTorch's ``map_location`` (the CPU
    or a mapping/function, ignored: everything lives on the CPU) and ``weights_only``
    are accepted; a file is always read as if ``weights_only=True``."""
    if isinstance(map_location, str) or type(map_location).__name__ == "device":
        from .device import check_device
        check_device(map_location, "load(map_location=...)")
    if hasattr(path, "read"):
        start = path.read(4)
        path.seek(-len(start), os.SEEK_CUR)
        name = getattr(path, "name", "the file object")
        return _load_archive(path, name, start)
    path = os.fspath(path)
    with open(path, "rb") as handle:
        start = handle.read(4)
    return _load_archive(path, path, start)


def _load_archive(path, name, start):
    path_for_numpy, path = path, name
    if start != b"PK\x03\x04":     # every .npz is a zip archive
        raise CheckpointError(f"{path} is not a scratchcnn file: it is not an .npz (zip) "
                              "archive" + (" (it is empty)" if not start else
                                           "; it may be corrupt or of another format"))
    try:
        with np.load(path_for_numpy, allow_pickle=False) as archive:
            if _METADATA_KEY not in archive.files:
                raise CheckpointError(f"{path} is not a scratchcnn file (no {_METADATA_KEY}); "
                                      "it may be a plain NumPy archive")
            arrays = {name: archive[name] for name in archive.files if name != _METADATA_KEY}
            metadata = json.loads(archive[_METADATA_KEY].tobytes().decode("utf-8"))
    except FileNotFoundError:
        raise
    except CheckpointError:
        raise
    except ValueError as error:
        if "pickle" in str(error).lower():
            raise CheckpointError(f"{path} holds pickled objects, which are refused: loading "
                                  "them could run code") from None
        raise CheckpointError(f"{path} is corrupt or not a scratchcnn file: {error}") from None
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, UnicodeDecodeError) as error:
        raise CheckpointError(f"{path} is corrupt or truncated: {error}") from None
    if metadata.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a scratchcnn file (format "
                              f"{metadata.get('format')!r})")
    if metadata.get("version", 0) > VERSION:
        raise CheckpointError(f"{path} was written by a newer scratchcnn (format version "
                              f"{metadata['version']}, this one reads {VERSION})")
    return _join(metadata["tree"], arrays)
