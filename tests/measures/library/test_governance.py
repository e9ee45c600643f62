"""Every library measure carries the governance metadata a practice sees, and the library doc is up to date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from qiloop.codelists import all_codelists
from qiloop.measures.library import all_measures
from qiloop.measures.library.common import TOPICS
from qiloop.measures.library.describe import describe_text, render_markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "measure-library.md"
MEASURES = all_measures()


@pytest.mark.parametrize("measure_id", sorted(MEASURES))
def test_governance_metadata_is_complete(measure_id):
    m = MEASURES[measure_id]
    assert m.id == measure_id
    for field in ("title", "why_it_matters", "description", "source_indicator", "source_version", "author",
                  "checked_by", "version"):  # fmt: skip
        assert getattr(m, field).strip(), f"{measure_id}: {field} is empty"
    assert m.topic in TOPICS
    assert isinstance(m.review_date, dt.date) and m.review_date > dt.date(2026, 1, 1)
    assert m.author == "qiloop"
    assert len(m.why_it_matters) > 60, "why it matters should be a real sentence"


@pytest.mark.parametrize("measure_id", sorted(MEASURES))
def test_codelists_are_the_built_in_versions(measure_id):
    builtin = all_codelists()
    m = MEASURES[measure_id]
    for name, version in m.codelist_versions.items():
        assert name in builtin, f"{measure_id} uses {name}, not a built-in list"
        assert builtin[name].version == version
    if m.topic != "access_continuity":
        assert m.codelist_versions, f"{measure_id} uses no code list"


def test_topics_and_directions():
    by_topic = {t: [m for m in MEASURES.values() if m.topic == t] for t in TOPICS}
    assert len(by_topic["prescribing_safety"]) == 21
    hazards = [m for m in by_topic["prescribing_safety"] if "audit" not in m.tags]
    audit_variants = [m for m in by_topic["prescribing_safety"] if "audit" in m.tags]
    assert len(hazards) == 18 and all(m.low_is_good for m in hazards)
    assert len(audit_variants) == 3 and not any(m.low_is_good for m in audit_variants)
    assert [m.id for m in MEASURES.values() if m.low_is_good and m.topic != "prescribing_safety"] == [
        "dna_rate",
        "dna_rate_all",
    ]
    assert MEASURES["appts_per_1000"].per == 1000


def test_describe_text_reads_well():
    text = describe_text(MEASURES["pincer_ac"])
    assert text.startswith("pincer_ac: ")
    assert "Why it matters:" in text and "lower is better" in text
    assert "loop_diuretic (213b1078+qiloop-1)" in text


def test_library_doc_is_up_to_date():
    assert DOC.read_text(encoding="utf-8") == render_markdown(), (
        "docs/measure-library.md is stale: run  python -m qiloop.measures.library.describe > docs/measure-library.md"
    )
