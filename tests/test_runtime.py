"""Process-wide settings made at import (scratchcnn/runtime.py)."""

import os
import platform
import subprocess
import sys

import pytest

from scratchcnn import runtime


def run_python(code, **env):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=dict(os.environ, **env), check=True)
    return result.stdout.strip()


def test_importing_scratchcnn_first_shortens_the_blas_spin():
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    code = "import scratchcnn, os; print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, check=True)
    assert result.stdout.strip() == "22"


def test_a_value_in_the_environment_wins():
    code = "import scratchcnn, os; print(os.environ['OPENBLAS_THREAD_TIMEOUT'])"
    assert run_python(code, OPENBLAS_THREAD_TIMEOUT="28") == "28"


def test_numpy_imported_first_is_left_alone():
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    code = "import numpy, scratchcnn, os; print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, check=True)
    assert result.stdout.strip() == "None"


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_keep_freed_memory_is_accepted_by_glibc():
    assert runtime.keep_freed_memory() is True


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_freed_memory_is_reused_without_new_page_faults():
    """After a 64 MB array is freed, the next one of that size reuses its pages: no new
    page faults. Without the setting the pages fault again (fewer than 64 MB / 4 KB
    where NumPy asks for huge pages, but hundreds)."""
    code = """
import resource, numpy as np, scratchcnn
def faults_of_fresh_array():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    np.ones(16 * 1024 * 1024, dtype=np.float32)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
faults_of_fresh_array()
print(faults_of_fresh_array())
"""
    kept = int(run_python(code))
    unmapped = int(run_python(code, SCRATCHCNN_KEEP_FREED_MEMORY="0"))
    assert kept < 16 < 32 <= unmapped
