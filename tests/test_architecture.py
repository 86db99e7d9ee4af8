"""The package's layers only point down, and no module imports itself back.

Imports are read with ``ast`` from every file under ``src/scratchcnn`` (module level,
inside functions, and under ``if TYPE_CHECKING:`` alike). Each module belongs to one
layer of :data:`LAYERS`; a module may import its own layer or any layer below it,
never one above, and the import graph has no cycle.
"""

import ast
import pathlib

import pytest

SRC = pathlib.Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "scratchcnn"

# Lowest first. A name matches a module and everything below it (``ops`` covers
# ``scratchcnn.ops.conv``); the longest matching name decides.
LAYERS = [
    # 0: facts every layer may use
    ["errors", "version", "argtypes", "dtypes", "size", "dims", "shapes", "device",
     "safe_write", "random",
     "runtime", "threads", "cuda", "accelerator", "backends", "progress"],
    # 1: the math: pure array functions, forward and backward side by side
    ["ops"],
    # 2: the speed layer (faster twins of ops) and the switch that picks between them
    ["kernels", "dispatch"],
    # 3: the graph and the backward pass
    ["autograd"],
    # 4: Tensor and PyTorch's functions on it
    ["tensor", "tensor_compare", "tensor_convert", "tensor_index", "tensor_inplace",
     "tensor_math", "tensor_new", "tensor_operators", "tensor_reduce", "tensor_shape",
     "functions", "gradcheck",
     "serialization"],
    # 5: layers, optimizers, data
    ["nn", "optim", "data", "utils"],
    # 6: what is built from them
    ["models", "summary", "explain", "train", "plots", "interop", "distributed", "cost", "runs"],
    # 7: applications of the library
    ["workflow", "run_data", "inference", "benchmark", "ladder"],
    # 8: user interfaces
    ["viz", "cli", "cli_commands", "__main__"],
]
# The package's front door re-exports everything: it may import any layer.
FACADE = "scratchcnn"


def module_name(path):
    parts = path.relative_to(SRC).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
PACKAGES = {name for name, p in MODULES.items() if p.name == "__init__.py"}


def imported_modules(name, path):
    """Every scratchcnn module ``name`` imports (resolved to the deepest existing one)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    base = name if name in PACKAGES else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                module = f"{anchor}.{node.module}" if node.module else anchor
            else:
                module = node.module
            targets = [f"{module}.{alias.name}" if f"{module}.{alias.name}" in MODULES
                       else module for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name and target.startswith("scratchcnn"):
                found.add(target)
    return found


GRAPH = {name: imported_modules(name, path) for name, path in MODULES.items()}


def layer_of(name):
    if name == FACADE:
        return len(LAYERS)
    short = name.removeprefix("scratchcnn.")
    best, rank = "", None
    for index, names in enumerate(LAYERS):
        for prefix in names:
            if (short == prefix or short.startswith(prefix + ".")) and len(prefix) > len(best):
                best, rank = prefix, index
    return rank


def test_every_module_has_a_layer():
    missing = sorted(name for name in MODULES if layer_of(name) is None)
    assert not missing, f"add these modules to LAYERS in {__file__}: {missing}"


def test_no_upward_imports():
    upward = []
    for name, targets in GRAPH.items():
        if name == FACADE:
            continue
        for target in sorted(targets):
            # a package's __init__ re-exporting its own modules is not an upward import
            if target == FACADE or layer_of(target) > layer_of(name):
                upward.append(f"{name} (layer {layer_of(name)}) imports {target} "
                              f"(layer {layer_of(target)})")
    assert not upward, "imports that point up:\n" + "\n".join(upward)


def _cycles():
    """Strongly connected components with more than one module (Tarjan), ignoring the
    edges from a package's ``__init__`` to its own modules (re-exports)."""
    graph = {name: {t for t in targets if not (name in PACKAGES and t.startswith(name + "."))}
             for name, targets in GRAPH.items()}
    index, low, stack, on_stack, counter, found = {}, {}, [], set(), [0], []

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    cycles = _cycles()
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("source, expected", [
    ("from ..errors import ShapeError", {"scratchcnn.errors"}),
    ("from . import conv", {"scratchcnn.ops.conv"}),
    ("import scratchcnn.ops.conv as c", {"scratchcnn.ops.conv"}),
])
def test_the_import_reader_resolves_relative_imports(source, expected, tmp_path):
    path = tmp_path / "probe.py"
    path.write_text(source + "\n")
    assert imported_modules("scratchcnn.ops.probe", path) == expected
