"""docs/workbench.md documents every environment variable the workbench reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    "src/qiloop_web/settings.py",
    "src/qiloop_web/environment.py",
    "src/qiloop_web/__main__.py",
    "src/qiloop_web/serving.py",
    "src/qiloop_web/startup.py",
]
READ = re.compile(r"""(?:\.get|required_in_production|\.flag|environ\.get)\(\s*["']([A-Z][A-Z0-9_]+)["']""")


def test_every_environment_variable_is_documented():
    names = set()
    for source in SOURCES:
        names |= set(READ.findall((ROOT / source).read_text()))
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "QILOOP_ENV", "QILOOP_STORE"} <= names
    docs = (ROOT / "docs" / "workbench.md").read_text()
    undocumented = sorted(name for name in names if f"`{name}`" not in docs)
    assert undocumented == []
