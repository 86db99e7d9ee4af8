"""Entry point of the ``scratchcnn`` command.

The command is an application, not a library: before NumPy is loaded it applies the
process-wide speed settings described in :mod:`scratchcnn.runtime` (a short OpenBLAS
spin, freed memory kept for reuse), which ``import scratchcnn`` itself never does.
This module sits outside the package because importing anything inside
``scratchcnn`` runs the package's ``__init__``, which imports NumPy.
"""

import os
import sys


def main(argv=None):
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "22")   # see scratchcnn/runtime.py
    from scratchcnn import runtime
    from scratchcnn.cli import main as cli_main

    runtime.apply_defaults()
    return cli_main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
