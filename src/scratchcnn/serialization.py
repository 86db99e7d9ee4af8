"""``save`` / ``load``: state dicts and checkpoints as ``.npz`` files, never pickle.

A saved object is any nesting of dicts, lists, tuples, strings, numbers, None, NumPy
arrays and Tensors. Arrays go into the ``.npz`` archive under their path in the
object (``model/features.0.weight``); everything else goes into one JSON document
stored beside them (``__metadata__``). Loading uses ``allow_pickle=False``, so a file
from an untrusted source cannot run code: at worst it fails to load.

Writes are atomic (:mod:`scratchcnn.safe_write`): the archive is written to a unique
temporary file in the same folder, never through a symbolic link, flushed and
fsync'ed, then moved over the destination. An interrupted save leaves the previous
file intact. Reading checks every member's declared size against its header and the
file before allocating, and every reference of the metadata: a damaged or forged
file raises :class:`CheckpointError`, nothing else.

>>> import os, tempfile, numpy as np, scratchcnn as sc
>>> path = os.path.join(tempfile.mkdtemp(), "weights.npz")
>>> sc.save({"w": np.arange(3.0), "epoch": 2}, path)
>>> sc.load(path)["epoch"]
2
"""

import json
import os
import zipfile

import numpy as np

from .errors import ScratchCNNError
from .safe_write import atomic_write

FORMAT = "scratchcnn-npz"
VERSION = 1
_METADATA_KEY = "__metadata__"
_MARKERS = ("__array__", "__tensor__", "__items__", "__tuple__")
MAX_DEPTH = 64          # lists and dicts in the metadata (a checkpoint needs about 6)
MAX_EXPANSION = 64      # compressed members may expand at most this much (plus 64 MiB)


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


def _join(tree, arrays, where="tree"):
    """The object a JSON tree from :func:`_split` describes; a forged tree (dangling
    array references, malformed markers, unhashable keys) raises CheckpointError."""
    if isinstance(tree, dict):
        if len(tree) == 1 and next(iter(tree)) in _MARKERS:
            return _join_marked(tree, arrays, where)
        return {k: _join(v, arrays, f"{where}/{k}") for k, v in tree.items()}
    if isinstance(tree, list):
        return [_join(v, arrays, f"{where}/{i}") for i, v in enumerate(tree)]
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    raise CheckpointError(f"unexpected {type(tree).__name__} in the metadata at {where}")


def _join_marked(tree, arrays, where):
    (marker, value), = tree.items()
    if marker in ("__array__", "__tensor__"):
        if not isinstance(value, str) or value not in arrays:
            raise CheckpointError(f"the metadata at {where} refers to the array "
                                  f"{str(value)[:80]!r}, which the archive does not hold")
        if marker == "__array__":
            return arrays[value]
        from .tensor import Tensor
        return Tensor(arrays[value])
    if not isinstance(value, list):
        raise CheckpointError(f"the metadata at {where}: {marker} must hold a list, got "
                              f"{type(value).__name__}")
    if marker == "__tuple__":
        return tuple(_join(v, arrays, f"{where}/{i}") for i, v in enumerate(value))
    result = {}
    for i, pair in enumerate(value):      # "__items__": [[key, value], ...]
        if not isinstance(pair, list) or len(pair) != 2:
            raise CheckpointError(f"the metadata at {where}: entry {i} of __items__ is not "
                                  "a [key, value] pair")
        key = _join(pair[0], arrays, f"{where}/key{i}")
        try:
            hash(key)
        except TypeError:
            raise CheckpointError(f"the metadata at {where}: key {i} is a "
                                  f"{type(key).__name__}, which cannot be a key") from None
        result[key] = _join(pair[1], arrays, f"{where}/{key}")
    return result


def _nesting_depth(value):
    """How deeply lists and dicts nest in ``value``, counted without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth + 1)
            if deepest > MAX_DEPTH:
                return deepest
            stack.extend((child, depth + 1)
                         for child in (item.values() if isinstance(item, dict) else item))
    return deepest


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
    with atomic_write(path) as handle:
        np.savez(handle, **arrays)   # a file object: NumPy adds no ".npz" to the name


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


def _load_archive(source, path, start):
    if start != b"PK\x03\x04":     # every .npz is a zip archive
        raise CheckpointError(f"{path} is not a scratchcnn file: it is not an .npz (zip) "
                              "archive" + (" (it is empty)" if not start else
                                           "; it may be corrupt or of another format"))
    try:
        arrays, raw = read_members(source, path)
        if raw is None:
            raise CheckpointError(f"{path} is not a scratchcnn file (no {_METADATA_KEY}); "
                                  "it may be a plain NumPy archive")
        metadata = json.loads(raw.tobytes().decode("utf-8"))
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except CheckpointError:
        raise
    except RecursionError:
        raise CheckpointError(f"{path}: its metadata is nested too deeply") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path}: its metadata is not valid UTF-8 JSON: {error}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, KeyError,
            ValueError, NotImplementedError, RuntimeError, OverflowError) as error:
        raise CheckpointError(f"{path} is corrupt or truncated: {error}") from None
    return _interpret(metadata, arrays, path)


def _interpret(metadata, arrays, path):
    """The saved object from the checked metadata document and the arrays."""
    if not isinstance(metadata, dict) or "tree" not in metadata:
        raise CheckpointError(f"{path} is not a scratchcnn file: its metadata is not an "
                              "object with a 'tree'")
    if metadata.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a scratchcnn file (format "
                              f"{str(metadata.get('format'))[:40]!r})")
    version = metadata.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(f"{path} has an unknown format version {str(version)[:40]!r} "
                              f"(this scratchcnn reads version {VERSION})")
    if version > VERSION:
        raise CheckpointError(f"{path} was written by a newer scratchcnn (format version "
                              f"{version}, this one reads {VERSION})")
    if _nesting_depth(metadata["tree"]) > MAX_DEPTH:
        raise CheckpointError(f"{path}: its metadata is nested more than {MAX_DEPTH} levels "
                              "deep")
    try:
        return _join(metadata["tree"], arrays)
    except CheckpointError as error:
        raise CheckpointError(f"{path}: {error}") from None


def _archive_size(source):
    if hasattr(source, "seek"):
        here = source.tell()
        size = source.seek(0, os.SEEK_END)
        source.seek(here)
        return size
    return os.path.getsize(source)


def read_members(source, path):
    """({name: array}, metadata bytes or None) of an ``.npz`` archive, every member's
    declared size checked against its ``.npy`` header and the archive's real size
    *before* anything is allocated. Pickled (object) arrays are refused."""
    total = _archive_size(source)
    arrays, metadata, declared = {}, None, 0
    with zipfile.ZipFile(source) as archive:
        if any(info.filename.endswith("data.pkl") for info in archive.infolist()):
            raise CheckpointError(
                f"{path} was written by PyTorch's torch.save: a pickle inside a zip, which "
                "scratchcnn never loads (unpickling an untrusted file can run code). Convert "
                "the model with scratchcnn.interop.from_torch, or save its weights from "
                "PyTorch with numpy.savez(path, **{k: v.numpy() for k, v in "
                "model.state_dict().items()})")
        for info in archive.infolist():
            name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            if info.header_offset + info.compress_size > total:
                raise CheckpointError(f"{path}: member {name!r} declares {info.compress_size} "
                                      f"bytes beyond the end of the file ({total} bytes): "
                                      "truncated or forged")
            if info.compress_type == zipfile.ZIP_STORED:
                if info.file_size != info.compress_size:
                    raise CheckpointError(f"{path}: member {name!r} declares {info.file_size} "
                                          f"bytes but stores {info.compress_size}")
            else:   # compressed: bounded by what the archive could plausibly expand to
                declared += info.file_size
                if declared > MAX_EXPANSION * total + (64 << 20):
                    raise CheckpointError(f"{path}: its compressed members would expand to "
                                          f"{declared} bytes from a {total}-byte file; "
                                          "refused as a decompression bomb")
            with archive.open(info) as member:
                array = _read_npy(member, info.file_size, f"{path}: member {name!r}")
            if name == _METADATA_KEY:
                metadata = array
            else:
                arrays[name] = array
    return arrays, metadata


def _read_npy(member, size, where):
    """One ``.npy`` stream of ``size`` bytes: header checked, then read into place."""
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
    else:
        raise CheckpointError(f"{where} has an unknown .npy version {version}")
    if dtype.hasobject:
        raise CheckpointError(f"{where.split(':')[0]} holds pickled objects, which are "
                              "refused: loading them could run code")
    if dtype.kind not in "biufcSU" or dtype.fields is not None or dtype.subdtype is not None:
        raise CheckpointError(f"{where} has an unsupported dtype {dtype}")
    count = 1
    for side in shape:
        count *= int(side)   # Python ints: a forged shape cannot overflow
    needed = count * dtype.itemsize
    header = member.tell()
    if header + needed != size:
        raise CheckpointError(f"{where} declares shape {tuple(shape)} of {dtype} = {needed} "
                              f"bytes but holds {size - header}: truncated or forged")
    array = np.empty(shape, dtype=dtype, order="F" if fortran else "C")
    view = memoryview(array.reshape(-1, order="A").view(np.uint8)) if count else b""
    done = 0
    while done < needed:
        got = member.readinto(view[done:])
        if not got:
            raise CheckpointError(f"{where} ends after {done} of {needed} bytes: truncated")
        done += got
    return array
