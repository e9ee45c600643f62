"""The library never imports Django (DESIGN §3)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import qiloop


def test_importing_every_library_module_does_not_import_django():
    names = [m.name for m in pkgutil.walk_packages(qiloop.__path__, prefix="qiloop.") if m.name != "qiloop.__main__"]
    assert "qiloop.cli" in names
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.') or m.startswith('qiloop_web'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"library imported: {result.stdout.strip()}"


def test_the_records_package_does_not_import_the_generator():
    """records (importing, checking, storing real extracts) stands below synth; the demo, which uses both,
    lives above them (qiloop.demo)."""
    import ast
    from pathlib import Path

    package = Path(qiloop.__file__).parent / "records"
    offenders = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("qiloop.synth"):
                offenders.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.Import) and any(a.name.startswith("qiloop.synth") for a in node.names):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
