"""qiloop.months: calendar-month arithmetic written once."""

from __future__ import annotations

import datetime as dt
import doctest

from hypothesis import given
from hypothesis import strategies as st

from qiloop import months

days = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31))
steps = st.integers(-600, 600)


def test_the_doctests() -> None:
    assert doctest.testmod(months).failed == 0


@given(days, steps)
def test_shift_month_moves_by_whole_months_to_a_first_day(day: dt.date, n: int) -> None:
    moved = months.shift_month(day, n)
    assert moved.day == 1 and months.months_between(day, moved) == n


@given(days, steps)
def test_add_months_keeps_the_day_or_ends_the_shorter_month(day: dt.date, n: int) -> None:
    moved = months.add_months(day, n)
    assert months.months_between(day, moved) == n
    assert moved.day == day.day or (moved.day < day.day and moved == months.month_end(moved))


@given(days)
def test_month_end_is_the_day_before_the_next_month(day: dt.date) -> None:
    assert months.month_end(day) == months.shift_month(day, 1) - dt.timedelta(days=1)
