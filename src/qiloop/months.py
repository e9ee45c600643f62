"""Calendar-month arithmetic, written once for the library and the workbench.

>>> import datetime as dt
>>> shift_month(dt.date(2026, 3, 31), -11)
datetime.date(2025, 4, 1)
>>> add_months(dt.date(2024, 1, 31), 1)
datetime.date(2024, 2, 29)
>>> month_end(dt.date(2024, 2, 10))
datetime.date(2024, 2, 29)
>>> months_between(dt.date(2025, 4, 30), dt.date(2026, 3, 1))
11
"""

from __future__ import annotations

import calendar
import datetime as dt


def month_index(day: dt.date) -> int:
    """Months since year 0: consecutive months have consecutive indexes."""
    return day.year * 12 + day.month - 1


def from_index(index: int) -> dt.date:
    """The first day of the month with this :func:`month_index`."""
    year, month0 = divmod(index, 12)
    return dt.date(year, month0 + 1, 1)


def shift_month(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``day``'s month (before, when negative)."""
    return from_index(month_index(day) + months)


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    return dt.date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (earlier, when negative); the month's last day when it is shorter."""
    first = shift_month(day, months)
    return first.replace(day=min(day.day, month_end(first).day))


def months_between(start: dt.date, end: dt.date) -> int:
    """Calendar months from ``start``'s month to ``end``'s (days ignored)."""
    return month_index(end) - month_index(start)
