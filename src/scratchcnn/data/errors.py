"""Errors of the data package: each message names the file and what is wrong with it.

``DatasetError`` derives from ``ValueError`` (a corrupt file is a bad value), the two
others also from the ``OSError`` a user would catch for a missing file or a failed
download.
"""

from ..errors import ScratchCNNError


class DatasetError(ScratchCNNError, ValueError):
    """A data file is corrupt, truncated or inconsistent (bad magic number, size mismatch
    between header and payload, label count != image count, unreadable image)."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """A data set's files are not where they were looked for; the message lists the files,
    the folders searched and how to get them."""


class DownloadError(DatasetError, ConnectionError):
    """A download failed or its SHA-256 did not match: nothing was saved."""
