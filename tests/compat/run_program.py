"""Run one compatibility program under PyTorch or under scratchcnn.

    python run_program.py PROGRAM.py torch|scratchcnn WORKDIR

Under scratchcnn only the import lines change, as a user would change them:
``import torch`` -> ``import scratchcnn as torch``, ``import torch.nn as nn`` ->
``import scratchcnn.nn as nn``, ``from torch.utils.data import X`` ->
``from scratchcnn.utils.data import X``. Everything else runs as written.
"""

import os
import re
import sys

_IMPORT = re.compile(r"^(\s*)(import|from)\s+torch((?:\.\w+)*)(.*)$")


def rewrite(source):
    """The program's source with every ``torch`` import pointed at scratchcnn."""
    lines = []
    for line in source.splitlines():
        match = _IMPORT.match(line)
        if match:
            indent, keyword, submodules, rest = match.groups()
            if keyword == "import" and not submodules and not rest.strip().startswith("as"):
                line = f"{indent}import scratchcnn as torch{rest}"
            else:
                line = f"{indent}{keyword} scratchcnn{submodules}{rest}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def main():
    program, backend, workdir = sys.argv[1:4]
    os.environ["COMPAT_DIR"] = workdir
    os.environ["COMPAT_BACKEND"] = backend
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    with open(program, encoding="utf-8") as handle:
        source = handle.read()
    if backend == "scratchcnn":
        source = rewrite(source)
        if re.search(r"^\s*(import|from)\s+torch\b", source, re.M):
            raise SystemExit("an import of torch survived the rewrite")
    os.chdir(workdir)
    code = compile(source, program, "exec")
    exec(code, {"__name__": "__main__", "__file__": program})


if __name__ == "__main__":
    main()
