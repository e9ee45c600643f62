"""The one compiler: measure model → Ibis expressions, for all intervals in one pass.

How one pass works:

1. an interval table holds every interval of the run (id, start, end =
   reference date, and one column per window offset the measures use, e.g.
   the date 3 months before the reference date — month arithmetic is done
   once in Python, so every backend agrees);
2. the population is practice_registrations range-joined to that table
   (start ≤ reference date ≤ end), one registration per patient and interval,
   joined to patients and filtered to the living: one row per patient per
   interval, cached;
3. each feature (event exists/count/first/last/latest value, register,
   co-prescribing, appointment counts and continuity) is one grouped range
   join of the code-filtered event rows to the interval table;
4. features are left-joined to the population, the numerator and denominator
   expressions are evaluated as columns, and a single GROUP BY interval,
   practice and breakdowns gives every interval's counts at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from qiloop.measures import model as m
from qiloop.measures.breakdowns import AGE_BANDS, UNKNOWN
from qiloop.measures.dates import Interval, Offset
from qiloop.measures.engine.features import KEYS, FeatureBuilder
from qiloop.measures.engine.store import Store

_FAR_FUTURE = dt.date(9999, 12, 31)


def interval_table(store: Store, intervals: list[Interval], offsets: Iterable[Offset]) -> ir.Table:
    """The intervals of the run with the date each window offset points at, loaded into the backend."""
    import pyarrow as pa

    columns: dict[str, Any] = {
        "interval_id": pa.array(range(len(intervals)), pa.int64()),
        "interval_start": pa.array([i.start for i in intervals], pa.date32()),
        "interval_end": pa.array([i.end for i in intervals], pa.date32()),
        "ref_month": pa.array([_month_index(i.reference_date) for i in intervals], pa.int64()),
    }
    for offset in sorted(set(offsets) | {Offset()}):
        columns[offset.column] = pa.array([offset.apply(i.reference_date) for i in intervals], pa.date32())
    return store.temporary_table("qiloop_intervals", pa.table(columns))


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _month_ends(intervals: list[Interval]) -> bool:
    """Whether every reference date is the last day of its month (then whole-month windows are month indices)."""
    return all((i.reference_date + dt.timedelta(days=1)).day == 1 for i in intervals)


def _age(dob: ir.DateValue, ref: ir.DateValue) -> ir.IntegerValue:
    months = (ref.year() - dob.year()) * 12 + (ref.month() - dob.month()) - (ref.day() < dob.day()).cast("int64")
    return (months.cast("float64") / 12.0).floor().cast("int64")


def _age_band(age: ir.IntegerValue) -> ir.StringValue:
    case = ibis.cases(
        *[(age >= lowest, ibis.literal(label)) for lowest, label in reversed(AGE_BANDS[1:])], else_=AGE_BANDS[0][1]
    )
    return case


def population(store: Store, intervals: ir.Table, breakdowns: tuple[str, ...] = ()) -> ir.Table:
    """One row per patient registered and alive on each interval's reference date.

    Columns: patient_id, interval_id, practice_id, registration_start, age, sex and the requested breakdowns.
    Patients with a single registration skip the ranking of overlapping registrations.
    """
    regs = store.table("practice_registrations")
    counted = regs.mutate(registrations=regs.count().over(group_by=regs.patient_id))
    ref = intervals.interval_end

    def spanning(table: ir.Table) -> ir.Table:
        joined = table.join(intervals, [table.start_date <= ref, table.end_date.isnull() | (table.end_date >= ref)])
        return joined.select("patient_id", "interval_id", "interval_end", "practice_id", "start_date", "end_date")

    single = spanning(counted.filter(counted.registrations == 1))
    several = spanning(counted.filter(counted.registrations > 1))
    ranked = several.mutate(
        rank=ibis.row_number().over(
            group_by=[several.patient_id, several.interval_id],
            order_by=[
                several.start_date.desc(),
                several.end_date.fill_null(_FAR_FUTURE).desc(),
                several.practice_id.asc(),
            ],
        )
    )
    current = ibis.union(single, ranked.filter(ranked["rank"] == 0).drop("rank"), distinct=False)
    patients = store.table("patients")
    both = current.join(patients, "patient_id")
    alive = both.filter(both.date_of_death.isnull() | (both.date_of_death > both.interval_end))
    age = _age(alive.date_of_birth, alive.interval_end)
    extra: dict[str, Any] = {}
    if "age_band" in breakdowns:
        extra["age_band"] = _age_band(age)
    if "ethnicity" in breakdowns:
        extra["ethnicity"] = alive.ethnicity.fill_null(UNKNOWN)
    if "imd_quintile" in breakdowns:
        extra["imd_quintile"] = alive.imd_quintile.cast("string").fill_null(UNKNOWN)
    return alive.select(
        "patient_id",
        "interval_id",
        "practice_id",
        registration_start=alive.start_date,
        age=age.cast("int16"),
        sex=alive.sex,
        **extra,
    )


@dataclass
class CompiledMeasure:
    """A measure's per-patient frame: population rows with feature columns and the counting columns."""

    frame: ir.Table
    feature_columns: dict[m.Node, str]


class Compiler:
    """Compiles measures for one run; features are computed once and shared between measures."""

    def __init__(
        self, store: Store, intervals: list[Interval], measures: list[m.Measure], breakdowns: tuple[str, ...] = ()
    ) -> None:
        self.store = store
        self.intervals = intervals
        offsets: set[Offset] = set()
        for measure in measures:
            for node in measure.nodes():
                offsets |= m.offsets_used(node)
        self.interval_table = interval_table(store, intervals, offsets)
        self.population = population(store, self.interval_table, breakdowns)
        self.tables = self._relevant_rows(measures)
        self.month_ends = _month_ends(intervals)
        self.features = FeatureBuilder(self.tables, self.interval_table, month_ends=self.month_ends)
        self.feature_tables: dict[m.Node, tuple[ir.Table, str]] = {}
        self.materialize_features = False
        self._cuts = 0

    def cache_population(self) -> None:
        self.population = self.store.materialize("qiloop_population", self.population)

    def _relevant_rows(self, measures: list[m.Measure]) -> dict[str, ir.Table]:
        """Event rows with any code some measure uses (one scan of each event table per run)."""
        codes: dict[str, set[str]] = {"clinical_events": set(), "medications": set()}
        need_appointments = False
        for measure in measures:
            for node in measure.nodes():
                for n in m.walk(node):
                    if isinstance(n, m.Aggregate):
                        codes[n.query.table] |= n.query.codes.codes
                    elif isinstance(n, m.Unresolved):
                        codes["clinical_events"] |= n.diagnosis.codes | n.resolved.codes
                    elif isinstance(n, m.CoPrescribed):
                        codes["medications"] |= n.first.codes | n.second.codes
                    elif isinstance(n, m.AppointmentAggregate):
                        need_appointments = True
        out: dict[str, ir.Table] = {}
        for table, column in (("clinical_events", "snomedct_code"), ("medications", "dmd_code")):
            if codes[table]:
                t = self.store.table(table)
                out[table] = t.filter(t[column].isin(sorted(codes[table])))
        if need_appointments:
            t = self.store.table("appointments")
            out["appointments"] = t.select(
                "patient_id", "booked_date", "start_date", "status", "mode", "hcp_role", "clinician_id"
            )
        return out

    def cache_relevant_rows(self) -> None:
        """Materialise the code-filtered event rows, and from now on each feature table when first used."""
        for name in list(self.tables):
            self.tables[name] = self.store.materialize(f"qiloop_{name}", self.tables[name])
        self.features = FeatureBuilder(self.tables, self.interval_table, self.store.materialize, self.month_ends)
        self.materialize_features = True

    def feature(self, node: m.Node) -> tuple[ir.Table, str]:
        """The (patient_id, interval_id, value) table of a feature, built once per run."""
        if node not in self.feature_tables:
            name = f"f{len(self.feature_tables)}"
            table = self.features.build(node, name)
            if self.materialize_features:
                table = self.store.materialize(f"qiloop_feature_{name}", table)
            self.feature_tables[node] = (table, name)
        return self.feature_tables[node]

    def compile(self, measure: m.Measure) -> CompiledMeasure:
        frame = self.population
        if any(isinstance(n, m.ReferenceDate) for node in measure.nodes() for n in m.walk(node)):
            offsets = [c for c in self.interval_table.columns if c.startswith("ref_minus_")]
            iv = self.interval_table.select("interval_id", *offsets)
            joined = frame.join(iv, "interval_id")
            frame = joined.select(*frame.columns, *offsets)
        prefilter = [part for part in _conjuncts(measure.denominator) if not m.features(part)]
        if prefilter:
            population_only = _Expressions(frame, {})
            for part in prefilter:
                frame = frame.filter(population_only.value(part))
        names: dict[m.Node, str] = {}
        drivers = _drivers(measure.denominator)
        if len(drivers) == 1:
            table, name = self.feature(drivers[0])
            joined = frame.join(table, KEYS)
            frame = joined.select(*frame.columns, table[name])
            names[drivers[0]] = name
        elif drivers:
            frame = self._candidates(frame, [[d] for d in drivers])
        elif isinstance(measure.denominator, m.Or):
            frame = self._or_candidates(frame, measure.denominator)
        for node in measure.nodes():
            for feature in m.features(node):
                if feature in names:
                    continue
                table, name = self.feature(feature)
                names[feature] = name
                joined = frame.left_join(table, KEYS)
                frame = joined.select(*frame.columns, table[name])
        expr = _Expressions(frame, names)
        den = expr.value(measure.denominator)
        num = expr.value(measure.numerator)
        den_type, num_type = m.type_of(measure.denominator), m.type_of(measure.numerator)
        in_den = den if den_type == "bool" else den > 0
        if measure.exclusions is not None:
            excluded = expr.value(measure.exclusions)
            in_den = in_den & ~(excluded & ~num)
        den_count = in_den.cast("int64") if den_type == "bool" else ibis.ifelse(in_den, den, 0)
        num_count = (in_den & num).cast("int64") if num_type == "bool" else ibis.ifelse(in_den, num.fill_null(0), 0)
        frame = frame.mutate(in_denominator=in_den, numerator_value=num_count, denominator_value=den_count)
        return CompiledMeasure(frame, names)

    def _candidates(self, frame: ir.Table, branches: list[list[m.Node]]) -> ir.Table:
        """``frame`` cut to the rows some branch can hold for: a branch is a driving feature or population conditions.

        Used for or-composites: a row outside every branch's candidates has every branch false, so it is
        outside the denominator and counts nowhere.
        """
        keys = []
        for branch in branches:
            if len(branch) == 1 and m.features(branch[0]):
                keys.append(self.feature(branch[0])[0].select(*KEYS))
            else:
                population_only = _Expressions(frame, {})
                condition = population_only.value(branch[0])
                for part in branch[1:]:
                    condition = condition & population_only.value(part)
                keys.append(frame.filter(condition).select(*KEYS))
        candidates = ibis.union(*keys, distinct=True)
        joined = frame.join(candidates, KEYS)
        cut = joined.select(*frame.columns)
        if self.materialize_features:
            # Stored, so that the optimiser cannot postpone the cut until after the feature joins.
            self._cuts += 1
            cut = self.store.materialize(f"qiloop_candidates_{self._cuts}", cut)
        return cut

    def _or_candidates(self, frame: ir.Table, denominator: m.Or) -> ir.Table:
        """For a denominator that is an or of branches: each branch's drivers, or else its population conditions."""
        branches: list[list[m.Node]] = []
        for branch in _disjuncts(denominator):
            drivers = _drivers(branch)
            if drivers:
                branches.extend([d] for d in drivers)
                continue
            population_only = [part for part in _conjuncts(branch) if not m.features(part)]
            if not population_only:
                return frame  # a branch any row may satisfy: no cut
            branches.append(population_only)
        return self._candidates(frame, branches)

    def aggregate(self, compiled: CompiledMeasure, breakdowns: tuple[str, ...]) -> ir.Table:
        frame = compiled.frame.filter(compiled.frame.in_denominator)
        return frame.group_by(["interval_id", "practice_id", *breakdowns]).aggregate(
            numerator=frame.numerator_value.sum(), denominator=frame.denominator_value.sum()
        )

    def groups(self, breakdowns: tuple[str, ...]) -> ir.Table:
        """Every (interval, practice, breakdown values) with someone in the population."""
        return self.population.group_by(["interval_id", "practice_id", *breakdowns]).aggregate(
            population=self.population.count()
        )


def _conjuncts(node: m.Node) -> list[m.Node]:
    if isinstance(node, m.And):
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


def _disjuncts(node: m.Node) -> list[m.Node]:
    if isinstance(node, m.Or):
        return _disjuncts(node.left) + _disjuncts(node.right)
    return [node]


_COUNTS = (m.Aggregate, m.AppointmentAggregate)


def _is_count(node: m.Node) -> bool:
    return isinstance(node, _COUNTS) and node.kind == "count"


def _requires_positive(op: str, constant: m.Node, count_on_left: bool) -> bool:
    """Whether ``count <op> constant`` (or ``constant <op> count``) can only hold for a count above 0."""
    if not isinstance(constant, m.Constant) or isinstance(constant.value, bool):
        return False
    if not isinstance(constant.value, (int, float)):
        return False
    c = constant.value
    if not count_on_left:
        op = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le", "eq": "eq", "ne": "ne"}[op]
    return (op == "ge" and c >= 1) or (op == "gt" and c >= 0) or (op == "eq" and c >= 1)


def _driver(node: m.Node) -> m.Node | None:
    """A feature that must have a row for ``node`` to be true (or, for a count, above 0), if there is one.

    Measures start from that feature's rows instead of the whole population: same result, far fewer rows.
    """
    if isinstance(node, (m.Unresolved, m.CoPrescribed)):
        return node
    if isinstance(node, _COUNTS) and node.kind in ("exists", "count"):
        return node
    if isinstance(node, m.And):
        return _driver(node.left) or _driver(node.right)
    if isinstance(node, m.Compare):
        for side, other, on_left in ((node.left, node.right, True), (node.right, node.left, False)):
            if isinstance(side, m.FEATURE_TYPES):
                if not _is_count(side) and not (isinstance(side, _COUNTS) and side.kind == "exists"):
                    return side  # a missing date or value makes the comparison false
                if _is_count(side) and _requires_positive(node.op, other, on_left):
                    return side
    return None


def _drivers(node: m.Node) -> list[m.Node]:
    """Features at least one of which must have a row for ``node`` to be true (empty: no such set).

    For an ``Or`` this is every branch's driving feature (the candidate set); otherwise ``_driver``'s one feature.
    """
    if isinstance(node, m.Or):
        left, right = _drivers(node.left), _drivers(node.right)
        if not left or not right:
            return []
        return list(dict.fromkeys([*left, *right]))
    if isinstance(node, m.And):
        left, right = _drivers(node.left), _drivers(node.right)
        options = [d for d in (left, right) if d]
        return min(options, key=len) if options else []
    driver = _driver(node)
    return [driver] if driver is not None else []


class _Expressions:
    """Compiles series nodes to Ibis column expressions over a measure frame."""

    def __init__(self, frame: ir.Table, features: dict[m.Node, str]) -> None:
        self.frame = frame
        self.features = features

    def value(self, node: m.Node) -> Any:
        f = self.frame
        if isinstance(node, m.Constant):
            if isinstance(node.value, dt.date):
                return ibis.literal(node.value, type="date")
            return ibis.literal(node.value)
        if isinstance(node, m.ReferenceDate):
            return f[node.offset.column]
        if isinstance(node, m.Age):
            return f.age
        if isinstance(node, m.Sex):
            return f.sex
        if isinstance(node, m.RegistrationStart):
            return f.registration_start
        if node in self.features:
            column = f[self.features[node]]
            kind = m.type_of(node)
            if kind == "bool":
                return column.fill_null(False)
            if isinstance(node, (m.Aggregate, m.AppointmentAggregate)) and node.kind == "count":
                return column.fill_null(0)
            return column
        if isinstance(node, m.Compare):
            left, right = self.value(node.left), self.value(node.right)
            result = {
                "lt": lambda: left < right,
                "le": lambda: left <= right,
                "gt": lambda: left > right,
                "ge": lambda: left >= right,
                "eq": lambda: left == right,
                "ne": lambda: left != right,
            }[node.op]()
            return result.fill_null(False)
        if isinstance(node, m.IsIn):
            return self.value(node.operand).isin(sorted(node.values, key=str)).fill_null(False)
        if isinstance(node, m.And):
            return self.value(node.left) & self.value(node.right)
        if isinstance(node, m.Or):
            return self.value(node.left) | self.value(node.right)
        if isinstance(node, m.Not):
            return ~self.value(node.operand)
        if isinstance(node, m.DateAddDays):
            return self.value(node.date) + ibis.interval(days=node.days)
        if isinstance(node, m.AsInt):
            return self.value(node.operand).cast("int64")
        if isinstance(node, m.Add):
            return self.value(node.left) + self.value(node.right)
        raise TypeError(f"cannot compile {node!r}")
