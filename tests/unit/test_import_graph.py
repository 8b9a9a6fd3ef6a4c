"""No import circles in ncode_core: the module graph built from every import statement (top level
or inside a function, absolute or relative) is acyclic."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "ncode_core"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def library_modules() -> dict[str, Path]:
    modules = {module_name(p): p for p in sorted((ROOT / PACKAGE).rglob("*.py"))}
    assert len(modules) > 10
    return modules


def absolute_target(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    """The module an ``from X import ...`` names, relative imports resolved."""
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Library modules ``name`` imports.

    Every module an import statement names is an edge (``from pkg import sub`` names ``sub``
    when it is a module), including the importer's own parent package when named explicitly
    (that import runs while the parent's __init__ is still executing). Importing ``a.b.c`` also
    runs the packages ``a.b`` and ``a``: edges too, except to the importer's own ancestors, which
    are necessarily already being imported when the importer runs.
    """
    named: set[str] = set()
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = absolute_target(node, name, path.name == "__init__.py")
            named.add(module)
            named.update(f"{module}.{alias.name}" for alias in node.names)
    edges = {target for target in named if target in known and target != name}
    for target in named:
        parts = target.split(".")
        for end in range(1, len(parts)):
            package = ".".join(parts[:end])
            if package in known and package != name and not name.startswith(package + "."):
                edges.add(package)
    return edges


def import_graph() -> dict[str, set[str]]:
    modules = library_modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules (first == last), or None (iterative three-colour DFS)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    for start in sorted(graph):
        if state.get(start):
            continue
        path = [start]
        iterators = [iter(sorted(graph[start]))]
        state[start] = 1
        while iterators:
            successor = next(iterators[-1], None)
            if successor is None:
                state[path.pop()] = 2
                iterators.pop()
            elif state.get(successor) == 1:
                return path[path.index(successor):] + [successor]
            elif not state.get(successor):
                state[successor] = 1
                path.append(successor)
                iterators.append(iter(sorted(graph.get(successor, ()))))
    return None


def test_import_graph_of_ncode_core_is_acyclic():
    graph = import_graph()
    assert "ncode_core.registry" in graph["ncode_core.training"]  # the graph sees real edges
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_parent_packages_count_only_when_named(tmp_path):
    """A child importing a sibling runs the parent's __init__ already in progress: no edge. A
    child naming its parent package explicitly is an edge (a real circle with that __init__)."""
    known = {"pkg", "pkg.a", "pkg.b"}
    sibling = tmp_path / "a.py"
    sibling.write_text("from pkg.b import thing\n")
    assert imports_of("pkg.a", sibling, known) == {"pkg.b"}
    sibling.write_text("from pkg import thing\n")
    assert imports_of("pkg.a", sibling, known) == {"pkg"}


@pytest.mark.parametrize("graph, cyclic", [
    ({"a": {"b"}, "b": {"c"}, "c": set()}, False),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True),
    ({"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": set()}, False),
    ({"a": {"a"}}, True),
])
def test_cycle_finder(graph, cyclic):
    assert (find_cycle(graph) is not None) == cyclic


def test_local_imports_count(tmp_path):
    """A function-level import is an edge too: that is how config <-> registry hid its circle."""
    module = tmp_path / "mod.py"
    module.write_text("def f():\n    from ncode_core.registry import TASKS\n    return TASKS\n")
    assert imports_of("ncode_core.fake", module, {"ncode_core.registry"}) == {"ncode_core.registry"}
