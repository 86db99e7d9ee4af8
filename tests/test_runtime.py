"""Process-wide settings: ``import scratchcnn`` makes none; the ``scratchcnn`` command
applies them for itself (scratchcnn/runtime.py, scratchcnn_launcher.py)."""

import os
import platform
import subprocess
import sys

import pytest

from scratchcnn import runtime

GLIBC = platform.libc_ver()[0] == "glibc"


def run_python(code, **env):
    base = {k: v for k, v in os.environ.items()
            if k not in ("OPENBLAS_THREAD_TIMEOUT", runtime.ENV_VAR)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=dict(base, **env), check=True)
    return result.stdout.strip()


def test_import_leaves_the_environment_unchanged():
    code = ("import os, json; before = dict(os.environ); import scratchcnn; "
            "print(json.dumps(dict(os.environ) == before))")
    assert run_python(code) == "true"


RSS_AFTER_FREE = """
import numpy as np, scratchcnn as sc
def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20
before = rss_mb()
a = np.ones(200 * 2**20 // 8)            # 200 MB, touched
peak = rss_mb()
del a
print(int(peak - before), int(rss_mb() - before))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_import_leaves_the_allocator_alone():
    """A freed 200 MB array goes back to the operating system after import scratchcnn."""
    grown, kept = map(int, run_python(RSS_AFTER_FREE).split())
    assert grown >= 190 and kept < 20


@pytest.mark.skipif(not (GLIBC and sys.platform.startswith("linux")), reason="glibc's mallopt")
def test_apply_defaults_keeps_freed_memory_for_the_command():
    code = RSS_AFTER_FREE.replace("import numpy as np, scratchcnn as sc",
                                  "from scratchcnn import runtime; runtime.apply_defaults()\n"
                                  "import numpy as np")
    grown, kept = map(int, run_python(code).split())
    assert grown >= 190 and kept >= 190


def test_the_command_sets_the_blas_spin_before_numpy_loads():
    code = ("import os, sys, scratchcnn_launcher\n"
            "numpy_before = 'numpy' in sys.modules\n"
            "try:\n    scratchcnn_launcher.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(numpy_before, os.environ.get('OPENBLAS_THREAD_TIMEOUT'))")
    assert run_python(code).splitlines()[-1] == "False 22"


def test_a_value_in_the_environment_wins():
    code = ("import os, scratchcnn_launcher\n"
            "try:\n    scratchcnn_launcher.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(os.environ['OPENBLAS_THREAD_TIMEOUT'])")
    assert run_python(code, OPENBLAS_THREAD_TIMEOUT="28").splitlines()[-1] == "28"


def test_numpy_imported_first_is_left_alone():
    code = ("import numpy, os; from scratchcnn import runtime; runtime.apply_defaults(); "
            "print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))")
    assert run_python(code) == "None"


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_keep_freed_memory_is_accepted_by_glibc():
    assert runtime.keep_freed_memory() is True


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_freed_memory_is_reused_without_new_page_faults():
    """With the command's settings, after a 64 MB array is freed the next one of that
    size reuses its pages: no new page faults. Without them the pages fault again."""
    code = """
import resource, numpy as np
{setup}
def faults_of_fresh_array():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    np.ones(16 * 1024 * 1024, dtype=np.float32)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
faults_of_fresh_array()
print(faults_of_fresh_array())
"""
    kept = int(run_python(code.format(setup="from scratchcnn import runtime; "
                                            "runtime.apply_defaults()")))
    unmapped = int(run_python(code.format(setup="import scratchcnn")))
    assert kept < 16 < 32 <= unmapped
