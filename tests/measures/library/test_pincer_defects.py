"""Each published PINCER defect the library avoids, shown to change a spec-table answer.

For every defect we rebuild the defective definition in the measure language and run it on the relevant rows of
the PINCER spec tables (reference evaluator): the defective definition must give a different answer from the one the
spec expects, so the spec tests would catch a regression to it.
"""

from __future__ import annotations

import csv

import pytest

from qiloop.codelists import load
from qiloop.measures.language import age, clinical_events, measure, medications
from qiloop.measures.library import all_measures, pincer
from qiloop.measures.library.common import ADULT_MALE_OR_FEMALE, issued_in_last

from ..spec import run_engine
from .test_pincer import REF, SPECS


def _rows(measure_id: str, *ids: int):
    return [p for p in SPECS[measure_id] if p.id in ids]


def _defective(measure_id: str, denominator=None, numerator=None):
    good = all_measures()[measure_id]
    return measure(
        id=f"{measure_id}_defective",
        title="defective variant",
        denominator=denominator if denominator is not None else pincer.DEN[measure_id.removeprefix("pincer_")],
        numerator=numerator if numerator is not None else pincer.NUM[measure_id.removeprefix("pincer_")],
        low_is_good=good.low_is_good,
    )


def _assert_detected(defective, measure_id: str, *ids: int):
    rows = _rows(measure_id, *ids)
    assert rows, "the spec rows named here must exist"
    got = run_engine("reference", defective, rows, REF)
    for row in rows:
        assert got[row.id] != row.expect, f"{measure_id} patient {row.id} ({row.note}) does not detect the defect"


def _long_term(name):
    frame = medications(load(name))
    return frame.on_or_before(months_ago=15).exists() & frame.in_last(months=6, days=1).exists()


def test_ac_age_limit_missing_from_the_loop_diuretic_branch():
    # published: (age >= 75 AND age <= 120) AND (acei AND acei_recent) OR (loop AND loop_recent)
    denominator = ADULT_MALE_OR_FEMALE & (((age >= 75) & _long_term("pincer_acei")) | _long_term("loop_diuretic"))
    _assert_detected(_defective("pincer_ac", denominator=denominator), "pincer_ac", 5)


def test_g_unresolved_asthmatics_dropped():
    # published: resolved_date < asthma_date, false when there is no resolved code
    asthma_last = clinical_events(load("pincer_asthma")).on_or_before(months_ago=3).last_date()
    resolved_last = clinical_events(load("pincer_asthma_resolved")).last_date()
    denominator = ADULT_MALE_OR_FEMALE & (resolved_last < asthma_last)
    _assert_detected(_defective("pincer_g", denominator=denominator), "pincer_g", 1, 7, 8)


def test_ehrql_port_a_without_the_age_limit():
    denominator = ADULT_MALE_OR_FEMALE & ~issued_in_last("pincer_ulcer_healing", 3)
    _assert_detected(_defective("pincer_a", denominator=denominator), "pincer_a", 13)


def test_ehrql_port_tests_looked_up_in_medications():
    renal = medications(set(load("pincer_renal_function").codes)).in_last(months=15, days=1).exists()
    electrolytes = medications(set(load("pincer_electrolytes").codes)).in_last(months=15, days=1).exists()
    _assert_detected(_defective("pincer_ac", numerator=~renal | ~electrolytes), "pincer_ac", 3, 7)


def test_ehrql_port_fbc_list_used_for_lft():
    fbc_3m = clinical_events(load("pincer_fbc")).in_last(months=3, days=1).exists()
    _assert_detected(_defective("pincer_me_lft", numerator=~fbc_3m), "pincer_me_lft", 2, 3)


def test_ehrql_port_am_counts_has_tft():
    tft_6m = clinical_events(load("pincer_tft")).in_last(months=6, days=1).exists()
    _assert_detected(_defective("pincer_am", numerator=tft_6m), "pincer_am", 1, 2, 3, 5)


@pytest.mark.reference
def test_published_diuretic_list_counts_spironolactone(reference_dir):
    with open(reference_dir / "ehr/pincer/codelists/pincer-diur.csv", encoding="utf-8", newline="") as f:
        published = {row["id"] for row in csv.DictReader(f)}
    frame = medications(published)
    long_term = frame.on_or_before(months_ago=15).exists() & frame.in_last(months=6, days=1).exists()
    denominator = ADULT_MALE_OR_FEMALE & (age >= 75) & (_long_term("pincer_acei") | long_term)
    _assert_detected(_defective("pincer_ac", denominator=denominator), "pincer_ac", 8)
