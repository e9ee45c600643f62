"""Interval positions: the intervals whose window holds a date are exactly lo … hi, for every kind of window."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qiloop.measures.engine.store  # noqa: F401  (patches duckdb for Ibis)
from qiloop.measures.dates import Offset, Window, intervals_between
from qiloop.measures.engine.positions import Positions

D = dt.date

RUNS = [
    intervals_between(D(2024, 1, 1), D(2024, 6, 30)),  # month ends, a leap February
    intervals_between(D(2022, 1, 1), D(2025, 3, 31), "financial_year"),
    intervals_between(D(2023, 11, 1), D(2023, 11, 30)),  # one interval
]
WINDOWS = [
    Window(after=Offset(months=1)),
    Window(after=Offset(months=3, days=1)),
    Window(after=Offset(months=12)),
    Window(after=Offset(days=28)),
    Window(until=Offset(months=3)),
    Window(),
    Window(until=Offset(months=3), after=Offset(months=6, days=1)),
    Window(until=Offset(days=10), after=Offset(days=40)),
    Window(after=Offset.since(8, 1)),
    Window(after=Offset.since(3, 1)),
]


def _loaded(name: str, data) -> ibis.Table:
    return ibis.memtable(data.to_pandas())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    run=st.sampled_from(RUNS),
    window=st.sampled_from(WINDOWS),
    days=st.lists(st.dates(D(2020, 1, 1), D(2026, 1, 1)), min_size=1, max_size=30),
)
def test_positions_give_exactly_the_intervals_whose_window_holds_the_date(run, window, days):
    positions = Positions(run, window.offsets, _loaded)
    rows = ibis.memtable(pd.DataFrame({"patient_id": range(len(days)), "date": days}))
    placed = positions.ranged(rows.mutate(date=rows.date.cast("date")), window).to_pandas()
    got = {int(r.patient_id): set(range(int(r.lo), int(r.hi) + 1)) for r in placed.itertuples()}
    for pid, day in enumerate(days):
        expected = {i for i, interval in enumerate(run) if window.contains(day, interval.reference_date)}
        assert got.get(pid, set()) == expected, (day, window)


def test_one_interval_windows_are_recognised():
    months = RUNS[0]
    assert Positions(months, [Offset(months=1)], _loaded).at_most_one(Window(after=Offset(months=1)))
    assert not Positions(months, [Offset(days=35)], _loaded).at_most_one(Window(after=Offset(days=35)))
    assert not Positions(months, [Offset(months=3)], _loaded).at_most_one(Window(after=Offset(months=3)))
