"""Decoded images kept on disk: a memory-mapped ``.npy`` per split beside a small JSON index.

Decoding 100,000 JPEGs takes a minute or two; reading the decoded pixels back takes
well under a second. The first use of an image data set decodes every file once, on
threads (Pillow releases the GIL while decoding), with a progress bar, into
``<key>.npy`` (uint8, (N, C, H, W)) and writes ``<key>.json`` beside it: the format, the
shape and a fingerprint of the source files (their paths relative to the data set's
folder, sizes and modification times, in order). Later uses find the same fingerprint
and map the ``.npy`` read-only: only the pages a batch touches are read, so the set does
not have to fit in memory. Pages read through the map count in the process's resident
memory until :func:`release_pages` hands them back (they stay in the system's file
cache), as ``scratchcnn train`` does after its pass over the images for their mean and
standard deviation.

Adding, removing, replacing or touching a source file changes the fingerprint and the
cache is rebuilt. Both files are written through :mod:`scratchcnn.safe_write` (a unique
temporary file, then a rename), the index last: a killed build leaves no index that
points at a partial ``.npy``. A corrupt image stops the build with the decoder's error,
which names the file.

The cache lives in ``<data folder>/.scratchcnn-cache/`` (hidden, so image folders do not
see it as a class), or, when that folder is read-only, in
``$SCRATCHCNN_DATA/decoded/<hash of the folder's path>/``.
"""

import collections
import hashlib
import json
import mmap
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..safe_write import atomic_write, remove_temporaries, write_bytes
from .errors import DatasetError
from .loaded import cache_dir

CACHE_FOLDER = ".scratchcnn-cache"
FORMAT = 1
CHUNK = 256          # images decoded per task: large enough to keep the threads busy


def fingerprint(folder, paths, shape):
    """SHA-256 (hex) of the files ``paths`` (relative names, sizes, modification times in
    nanoseconds, in order) and the decoded ``shape``; a missing file raises DatasetError."""
    digest = hashlib.sha256(json.dumps([FORMAT, list(shape)]).encode())
    for path in paths:
        try:
            stat = os.stat(path)
        except OSError as error:
            raise DatasetError(f"{path}: cannot read it ({error.strerror})") from None
        digest.update(f"{os.path.relpath(path, folder)}\0{stat.st_size}\0"
                      f"{stat.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def cache_location(folder):
    """Where the cache of the data set in ``folder`` is kept (see the module docstring)."""
    folder = os.path.abspath(folder)
    if os.access(folder, os.W_OK):
        return os.path.join(folder, CACHE_FOLDER)
    name = hashlib.sha256(folder.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return os.path.join(cache_dir("decoded"), name)


def _open_cached(index_path, array_path, digest, shape):
    """The mapped array when the index matches ``digest`` and ``shape``, else None."""
    try:
        with open(index_path, encoding="utf-8") as handle:
            index = json.load(handle)
        if (not isinstance(index, dict) or index.get("format") != FORMAT
                or index.get("fingerprint") != digest or index.get("shape") != list(shape)):
            return None
        return _map_npy(array_path, tuple(shape))
    except (OSError, ValueError, UnicodeDecodeError):
        return None    # absent, unreadable, damaged or of another shape: rebuilt


def _map_npy(path, shape):
    """A read-only uint8 array over a memory map of the .npy ``path`` (its own map, so
    that :func:`release_pages` can reach it); ValueError unless it holds ``shape``."""
    with open(path, "rb") as handle:
        version = np.lib.format.read_magic(handle)
        reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                  else np.lib.format.read_array_header_2_0)
        stored, fortran, dtype = reader(handle)
        offset = handle.tell()
        if stored != shape or fortran or dtype != np.uint8:
            raise ValueError(f"{path} holds {stored} {dtype}, not {shape} uint8")
        if os.fstat(handle.fileno()).st_size != offset + int(np.prod(shape)):
            raise ValueError(f"{path} is truncated")
        if not np.prod(shape):
            return np.zeros(shape, dtype=np.uint8)
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    return np.ndarray(shape, dtype=np.uint8, buffer=mapped, offset=offset)


def release_pages(array):
    """Drop the pages of a cached array from this process's resident memory (they stay
    in the system's file cache and are read back when touched again); no effect on
    arrays that are not views of a cache's memory map."""
    base = array
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None)
    if base is not None and hasattr(mmap, "MADV_DONTNEED"):
        base.madvise(mmap.MADV_DONTNEED)


def _write_array(array_path, paths, shape, decode, workers, progress, description):
    """Decode ``paths`` in chunks on ``workers`` threads and append each chunk, in order,
    to a new .npy; at most ``2 * workers`` decoded chunks wait in memory."""
    from tqdm.auto import tqdm

    chunks = [paths[start:start + CHUNK] for start in range(0, len(paths), CHUNK)]
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.uint8)),
              "fortran_order": False, "shape": tuple(shape)}
    bar = tqdm(total=len(paths), desc=description, unit="img", dynamic_ncols=True,
               disable=None if progress is None else not progress, leave=False)
    try:
        with atomic_write(array_path) as handle, ThreadPoolExecutor(workers) as pool:
            np.lib.format.write_array_header_1_0(handle, header)
            pending = collections.deque()
            for chunk in chunks:
                pending.append(pool.submit(decode, chunk))
                if len(pending) >= 2 * workers:
                    _write_chunk(handle, pending.popleft(), bar, pending)
            while pending:
                _write_chunk(handle, pending.popleft(), bar, pending)
    finally:
        bar.close()


def _write_chunk(handle, future, bar, pending):
    try:
        pixels = future.result()     # re-raises the decoder's error (it names the file)
    except BaseException:
        for other in pending:
            other.cancel()
        raise
    handle.write(np.ascontiguousarray(pixels, dtype=np.uint8).tobytes())
    bar.update(len(pixels))


def cached_images(folder, key, paths, shape, decode, progress=None, workers=None,
                  log=None):
    """The decoded images of ``paths`` as a read-only memory-mapped uint8 array ``shape``
    (N, C, H, W), from the cache ``key`` of the data set in ``folder``: reused while the
    fingerprint matches, else built with ``decode(paths_chunk) -> (k, C, H, W) uint8``
    on ``workers`` threads (default min(8, CPUs)), with a progress bar on a terminal
    (``progress``: True/False forces it on/off). ``log`` gets one line per build."""
    location = cache_location(folder)
    index_path = os.path.join(location, f"{key}.json")
    array_path = os.path.join(location, f"{key}.npy")
    digest = fingerprint(folder, paths, shape)
    array = _open_cached(index_path, array_path, digest, shape)
    if array is not None:
        return array
    os.makedirs(location, exist_ok=True)
    remove_temporaries(location)    # what builds killed mid-way left
    workers = workers or min(8, os.cpu_count() or 1)
    if log is not None:
        log(f"decoding {len(paths):,} images into {array_path} (once; reused while the "
            "files are unchanged)")
    _write_array(array_path, paths, shape, decode, workers, progress, f"decoding {key}")
    index = {"format": FORMAT, "fingerprint": digest, "shape": list(shape), "dtype": "uint8",
             "count": len(paths), "source": os.path.abspath(folder)}
    write_bytes(index_path, (json.dumps(index, indent=1) + "\n").encode("utf-8"))
    array = _open_cached(index_path, array_path, digest, shape)
    if array is None:
        raise DatasetError(f"{array_path}: the cache just written cannot be read back")
    return array
