import datetime as dt

import pytest

from qiloop.errors import QiloopError
from qiloop.measures.dates import Offset, Window, intervals_between, months_before

D = dt.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2024, 3, 31), 1, D(2024, 2, 29)),  # month end to month end, leap year
        (D(2023, 3, 31), 1, D(2023, 2, 28)),
        (D(2024, 4, 30), 1, D(2024, 3, 31)),  # month end maps to the longer month's end
        (D(2024, 3, 31), 12, D(2023, 3, 31)),
        (D(2024, 3, 15), 1, D(2024, 2, 15)),
        (D(2024, 5, 30), 3, D(2024, 2, 29)),  # not a month end: clamped
        (D(2024, 1, 31), 2, D(2023, 11, 30)),
        (D(2024, 6, 30), 0, D(2024, 6, 30)),
    ],
)
def test_months_before(day, months, expected):
    assert months_before(day, months) == expected


def test_in_last_twelve_months_is_the_financial_year():
    window = Window(after=Offset(months=12))
    ref = D(2024, 3, 31)
    assert not window.contains(D(2023, 3, 31), ref)
    assert window.contains(D(2023, 4, 1), ref)
    assert window.contains(D(2024, 3, 31), ref)
    assert not window.contains(D(2024, 4, 1), ref)


def test_window_between_is_after_start_and_on_or_before_end():
    window = Window(after=Offset(months=6), until=Offset(months=3))
    ref = D(2024, 6, 30)
    assert window.bounds(ref) == (D(2023, 12, 31), D(2024, 3, 31))


def test_empty_window_is_rejected():
    with pytest.raises(QiloopError, match="empty time window"):
        Window(after=Offset(months=3), until=Offset(months=6))


def test_monthly_intervals_end_on_the_last_day():
    out = intervals_between(D(2024, 1, 15), D(2024, 3, 2))
    assert [(i.start, i.end) for i in out] == [
        (D(2024, 1, 1), D(2024, 1, 31)),
        (D(2024, 2, 1), D(2024, 2, 29)),
        (D(2024, 3, 1), D(2024, 3, 31)),
    ]


def test_financial_years_end_on_31_march():
    out = intervals_between(D(2022, 4, 1), D(2024, 3, 31), "financial_year")
    assert [(i.start, i.end) for i in out] == [(D(2022, 4, 1), D(2023, 3, 31)), (D(2023, 4, 1), D(2024, 3, 31))]


def test_range_backwards_is_an_error():
    with pytest.raises(QiloopError, match="after it ends"):
        intervals_between(D(2024, 3, 1), D(2024, 1, 1))


@pytest.mark.parametrize(
    ("reference", "first_day"),
    [
        (D(2024, 3, 31), D(2023, 8, 1)),  # the 2023/24 flu season
        (D(2024, 7, 31), D(2023, 8, 1)),  # still that season on 31 July
        (D(2024, 8, 1), D(2024, 8, 1)),  # a new season on 1 August itself
        (D(2024, 8, 31), D(2024, 8, 1)),
        (D(2024, 12, 31), D(2024, 8, 1)),
    ],
)
def test_season_window_starts_on_the_most_recent_anchor_day(reference, first_day):
    window = Window(after=Offset.since(8, 1))
    assert window.contains(first_day, reference)
    assert not window.contains(first_day - dt.timedelta(days=1), reference)
    assert window.contains(reference, reference)
    assert not window.contains(reference + dt.timedelta(days=1), reference)


def test_season_start_never_moves_backwards_and_has_its_own_column():
    start = Offset.since(3, 1)
    refs = [D(2024, m, 28) for m in range(1, 13)]
    dates = [start.apply(r) for r in refs]
    assert dates == sorted(dates)
    assert start.anchored and not Offset(months=3).anchored
    assert start.column != Offset().column and start.column != Offset.since(8, 1).column
    assert "1 March" in Window(after=start).label


def test_season_start_cannot_be_shifted_or_impossible():
    with pytest.raises(QiloopError, match="cannot also be moved"):
        Offset(months=1, anchor_month=8, anchor_day=1)
    with pytest.raises(QiloopError, match="29 February"):
        Offset.since(2, 29)
    with pytest.raises(QiloopError, match="day from 1 to 30"):
        Offset.since(4, 31)
