"""Spec tests for event building blocks: windows, latest values, registers, co-prescribing, exclusions."""

import pytest

from qiloop.errors import QiloopError
from qiloop.measures.language import (
    age,
    clinical_events,
    co_prescribed,
    measure,
    medications,
    unresolved,
)

from .data import D, Store, counts, run_checked


def _count_of(numerator):
    return measure(id="m", title="t", denominator=age >= 0, numerator=numerator, low_is_good=False)


def test_in_last_three_months_boundaries():
    # ref 31 Mar 2024: window is after 31 Dec 2023, on or before 31 Mar 2024
    store = Store().patient(1).patient(2).patient(3)
    store.med(1, D(2023, 12, 31), "n").med(2, D(2024, 1, 1), "n").med(3, D(2024, 4, 1), "n")
    m = _count_of(medications(["n"]).in_last(months=3).exists())
    assert counts(run_checked(store, [m])) == (1, 3)


def test_since_last_season_start_boundaries():
    # flu season: since the most recent 1 August on or before the reference date
    store = Store().patient(1).patient(2).patient(3).patient(4).patient(5)
    store.event(1, D(2023, 7, 31), "flu")  # the day before the season: not counted at any reference date below
    store.event(2, D(2023, 8, 1), "flu")  # first day of the 2023/24 season
    store.event(3, D(2024, 3, 31), "flu")  # on the March reference date
    store.event(4, D(2024, 4, 1), "flu")  # after the March reference date
    store.event(5, D(2024, 8, 1), "flu")  # first day of the 2024/25 season
    season = _count_of(clinical_events(["flu"]).since_last(month=8, day=1).exists())
    march = run_checked(store, [season], start="2024-03", end="2024-03")
    assert counts(march) == (2, 5)  # patients 2 and 3
    july = run_checked(store, [season], start="2024-07", end="2024-07")
    assert counts(july) == (3, 5)  # 1 Aug 2023 - 31 Jul 2024: patients 2, 3 and 4
    august = run_checked(store, [season], start="2024-08", end="2024-08")
    assert counts(august) == (1, 5)  # a new season began on 1 August 2024: only patient 5


def test_since_last_on_the_anchor_day_and_monthly_run():
    # a run over several months: the season restarts when a reference date reaches 1 March
    store = Store().patient(1).patient(2)
    store.event(1, D(2024, 2, 20), "x").event(2, D(2024, 3, 1), "x")
    m = _count_of(clinical_events(["x"]).since_last(month=3, day=1).count())
    results = run_checked(store, [m], start="2024-01", end="2024-04")
    assert results["numerator"].tolist() == [0, 1, 1, 1]  # Jan: none; Feb: patient 1; Mar, Apr: patient 2 only


def test_since_last_rejects_a_day_not_in_every_year():
    with pytest.raises(QiloopError, match="29 February"):
        clinical_events(["x"]).since_last(month=2, day=29)
    with pytest.raises(QiloopError, match="month from 1 to 12"):
        clinical_events(["x"]).since_last(month=13, day=1)


def test_between_months_ago():
    store = Store().patient(1).patient(2).patient(3)
    store.event(1, D(2023, 9, 30), "x").event(2, D(2023, 10, 1), "x").event(3, D(2024, 1, 1), "x")
    m = _count_of(clinical_events(["x"]).between(from_months_ago=6, to_months_ago=3).exists())
    assert counts(run_checked(store, [m])) == (1, 3)  # only patient 2 (1 Oct 2023 .. 31 Dec 2023)


def test_on_or_before_months_ago_has_no_lower_limit():
    store = Store().patient(1).patient(2)
    store.event(1, D(1990, 1, 1), "x").event(2, D(2024, 1, 1), "x")
    m = _count_of(clinical_events(["x"]).on_or_before(months_ago=3).exists())
    assert counts(run_checked(store, [m])) == (1, 2)


def test_count_and_sum_of_counts():
    store = Store().patient(1).patient(2)
    store.event(1, D(2024, 3, 1), "x").event(1, D(2024, 3, 2), "x").event(1, D(2024, 3, 3), "y").med(
        2, D(2024, 3, 1), "d"
    )
    total = clinical_events(["x", "y"]).in_last(months=1).count() + medications(["d"]).in_last(months=1).count()
    assert counts(run_checked(store, [_count_of(total)])) == (4, 2)


def test_latest_value_takes_the_latest_valued_row_and_the_lowest_on_a_tie():
    store = Store().patient(1).patient(2).patient(3)
    store.event(1, D(2024, 1, 1), "a1c", 50.0).event(1, D(2024, 2, 1), "a1c", 70.0).event(1, D(2024, 3, 1), "a1c")
    store.event(2, D(2024, 2, 1), "a1c", 80.0).event(2, D(2024, 2, 1), "a1c", 55.0)
    store.event(3, D(2022, 2, 1), "a1c", 40.0)  # outside the 12 months
    latest = clinical_events(["a1c"]).in_last(months=12).latest_value()
    m = measure(id="m", title="t", denominator=age >= 0, numerator=latest <= 58, low_is_good=False)
    assert counts(run_checked(store, [m])) == (1, 3)  # patient 1 latest valued is 70; patient 2 tie -> 55
    when = clinical_events(["a1c"]).in_last(months=12).latest_value_date()
    m2 = measure(id="m2", title="t", denominator=age >= 0, numerator=when == D(2024, 2, 1), low_is_good=False)
    assert counts(run_checked(store, [m2])) == (2, 3)


def test_missing_value_comparison_is_false_and_its_negation_true():
    store = Store().patient(1)
    latest = clinical_events(["a1c"]).latest_value()
    m = measure(id="m", title="t", denominator=age >= 0, numerator=~(latest <= 58), low_is_good=False)
    assert counts(run_checked(store, [m])) == (1, 1)


def test_unresolved_register():
    store = Store().patient(1).patient(2).patient(3).patient(4).patient(5)
    store.event(1, D(2020, 1, 1), "dm")  # no resolved code: on the register
    store.event(2, D(2020, 1, 1), "dm").event(2, D(2021, 1, 1), "dmres")  # resolved
    store.event(3, D(2020, 1, 1), "dm").event(3, D(2021, 1, 1), "dmres").event(3, D(2022, 1, 1), "dm")  # re-diagnosed
    store.event(4, D(2022, 1, 1), "dm").event(4, D(2022, 1, 1), "dmres")  # same day: resolved
    store.event(5, D(2020, 1, 1), "dm").event(5, D(2024, 4, 1), "dmres")  # resolved after the ref: still on
    register = measure(
        id="m", title="t", denominator=age >= 0, numerator=unresolved(["dm"], ["dmres"]), low_is_good=False
    )
    assert counts(run_checked(store, [register])) == (3, 5)


def test_co_prescribing_within_28_days():
    store = Store().patient(1).patient(2).patient(3)
    store.med(1, D(2024, 2, 1), "warfarin").med(1, D(2024, 2, 29), "aspirin")  # 28 days apart
    store.med(2, D(2024, 2, 1), "warfarin").med(2, D(2024, 3, 1), "aspirin")  # 29 days apart
    store.med(3, D(2023, 12, 20), "warfarin").med(3, D(2024, 1, 5), "aspirin")  # warfarin outside the window
    m = _count_of(co_prescribed(["warfarin"], ["aspirin"], in_last_months=3, within_days=28))
    assert counts(run_checked(store, [m])) == (1, 3)


def test_numerator_counted_only_within_denominator():
    store = Store().patient(1, dob=D(1950, 1, 1)).patient(2, dob=D(1990, 1, 1))
    store.med(1, D(2024, 3, 1), "n").med(2, D(2024, 3, 1), "n")
    m = measure(
        id="m",
        title="t",
        denominator=age >= 65,
        numerator=medications(["n"]).in_last(months=3).exists(),
        low_is_good=False,
    )
    assert counts(run_checked(store, [m])) == (1, 1)


def test_exclusions_remove_only_patients_not_meeting_the_numerator():
    # 1: met, also excluded -> stays; 2: not met, excluded -> removed; 3: not met, not excluded -> stays
    store = Store().patient(1).patient(2).patient(3)
    store.event(1, D(2024, 1, 1), "review").event(1, D(2024, 1, 1), "pca").event(2, D(2024, 1, 1), "pca")
    m = measure(
        id="m",
        title="t",
        denominator=age >= 0,
        numerator=clinical_events(["review"]).in_last(months=12).exists(),
        exclusions=clinical_events(["pca"]).in_last(months=12).exists(),
        low_is_good=False,
    )
    assert counts(run_checked(store, [m])) == (1, 2)


def test_financial_year_intervals():
    store = Store().patient(1).patient(2)
    store.event(1, D(2023, 4, 1), "review").event(2, D(2023, 3, 31), "review")
    m = _count_of(clinical_events(["review"]).in_last(months=12).exists())
    results = run_checked(store, [m], start="2022-04", end="2024-03", intervals="financial_year")
    assert results[["interval_end", "numerator"]].values.tolist() == [[D(2023, 3, 31), 1], [D(2024, 3, 31), 1]]


def test_where_value_keeps_rows_meeting_every_bound():
    store = Store().patient(1).patient(2).patient(3)
    store.event(1, D(2024, 1, 1), "fev", 0.65).event(1, D(2024, 2, 1), "fev", 0.8)  # an earlier reading below 0.7
    store.event(2, D(2024, 1, 1), "fev", 0.7).event(3, D(2024, 1, 1), "fev")  # 0.7 is not < 0.7; no value
    m = _count_of(clinical_events(["fev"]).in_last(months=12).where_value(lt=0.7).exists())
    assert counts(run_checked(store, [m])) == (1, 3)
    band = _count_of(clinical_events(["fev"]).where_value(ge=0.7, le=0.8).count())
    assert counts(run_checked(store, [band])) == (2, 3)


def test_date_arithmetic_relative_to_another_date():
    # spirometry within 93 days before to 186 days after the first diagnosis
    store = Store().patient(1).patient(2).patient(3)
    store.event(1, D(2023, 6, 1), "copd").event(1, D(2023, 3, 1), "spiro")  # 92 days before: in
    store.event(2, D(2023, 6, 1), "copd").event(2, D(2023, 2, 27), "spiro")  # 94 days before: out
    store.event(3, D(2023, 6, 1), "copd").event(3, D(2023, 12, 4), "spiro")  # 186 days after: in
    first_dx = clinical_events(["copd"]).first_date()
    spiro = clinical_events(["spiro"]).last_date()
    m = _count_of((spiro >= first_dx.minus_days(93)) & (spiro <= first_dx.plus_days(186)))
    assert counts(run_checked(store, [m])) == (2, 3)


def test_as_int_counts_conditions():
    store = Store().patient(1).patient(2)
    store.med(1, D(2024, 3, 1), "a").med(1, D(2024, 3, 1), "b").med(2, D(2024, 3, 1), "a")
    a, b = medications(["a"]).in_last(months=3).exists(), medications(["b"]).in_last(months=3).exists()
    two = _count_of((a.as_int() + b.as_int()) >= 2)
    assert counts(run_checked(store, [two])) == (1, 2)
    total = _count_of(a.as_int() + b.as_int())
    assert counts(run_checked(store, [total])) == (3, 2)


def test_co_prescribed_window_in_days():
    store = Store().patient(1)
    store.med(1, D(2023, 12, 31), "w").med(1, D(2024, 1, 2), "x")  # 31 Dec is in in_last(months=3, days=1)
    m = _count_of(co_prescribed(["w"], ["x"], in_last_months=3, in_last_days=1))
    assert counts(run_checked(store, [m])) == (1, 1)
    m0 = _count_of(co_prescribed(["w"], ["x"], in_last_months=3))
    assert counts(run_checked(store, [m0])) == (0, 1)
