"""Every file a run writes goes through here: complete or not there at all, never through a link.

:func:`atomic_write` opens a *unique* temporary file in the destination's folder
(``.tmp-<name>-<random>``), created exclusively (``O_EXCL``) and without following a
symbolic link (``O_NOFOLLOW``), so a link planted at a predictable name cannot
redirect the write. The data is flushed and ``fsync``'ed, then the file is renamed
over the destination with ``os.replace`` (which replaces a link at the destination
instead of writing through it). Any failure (a full disk, Ctrl+C, an exception of the
writer) removes the temporary file and leaves the previous destination untouched.

A process killed with SIGKILL cannot clean up: :func:`remove_temporaries` removes the
``.tmp-*`` files such runs leave, when the next run in that folder starts or resumes.

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> with atomic_write(os.path.join(folder, "a.txt")) as handle:
...     _ = handle.write(b"hello")
>>> sorted(os.listdir(folder))
['a.txt']
"""

import errno
import os
import secrets
from contextlib import contextmanager

TEMP_PREFIX = ".tmp-"
_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
          | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


def temporary_name(path):
    """A fresh hidden name beside ``path``: ``<folder>/.tmp-<name>-<16 hex digits>``."""
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f"{TEMP_PREFIX}{name}-{secrets.token_hex(8)}")


def _open_exclusive(path):
    """A new temporary file beside ``path`` (mode 0666 minus the umask), opened for
    binary writing; retried on the (unlikely) clash of two random names."""
    for _ in range(16):
        temporary = temporary_name(path)
        try:
            return temporary, os.open(temporary, _FLAGS, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "could not create a unique temporary file", path)


def _sync_folder(folder):
    """Make the rename itself durable (best effort: not every system can open a folder)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


@contextmanager
def atomic_write(path):
    """``with atomic_write(path) as handle: handle.write(bytes)``: the file appears at
    ``path`` complete, or (on any error) not at all and the old one stays.

    An ``OSError`` (e.g. ``ENOSPC``, a full disk) is raised again naming ``path``."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary, descriptor = _open_exclusive(path)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        if isinstance(error, OSError) and not isinstance(error, FileNotFoundError) \
                and error.errno is not None and error.filename is None:
            raise OSError(error.errno, error.strerror, path) from None
        raise
    _sync_folder(folder)


def write_bytes(path, data):
    """Write ``data`` (bytes) to ``path`` with :func:`atomic_write`."""
    with atomic_write(path) as handle:
        handle.write(data)


def remove_temporaries(folder):
    """Remove the ``.tmp-*`` entries directly inside ``folder`` that killed writers left
    (files or links, never followed; subfolders are left alone). Returns their names."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return removed
    for entry in entries:
        if entry.name.startswith(TEMP_PREFIX) and not entry.is_dir(follow_symlinks=False):
            try:
                os.unlink(entry.path)
                removed.append(entry.name)
            except FileNotFoundError:
                pass
    return sorted(removed)
