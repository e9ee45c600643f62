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
