"""Process-wide settings that make training faster, and why. ``import scratchcnn`` makes
none of them: a library must not change its host process. The ``scratchcnn`` command
is an application and applies both for its own process before NumPy loads
(``scratchcnn_launcher.py``); a script can ask for the same with
:func:`apply_defaults` (point 1 only works before NumPy is imported).

Both make a training step faster without changing a single number it computes; the
command leaves either alone when the environment says so.

1. **Idle BLAS threads sleep sooner** (``OPENBLAS_THREAD_TIMEOUT=22``). OpenBLAS's
   worker threads keep spinning for 2**28 cycles (~0.1 s) after each matrix product,
   and on a machine with few cores they take the core away from the copy and pooling
   passes that scratchcnn splits across threads right after a product
   (:mod:`scratchcnn.kernels.parallel`): on 2 cores, the col2im scatter after a product
   went from 47 to 75 ms. 2**22 cycles (~1 ms) keeps the products as fast. OpenBLAS
   reads the variable when NumPy is first imported, so it only applies when it is set
   before NumPy is imported; a value already in the environment wins.

2. **Freed memory stays in the process** (:func:`keep_freed_memory`). A training step
   allocates and frees the same large arrays every time (im2col matrices, gradients,
   optimizer temporaries: hundreds of MB for AlexNet). glibc's malloc serves blocks
   above 32 MB with ``mmap`` and unmaps them on ``free``; smaller ones come from the
   heap, whose free top is given back to the OS once it passes a threshold. Every step
   then asks the kernel for fresh pages again, and the first write to each page is a
   page fault. On a virtual machine that costs more than the arithmetic: a fresh
   151 MB buffer took 360 ms to fill, a reused one 42 ms, and an AlexNet-200 training
   step (batch 32, 2 threads) went from 4.1 s to 2.5 s with this setting. NumPy has no
   allocator of its own beyond a tiny cache. The cost: the process's resident memory no
   longer shrinks between steps (it stays at the peak), for everything in the process,
   not only scratchcnn's arrays, and the peak can grow a little (reused blocks fit less
   tightly: the AlexNet step's peak RSS went from 1606 to 1717 MB). Set ``SCRATCHCNN_KEEP_FREED_MEMORY=0`` to leave malloc alone. Other C
   libraries (musl, macOS) have no such switches; there it does nothing.
"""

import ctypes
import os
import sys

# mallopt parameter numbers from glibc's <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_NEVER_TRIM = 2**31 - 1      # bytes of free heap top before giving memory back: never, in practice

ENV_VAR = "SCRATCHCNN_KEEP_FREED_MEMORY"
BLAS_TIMEOUT = ("OPENBLAS_THREAD_TIMEOUT", "22")


def _glibc_mallopt():
    """glibc's ``mallopt``, or None where the C library is not glibc. ``CDLL(None)`` is
    the running program, whose symbols include the C library's (no search for the
    library file, which would start ``ldconfig`` at every import)."""
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version            # glibc only
        return libc.mallopt
    except (OSError, AttributeError):
        return None


def keep_freed_memory():
    """Ask malloc to keep freed memory for reuse (point 2 of the module docstring).

    Returns True if the C library took the settings, False where it cannot (not glibc).
    Safe to call more than once.
    """
    mallopt = _glibc_mallopt()
    if mallopt is None:
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    # No mmap'd blocks (they are unmapped on free), and no trimming of the heap's top.
    return bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, _NEVER_TRIM))


def apply_defaults():
    """Both settings of the module docstring, for this whole process (the ``scratchcnn``
    command calls it first thing). Returns what was done, as a dict."""
    done = {"blas_timeout": False, "keep_freed_memory": False}
    if "numpy" not in sys.modules and BLAS_TIMEOUT[0] not in os.environ:
        os.environ[BLAS_TIMEOUT[0]] = BLAS_TIMEOUT[1]
        done["blas_timeout"] = True
    if os.environ.get(ENV_VAR, "1").strip().lower() not in ("0", "false", "no", "off"):
        done["keep_freed_memory"] = keep_freed_memory()
    return done
