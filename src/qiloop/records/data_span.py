"""Which months an extract covers in earnest: the first and the latest month measures can be computed for.

An extract holds a little history from long before it starts in earnest (diagnoses years ago) and, at its
end, a few rows dated after the day it was taken: a reading entered against the wrong date, an event after a
death, a month only just begun. Taking the first and last dated row would start the charts years too early and
end them in a month with almost no data, where every measure falls and the dashboard reports false signals.

So both ends are read from the monthly counts of clinical events and prescriptions (appointments are booked
ahead, so they say nothing about how far the records reach): the latest month is the last one holding at
least half the median count of the 12 months with rows before it, and the first is the first month reaching
half the median of the 12 months with rows up to the latest.

>>> import datetime as dt
>>> months = [(dt.date(2025, m, 1), 1000) for m in range(1, 13)] + [(dt.date(2026, 1, 1), 3)]
>>> earnest_months(months)
(datetime.date(2025, 1, 1), datetime.date(2025, 12, 1))
>>> earnest_months([(dt.date(2019, 5, 1), 2)] + months[:-1])
(datetime.date(2025, 1, 1), datetime.date(2025, 12, 1))
>>> earnest_months([(dt.date(2026, 3, 1), 4)])
(datetime.date(2026, 3, 1), datetime.date(2026, 3, 1))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median
from typing import Any

from qiloop.months import from_index, month_index

RULE_VERSION = 1  # raise when the rule changes: results computed under another rule are recomputed
MONTHS_COMPARED = 12
SHARE = 0.5  # of the median monthly count, for a month to count as covered


@dataclass(frozen=True)
class DataSpan:
    """First days of the first and latest months in earnest; the latest day with a record in the latest month;
    how many rows are dated after that month (reported, not used); the first days of the first and last months
    with any row at all."""

    first: dt.date
    last: dt.date
    last_day: dt.date
    rows_after: int
    first_any: dt.date
    last_any: dt.date


def earnest_months(counts: Sequence[tuple[dt.date, int]]) -> tuple[dt.date, dt.date]:
    """(first, latest) first days of months from (first day of month, rows) pairs; months without rows may be
    absent (they count as 0). ValueError when there are no rows at all."""
    by_month = {month_index(month): n for month, n in counts if n > 0}
    if not by_month:
        raise ValueError("no dated rows")

    months = sorted(by_month)

    def before(index: int) -> list[int]:
        """Counts of the (up to) 12 months with rows nearest before ``index``: a gap in the data is not activity
        of zero, or a stray row after a gap would pass."""
        earlier = [i for i in months if i < index][-MONTHS_COMPARED:]
        return [by_month[i] for i in earlier]

    latest = max(by_month)
    for index in reversed(months):
        earlier = before(index)
        if not earlier or by_month[index] >= SHARE * median(earlier):
            latest = index
            break
    recent = [by_month[i] for i in [i for i in months if i <= latest][-MONTHS_COMPARED:]]
    floor = SHARE * median(recent)
    first = next(i for i in months if i <= latest and by_month[i] >= floor)
    return from_index(first), from_index(latest)


def span_from_rows(rows: Sequence[tuple[Any, int, Any]]) -> DataSpan:
    """The span from (month, rows, latest day in the month) triples (dates or timestamps)."""
    cleaned = [(_as_date(month).replace(day=1), int(n), _as_date(last)) for month, n, last in rows]
    first, latest = earnest_months([(month, n) for month, n, _last in cleaned])
    last_day = max(last for month, _n, last in cleaned if month == latest)
    after = sum(n for month, n, _last in cleaned if month > latest)
    months = [month for month, n, _last in cleaned if n > 0]
    return DataSpan(first, latest, last_day, after, min(months), max(months))


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    import pandas as pd

    return pd.Timestamp(value).date()


def _monthly_sql(sources: Sequence[tuple[str, str]], where: str = "") -> str:
    union = " UNION ALL ".join(f"SELECT {column} AS d FROM {table}{where}" for table, column in sources)
    return (
        f"SELECT date_trunc('month', d) AS month, count(*) AS n, max(d) AS last FROM ({union}) "
        "WHERE d IS NOT NULL GROUP BY 1 ORDER BY 1"
    )


def data_span(con: Any) -> DataSpan | None:
    """The span of the store open on the DuckDB connection ``con`` (None when it holds no dated rows): from
    clinical events and prescriptions, or from appointments that have happened when it holds neither."""
    tables = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
    }
    records = [(t, "date") for t in ("clinical_events", "medications") if t in tables]
    for sources, where in (
        (records, ""),
        ([("appointments", "start_date")] if "appointments" in tables else [], " WHERE status <> 'booked'"),
    ):
        if sources:
            rows = con.execute(_monthly_sql(sources, where)).fetchall()
            if rows:
                return span_from_rows(rows)
    return None
