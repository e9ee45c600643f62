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

from .spec import D, Store, counts, run_checked

pytestmark = pytest.mark.usefixtures("every_engine")  # each spec on DuckDB and Spark, checked against the reference


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


def test_near_first_keeps_rows_around_the_first_anchor_both_ends_inclusive():
    # anchor "dx" first on 1 Jun 2023; range 10 days before (22 May) to 20 days after (21 Jun), both inclusive
    store = Store()
    for pid in range(1, 8):
        store.patient(pid)
    for pid in (1, 2, 3, 4, 5, 6):
        store.event(pid, D(2023, 6, 1), "dx")
    store.event(6, D(2020, 1, 1), "dx")  # an earlier anchor moves the range: patient 6's reading is far from it
    store.event(1, D(2023, 5, 22), "r")  # exactly 10 days before: in
    store.event(2, D(2023, 5, 21), "r")  # 11 days before: out
    store.event(3, D(2023, 6, 21), "r")  # exactly 20 days after: in
    store.event(4, D(2023, 6, 22), "r")  # 21 days after: out
    store.event(5, D(2023, 5, 1), "r").event(5, D(2023, 7, 1), "r")  # both sides, none inside: out
    store.event(6, D(2023, 6, 5), "r")
    store.event(7, D(2023, 6, 5), "r")  # no anchor: out
    near = _count_of(clinical_events(["r"]).near_first(["dx"], days_before=10, days_after=20).exists())
    assert counts(run_checked(store, [near])) == (2, 7)  # patients 1 and 3


def test_near_first_counts_only_once_both_the_row_and_the_anchor_are_on_or_before_the_reference_date():
    # reading on 20 Feb 2024, first anchor on 10 Mar 2024 (within 30 days after the reading)
    store = Store().patient(1).patient(2)
    store.event(1, D(2024, 2, 20), "r").event(1, D(2024, 3, 10), "dx")
    store.event(2, D(2024, 3, 20), "dx").event(2, D(2024, 4, 5), "r")
    near = _count_of(clinical_events(["r"]).near_first(["dx"], days_before=30, days_after=30).exists())
    february = run_checked(store, [near], start="2024-02", end="2024-02")
    assert counts(february) == (0, 2)  # no anchor yet
    monthly = run_checked(store, [near], start="2024-02", end="2024-04")
    by_month = monthly[monthly.practice_id == "A"].sort_values("interval_start")["numerator"].tolist()
    assert by_month == [0, 1, 2]  # March: patient 1; April: patient 2's reading has arrived too


def test_near_first_with_value_conditions_and_its_limits():
    store = Store().patient(1).patient(2)
    store.event(1, D(2023, 6, 1), "dx").event(1, D(2023, 6, 2), "r", 0.6)
    store.event(2, D(2023, 6, 1), "dx").event(2, D(2023, 6, 2), "r", 0.8)
    obstructive = clinical_events(["r"]).where_value(lt=0.7).near_first(["dx"], days_before=0, days_after=5)
    assert counts(run_checked(store, [_count_of(obstructive.exists())])) == (1, 2)
    with pytest.raises(QiloopError, match="exists"):
        obstructive.count()
    with pytest.raises(QiloopError, match="default window"):
        obstructive.in_last(months=12)
    with pytest.raises(QiloopError, match="default window"):
        clinical_events(["r"]).in_last(months=12).near_first(["dx"], days_before=1, days_after=1)
    with pytest.raises(QiloopError, match="0 or more"):
        clinical_events(["r"]).near_first(["dx"], days_before=-1, days_after=1)
