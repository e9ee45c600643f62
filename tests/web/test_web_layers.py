"""The web holds no analytics and its imports run one way (issue 21).

* the start-up commands: ``__main__`` → ``startup`` → ``serving``, and nothing back;
* the apps: ``teamwork`` (tasks and QI time, which may belong to a project) → ``projects``, and nothing back;
* no Vega-Lite is written in ``qiloop_web`` (``qiloop.charts`` builds and fits every spec);
* no SQL is run on the analytics store from ``qiloop_web`` (the library reads it).

Imports are read from the source with ``ast``, those inside functions too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import qiloop_web

PACKAGE = Path(qiloop_web.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, ast.Module]:
    return {
        _module_name(path): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
    }


SOURCES = _sources()


def _imported(tree: ast.Module) -> set[str]:
    """Every module ``tree`` imports (for ``from a import b``: ``a``, and ``a.b`` when that is a module)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


GRAPH = {name: {m for m in _imported(tree) if m in SOURCES} for name, tree in SOURCES.items()}


def _reachable(start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for name in GRAPH[todo.pop()] - seen:
            seen.add(name)
            todo.append(name)
    return seen


def test_the_graph_is_read() -> None:
    assert "qiloop_web.startup" in GRAPH["qiloop_web.__main__"]
    assert "qiloop_web.projects.models" in GRAPH["qiloop_web.teamwork.actions"]


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("qiloop_web.startup", "qiloop_web.__main__"),
        ("qiloop_web.serving", "qiloop_web.__main__"),
        ("qiloop_web.serving", "qiloop_web.startup"),
        ("qiloop_web.dashboard.actions", "qiloop_web.startup"),
    ],
)
def test_the_start_up_modules_import_one_way(lower: str, higher: str) -> None:
    assert higher not in _reachable(lower), f"{lower} imports {higher}, directly or through other modules"


def test_the_projects_app_imports_nothing_of_teamwork() -> None:
    offenders = sorted(
        f"{name} imports {imported}"
        for name, imported_names in GRAPH.items()
        if name.startswith("qiloop_web.projects")
        for imported in imported_names
        if imported.startswith("qiloop_web.teamwork")
    )
    assert offenders == []
    reached = {m for name in GRAPH if name.startswith("qiloop_web.projects") for m in _reachable(name)}
    assert not {m for m in reached if m.startswith("qiloop_web.teamwork")}, "nor through another module"


#: Words only a Vega-Lite spec uses as keys (and its schema's address).
VEGA_LITE_KEYS = {"$schema", "mark", "encoding", "autosize", "layer", "hconcat", "vconcat", "facet", "params"}


def test_no_vega_lite_is_written_in_the_web() -> None:
    offenders = sorted(
        f"{name}:{node.lineno} {node.value!r}"
        for name, tree in SOURCES.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and (node.value in VEGA_LITE_KEYS or "vega.github.io/schema" in node.value)
    )
    assert offenders == [], "build and fit chart specs in qiloop.charts"


def test_no_sql_is_run_on_the_analytics_store_from_the_web() -> None:
    offenders = sorted(
        f"{name} imports {imported}"
        for name, tree in SOURCES.items()
        for imported in _imported(tree)
        if imported == "duckdb" or imported.startswith(("duckdb.", "qiloop.records.sql", "qiloop.measures.engine"))
    )
    assert offenders == [], "read the store through library functions (qiloop.records.store, results_store)"
