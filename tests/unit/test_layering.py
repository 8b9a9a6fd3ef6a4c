"""The dependency rules of DESIGN.md, checked on the source's import statements (AST)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def library_files() -> list[Path]:
    files = sorted((ROOT / "ncode_core").rglob("*.py"))
    assert len(files) > 10
    return files


def test_library_never_imports_streamlit():
    offenders = [str(p) for p in library_files()
                 if any(m.split(".")[0] == "streamlit" for m in imported_modules(p))]
    assert offenders == []


def test_only_integrate_imports_torchdiffeq():
    users = {p.relative_to(ROOT).as_posix() for p in library_files()
             if any(m.split(".")[0] == "torchdiffeq" for m in imported_modules(p))}
    assert users == {"ncode_core/integrate.py"}


def test_library_never_prints():
    """Progress flows through logging and callbacks; CLI output goes through the CLI modules."""
    cli = {"__main__.py", "cli_output.py", "cli_train.py", "cli.py"}
    offenders = []
    for path in library_files():
        if path.name in cli:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_library_never_calls_cuda_directly():
    """Devices come from inputs or runtime.resolve_device, never ``.cuda()``."""
    offenders = []
    for path in library_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "cuda":
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
