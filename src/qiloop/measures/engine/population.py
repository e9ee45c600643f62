"""Who is in the population when: intervals, population spans, age and age band, and the groups counted.

The population is stored as **spans** (per patient, the run of consecutive intervals in which they are
registered at one practice and alive), about one row per patient; :meth:`Population.rows` expands them to
(patient, interval) rows only where a query must look at everyone, or joins keys (a feature's rows) to them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from qiloop.measures import model as m
from qiloop.measures.breakdowns import AGE_BANDS, UNKNOWN
from qiloop.measures.dates import REFERENCE, Interval, Offset
from qiloop.measures.engine.expressions import Expressions
from qiloop.measures.engine.positions import Positions
from qiloop.measures.engine.store import Store

_FAR_FUTURE = dt.date(9999, 12, 31)


def interval_table(store: Store, intervals: list[Interval], offsets: Iterable[Offset]) -> ir.Table:
    """The intervals of the run with the date each window offset points at, loaded into the backend."""
    import pyarrow as pa

    columns: dict[str, Any] = {
        "interval_id": pa.array(range(len(intervals)), pa.int64()),
        "interval_start": pa.array([i.start for i in intervals], pa.date32()),
        "interval_end": pa.array([i.end for i in intervals], pa.date32()),
        # the reference date as a month number and a day, for ages in whole numbers (see ``_age``)
        "end_month": pa.array([i.end.year * 12 + i.end.month - 1 for i in intervals], pa.int64()),
        "end_day": pa.array([i.end.day for i in intervals], pa.int64()),
    }
    for offset in sorted(set(offsets) | {Offset()}):
        columns[offset.column] = pa.array([offset.apply(i.reference_date) for i in intervals], pa.date32())
    return store.temporary_table("qiloop_intervals", pa.table(columns))


def _age(rows: ir.Table) -> ir.IntegerValue:
    """Age in whole years on the reference date, from rows with a span's ``birth_month`` and ``birth_day`` and an
    interval's ``end_month`` and ``end_day``: full months between the two dates (one fewer when the day of the
    month is not yet reached), over 12, rounded down. The month numbers and days are worked out once per span and
    per interval, so each of the millions of population rows costs a subtraction, not six date extractions."""
    months = rows.end_month - rows.birth_month - (rows.end_day < rows.birth_day).cast("int64")
    return (months.cast("float64") / 12.0).floor().cast("int64")


def _age_band(age: ir.IntegerValue) -> ir.StringValue:
    case = ibis.cases(
        *[(age >= lowest, ibis.literal(label)) for lowest, label in reversed(AGE_BANDS[1:])], else_=AGE_BANDS[0][1]
    )
    return case


def population_spans(store: Store, positions: Positions, breakdowns: tuple[str, ...] = ()) -> ir.Table:
    """Who is in the population when: one row per patient and run of consecutive intervals at one registration.

    A patient is in an interval's population when registered (start ≤ reference date ≤ end) and alive (died after
    the reference date) on its reference date. Columns: patient_id, practice_id, registration_start, first_iv,
    last_iv (interval numbers, inclusive), sex, the requested breakdowns, and the date of birth as ``birth_month``
    (year × 12 + month − 1) and ``birth_day``. A patient with several
    registrations has, for each interval, the one that started latest (then ends latest, then the lowest practice
    id), as a one-interval span; everyone else has at most one span.
    """
    count = positions.count
    regs = store.table("practice_registrations")
    regs = regs.mutate(qiloop_end_next=regs.end_date + ibis.interval(days=1))
    regs = positions.add(regs, "start_date", {"first_iv": REFERENCE})
    regs = positions.add(regs, "qiloop_end_next", {"end_before": REFERENCE}, missing=count)
    patients = store.table("patients")
    people = positions.add(patients, "date_of_death", {"alive_before": REFERENCE}, missing=count)
    joined = regs.join(people, "patient_id")
    spans = joined.select(
        "patient_id",
        "practice_id",
        "first_iv",
        registration_start=joined.start_date,
        end_date=joined.end_date,
        last_iv=ibis.least(joined.end_before, joined.alive_before) - 1,
    )
    spans = spans.filter(spans.first_iv <= spans.last_iv)
    counted = spans.mutate(registrations=spans.count().over(group_by=spans.patient_id))
    columns = ["patient_id", "practice_id", "registration_start", "first_iv", "last_iv"]
    single = counted.filter(counted.registrations == 1).select(*columns)
    several = counted.filter(counted.registrations > 1)
    each = several.select(
        "patient_id",
        "practice_id",
        "registration_start",
        "end_date",
        interval_id=ibis.range(several.first_iv, several.last_iv + 1).unnest(),
    )
    ranked = each.mutate(
        rank=ibis.row_number().over(
            group_by=[each.patient_id, each.interval_id],
            order_by=[
                each.registration_start.desc(),
                each.end_date.fill_null(_FAR_FUTURE).desc(),
                each.practice_id.asc(),
            ],
        )
    )
    current = ranked.filter(ranked["rank"] == 0)
    current = current.select(
        "patient_id", "practice_id", "registration_start", first_iv=current.interval_id, last_iv=current.interval_id
    )
    both = ibis.union(single, current, distinct=False)
    with_people = both.join(patients, "patient_id")
    extra = [b for b in ("ethnicity", "imd_quintile") if b in breakdowns]
    dob = with_people.date_of_birth
    return with_people.select(
        *columns,
        "sex",
        *extra,
        birth_month=(dob.year() * 12 + dob.month() - 1).cast("int64"),
        birth_day=dob.day().cast("int64"),
    )


class Population:
    """The population of a run: its spans, the interval table, and population rows built from them."""

    def __init__(
        self,
        store: Store,
        intervals: list[Interval],
        offsets: list[Offset],
        positions: Positions,
        breakdowns: tuple[str, ...],
        age_bounds: Mapping[m.Node, tuple[str, int]],
    ) -> None:
        self.store = store
        self.offsets = offsets
        self.breakdowns = breakdowns
        self.age_bounds = age_bounds
        self.interval_table = interval_table(store, intervals, offsets)
        self.spans = population_spans(store, positions, breakdowns)

    def cache(self) -> None:
        """Store the spans once (every query of the run starts from them)."""
        self.spans = self.store.materialize("qiloop_population_spans", self.spans)

    @property
    def everyone(self) -> ir.Table:
        """One row per patient registered and alive on each interval's reference date (built, never stored)."""
        return self.rows(None)

    def pruned(self, spans: ir.Table, conditions: Iterable[m.Node]) -> ir.Table:
        """``spans`` without those where ``conditions`` (population-only) cannot hold in any of its intervals.

        Sex conditions are checked on the span; ``age ≥ c`` at its last interval and ``age ≤ c`` at its first (age
        never decreases), so that "aged 65 or over" expands only the spans that reach 65. Rows are still filtered
        exactly after expansion.
        """
        ends = self.interval_table.select("interval_id", "end_month", "end_day")
        for condition in conditions:
            if isinstance(condition, m.IsIn) and isinstance(condition.operand, m.Sex):
                spans = spans.filter(spans.sex.isin(sorted(condition.values, key=str)))
                continue
            bound = self.age_bounds.get(condition)
            if bound is None:
                continue
            op, years = bound
            at = ends.view()
            edge = spans.last_iv if op == "ge" else spans.first_iv
            joined = spans.join(at, edge == at.interval_id)
            age = _age(joined)
            joined = joined.filter(age >= years if op == "ge" else age <= years)
            spans = joined.select(*spans.columns)
        return spans

    def rows(
        self,
        keys: ir.Table | None,
        *carried: str,
        reference_dates: bool = False,
        pruned_by: Iterable[m.Node] = (),
        spans: ir.Table | None = None,
    ) -> ir.Table:
        """Population rows (patient_id, interval_id, practice_id, registration_start, age, sex, breakdowns).

        ``keys`` (patient_id, interval_id and the ``carried`` columns): only those patients and intervals, where in
        the population. None: everyone (the spans expanded to their intervals). ``reference_dates``: add the date
        each window offset points at.
        """
        spans = self.spans if spans is None else spans  # ``spans``: a subset known to hold every key
        if keys is None:
            spans = self.pruned(spans, pruned_by)
            rows = spans.select(*spans.columns, interval_id=ibis.range(spans.first_iv, spans.last_iv + 1).unnest())
        else:
            joined = keys.join(
                spans,
                [
                    keys.patient_id == spans.patient_id,
                    keys.interval_id >= spans.first_iv,
                    keys.interval_id <= spans.last_iv,
                ],
            )
            rows = joined.select(
                *[spans[c] for c in spans.columns], interval_id=keys.interval_id, **{c: keys[c] for c in carried}
            )
        iv = self.interval_table
        offsets = [o.column for o in self.offsets] if reference_dates else []
        joined = rows.join(iv.select("interval_id", "end_month", "end_day", *offsets), "interval_id")
        age = _age(joined)
        extra: dict[str, Any] = {}
        if "age_band" in self.breakdowns:
            extra["age_band"] = _age_band(age)
        if "ethnicity" in self.breakdowns:
            extra["ethnicity"] = joined.ethnicity.fill_null(UNKNOWN)
        if "imd_quintile" in self.breakdowns:
            extra["imd_quintile"] = joined.imd_quintile.cast("string").fill_null(UNKNOWN)
        return joined.select(
            "patient_id",
            "interval_id",
            "practice_id",
            "registration_start",
            age=age,
            sex=joined.sex,
            **extra,
            **{c: joined[c] for c in offsets},
            **{c: joined[c] for c in carried},
        )

    def filtered(self, frame: ir.Table, conditions: Iterable[m.Node]) -> ir.Table:
        """The rows of ``frame`` meeting every one of ``conditions`` (on the population alone: age, sex)."""
        population_only = Expressions(frame, {})
        for part in conditions:
            frame = frame.filter(population_only.value(part))
        return frame

    def groups(self, breakdowns: tuple[str, ...]) -> ir.Table:
        """Every distinct (interval, practice, breakdown values) with someone in the population."""
        keys = ["interval_id", "practice_id", *breakdowns]
        if "age_band" in breakdowns:
            return self.everyone.select(*keys).distinct()
        # No ages needed: expand each distinct run of intervals at a practice (and breakdown values) once.
        spans = self.spans.mutate(
            **{b: self.spans[b].cast("string").fill_null(UNKNOWN) for b in breakdowns if b != "sex"}
        )
        runs = spans.select("practice_id", "first_iv", "last_iv", *breakdowns).distinct()
        rows = runs.select("practice_id", *breakdowns, interval_id=ibis.range(runs.first_iv, runs.last_iv + 1).unnest())
        return rows.select(*keys).distinct()
