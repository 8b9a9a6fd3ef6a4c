"""House rules for app/: only ncode_core's top-level names, no threads of its own (a lock is
fine: Streamlit's own threads can share a session's model), no legacy pages/."""

from __future__ import annotations

import ast
from pathlib import Path

import ncode_core

APP = Path(__file__).resolve().parents[2] / "app"
THREAD_STARTERS = {"Thread", "Timer"}  # training runs in fragments, never in threads of ours


def test_app_imports_only_the_public_ncode_core_api():
    offenders = []
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                offenders += [f"{path}: import {a.name}" for a in node.names
                              if a.name.startswith("ncode_core.")]
            elif isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("ncode_core."):
                    offenders.append(f"{path}: from {node.module}")
                elif node.module == "ncode_core":
                    offenders += [f"{path}: {a.name} not in __all__" for a in node.names
                                  if a.name not in ncode_core.__all__]
                elif node.module == "threading":
                    offenders += [f"{path}: threading.{a.name}" for a in node.names
                                  if a.name in THREAD_STARTERS]
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id == "nc" and node.attr not in ncode_core.__all__:
                offenders.append(f"{path}:{node.lineno}: nc.{node.attr} not in __all__")
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id == "threading" and node.attr in THREAD_STARTERS:
                offenders.append(f"{path}:{node.lineno}: threading.{node.attr}")
    assert not offenders, offenders


def test_figure_builders_never_call_streamlit():
    for name in ("figures.py", "views.py", "controller.py", "settings.py", "export.py",
                 "memorization_figures.py", "image_figures.py", "table1.py"):
        tree = ast.parse((APP / "components" / name).read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                    for a in n.names} | {n.module for n in ast.walk(tree)
                                         if isinstance(n, ast.ImportFrom)}
        assert "streamlit" not in imported, name


def test_no_legacy_pages_folder():
    assert not (APP / "pages").exists()


def test_app_never_names_a_task_or_a_model():
    """Task and model knowledge lives on the registry's classes (``Task.ui``,
    ``FlowModel.info``): no registry key appears as a string literal anywhere in app/."""
    keys = set(ncode_core.TASKS) | set(ncode_core.MODELS)
    offenders = [f"{path.relative_to(APP.parent)}:{node.lineno}: {node.value!r}"
                 for path in sorted(APP.rglob("*.py"))
                 for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.Constant) and node.value in keys]
    assert not offenders, offenders
