"""Criteria from the measure library, the right way round, and collections computed from the records.

The pincer_a_audit table (tests/measures/library/test_audit_variants.py) at 31 March 2024, all patients at practice
A, worked by hand: eligible (65+, oral NSAID in the last 3 months, PINCER population) are patients 1, 3, 4, 5 and 6;
met (an ulcer-healing drug in the same window) are 3 and 5. So 2 of 5 met, 40%.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from tests.measures.library.test_action_lists import one_practice
from tests.measures.library.test_audit_variants import SPECS as VARIANT_SPECS
from tests.measures.library.test_copd import SPECS as COPD_SPECS

from qiloop.audit.collect import collect, criterion_measure, monthly_series, store_fingerprint
from qiloop.audit.model import EMPTY_POPULATION, AuditInputError
from qiloop.measures.dates import Interval
from qiloop.measures.library import all_measures
from qiloop.measures.reference import run_reference

REF = dt.date(2024, 3, 31)


@pytest.mark.parametrize(
    ("measure_id", "message", "hint"),
    [
        ("pincer_a", "measure 'pincer_a' counts a hazard (low is good), so it cannot say who met a criterion",
         "use its audit variant pincer_a_audit, which counts the patients who received the care"),
        ("pincer_me_fbc", "measure 'pincer_me_fbc' counts a hazard (low is good), so it cannot say who met a "
         "criterion", "use its audit variant pincer_me_fbc_audit, which counts the patients who received the care"),
        ("dna_rate", "measure 'dna_rate' counts a hazard (low is good), so it cannot say who met a criterion",
         "choose a measure where high is good, or enter the counts by hand"),
        ("appts_per_1000", "measure 'appts_per_1000' is not a share of patients, so it cannot be an audit criterion",
         "choose a measure that counts patients who received care among eligible patients"),
    ],
)  # fmt: skip
def test_hazards_and_rates_are_refused_with_what_to_use(measure_id, message, hint):
    with pytest.raises(AuditInputError) as caught:
        criterion_measure(measure_id)
    assert (caught.value.message, caught.value.hint) == (message, hint)


@pytest.mark.parametrize("measure_id", ["copd010", "pincer_a_audit", "pincer_me_lft_audit", "hyp008"])
def test_care_measures_are_criteria(measure_id):
    assert criterion_measure(measure_id).id == measure_id


def test_pincer_a_audit_met_share_agrees_with_the_hand_worked_table():
    data = one_practice(VARIANT_SPECS["pincer_a_audit"])
    result = collect(data, "pincer_a_audit", "A", REF)
    assert (result.met, result.eligible, result.excluded) == (2, 5, 0)
    assert result.measure_version == all_measures()["pincer_a_audit"].version
    assert result.codelist_versions == all_measures()["pincer_a_audit"].codelist_versions
    assert "pincer_ulcer_healing" in result.codelist_versions
    assert result.store_fingerprint.startswith("sha256:")
    assert result.as_dict()["reference_date"] == "2024-03-31"


def test_copd010_excluded_counts_the_personalised_care_adjustments():
    patients = COPD_SPECS["copd010"]
    data = one_practice(patients)
    result = collect(data, "copd010", "A", REF)
    hand_den = sum(1 for p in patients if p.expect[0])
    hand_num = sum(1 for p in patients if p.expect[0] and p.expect[1])
    assert (result.met, result.eligible) == (hand_num, hand_den)
    copd010 = all_measures()["copd010"]
    everyone = dataclasses.replace(copd010, exclusions=None, choices=())
    rows = run_reference(data, [everyone], [Interval(REF.replace(day=1), REF)])
    on_register = int(rows[rows["practice_id"] == "A"]["denominator"].iloc[0])
    assert result.excluded == on_register - hand_den
    assert result.excluded > 0, "the COPD spec holds excepted patients"


def test_an_empty_population_is_refused():
    outside = [p for p in VARIANT_SPECS["pincer_a_audit"] if not p.expect[0]]
    with pytest.raises(AuditInputError) as caught:
        collect(one_practice(outside), "pincer_a_audit", "A", REF)
    assert caught.value.message.startswith(EMPTY_POPULATION)


def test_an_unknown_practice_is_refused():
    with pytest.raises(AuditInputError, match="no patients registered at practice 'B'"):
        collect(one_practice(VARIANT_SPECS["pincer_a_audit"]), "pincer_a_audit", "B", REF)


def test_the_fingerprint_follows_the_data():
    data = one_practice(VARIANT_SPECS["pincer_a_audit"])
    same = one_practice(VARIANT_SPECS["pincer_a_audit"])
    assert store_fingerprint(data) == store_fingerprint(same)
    changed = one_practice(VARIANT_SPECS["pincer_a_audit"][:-1])
    assert store_fingerprint(changed) != store_fingerprint(data)


def test_a_result_cannot_be_changed():
    result = collect(one_practice(VARIANT_SPECS["pincer_a_audit"]), "pincer_a_audit", "A", REF)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.met = 5  # type: ignore[misc]


def test_the_monthly_series_ends_with_the_collection():
    data = one_practice(VARIANT_SPECS["pincer_a_audit"])
    x, met, eligible = monthly_series(data, "pincer_a_audit", "A", dt.date(2024, 1, 1), REF)
    assert x == ["2024-01-31", "2024-02-29", "2024-03-31"]
    assert (met[-1], eligible[-1]) == (2, 5)
