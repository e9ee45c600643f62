"""Where days fall among the intervals of a run, for each window offset the measures use.

The intervals of a run are numbered 0 … N − 1 in date order. For a window (e.g. "in the last 12 months") the
intervals whose window contains a date ``d`` are a run of consecutive numbers ``lo … hi``: every window bound is a
non-decreasing function of the reference date. ``Positions`` looks ``lo`` and ``hi`` up in a small table with one
row per day of the run (how many intervals have each offset's date before that day), computed in Python, so the
date conventions live in one place (``qiloop.measures.dates``) and every backend agrees.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import ibis
import ibis.expr.types as ir

from qiloop.measures.dates import REFERENCE, Interval, Offset, Window
from qiloop.measures.engine.plan import holds_at_most_one


class Positions:
    """Where days fall among the intervals of a run, for each window offset the measures use.

    ``before(o, d)`` is the number of intervals whose offset-``o`` date is earlier than ``d``. Since that date never
    decreases from one interval to the next, ``d ≤ o(ref_i)`` exactly for ``i ≥ before(o, d)`` and
    ``d > o(ref_i)`` exactly for ``i < before(o, d)``.
    """

    def __init__(self, intervals: list[Interval], offsets: Iterable[Offset], load: Callable[[str, Any], ir.Table]):
        import pyarrow as pa

        self.intervals = list(intervals)
        self.count = len(intervals)
        self.offsets = sorted(set(offsets) | {REFERENCE})
        refs = [i.reference_date for i in intervals]
        dates = {o: [o.apply(r) for r in refs] for o in self.offsets}
        for o, values in dates.items():
            if any(b < a for a, b in zip(values, values[1:], strict=False)):
                raise ValueError(f"offset {o} moves backwards between intervals")  # cannot happen with sorted intervals
        # Days up to ``low`` are before no interval's dates; days after ``high`` are after all of them.
        self.low = min(values[0] for values in dates.values())
        self.high = max(values[-1] for values in dates.values())
        days = [self.low + dt.timedelta(days=k) for k in range(1, (self.high - self.low).days + 1)]
        self._before = {o: [bisect.bisect_left(values, d) for d in days] for o, values in dates.items()}
        columns: dict[str, Any] = {"qiloop_day": pa.array(days, pa.date32())}
        for o, before in self._before.items():
            columns[_column(o)] = pa.array(before, pa.int64())
        self.table = load("qiloop_days", pa.table(columns))

    def at_most_one(self, window: Window) -> bool:
        """Whether every date is in the window of at most one interval (e.g. "in the last month" at month ends)."""
        return holds_at_most_one(self.intervals, window)

    def add(self, rows: ir.Table, date_column: str, wanted: dict[str, Offset], missing: int | None = None) -> ir.Table:
        """``rows`` with a column per ``wanted`` name: the number of intervals whose offset date is before the row's date.

        A missing date gives ``missing``.
        """
        days = self.table.view()
        joined = rows.left_join(days, rows[date_column] == days.qiloop_day)
        date = joined[date_column]
        extra = {}
        for name, offset in wanted.items():
            outside = ibis.ifelse(date > ibis.literal(self.high, type="date"), self.count, 0)
            value = ibis.coalesce(joined[_column(offset)], outside).cast("int64")
            if missing is not None:
                value = ibis.ifelse(date.isnull(), missing, value)
            extra[name] = value
        return joined.select(*rows.columns, **extra)

    def ranged(self, rows: ir.Table, window: Window, date_column: str = "date") -> ir.Table:
        """``rows`` with ``lo`` and ``hi``: the first and last interval whose window holds the row (rows in none dropped)."""
        wanted = {"lo": window.until}
        if window.after is not None:
            wanted["qiloop_after"] = window.after
        t = self.add(rows, date_column, wanted)
        hi = t.qiloop_after - 1 if window.after is not None else ibis.literal(self.count - 1, type="int64")
        t = t.select(*rows.columns, lo=t.lo, hi=hi.cast("int64"))
        return t.filter(t.lo <= t.hi)


def _column(offset: Offset) -> str:
    return f"before_{offset.column}"
