"""Spec tests: small tables in, hand-worked counts out, on DuckDB and Spark, each checked against the reference."""

import pytest

from qiloop.measures.language import age, measure, registration_start_date, sex

from .spec import D, Store, counts, run_checked

pytestmark = pytest.mark.usefixtures("every_engine")  # each spec on DuckDB and Spark, checked against the reference

EVERYONE = measure(id="everyone", title="Everyone", denominator=age >= 0, numerator=sex == "female", low_is_good=False)


def test_registration_end_date_is_inclusive_and_start_must_be_on_or_before():
    store = Store()
    store.patient(1, practice=None).registered(1, "A", D(2020, 1, 1), D(2024, 3, 31))  # ends on the ref: in
    store.patient(2, practice=None).registered(2, "A", D(2020, 1, 1), D(2024, 3, 30))  # ended the day before: out
    store.patient(3, practice=None).registered(3, "A", D(2024, 3, 31))  # starts on the ref: in
    store.patient(4, practice=None).registered(4, "A", D(2024, 4, 1))  # starts after: out
    assert counts(run_checked(store, [EVERYONE])) == (2, 2)


def test_death_on_the_reference_date_removes_the_patient():
    store = Store().patient(1, died=D(2024, 3, 31)).patient(2, died=D(2024, 4, 1)).patient(3)
    assert counts(run_checked(store, [EVERYONE])) == (2, 2)


def test_overlapping_registrations_latest_start_wins():
    store = Store()
    store.patient(1, practice=None).registered(1, "A", D(2010, 1, 1)).registered(1, "B", D(2020, 1, 1))
    # same start: the open registration (latest end) wins
    store.patient(2, practice=None).registered(2, "A", D(2015, 1, 1), D(2025, 1, 1)).registered(2, "B", D(2015, 1, 1))
    results = run_checked(store, [EVERYONE])
    assert list(results["practice_id"]) == ["B"]
    assert counts(results, "B") == (2, 2)


def test_age_on_the_reference_date():
    adults = measure(id="adults", title="t", denominator=age >= 0, numerator=age >= 18, low_is_good=False)
    store = Store().patient(1, dob=D(2006, 3, 1)).patient(2, dob=D(2006, 4, 1))  # 18 on 31 Mar 2024; 17
    assert counts(run_checked(store, [adults])) == (1, 2)


def test_registration_start_date_relative_to_reference():
    newly = measure(
        id="newly_registered",
        title="t",
        denominator=age >= 0,
        numerator=registration_start_date.is_after(months_ago=3),
        low_is_good=False,
    )
    store = Store().patient(1, practice=None).registered(1, "A", D(2023, 12, 31))  # exactly 3 months: not after
    store.patient(2, practice=None).registered(2, "A", D(2024, 1, 1))
    assert counts(run_checked(store, [newly])) == (1, 2)


def test_rows_for_every_practice_and_interval_even_with_zero_denominator():
    none = measure(id="none", title="t", denominator=age >= 200, numerator=age >= 0, low_is_good=False)
    store = Store().patient(1).patient(2, practice="B")
    results = run_checked(store, [none], start="2024-01", end="2024-02")
    assert len(results) == 4
    assert (results["denominator"] == 0).all()
    assert results["ratio"].isna().all()


def test_breakdowns_split_practices():
    store = Store().patient(1, dob=D(1940, 1, 1), ethnicity="asian", imd=2).patient(2, sex="male", dob=D(2000, 1, 1))
    results = run_checked(store, [EVERYONE], breakdowns=("age_band", "sex", "ethnicity", "imd_quintile"))
    rows = results[["age_band", "sex", "ethnicity", "imd_quintile", "numerator", "denominator"]].values.tolist()
    assert rows == [["18-29", "male", "unknown", "unknown", 0, 1], ["80+", "female", "asian", "2", 1, 1]]
