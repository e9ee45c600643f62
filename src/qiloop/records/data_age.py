"""How old the data are: a sentence for the pages that show results, from the last day the data cover and today.

Extracts from general practice arrive monthly, and a month's records are complete a couple of weeks after it ends,
so results ending with the previous month are as fresh as they can be. :data:`STALE_AFTER_DAYS` (six weeks,
42 days) is the first day the data count as old: by then the next monthly extract is due (a month) and has had
two weeks to arrive. Under it, :func:`data_age` says nothing; from it, a sentence such as
"Data to 31 March 2026 — 8 months old; import a newer extract."
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from qiloop.months import months_between

STALE_AFTER_DAYS = 42  # six weeks after the last day of data


@dataclass(frozen=True)
class DataAge:
    last_day: dt.date  # the last day the data cover (the end of the results' latest interval)
    today: dt.date
    days: int  # whole days from the last day to today (0 when the data cover today or later)
    months: int  # whole calendar months from the last day to today
    stale: bool  # at least STALE_AFTER_DAYS old: the pages say so

    @property
    def message(self) -> str:
        """The sentence to show when the data are old, or "" when they are not."""
        if not self.stale:
            return ""
        return f"Data to {long_date(self.last_day)} — {self.age_words} old; import a newer extract."

    @property
    def age_words(self) -> str:
        """ "8 months", "1 year and 2 months", or "7 weeks" under two months."""
        if self.months < 2:
            weeks = self.days // 7
            return f"{weeks} week{'s' if weeks != 1 else ''}"
        years, months = divmod(self.months, 12)
        if not years:
            return f"{months} months"
        year_words = f"{years} year{'s' if years != 1 else ''}"
        return year_words if not months else f"{year_words} and {months} month{'s' if months != 1 else ''}"


def long_date(day: dt.date) -> str:
    """A date as people write it in the UK: "31 March 2026"."""
    return f"{day.day} {day:%B %Y}"


def whole_months(start: dt.date, end: dt.date) -> int:
    """Calendar months from ``start`` to ``end``, counting a month only once its day is reached
    (31 March to 29 November is 7 months; to 30 November 8, as November has no 31st)."""
    months = months_between(start, end)
    if end.day < start.day and not _last_day_of_month(end):
        months -= 1
    return max(months, 0)


def _last_day_of_month(day: dt.date) -> bool:
    return (day + dt.timedelta(days=1)).month != day.month


def data_age(last_day: dt.date, today: dt.date, *, stale_after_days: int = STALE_AFTER_DAYS) -> DataAge:
    """How old data ending on ``last_day`` are on ``today``; stale from ``stale_after_days`` days."""
    if stale_after_days < 1:
        raise ValueError(f"stale_after_days must be at least 1 (got {stale_after_days})")
    days = max((today - last_day).days, 0)
    return DataAge(last_day, today, days, whole_months(last_day, today), days >= stale_after_days)
