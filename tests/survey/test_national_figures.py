"""The national figures held in qiloop.survey equal the published ones.

``national_figures.tsv`` (beside this file) was transcribed by hand, figure by figure, with where each was
published. The package's data must equal it exactly (and its checksum below), and — when the research
notes are on this machine — each pair must be found, by its pattern, in the published-figures section of
/work/shared/reference/specs/staff-survey.md.
"""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pytest

from qiloop.survey.instrument import INDICATOR, INDICATORS, QUESTIONNAIRE_NOTE, TOOLS
from qiloop.survey.national import FIGURES

FIXTURE = Path(__file__).with_name("national_figures.tsv")
SPEC = Path("/work/shared/reference/specs/staff-survey.md")


def fixture_rows() -> list[dict[str, str]]:
    lines = [line for line in FIXTURE.read_text().splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def checksum(pairs: dict[str, tuple[int, int]]) -> str:
    text = "\n".join(f"{key}\t{gp}\t{pm}" for key, (gp, pm) in sorted(pairs.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_package_figures_equal_the_transcribed_fixture():
    transcribed = {row["key"]: (int(row["gp"]), int(row["pm"])) for row in fixture_rows()}
    held = {key: (figure.gp, figure.pm) for key, figure in FIGURES.items()}
    assert held == transcribed
    assert checksum(held) == checksum(transcribed)
    assert len(held) == 44  # 6 headline, 12 facilitators, 11 barriers, 8 tools used, 7 would like training


def test_each_figure_is_found_in_the_published_figures_of_the_research_notes():
    if not SPEC.exists():
        pytest.skip(f"the research notes are not on this machine ({SPEC})")
    text = SPEC.read_text()
    published = text[text.index("### 4.1") : text.index("### 4.2")]
    for row in fixture_rows():
        match = re.search(row["pattern"], published)
        assert match, f"{row['key']}: not found in the spec"
        gp = int(match.group("gp"))
        pm = int(match.groupdict().get("pm") or gp)  # "99% planned or did QI": one figure for both
        assert (gp, pm) == (int(row["gp"]), int(row["pm"])), row["key"]


def test_every_figure_names_its_source_and_belongs_to_an_indicator():
    for key, figure in FIGURES.items():
        assert key in INDICATOR
        assert figure.source.strip()
        assert INDICATOR[key].national == figure


def test_items_without_a_published_figure_carry_none():
    for extra in ("spc_charts", "driver_diagrams", "fishbone"):
        for question in ("tools_used", "tools_trained", "tools_wanted"):
            assert INDICATOR[f"{question}.{extra}"].national is None
    assert all(INDICATOR[f"tools_trained.{tool.value}"].national is None for tool in TOOLS)
    assert INDICATOR["tools_wanted.audit"].national is None  # not in the published training table
    assert INDICATOR["areas.prescribing"].national is None  # per-area % not published
    assert INDICATOR["protected_time.any"].national is None
    assert sum(1 for i in INDICATORS if i.national is not None) == len(FIGURES)


def test_the_instrument_says_it_is_reconstructed_because_the_questionnaire_is_on_request():
    assert "on request" in QUESTIONNAIRE_NOTE
