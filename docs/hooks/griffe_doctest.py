"""A griffe extension for the API reference (mkdocs.yml, mkdocstrings ``extensions``).

Docstring examples are doctests (``>>> code`` then the expected output), which Markdown
would render as running text and whose lists (``['a', 'b']``) look like cross-references.
Each doctest block becomes a fenced ``pycon`` code block instead.
"""

import griffe

PROMPT = ">>>"


def fence_doctests(text):
    """``text`` with every doctest block (a ``>>>`` line up to the next blank line, or
    to a line indented less than the prompt) wrapped in a fenced code block."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if not stripped.startswith(PROMPT):
            out.append(line)
            i += 1
            continue
        indent = line[:len(line) - len(stripped)]
        block = []
        while i < len(lines) and lines[i].strip() and lines[i].startswith(indent):
            block.append(lines[i][len(indent):])
            i += 1
        out += [indent + "```pycon"] + [indent + b for b in block] + [indent + "```"]
    return "\n".join(out)


class DoctestsAsCode(griffe.Extension):
    """Fence the doctests of every docstring griffe loads."""

    def on_instance(self, *, node, obj, agent, **kwargs):
        docstring = obj.docstring
        if docstring is not None and PROMPT in docstring.value:
            inside_fence = "```" in docstring.value
            if not inside_fence:
                docstring.value = fence_doctests(docstring.value)
