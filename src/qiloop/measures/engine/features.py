"""Per-patient features for every interval at once.

Each feature becomes a table keyed by (patient_id, interval_id): the rows of
an event table are joined to the interval table on the window (a range join
against a small table of reference dates), then aggregated. Patients with no
rows have no feature row; the compiler fills False / 0 / missing.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import ibis.expr.types as ir

from qiloop.measures import model as m
from qiloop.measures.dates import Window

KEYS = ["patient_id", "interval_id"]


def in_window(date: ir.DateValue, intervals: ir.Table, window: Window) -> ir.BooleanValue:
    condition = date <= intervals[window.until.column]
    if window.after is not None:
        condition = condition & (date > intervals[window.after.column])
    return condition


def month_index(date: ir.DateValue) -> ir.IntegerValue:
    """Months since year 0 (year × 12 + month − 1): equal for dates in the same calendar month."""
    return (date.year().cast("int64") * 12 + date.month().cast("int64") - 1).cast("int64")


def whole_month(window: Window) -> bool:
    """Whether, counted back from a month end, ``window`` is exactly one calendar month (e.g. "in the last month")."""
    after, until = window.after, window.until
    return after is not None and after.days == 0 and until.days == 0 and after.months - until.months == 1


def windowed(
    rows: ir.Table, intervals: ir.Table, window: Window, date_column: str = "date", month_ends: bool = False
) -> ir.Table:
    """Each row once for every interval whose window contains its date, with interval_id.

    When every reference date is a month end (``month_ends``) and the window is one whole calendar month, the
    window is that month exactly (months_before keeps month ends), so an equi-join on the month index replaces
    the range join. Other windows (day offsets, several months, no lower bound) keep the exact range join.
    """
    if month_ends and whole_month(window):
        shift = window.until.months
        keyed = rows.mutate(qiloop_month=month_index(rows[date_column]) + shift)
        joined = keyed.join(intervals, keyed.qiloop_month == intervals.ref_month)
        return joined.select(*rows.columns, interval_id=joined.interval_id)
    joined = rows.join(intervals, in_window(rows[date_column], intervals, window))
    return joined.select(*rows.columns, interval_id=joined.interval_id)


def _reduced(rows: ir.Table, kind: str, window: Window) -> ir.Table:
    """The fewest event rows that give the same feature (the join to the intervals multiplies every row kept).

    A count needs every row. Dates alone decide exists and first/last date: one row per patient and date. The
    latest value is the smallest value on the latest date: one row per patient and date with its smallest value.
    With no lower bound, exists and first date depend only on each patient's earliest date.
    """
    if kind == "count":
        return rows
    if kind in ("latest_value", "latest_value_date"):
        valued = rows.filter(rows.numeric_value.notnull())
        return valued.group_by(["patient_id", "date"]).aggregate(numeric_value=valued.numeric_value.min())
    if kind in ("exists", "first_date") and window.after is None:
        return rows.group_by("patient_id").aggregate(date=rows.date.min())
    return rows.select("patient_id", "date").distinct()


class FeatureBuilder:
    """Builds feature tables from the (pre-filtered) event tables and the interval table."""

    def __init__(
        self,
        tables: dict[str, ir.Table],
        intervals: ir.Table,
        materialize: Callable[[str, ir.Table], ir.Table] | None = None,
        month_ends: bool = False,
    ) -> None:
        self.tables = tables
        self.intervals = intervals
        self.month_ends = month_ends
        self.materialize = materialize
        self._totals: dict[m.AppointmentQuery, ir.Table] = {}

    def build(self, node: m.Node, name: str) -> ir.Table:
        if isinstance(node, m.Aggregate):
            return self._aggregate(node, name)
        if isinstance(node, m.AppointmentAggregate):
            return self._appointments(node, name)
        if isinstance(node, m.Unresolved):
            return self._unresolved(node, name)
        if isinstance(node, m.CoPrescribed):
            return self._co_prescribed(node, name)
        raise TypeError(f"not a feature: {node!r}")

    def _coded(self, table: str, codes: frozenset[str]) -> ir.Table:
        t = self.tables[table]
        column = "snomedct_code" if table == "clinical_events" else "dmd_code"
        return t.filter(t[column].isin(sorted(codes)))

    def _aggregate(self, node: m.Aggregate, name: str) -> ir.Table:
        q = node.query
        coded = self._coded(q.table, q.codes.codes)
        for op, bound in q.value_conditions:
            value = coded.numeric_value
            coded = coded.filter(
                {"lt": value < bound, "le": value <= bound, "gt": value > bound, "ge": value >= bound}[op]
            )
        rows = windowed(_reduced(coded, node.kind, q.window), self.intervals, q.window, month_ends=self.month_ends)
        if node.kind in ("latest_value", "latest_value_date"):
            valued = rows
            latest = valued.group_by(KEYS).aggregate(latest_date=valued.date.max())
            if node.kind == "latest_value_date":
                return latest.rename({name: "latest_date"})
            on_day = valued.join(latest, [*KEYS, valued.date == latest.latest_date])
            return on_day.group_by(KEYS).aggregate(**{name: on_day.numeric_value.min()})
        metric = {
            "exists": lambda t: t.count() > 0,
            "count": lambda t: t.count(),
            "first_date": lambda t: t.date.min(),
            "last_date": lambda t: t.date.max(),
        }[node.kind]
        return rows.group_by(KEYS).aggregate(**{name: metric(rows)})

    def _appointment_rows(self, q: m.AppointmentQuery) -> ir.Table:
        t = self.tables["appointments"]
        for column in ("status", "mode", "hcp_role"):
            values = getattr(q, column)
            if values is not None:
                t = t.filter(t[column].isin(sorted(values)))
        if q.min_lead_days is not None:
            t = t.filter(t.start_date >= t.booked_date + ibis.interval(days=q.min_lead_days))
        if q.max_lead_days is not None:
            t = t.filter(t.start_date <= t.booked_date + ibis.interval(days=q.max_lead_days))
        columns = t.select("patient_id", "start_date", "clinician_id")
        return windowed(columns, self.intervals, q.window, "start_date", self.month_ends)

    def _appointments(self, node: m.AppointmentAggregate, name: str) -> ir.Table:
        rows = self._appointment_rows(node.query)
        if node.kind in ("exists", "count"):
            value = rows.count() > 0 if node.kind == "exists" else rows.count()
            return rows.group_by(KEYS).aggregate(**{name: value})
        totals = self._clinician_totals(node.query)
        n = totals.n.cast("float64")
        if node.kind == "upc":
            value = totals.top.cast("float64") / n
        else:
            value = (totals.squares.cast("float64") - n) / (n * (n - 1.0))
        return totals.select(*KEYS, **{name: value})

    def _clinician_totals(self, q: m.AppointmentQuery) -> ir.Table:
        """Per patient and interval: n, max nⱼ and Σ nⱼ² over clinicians (n ≥ 2); shared by UPC and COC."""
        if q not in self._totals:
            rows = self._appointment_rows(q)
            named = rows.filter(rows.clinician_id.notnull())
            per = named.group_by([*KEYS, "clinician_id"]).aggregate(nj=named.count())
            totals = per.group_by(KEYS).aggregate(n=per.nj.sum(), top=per.nj.max(), squares=(per.nj * per.nj).sum())
            totals = totals.filter(totals.n >= 2)
            if self.materialize is not None:
                totals = self.materialize(f"qiloop_clinician_totals_{len(self._totals)}", totals)
            self._totals[q] = totals
        return self._totals[q]

    def _last_dates(self, codes: frozenset[str], window: Window, column: str) -> ir.Table:
        dates = _reduced(self._coded("clinical_events", codes), "last_date", window)
        rows = windowed(dates, self.intervals, window, month_ends=self.month_ends)
        return rows.group_by(KEYS).aggregate(**{column: rows.date.max()})

    def _unresolved(self, node: m.Unresolved, name: str) -> ir.Table:
        diagnosed = self._last_dates(node.diagnosis.codes, node.window, "diagnosed")
        resolved = self._last_dates(node.resolved.codes, node.window, "resolved")
        joined = diagnosed.left_join(resolved, KEYS)
        value = joined.resolved.isnull() | (joined.diagnosed > joined.resolved)
        return joined.select(patient_id=joined.patient_id, interval_id=joined.interval_id, **{name: value}).filter(
            ibis._[name]
        )

    def _co_prescribed(self, node: m.CoPrescribed, name: str) -> ir.Table:
        first = windowed(
            _reduced(self._coded("medications", node.first.codes), "last_date", node.window),
            self.intervals,
            node.window,
            month_ends=self.month_ends,
        )
        second = windowed(
            _reduced(self._coded("medications", node.second.codes), "last_date", node.window),
            self.intervals,
            node.window,
            month_ends=self.month_ends,
        )
        first = first.select(*KEYS, first_date=first.date).distinct()
        second = second.select(*KEYS, second_date=second.date).distinct()
        gap = ibis.interval(days=node.within_days)
        pairs = first.join(
            second,
            [
                *KEYS,
                second.second_date >= first.first_date - gap,
                second.second_date <= first.first_date + gap,
            ],
        )
        return pairs.select(*KEYS).distinct().mutate(**{name: ibis.literal(True)})
