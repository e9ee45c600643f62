"""Documented choices and the clinical review trail are generated from each measure and checked against it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from qiloop.errors import QiloopError
from qiloop.measures.library import all_measures
from qiloop.measures.library.describe import NOT_REVIEWED, reads_text, render_markdown, review_text
from qiloop.measures.model import Choice, Review, choice_problems

MEASURES = all_measures()
DOC = (Path(__file__).resolve().parents[3] / "docs" / "measure-library.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("measure_id", list(MEASURES))
def test_every_documented_choice_is_what_the_definition_does(measure_id):
    measure = MEASURES[measure_id]
    for choice in measure.choices:
        assert choice_problems(measure, choice) == [], choice.text
    section = DOC.split(f"### `{measure_id}` — ", 1)[1].split("\n### ", 1)[0]
    for choice in measure.choices:
        assert choice.text in section
    reads = reads_text(measure)
    assert reads, "every measure says what its definition reads or counts"
    for line in reads:
        assert line in section
    assert review_text(measure) in section


def test_a_choice_that_contradicts_the_definition_is_refused():
    copd010 = MEASURES["copd010"]
    with pytest.raises(QiloopError, match="not what the definition does"):
        dataclasses.replace(copd010, choices=(Choice("exacerbations not checked", lacks=("copd_exacerbation_count",)),))
    with pytest.raises(QiloopError, match="not what the definition does"):
        dataclasses.replace(copd010, choices=(Choice("invitations not applied", lacks=("copd_invite",)),))
    flu = MEASURES["copd_flu"]
    with pytest.raises(QiloopError, match="not what the definition does"):
        dataclasses.replace(
            flu,
            choices=(
                Choice("rolling 8 months", part="numerator", windows=(("flu_vaccination", "in the last 8 months"),)),
            ),
        )


def test_copd_choices_say_what_the_code_does():
    section = DOC.split("### `copd010` — ", 1)[1].split("\n### ", 1)[0]
    assert "`copd_exacerbation_count` in the last 12 months" in section
    assert "`copd_invite` in the last 12 months" in section
    assert "not checked" not in section and "not applied" not in section
    flu = DOC.split("### `copd_flu` — ", 1)[1].split("\n### ", 1)[0]
    assert "since the most recent 1 August" in flu
    assert "rolling 8 months" not in DOC


def test_doc_is_generated():
    assert render_markdown() == DOC


def test_review_trail_is_plain_when_missing_and_validated_when_given():
    unreviewed = [m for m in MEASURES.values() if m.review is None]
    assert unreviewed and all(review_text(m) == NOT_REVIEWED for m in unreviewed)
    reviewed = MEASURES["hyp008"]
    assert reviewed.review is not None and "v49" in reviewed.review.rule_set
    with pytest.raises(QiloopError, match="reviewer"):
        dataclasses.replace(reviewed, review=Review("", "QOF v49", dt.date(2026, 12, 6)))
    with pytest.raises(QiloopError, match="provisional"):
        dataclasses.replace(reviewed, review=Review("GP", "QOF v49", dt.date(2026, 12, 6), status="provisional"))


def test_provisional_measures_say_so():
    assert MEASURES["copd014"].provisional and "placeholder" in MEASURES["copd014"].provisional
    assert MEASURES["af008"].provisional
    assert "**Provisional.**" in DOC.split("### `copd014` — ", 1)[1].split("\n### ", 1)[0]


def test_appointment_measures_say_which_appointments_they_count():
    dna = reads_text(MEASURES["dna_rate"])
    assert any("appointments with status attended/did_not_attend in the last 1 month" in line for line in dna)
    everything = reads_text(MEASURES["dna_rate_all"])
    assert any(
        "appointments with status attended/booked/did_not_attend in the last 1 month" in line for line in everything
    )
