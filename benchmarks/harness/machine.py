"""What the numbers were measured on, and whether anything else was using the CPU.

>>> info = machine_info(torch=False)
>>> sorted(k for k in info if k in ("cpu_model", "logical_cpus", "numpy", "python"))
['cpu_model', 'logical_cpus', 'numpy', 'python']
"""

import os
import platform
import subprocess
import time

from scratchcnn.benchmark.report import blas_summary  # noqa: F401  (re-exported)


def cpu_model():
    """lscpu's "Model name" (Linux), else whatever ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return platform.processor() or platform.machine()


def load_average():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def memory_total_gib():
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


# Environment variables that force OpenBLAS's kernel choice or cache model. Some machines
# set them globally (older OpenBLAS builds misdetect or crash on newer CPUs); a current
# NumPy then runs an older, slower kernel (on an AVX-512 CPU forced to "Haswell", half the
# GEMM rate), so the suite reports them and the kernel actually in use.
BLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def blas_info():
    """NumPy's BLAS as threadpoolctl sees it: library, version and kernel ("architecture",
    OpenBLAS only), plus any of ``BLAS_OVERRIDES`` set in the environment."""
    import threadpoolctl

    import numpy  # noqa: F401  (threadpoolctl lists only loaded libraries)

    pools = [p for p in threadpoolctl.threadpool_info() if p.get("user_api") == "blas"]
    pool = next((p for p in pools if "numpy" in p.get("filepath", "")), pools[0] if pools else {})
    return {"library": pool.get("internal_api"), "version": pool.get("version"),
            "kernel": pool.get("architecture"),
            "overrides": {k: os.environ[k] for k in BLAS_OVERRIDES if k in os.environ}}


def machine_info(torch=True):
    """CPU, memory, OS and library versions (torch's only if ``torch``; it is not imported
    here, its version is read from the package metadata)."""
    import threadpoolctl
    from importlib import metadata

    import numpy

    import scratchcnn

    info = {"cpu_model": cpu_model(), "logical_cpus": os.cpu_count(),
            "memory_gib": memory_total_gib(), "platform": platform.platform(),
            "python": platform.python_version(), "numpy": numpy.__version__,
            "threadpoolctl": threadpoolctl.__version__, "scratchcnn": scratchcnn.__version__,
            "loadavg_at_start": load_average(), "blas": blas_info()}
    if torch:
        try:
            info["torch"] = metadata.version("torch")
        except metadata.PackageNotFoundError:
            info["torch"] = None
    return info


def cpu_busy(seconds):
    """Share of all CPUs' time that was busy over the next ``seconds`` (Linux
    ``/proc/stat``: 1 - (idle + iowait) / total), or None elsewhere."""
    def sample():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        return values[3] + values[4], sum(values[:8])
    try:
        idle0, total0 = sample()
        time.sleep(seconds)
        idle1, total1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    return round(1 - (idle1 - idle0) / max(total1 - total0, 1), 3)
