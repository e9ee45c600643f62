"""One Vega-Lite version: the specs' ``$schema``, vl-convert's compiler and what the workbench's pages load agree.

The pages load vega-lite from node_modules (package-lock.json pins it); vl-convert compiles the same
specs for SVG and PNG. A spec whose ``$schema`` names another major version makes vega-embed warn in
the browser console once per chart (38 warnings on the dashboard before this test).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import vl_convert

from qiloop.charts.palette import VEGA_LITE_SCHEMA, VEGA_LITE_VERSION

REPO = Path(__file__).resolve().parents[2]


def schema_major() -> int:
    match = re.fullmatch(r"https://vega\.github\.io/schema/vega-lite/v(\d+)(?:\.\d+){0,2}\.json", VEGA_LITE_SCHEMA)
    assert match, VEGA_LITE_SCHEMA
    return int(match.group(1))


def locked(package: str) -> str:
    lock = json.loads((REPO / "package-lock.json").read_text())
    return str(lock["packages"][f"node_modules/{package}"]["version"])


def test_the_schema_and_the_compiler_match_the_locked_vega_lite() -> None:
    major, minor, _patch = locked("vega-lite").split(".")
    assert f"{major}.{minor}" == VEGA_LITE_VERSION, "palette.VEGA_LITE_VERSION must follow package-lock.json"
    assert schema_major() == int(major)


def test_vl_convert_compiles_with_that_version() -> None:
    assert VEGA_LITE_VERSION in vl_convert.get_vegalite_versions()


def test_package_json_asks_for_the_same_major_version() -> None:
    wanted = json.loads((REPO / "package.json").read_text())["dependencies"]["vega-lite"]
    assert re.match(rf"[\^~]?{schema_major()}\.", wanted), wanted


def test_the_installed_vega_lite_is_the_locked_one() -> None:
    folder = Path(os.environ.get("QILOOP_NODE_MODULES") or REPO / "node_modules") / "vega-lite"
    if not (folder / "package.json").exists():
        pytest.skip(f"no vega-lite installed under {folder.parent} (npm ci)")
    assert json.loads((folder / "package.json").read_text())["version"] == locked("vega-lite")


def test_every_spec_builder_uses_the_one_schema() -> None:
    """No spec is written with another ``$schema`` anywhere in the code (library or workbench)."""
    found = {}
    for path in (REPO / "src").rglob("*.py"):
        for line in path.read_text().splitlines():
            if "schema/vega-lite/" in line and "VEGA_LITE_SCHEMA =" not in line and "re.fullmatch" not in line:
                found[str(path.relative_to(REPO))] = line.strip()
    assert found == {}
