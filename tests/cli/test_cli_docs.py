"""docs/cli.md is generated from --help and must be current."""

from __future__ import annotations

from qiloop.clidocs import render_cli_reference
from qiloop_reference import REPO_ROOT


def test_cli_reference_is_up_to_date():
    expected = render_cli_reference()
    actual = (REPO_ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/cli.md is stale: run `make docs` (python -m qiloop.clidocs > docs/cli.md)"


def test_cli_reference_covers_every_command():
    text = render_cli_reference()
    for command in ("synth", "import", "quality", "spc", "funnel", "measures", "bench", "demo"):
        assert f"## `qiloop {command}`" in text
