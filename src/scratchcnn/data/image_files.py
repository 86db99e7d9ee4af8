"""Images read from their files when indexed: for image folders larger than memory.

:class:`FileImages` stands where a :class:`~scratchcnn.data.LoadedDataset` holds its
images array: it has the array's ``shape``, ``dtype`` and ``len``, and indexing it
(an int, a slice, an index array, as for the first axis of an array) decodes just those
files. A :class:`~scratchcnn.data.DataLoader` asks for one batch at a time, so with
``num_workers`` > 0 each batch is decoded in a background thread while the model trains
on the previous one, and no more than a few batches are ever held.
"""

import numpy as np

from ..errors import ArgumentError


class FileImages:
    """(N, C, H, W) images decoded on demand from ``paths`` by ``decode(paths, dtype)``
    (which returns (k, C, H, W) arrays of ``dtype``)."""

    ndim = 4

    def __init__(self, paths, shape, dtype, decode):
        self.paths = list(paths)
        self.shape = (len(self.paths), *(int(s) for s in shape))
        self.dtype = np.dtype(dtype)
        self._decode = decode

    @property
    def nbytes(self):
        """What the decoded images would take, all of them at once."""
        return int(np.prod(self.shape)) * self.dtype.itemsize

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, key):
        first, rest = (key[0], key[1:]) if isinstance(key, tuple) and key else (key, ())
        try:
            rows = np.arange(len(self.paths))[first]
        except IndexError as error:
            raise IndexError(f"FileImages: {error}") from None
        if np.ndim(rows) > 1:
            raise ArgumentError(f"FileImages takes an int, a slice or a 1-D index array, got "
                                f"an index of shape {np.shape(rows)}")
        single = np.ndim(rows) == 0
        pixels = self._decode([self.paths[i] for i in np.atleast_1d(rows)], self.dtype)
        pixels = pixels[0] if single else pixels
        return pixels[rest] if rest else pixels

    def __array__(self, dtype=None, copy=None):
        """Every image decoded (all of them in memory: what ``np.asarray`` asks for)."""
        pixels = self[:]
        return pixels if dtype is None else pixels.astype(dtype)

    def __repr__(self):
        return f"FileImages({len(self.paths)} files, shape={self.shape}, dtype={self.dtype})"
