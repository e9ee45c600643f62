"""The engine stays in small modules, each answering one question (docs/measures.md names them)."""

import ast
from pathlib import Path

import qiloop.measures.engine as engine

ENGINE = Path(engine.__file__).parent
LIMIT = 400


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_engine_module_passes_400_lines():
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in ENGINE.glob("*.py")}
    assert len(sizes) >= 10, sizes  # the split is in place
    assert {name: n for name, n in sizes.items() if n > LIMIT} == {}


def test_the_plan_and_the_fast_counts_do_not_import_the_compiler():
    compiler = "qiloop.measures.engine.compiler"
    for name in ("plan.py", "conditions.py", "fast_counts.py", "population.py", "expressions.py", "features.py"):
        assert compiler not in _imports(ENGINE / name), name


def test_the_plan_holds_no_ibis():
    assert not {i for i in _imports(ENGINE / "plan.py") if i.startswith("ibis")}


def test_every_engine_module_is_named_in_the_docs():
    docs = (ENGINE.parents[3] / "docs" / "measures.md").read_text(encoding="utf-8")
    missing = [p.stem for p in ENGINE.glob("*.py") if p.stem != "__init__" and f"`{p.stem}`" not in docs]
    assert missing == []
