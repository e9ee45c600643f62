"""Spec tests for action lists, one per library measure: the list holds the right patients for its direction.

Each measure's hand-worked spec patients (the same tables as its spec test, reference date 31 March 2024) are put
in one practice. The expected list comes from the hand-worked (denominator, numerator) of every patient and is
checked against the plain-Python reference evaluator; the action list (DuckDB engine) must equal:

* low is good: the patients in the numerator (and the denominator);
* high is good: the patients in the denominator but not the numerator;
* high is good with a per-patient index numerator (continuity): every patient in the denominator.

Every spec has patients on both sides of the line, so a list that flips direction fails.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from qiloop.measures.actions import MISSING, compute_action_list, rule_of
from qiloop.measures.library import all_measures
from qiloop.measures.reference import load_records, patient_counts, population, truthy

from ..spec import Patient, appt, event, tables
from . import test_access, test_audit_variants, test_copd, test_pincer, test_qof
from .codes import FBC, LFT, METHOTREXATE

REF = "2024-03-31"
MEASURES = all_measures()
ATTENDED_BOOKED_A_MONTH_AHEAD = Patient(901, (1, 0), note="attended on 20 March, booked 20 February", dob="1980-01-01",
                                        appointments=[appt("2024-02-20", "2024-03-20")])  # fmt: skip
EXTRA = {
    # specs whose patients all sit on one side of the line get one more on the other side
    "dna_rate": [ATTENDED_BOOKED_A_MONTH_AHEAD],
    **{f"wait_{w}": [ATTENDED_BOOKED_A_MONTH_AHEAD] for w in ("same_day", "1d", "7d", "14d")},
    "pincer_monitoring": [
        Patient(902, (1, 0), note="methotrexate, monitored", dob="1984-01-01",
                meds=[("2023-11-15", METHOTREXATE), ("2024-02-15", METHOTREXATE)],
                events=[event("2024-03-01", FBC), event("2024-03-01", LFT)])
    ],
}  # fmt: skip
_SPECS = {
    **test_pincer.SPECS,
    **test_copd.SPECS,
    **test_qof.SPECS,
    **test_access.SPECS,
    **test_audit_variants.SPECS,
}
SPECS = {measure_id: patients + EXTRA.get(measure_id, []) for measure_id, patients in _SPECS.items()}
OTHER_PRACTICE_ID = 999_999


def one_practice(patients) -> dict[str, pd.DataFrame]:
    """The spec's tables with every patient registered at practice A (and one patient elsewhere with an event on
    the reference date, so the data reach March 2024 whatever the spec holds)."""
    data = tables(patients)
    data["practice_registrations"] = data["practice_registrations"].assign(practice_id="A")
    data["appointments"] = data["appointments"].assign(practice_id="A")
    data["practices"] = pd.DataFrame(
        [{"practice_id": p, "name": p, "pcn_id": "N1", "pcn_name": "N1", "icb_id": "I1", "icb_name": "I1"}
         for p in ("A", "Z")]
    )  # fmt: skip
    elsewhere = pd.DataFrame([{"patient_id": OTHER_PRACTICE_ID, "date_of_birth": dt.date(1950, 1, 1),
                               "sex": "female", "date_of_death": None}])  # fmt: skip
    data["patients"] = pd.concat([data["patients"], elsewhere], ignore_index=True)
    data["practice_registrations"] = pd.concat(
        [data["practice_registrations"], pd.DataFrame([{"patient_id": OTHER_PRACTICE_ID, "start_date":
         dt.date(2000, 1, 1), "end_date": None, "practice_id": "Z"}])], ignore_index=True
    )  # fmt: skip
    data["clinical_events"] = pd.concat(
        [data["clinical_events"], pd.DataFrame([{"patient_id": OTHER_PRACTICE_ID, "date": dt.date(2024, 3, 31),
         "snomedct_code": "999999999", "numeric_value": None}])], ignore_index=True
    )  # fmt: skip
    return data


def reference_sets(measure, data) -> tuple[set[int], set[int]]:
    """(denominator, numerator) patient sets of practice A from the reference evaluator."""
    ref = dt.date.fromisoformat(REF)
    den, num = set(), set()
    for ctx in population(load_records(data), ref):
        if ctx.registration[2] != "A":
            continue
        n, d = patient_counts(measure, ctx)
        if truthy(d):
            den.add(ctx.rec.patient_id)
            if truthy(n):
                num.add(ctx.rec.patient_id)
    return den, num


def expected_list(measure, den: set[int], num: set[int]) -> set[int]:
    rule = rule_of(measure)
    if rule == "numerator":
        return den & num
    if rule == "denominator_not_numerator":
        return den - num
    return den


def test_every_library_measure_has_an_action_list_spec():
    assert set(SPECS) == set(MEASURES)
    assert len(MEASURES) == 42


@pytest.mark.parametrize("measure_id", sorted(MEASURES))
def test_action_list_holds_the_patients_its_direction_says(measure_id):
    measure = MEASURES[measure_id]
    patients = SPECS[measure_id]
    hand_den = {p.id for p in patients if p.expect[0]}
    hand_num = {p.id for p in patients if p.expect[0] and p.expect[1]}
    data = one_practice(patients)
    den, num = reference_sets(measure, data)
    assert (den, num) == (hand_den, hand_num), "the reference evaluator disagrees with the hand-worked spec"
    expected = expected_list(measure, den, num)
    # both sides of the line are present, so a list that used the other direction would differ
    assert expected and (den - expected or rule_of(measure) == "denominator_by_value")
    if rule_of(measure) == "denominator_by_value":
        assert {p.id for p in patients} - den, "a patient outside the denominator shows the filter works"
    listed = compute_action_list(data, measure, "A", on=REF)
    assert set(listed.table["patient_id"]) == expected
    assert len(listed.table) == len(expected)
    assert listed.denominator == len(den)
    assert listed.header.startswith(f"{len(expected)} patient")


@pytest.mark.parametrize("measure_id", sorted(MEASURES))
def test_action_list_is_sorted_as_its_header_says_and_shows_no_missing_markers(measure_id):
    measure = MEASURES[measure_id]
    listed = compute_action_list(one_practice(SPECS[measure_id]), measure, "A", on=REF)
    spec = measure.action_list
    assert spec is not None and spec.order in listed.header
    keys = [len(v) if isinstance(v, tuple) else v for v in listed.table[spec.order_by]]
    present = [k for k in keys if k is not None]
    assert present == sorted(present, reverse=spec.descending)
    missing_at = [i for i, k in enumerate(keys) if k is None]
    if missing_at:
        expected_positions = (
            list(range(len(missing_at))) if spec.missing_first else list(range(len(keys) - len(missing_at), len(keys)))
        )
        assert missing_at == expected_positions
    for row in listed.display_rows():
        for cell in row:
            assert cell.strip() and cell not in ("nan", "NaT", "None", "<NA>"), row
    for line in listed.csv().splitlines():
        assert "nan" not in line.split(",") and "NaT" not in line and "None" not in line


def test_pincer_k_lists_the_nsaid_patient_with_clinical_columns():
    listed = compute_action_list(one_practice(SPECS["pincer_k"]), MEASURES["pincer_k"], "A", on=REF)
    assert listed.columns == ["Patient (pseudonymous id)", "Oral NSAID — last issued", "Latest eGFR", "eGFR date"]
    assert listed.header.startswith(f"{listed.count} patient")
    assert (
        "on an oral NSAID with eGFR below 45 — review the NSAID (most recent oral NSAID issue first)" in listed.header
    )
    first = listed.display_rows()[0]
    assert first[1].endswith("2024") and " " in first[1] and "-" not in first[1]  # "1 March 2024", not ISO
    csv_first = listed.csv().splitlines()[1].split(",")
    assert dt.date.fromisoformat(csv_first[1])  # the CSV keeps ISO dates


def test_copd010_never_reviewed_patients_come_first_as_none_recorded():
    listed = compute_action_list(one_practice(SPECS["copd010"]), MEASURES["copd010"], "A", on=REF)
    rows = listed.display_rows()
    reviews = [row[1] for row in rows]
    never = [r for r in reviews if r == MISSING]
    assert never, "the spec has a patient never reviewed"
    assert reviews[: len(never)] == never
