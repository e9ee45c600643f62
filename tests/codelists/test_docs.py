"""docs/codelists.md is generated from the manifest and must be up to date."""

from __future__ import annotations

from pathlib import Path

from qiloop.codelists import manifest
from qiloop.codelists.docs import render_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "codelists.md"


def test_doc_is_up_to_date():
    assert DOC.read_text(encoding="utf-8") == render_markdown(), (
        "docs/codelists.md is stale: run  python -m qiloop.codelists.docs > docs/codelists.md"
    )


def test_every_difference_from_a_published_list_is_explained():
    text = render_markdown()
    for name, entry in manifest().items():
        assert f"`{name}`" in text
        ref = entry.get("reference")
        if ref and ref["relation"] != "equal":
            assert ref["reason"] and ref["reason"] in text, name


def test_unverified_lists_are_flagged():
    text = render_markdown()
    for name, entry in manifest().items():
        if not entry.get("verified", True):
            assert f"- `{name}`:" in text.split("## Differences")[0]
