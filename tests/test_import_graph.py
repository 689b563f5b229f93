"""The package's imports follow the layer order docs/architecture.md declares.

The test reads every module under pylearn2/ with ``ast`` (nothing is imported), builds the
graph of pylearn2-to-pylearn2 imports (function-level imports included, ``if TYPE_CHECKING``
blocks left out) and fails on any cycle or on any import of a module from a higher layer.
The order itself is the ``layer-order`` block of docs/architecture.md, so the picture and
the code cannot drift apart.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "pylearn2"
ARCHITECTURE = REPO / "docs" / "architecture.md"


def module_files(package: Path = PACKAGE) -> dict[str, Path]:
    """``{'pylearn2.x.y': path}`` for every module and package under ``package``."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _type_checking_block(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _imports(tree: ast.AST, module: str, is_package: bool):
    """(imported name, line) for every import statement outside TYPE_CHECKING blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if _type_checking_block(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                yield base, alias.name, node.lineno
        stack.extend(ast.iter_child_nodes(node))


def import_graph(package: Path = PACKAGE) -> dict[str, list[tuple[str, int]]]:
    """``{module: [(imported pylearn2 module, line), ...]}``. ``from pkg import name``
    counts as importing ``pkg.name`` when that is a module, else ``pkg``. Imports of the
    root package ``pylearn2`` itself (its ``__version__``) are left out: the root is the
    namespace every module lives in, and its ``__init__`` only wires registrations."""
    files = module_files(package)
    graph: dict[str, list[tuple[str, int]]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        edges = []
        for base, name, line in _imports(tree, module, path.name == "__init__.py"):
            if base != "pylearn2" and not base.startswith("pylearn2."):
                continue
            target = f"{base}.{name}" if name and f"{base}.{name}" in files else base
            if target != "pylearn2" and target != module:
                edges.append((target, line))
        graph[module] = edges
    return graph


def declared_layers(text: str | None = None) -> list[list[str]]:
    """The ``layer-order`` block of docs/architecture.md: one layer per line, lowest first,
    each a list of module prefixes below ``pylearn2.``."""
    text = ARCHITECTURE.read_text() if text is None else text
    match = re.search(r"```text layer-order\n(.*?)```", text, re.S)
    assert match, f"{ARCHITECTURE} has no ```text layer-order block"
    layers = []
    for line in match.group(1).splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            layers.append(line.split())
    return layers


def layer_of(module: str, layers: list[list[str]]) -> int | None:
    """Index of the layer whose longest prefix matches ``module`` (None: not declared)."""
    name = module.removeprefix("pylearn2.")
    best, best_len = None, -1
    for index, prefixes in enumerate(layers):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


def cycles(graph: dict[str, list[tuple[str, int]]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = [0]

    def visit(start: str) -> None:
        work = [(start, iter(graph.get(start, [])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            advanced = False
            for target, _ in edges:
                if target not in graph:
                    continue
                if target not in index:
                    index[target] = low[target] = counter[0]
                    counter[0] += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph.get(target, []))))
                    advanced = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def upward_imports(graph: dict[str, list[tuple[str, int]]],
                   layers: list[list[str]]) -> list[str]:
    problems = []
    for module, edges in sorted(graph.items()):
        mine = layer_of(module, layers)
        for target, line in edges:
            theirs = layer_of(target, layers)
            if mine is not None and theirs is not None and theirs > mine:
                problems.append(f"{module} (line {line}) imports {target}, which sits in a higher "
                                f"layer ({' '.join(layers[theirs])} above {' '.join(layers[mine])})")
    return problems


def test_every_module_has_a_declared_layer():
    layers = declared_layers()
    missing = sorted(m for m in module_files() if m != "pylearn2" and layer_of(m, layers) is None)
    assert not missing, (f"modules in no layer of docs/architecture.md's layer-order block: "
                         f"{', '.join(missing)}; add their package to the line where it belongs")


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_imports_point_down_the_layers():
    problems = upward_imports(import_graph(), declared_layers())
    assert not problems, "upward imports:\n" + "\n".join(problems)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pylearn2"


def test_the_checks_catch_a_cycle_and_an_upward_import(tmp_path):
    package = _write(tmp_path, {
        "pylearn2/__init__.py": "",
        "pylearn2/utils/__init__.py": "",
        "pylearn2/utils/a.py": "def f():\n    from pylearn2.models import m\n",
        "pylearn2/models/__init__.py": "",
        "pylearn2/models/m.py": "from pylearn2.utils import a\n",
        "pylearn2/models/n.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                "    from pylearn2.train import T\n",
        "pylearn2/train.py": "from . import models\n",
    })
    graph = import_graph(package)
    assert graph["pylearn2.utils.a"] == [("pylearn2.models.m", 2)]
    assert graph["pylearn2.models.n"] == []  # type-checking imports do not count
    assert graph["pylearn2.train"] == [("pylearn2.models", 1)]  # relative import resolved
    assert cycles(graph) == [["pylearn2.models.m", "pylearn2.utils.a"]]
    layers = declared_layers("```text layer-order\nutils\nmodels  # comment\ntrain\n```")
    assert layers == [["utils"], ["models"], ["train"]]
    problems = upward_imports(graph, layers)
    assert len(problems) == 1 and problems[0].startswith("pylearn2.utils.a (line 2) imports "
                                                          "pylearn2.models.m")


@pytest.mark.parametrize("module,layer", [("pylearn2.utils.exc", "utils"),
                                          ("pylearn2.utils.data_specs_util", "utils.data_specs_util"),
                                          ("pylearn2.models.mlp.mlp", "models")])
def test_longest_prefix_decides_the_layer(module, layer):
    layers = declared_layers()
    assert layer in layers[layer_of(module, layers)]
