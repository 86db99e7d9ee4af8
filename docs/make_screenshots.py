"""Regenerate the visualizer's screenshots in docs/images/ (visualizer-*.png).

They are the browser tests' own screenshots (tests/test_viz_browser.py), taken with the
default digits model trained as `scratchcnn visualize` trains it on first use, so the
network explorer shows a real prediction. Needs chromium and chromium-driver (`make test`
installs them):

    .venv/bin/python docs/make_screenshots.py
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    from scratchcnn import workflow
    from scratchcnn.viz.network import DEFAULT_TRAINING

    with tempfile.TemporaryDirectory() as folder:
        workflow.train(out_dir=folder, progress=False, plots=False, log=None,
                       **DEFAULT_TRAINING)
        env = dict(os.environ, CI="true",   # fail rather than skip without a browser
                   SCRATCHCNN_SCREENSHOT_DIR=str(ROOT / "docs" / "images"),
                   SCRATCHCNN_VIZ_CHECKPOINT=os.path.join(folder, "best.npz"))
        return subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                str(ROOT / "tests" / "test_viz_browser.py")], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
