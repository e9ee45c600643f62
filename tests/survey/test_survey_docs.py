"""docs/survey.md stays true to the library: version, thresholds, and every national pair it quotes."""

from __future__ import annotations

import re

from qiloop.survey.instrument import GAP_THAT_MATTERS, VERSION
from qiloop.survey.national import FIGURES
from qiloop.survey.scoring import MIN_RESPONSES, wilson
from qiloop_reference import REPO_ROOT

DOC = (REPO_ROOT / "docs" / "survey.md").read_text(encoding="utf-8")


def test_the_doc_names_the_version_and_the_thresholds():
    assert f"**`{VERSION}`**" in DOC
    assert f"`MIN_RESPONSES = {MIN_RESPONSES}`" in DOC
    assert re.search(rf"by\s+{GAP_THAT_MATTERS} points or more \(`GAP_THAT_MATTERS`", DOC)
    assert "available only on request from its authors" in DOC


def test_the_worked_interval_in_the_doc_is_the_librarys():
    low, high = wilson(8, 10)
    assert f"(8 of 10 → {low:.3f} to {high:.3f})" in DOC


def test_every_national_pair_the_doc_quotes_is_the_packages():
    pairs = {(f.gp, f.pm) for f in FIGURES.values()}
    quoted = re.findall(r"(?:GPs )?(\d+) / (?:PMs )?(\d+)", DOC)
    assert len(quoted) >= 6
    for gp, pm in quoted:
        assert (int(gp), int(pm)) in pairs, f"{gp} / {pm}"
