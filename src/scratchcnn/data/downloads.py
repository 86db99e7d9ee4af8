"""Optional downloads for machines that are online; :func:`load_dataset` never calls them
unless asked (``download=True``).

Every file is written to a temporary file in the destination folder, checked against
its known SHA-256 (and size), then moved into place with ``os.replace``: an interrupted
or corrupted download leaves nothing behind. The hashes are those published by
TensorFlow Datasets for the same files.
"""

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request

from ..errors import ArgumentError
from .errors import DatasetError, DownloadError
from .loaded import _canonical_name, cache_dir

# name -> mirrors (tried in order) and files: name -> (size in bytes, SHA-256)
RESOURCES = {
    "mnist": {
        "mirrors": ["https://storage.googleapis.com/cvdf-datasets/mnist/",
                    "https://ossci-datasets.s3.amazonaws.com/mnist/"],
        "files": {
            "train-images-idx3-ubyte.gz": (
                9912422, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
            "train-labels-idx1-ubyte.gz": (
                28881, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
            "t10k-images-idx3-ubyte.gz": (
                1648877, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
            "t10k-labels-idx1-ubyte.gz": (
                4542, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
        },
    },
    "fashion-mnist": {
        "mirrors": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
        "files": {
            "train-images-idx3-ubyte.gz": (
                26421880, "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
            "train-labels-idx1-ubyte.gz": (
                29515, "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
            "t10k-images-idx3-ubyte.gz": (
                4422102, "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
            "t10k-labels-idx1-ubyte.gz": (
                5148, "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
        },
    },
    "cifar10": {
        "mirrors": ["https://www.cs.toronto.edu/~kriz/"],
        "files": {
            "cifar-10-binary.tar.gz": (
                170052171, "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"),
        },
        "extract": "cifar-10-batches-bin",
    },
}


def sha256_of(path, chunk=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def download_file(url, path, sha256, size=None, timeout=60):
    """Download ``url`` to ``path`` through a temporary file in the same folder; the file
    appears (atomically, ``os.replace``) only when its SHA-256 is ``sha256``."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".",
                                     suffix=".part")
    try:
        digest, written = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as f:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    while block := response.read(1 << 20):
                        digest.update(block)
                        f.write(block)
                        written += len(block)
            except (urllib.error.URLError, OSError) as error:
                raise DownloadError(f"{url}: download failed ({error})") from None
            f.flush()
            os.fsync(f.fileno())
        if size is not None and written != size:
            raise DownloadError(f"{url}: got {written} bytes, expected {size}; nothing saved")
        if digest.hexdigest() != sha256.lower():
            raise DownloadError(f"{url}: SHA-256 mismatch (got {digest.hexdigest()}, expected "
                                f"{sha256}); nothing saved")
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    return path


def _extract(archive, folder, member_root):
    """Extract ``member_root/`` of a tar archive into ``folder`` atomically."""
    target = os.path.join(folder, member_root)
    staging = tempfile.mkdtemp(dir=folder, prefix=".extract-")
    try:
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers()
                       if m.name == member_root or m.name.startswith(member_root + "/")]
            if not members:
                raise DatasetError(f"{archive}: no {member_root}/ inside")
            tar.extractall(staging, members=members, filter="data")
        if os.path.isdir(target):
            shutil.rmtree(target)
        os.replace(os.path.join(staging, member_root), target)
    except (tarfile.TarError, EOFError, OSError) as error:
        raise DatasetError(f"{archive}: cannot extract ({error})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def download(name, root=None, force=False, mirrors=None, log=print):
    """Download data set ``name`` ("mnist", "fashion-mnist" or "cifar10") into ``root``
    (default: its cache folder, where :func:`load_dataset` looks); returns the folder.
    Files already there with the right SHA-256 are kept unless ``force``."""
    name = _canonical_name(name)
    if name not in RESOURCES:
        raise ArgumentError(f"no download for {name}; downloads exist for "
                            f"{', '.join(RESOURCES)}")
    resource = RESOURCES[name]
    folder = os.fspath(root) if root is not None else cache_dir(name)
    os.makedirs(folder, exist_ok=True)
    for filename, (size, sha256) in resource["files"].items():
        path = os.path.join(folder, filename)
        extract = resource.get("extract")
        if not force and os.path.isfile(path) and sha256_of(path) == sha256:
            if extract and not os.path.isdir(os.path.join(folder, extract)):
                _extract(path, folder, extract)
            continue
        errors = []
        for mirror in mirrors or resource["mirrors"]:
            url = mirror.rstrip("/") + "/" + filename
            if log:
                log(f"downloading {url}")
            try:
                download_file(url, path, sha256, size)
                break
            except DownloadError as error:
                errors.append(str(error))
        else:
            raise DownloadError(f"could not download {filename} for {name}:\n  " +
                                "\n  ".join(errors) + f"\nPut the file in {folder} by hand.")
        if extract:
            _extract(path, folder, extract)
    return folder
