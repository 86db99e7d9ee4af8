"""MkDocs hooks of the documentation site (mkdocs.yml: ``hooks:``).

The Markdown files stay right where they are read on GitHub, and the site is built from
the same files:

- ``BENCHMARKS.md`` and ``benchmarks/README.md`` live outside ``docs/``; they become the
  pages ``benchmarks.md`` and ``benchmarks-method.md`` of the site.
- A link that leaves ``docs/`` (``../BENCHMARKS.md``, ``../src/scratchcnn/runtime.py``)
  is correct on GitHub but not in the site; it is rewritten to the page above, or, for a
  source file, to a copy of that file served under ``source/``. A link to a file that does
  not exist is left alone, so ``mkdocs build --strict`` still reports it.
- ``<!-- scratchcnn-cli-help -->`` in a page becomes the ``--help`` text of every
  ``scratchcnn`` command, taken from the parser itself (never out of date).
"""

import contextlib
import logging
import os
import posixpath
import re

from mkdocs.structure.files import File

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Repository files published as pages: repository path -> page path in the site.
PAGES = {"BENCHMARKS.md": "benchmarks.md", "benchmarks/README.md": "benchmarks-method.md"}
ORIGINS = {page: path for path, page in PAGES.items()}
SOURCE_PREFIX = "source"
CLI_MARKER = "<!-- scratchcnn-cli-help -->"
# [text](target) and ![alt](target); the target stops at whitespace, ')' or '#'.
LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s#]*)(#[^)\s]*)?(\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~)")


def _origin(page_path):
    """The repository path a site page is read from."""
    return ORIGINS.get(page_path, "docs/" + page_path)


def _is_external(target):
    return not target or "://" in target or target.startswith(("mailto:", "/", "data:"))


def _outside_targets(markdown, origin):
    """Repository paths, outside docs/, that the page links to (code blocks skipped)."""
    found = []
    for target, _ in _links(markdown):
        if _is_external(target):
            continue
        path = posixpath.normpath(posixpath.join(posixpath.dirname(origin), target))
        if not path.startswith("docs/") and not path.startswith(".."):
            found.append(path)
    return found


def _links(markdown):
    """(target, match) for each link outside fenced code blocks."""
    fenced = False
    for line in markdown.splitlines():
        if FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if not fenced:
            for match in LINK.finditer(line):
                yield match.group(2), match


class _DynamicAllFilter(logging.Filter):
    """scratchcnn/__init__.py builds ``__all__`` with ``*names`` (the dtype aliases), which
    griffe's static analysis cannot follow; the names are documented where they are made
    (scratchcnn/dtypes.py), so that one notice is dropped and every other warning stays."""

    def filter(self, record):
        return not ("Unsupported item in scratchcnn.__all__" in record.getMessage())


def on_startup(command, dirty):
    """Install the log filter above on the loggers griffe reports through."""
    for name in ("griffe", "mkdocs.plugins.griffe", "mkdocs.plugins.mkdocstrings.griffe"):
        logging.getLogger(name).addFilter(_DynamicAllFilter())


def _read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        return handle.read()


def on_files(files, config):
    """Add the published repository pages and copies of the source files pages link to."""
    for path, page in PAGES.items():
        files.append(File.generated(config, page, content=_read(path)))
    wanted = set()
    for file in list(files):
        if file.src_uri.endswith(".md"):
            text = _page_text(file)
            wanted.update(_outside_targets(text, _origin(file.src_uri)))
    for path in sorted(wanted):
        absolute = os.path.join(ROOT, path)
        if path not in PAGES and os.path.isfile(absolute) and not path.endswith(".md"):
            files.append(File.generated(config, f"{SOURCE_PREFIX}/{path}",
                                        abs_src_path=absolute))
    return files


def _page_text(file):
    """A page's Markdown source, generated or on disk."""
    if file.generated_by:
        return file.content_string
    with open(file.abs_src_path, encoding="utf-8") as handle:
        return handle.read()


def _rewrite(markdown, page_path, files):
    origin = _origin(page_path)
    here = posixpath.dirname(page_path)
    out, fenced = [], False
    for line in markdown.splitlines(keepends=True):
        if FENCE.match(line.lstrip()):
            fenced = not fenced
        if fenced or FENCE.match(line.lstrip()):
            out.append(line)
            continue

        def replace(match):
            target = match.group(2)
            if _is_external(target):
                return match.group(0)
            path = posixpath.normpath(posixpath.join(posixpath.dirname(origin), target))
            if path.startswith("docs/"):
                site_path = path[len("docs/"):]
            elif path in PAGES:
                site_path = PAGES[path]
            elif files.get_file_from_path(f"{SOURCE_PREFIX}/{path}") is not None:
                site_path = f"{SOURCE_PREFIX}/{path}"
            else:
                return match.group(0)     # not found: strict mode reports it
            new = posixpath.relpath(site_path, here or ".")
            return (match.group(1) + new + (match.group(3) or "") + (match.group(4) or "")
                    + ")")

        out.append(LINK.sub(replace, line))
    return "".join(out)


def _cli_help():
    """Every command's --help, from scratchcnn.cli.build_parser(), as text blocks."""
    import argparse

    from scratchcnn.cli import build_parser

    parser = build_parser()
    with _columns(88):
        blocks = [("scratchcnn", parser.format_help())]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    blocks.append((f"scratchcnn {name}", sub.format_help()))
    return "\n".join(f"## `{title}`\n\n```text\n{text.rstrip()}\n```\n" for title, text in blocks)


@contextlib.contextmanager
def _columns(width):
    """argparse wraps to $COLUMNS: a fixed width makes the page the same on every machine."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def on_page_markdown(markdown, page, config, files):
    """Rewrite links that leave docs/, and expand the CLI marker."""
    markdown = _rewrite(markdown, page.file.src_uri, files)
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, _cli_help())
    return markdown
