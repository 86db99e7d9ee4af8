"""The documentation site (mkdocs.yml) builds with ``mkdocs build --strict`` (no broken
link, no unresolved API reference), shows what it promises, and every ```python block of
docs/ runs (a page's blocks in order, in one namespace; blocks that are not meant to run
are fenced as ```text or ```sh).
"""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "hooks" not in p.parts)
# Pages whose blocks are not run here, and why (none today: fence a fragment as ```text).
NOT_RUN = set()
def _one_rank_job():
    """What torchrun gives each process, for a job of one rank on loopback: the
    distributed examples run as written (the tests of several ranks are in
    tests/test_distributed.py)."""
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1", "LOCAL_WORLD_SIZE": "1",
            "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}


PAGE_ENVIRONMENT = {"distributed.md": _one_rank_job}


def _small_tiny_imagenet():
    """training.md's example reads ./data/tiny-imagenet-200: a small one with the real
    layout, made by the full-size benchmark's generator (3 classes, 64x64 JPEGs)."""
    import importlib.util
    path = ROOT / "benchmarks" / "tiny_imagenet_full.py"
    spec = importlib.util.spec_from_file_location("tiny_imagenet_full", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.make_dataset("data", classes=3, per_class=8, val=6, workers=2)


PAGE_SETUP = {"training.md": _small_tiny_imagenet}
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs")
    out = tmp_path_factory.mktemp("site")
    mkdocs = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out),
              "--config-file", str(ROOT / "mkdocs.yml")]
    done = subprocess.run(mkdocs, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, NO_MKDOCS_2_WARNING="1"))
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def _html(site, page):
    return (site / page / "index.html").read_text(encoding="utf-8")


def test_site_builds_strict_with_every_section(site):
    for page in ("getting-started", "guide/convolution", "notebooks", "cli", "datasets",
                 "visualizer", "benchmarks", "engine", "ops", "training", "reference/nn"):
        assert (site / page / "index.html").is_file(), page


def test_op_pages_show_formula_loop_and_fast_version(site):
    for page, naive, fast in [("guide/convolution", "conv2d_forward", "conv.conv2d_forward"),
                              ("guide/pooling", "max_pool2d_forward", "pool.max_pool2d_forward"),
                              ("guide/relu", "relu_forward", "activation.relu_forward"),
                              ("guide/fully-connected", "linear_forward", "linear.linear_forward")]:
        html = _html(site, page)
        assert f'id="scratchcnn.ops.naive.{naive}"' in html, page
        assert f'id="scratchcnn.ops.{fast}"' in html, page
        assert html.count('class="nb">range</span>') >= 2, page      # the loops' source


def test_links_leaving_docs_point_into_the_site(site):
    # docs/engine.md links ../BENCHMARKS.md (right on GitHub); the site has it as a page.
    assert 'href="../benchmarks/' in _html(site, "engine")
    assert (site / "source" / "src" / "scratchcnn" / "ops" / "conv.py").is_file()
    assert 'href="../source/src/scratchcnn/ops/conv.py"' in _html(site, "guide")


def test_cli_page_holds_every_command_help(site):
    from scratchcnn.cli import build_parser
    html = _html(site, "cli")
    commands = build_parser()._subparsers._group_actions[0].choices
    for name in commands:
        assert f"usage: scratchcnn {name}" in html, name


def test_doctests_render_as_code(site):
    html = _html(site, "reference/tools")
    assert 'class="gp">&gt;&gt;&gt;' in html      # a highlighted doctest prompt


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_python_blocks_in_docs_run(page, tmp_path, monkeypatch):
    blocks = PYTHON_BLOCK.findall(page.read_text(encoding="utf-8"))
    if not blocks or page.relative_to(DOCS).as_posix() in NOT_RUN:
        return
    monkeypatch.chdir(tmp_path)        # a block that writes files writes them here
    for name, value in PAGE_ENVIRONMENT.get(page.relative_to(DOCS).as_posix(), dict)().items():
        monkeypatch.setenv(name, value)
    PAGE_SETUP.get(page.relative_to(DOCS).as_posix(), lambda: None)()
    namespace = {"__name__": f"docs_{page.stem}"}
    for number, code in enumerate(blocks, 1):
        try:
            exec(compile(code, f"{page.relative_to(ROOT)} block {number}", "exec"), namespace)
        except Exception as error:      # name the page and the block, then fail
            pytest.fail(f"{page.relative_to(ROOT)}, python block {number}: "
                        f"{type(error).__name__}: {error}")
