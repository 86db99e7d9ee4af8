"""The IDX format of MNIST and Fashion-MNIST, gzipped or not, parsed with ``np.frombuffer``.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the values in C order:
``0x00000803`` is a 3-D uint8 array (images N x H x W), ``0x00000801`` a 1-D uint8
array (labels).
"""

import gzip
import os
import zlib

import numpy as np

from .errors import DatasetError

IDX_TYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
             0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path):
    """The content of ``path``, decompressed when it is gzip data (told by its first two
    bytes, not its name). A corrupt or truncated gzip stream raises DatasetError."""
    with open(path, "rb") as f:
        gzipped = f.read(2) == GZIP_MAGIC
    if not gzipped:
        with open(path, "rb") as f:
            return f.read()
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except EOFError as error:
        raise DatasetError(f"{path}: truncated gzip data ({error}); download the file "
                           "again") from None
    except (OSError, zlib.error) as error:
        raise DatasetError(f"{path}: corrupt gzip data ({error}); download the file "
                           "again") from None


def read_idx(path, ndim=None):
    """The array stored in the IDX file ``path`` (read-only, a view of the file's bytes).

    ``ndim`` (e.g. 3 for images, 1 for labels) is checked against the magic number.
    Raises DatasetError naming the file for a bad magic number, a truncated header, or a
    payload whose size differs from what the header's dimensions announce.
    """
    path = os.fspath(path)
    raw = read_bytes(path)
    expected = f" (expected 0x{0x800 + ndim:08X} for a {ndim}-D uint8 array)" if ndim else ""
    if len(raw) < 4:
        raise DatasetError(f"{path}: truncated: {len(raw)} bytes, not even the 4-byte magic "
                           "number of an IDX file")
    magic = int.from_bytes(raw[:4], "big")
    code, dims_count = raw[2], raw[3]
    if raw[0] or raw[1] or code not in IDX_TYPES or dims_count == 0 or (
            ndim is not None and dims_count != ndim):
        raise DatasetError(f"{path}: bad magic number 0x{magic:08X}: not an IDX file"
                           f"{expected}")
    header = 4 + 4 * dims_count
    if len(raw) < header:
        raise DatasetError(f"{path}: truncated header: {len(raw)} bytes, the header of a "
                           f"{dims_count}-D IDX file takes {header}")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=dims_count, offset=4))
    dtype = IDX_TYPES[code]
    count = 1
    for side in shape:       # Python ints: a forged header cannot overflow the product
        count *= side
    if shape[0] == 0:
        raise DatasetError(f"{path}: the header announces 0 items: an empty IDX file")
    payload, needed = len(raw) - header, count * dtype.itemsize
    if payload != needed:
        what = "truncated" if payload < needed else "trailing bytes"
        raise DatasetError(f"{path}: size mismatch between header and payload ({what}): the "
                           f"header announces {' x '.join(map(str, shape))} values of "
                           f"{dtype.itemsize} byte(s) = {needed} bytes, the file holds "
                           f"{payload}")
    return np.frombuffer(raw, dtype, count=count, offset=header).reshape(shape)
