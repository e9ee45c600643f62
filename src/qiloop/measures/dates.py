"""Date conventions shared by the language, the engines and the reference evaluator.

* An interval's **reference date** is its last day (a month end for monthly
  intervals, 31 March for financial years).
* ``months_before(d, n)``: the same day ``n`` calendar months earlier; when ``d``
  is the last day of its month the result is the last day of the earlier
  month (so 31 March − 1 month = 29 February in a leap year, and 30 April − 1
  month = 31 March); otherwise the day is clamped to the earlier month's length.
* A window is "after ``after`` and on or before ``until``", both counted back
  from the reference date: ``in_last(months=12)`` at 31 March 2024 is
  1 April 2023 – 31 March 2024 inclusive.
* A **season start** (an anchored offset, ``Offset.since(month, day)``) points at
  the day before the most recent ``day``/``month`` on or before the reference
  date, so ``since_last(month=8, day=1)`` at 31 March 2024 is 1 August 2023 –
  31 March 2024, and at 31 August 2024 it is 1 August 2024 – 31 August 2024.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from qiloop.errors import QiloopError


def last_day_of_month(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def months_before(day: dt.date, months: int) -> dt.date:
    """The date ``months`` calendar months before ``day`` (month ends map to month ends)."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    length = calendar.monthrange(year, month)[1]
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        return dt.date(year, month, length)
    return dt.date(year, month, min(day.day, length))


@dataclass(frozen=True, order=True)
class Offset:
    """A distance back from the reference date: ``months`` calendar months, then ``days`` days.

    An **anchored** offset (``anchor_month`` and ``anchor_day`` set, built with :meth:`since`) instead points at the
    day before the most recent ``anchor_day``/``anchor_month`` on or before the reference date, so that a window
    "after" it starts on that day (a season: "since the last 1 August").
    """

    months: int = 0
    days: int = 0
    anchor_month: int = 0
    anchor_day: int = 0

    def __post_init__(self) -> None:
        if self.months < 0 or self.days < 0:
            raise QiloopError(f"a time offset cannot be negative (got {self.months} months, {self.days} days)")
        if self.anchor_month or self.anchor_day:
            if self.months or self.days:
                raise QiloopError("a season start cannot also be moved by months or days")
            _check_day_of_year(self.anchor_month, self.anchor_day)

    @classmethod
    def since(cls, month: int, day: int) -> Offset:
        """The day before the most recent ``day``/``month`` on or before the reference date."""
        return cls(anchor_month=month, anchor_day=day)

    @property
    def anchored(self) -> bool:
        return bool(self.anchor_month)

    def apply(self, reference: dt.date) -> dt.date:
        """The date this offset points at, counted back from ``reference``."""
        if self.anchored:
            start = dt.date(reference.year, self.anchor_month, self.anchor_day)
            if start > reference:
                start = dt.date(reference.year - 1, self.anchor_month, self.anchor_day)
            return start - dt.timedelta(days=1)
        return months_before(reference, self.months) - dt.timedelta(days=self.days)

    @property
    def anchor_label(self) -> str:
        """The anchor in words, e.g. '1 August'."""
        return f"{self.anchor_day} {calendar.month_name[self.anchor_month]}"

    @property
    def label(self) -> str:
        if self.anchored:
            return f"the day before the most recent {self.anchor_label}"
        parts = []
        if self.months:
            parts.append(f"{self.months} month{'s' if self.months != 1 else ''}")
        if self.days:
            parts.append(f"{self.days} day{'s' if self.days != 1 else ''}")
        return " ".join(parts) or "0 days"

    @property
    def column(self) -> str:
        """Name of the interval-table column holding this offset's date."""
        if self.anchored:
            return f"ref_since_{self.anchor_month:02d}_{self.anchor_day:02d}"
        return f"ref_minus_{self.months}m_{self.days}d"


def _check_day_of_year(month: int, day: int) -> None:
    """A season start must be a day that every year has (so not 29 February)."""
    if not 1 <= month <= 12:
        raise QiloopError(
            f"a season start needs a month from 1 to 12 (got {month})", hint="e.g. since_last(month=8, day=1)"
        )
    length = calendar.monthrange(2023, month)[1]  # a non-leap year: 29 February is not a day every year has
    if not 1 <= day <= length:
        raise QiloopError(
            f"a season start needs a day from 1 to {length} in {calendar.month_name[month]} (got {day})",
            hint="29 February is not allowed: not every year has it",
        )


REFERENCE = Offset()


@dataclass(frozen=True)
class Window:
    """Dates ``d`` with ``after < d <= until`` (``after`` None: no lower bound), counted back from the reference date."""

    until: Offset = REFERENCE
    after: Offset | None = None

    def __post_init__(self) -> None:
        if self.after is not None and not _earlier(self.after, self.until):
            raise QiloopError(
                f"an empty time window: it starts {self.after.label} before the reference date "
                f"and ends {self.until.label} before it",
                hint="the start must be further back than the end, e.g. between(from_months_ago=6, to_months_ago=3)",
            )

    def bounds(self, reference: dt.date) -> tuple[dt.date | None, dt.date]:
        lower = self.after.apply(reference) if self.after is not None else None
        return lower, self.until.apply(reference)

    def contains(self, day: dt.date, reference: dt.date) -> bool:
        lower, upper = self.bounds(reference)
        return day <= upper and (lower is None or day > lower)

    @property
    def offsets(self) -> tuple[Offset, ...]:
        return (self.until,) if self.after is None else (self.until, self.after)

    @property
    def label(self) -> str:
        if self.after is None:
            return (
                "on or before the reference date"
                if self.until == REFERENCE
                else f"on or before {self.until.label} before the reference date"
            )
        if self.after.anchored and self.until == REFERENCE:
            return f"since the most recent {self.after.anchor_label} (on or before the reference date)"
        if self.after.anchored:
            return f"since the most recent {self.after.anchor_label} and on or before {self.until.label} before the reference date"
        if self.until == REFERENCE:
            return f"in the last {self.after.label}"
        return f"after {self.after.label} and on or before {self.until.label} before the reference date"


def _earlier(a: Offset, b: Offset) -> bool:
    """Whether offset ``a`` always points strictly earlier than offset ``b``."""
    probe = [dt.date(2023, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31), dt.date(2024, 6, 15)]
    return all(a.apply(p) < b.apply(p) for p in probe)


@dataclass(frozen=True)
class Interval:
    start: dt.date
    end: dt.date

    @property
    def reference_date(self) -> dt.date:
        return self.end


INTERVAL_KINDS = ("monthly", "financial_year")


def intervals_between(start: dt.date, end: dt.date, kind: str = "monthly") -> list[Interval]:
    """Every whole interval whose reference date falls in ``[start, end]`` (month ends, or 31 March for years).

    ``start`` and ``end`` may be any days; monthly intervals run from the month of
    ``start`` to the month of ``end``; financial years (1 April – 31 March) are
    those whose 31 March lies within the months covered.
    """
    if start > end:
        raise QiloopError(f"the interval range starts ({start}) after it ends ({end})", hint="swap --from and --to")
    if kind == "monthly":
        out = []
        year, month = start.year, start.month
        while (year, month) <= (end.year, end.month):
            out.append(Interval(dt.date(year, month, 1), last_day_of_month(year, month)))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out
    if kind == "financial_year":
        first = start.year if start.month <= 3 else start.year + 1
        last_month_end = last_day_of_month(end.year, end.month)
        out = []
        year = first
        while dt.date(year, 3, 31) <= last_month_end:
            out.append(Interval(dt.date(year - 1, 4, 1), dt.date(year, 3, 31)))
            year += 1
        if not out:
            raise QiloopError(
                f"no financial year ends (31 March) between {start} and {end}",
                hint="widen the range so that it includes a March",
            )
        return out
    raise QiloopError(f"unknown interval kind {kind!r}", hint=f"use one of {', '.join(INTERVAL_KINDS)}")
