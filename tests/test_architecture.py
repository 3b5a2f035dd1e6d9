"""The shape of the code: modules import only modules below them, and the readers take every layer
and framework name from rules/ (frameworks.yaml), never from a table of their own."""

from __future__ import annotations

import ast
from pathlib import Path

from lossadvisor import knowledge

SRC = Path(__file__).resolve().parents[1] / "src" / "lossadvisor"


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the lossadvisor modules it imports, at the top or inside functions alike.
    `from pkg import sub` depends on `pkg.sub`, and on `pkg` itself unless `pkg` is a package
    around the importer (already initialised by then)."""
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                submodules = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
                targets = submodules + ([base] if len(submodules) < len(node.names) or not name.startswith(base + ".") else [])
            for target in targets:
                if target in modules and target != name and not name.startswith(target + "."):
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_has_no_cycle():
    assert cycles(import_graph()) == []


def test_the_packages_do_not_import_each_other_in_a_cycle():
    """`readers` may use the `labels` library, and never the other way round; likewise for every
    pair of packages and top-level modules."""
    def unit(module: str) -> str:
        return ".".join(module.split(".")[:2])

    packages: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        packages.setdefault(unit(module), set()).update(unit(t) for t in targets if unit(t) != unit(module))
    for targets in packages.values():
        targets.discard("lossadvisor")  # the package's own __init__: lazy public API only
    packages.pop("lossadvisor", None)
    assert cycles({k: v & packages.keys() for k, v in packages.items()}) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph()
    assert "lossadvisor.app" in graph["lossadvisor.cli"]  # imported lazily in _dispatch
    assert "lossadvisor.engine" in graph["lossadvisor.command"]


# --------------------------------------------------------------------------- no vocabulary in readers


def _vocabulary_names() -> set[str]:
    """Every layer name and every framework spelling and import root that rules/ holds."""
    vocabulary = knowledge.load().vocabulary
    names: set[str] = set()
    for fw in vocabulary.frameworks.values():
        names |= {fw.id, *fw.names, *fw.imports, *(n for n in fw.layers if n[:1].isupper())}  # `compile` is also a Keras method
        names |= {".".join(m.module) for m in fw.loss_modules} | {".".join(m) for m in fw.activation_modules}
        names |= {".".join(m) for m in fw.layer_modules}
        for classes in [fw.model_classes] if fw.model_classes else []:
            names |= set(classes.bases)
    return names - {"Model"} | {"Sequential"}  # `Model` is also a word in docstrings' examples


def _tables(tree: ast.AST):
    """String constants inside collection literals and comparisons: where a table hides."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
            for child in ast.walk(node):
                if isinstance(child, ast.Constant) and isinstance(child.value, str):
                    yield child
        elif isinstance(node, ast.Compare):
            for child in [node.left, *node.comparators]:
                if isinstance(child, ast.Constant) and isinstance(child.value, str):
                    yield child


def test_no_reader_holds_a_table_of_layer_or_framework_names():
    names = _vocabulary_names()
    offenders = []
    for path in sorted((SRC / "readers").rglob("*.py")):
        for constant in _tables(ast.parse(path.read_text(encoding="utf-8"))):
            if constant.value in names:
                offenders.append(f"{path.relative_to(SRC)}:{constant.lineno}: {constant.value!r}")
    assert offenders == [], "names that belong in rules/frameworks.yaml:\n" + "\n".join(offenders)


def test_the_table_finder_finds_a_table():
    tree = ast.parse('UNITS = {"Linear": (1, "out_features")}\nif api.path[0] == "torch": pass\n')
    assert {c.value for c in _tables(tree)} >= {"Linear", "torch"}
