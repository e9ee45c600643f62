"""The one compiler: measure model → Ibis expressions, for all intervals in one pass.

How one pass works:

1. the intervals of the run are numbered 0 … N − 1; a small interval table holds each one's dates and the date
   each window offset points at, and ``Positions`` (features.py) turns any date into interval numbers — the date
   arithmetic is done once in Python, so every backend agrees;
2. the population is stored as **spans**: per patient, the run of consecutive intervals (first_iv … last_iv) in
   which they are registered at one practice and alive — about one row per patient, not one per interval;
3. each feature (exists/count/first/last/latest value, register, co-prescribing, appointment counts, continuity)
   is a (patient_id, interval_id) table built from interval positions, once per run;
4. a measure's rows start from its **driving feature** (one the denominator cannot be true without) joined to the
   spans, stored and shared by measures with the same driver; other features are left-joined; numerator and
   denominator become columns and one GROUP BY interval, practice and breakdowns counts every interval at once;
5. an or-composite denominator, or one with no feature at all (a prevalence), is counted as sets of rows: each
   branch evaluated on its own driving rows, the union of those keys, and the numerator's rows among them.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from qiloop import settings
from qiloop.measures import model as m
from qiloop.measures.breakdowns import AGE_BANDS, UNKNOWN
from qiloop.measures.dates import REFERENCE, Interval, Offset, Window
from qiloop.measures.engine.features import (
    KEYS,
    CodeLists,
    FeatureBuilder,
    Positions,
    continuity_index,
    in_part,
)
from qiloop.measures.engine.plan import (
    ContinuitySum,
    CountedBySets,
    NestedCounts,
    Planned,
    RunPlan,
    plan_run,
)
from qiloop.measures.engine.store import Store

_FAR_FUTURE = dt.date(9999, 12, 31)


def interval_table(store: Store, intervals: list[Interval], offsets: Iterable[Offset]) -> ir.Table:
    """The intervals of the run with the date each window offset points at, loaded into the backend."""
    import pyarrow as pa

    columns: dict[str, Any] = {
        "interval_id": pa.array(range(len(intervals)), pa.int64()),
        "interval_start": pa.array([i.start for i in intervals], pa.date32()),
        "interval_end": pa.array([i.end for i in intervals], pa.date32()),
    }
    for offset in sorted(set(offsets) | {Offset()}):
        columns[offset.column] = pa.array([offset.apply(i.reference_date) for i in intervals], pa.date32())
    return store.temporary_table("qiloop_intervals", pa.table(columns))


def _age(dob: ir.DateValue, ref: ir.DateValue) -> ir.IntegerValue:
    months = (ref.year() - dob.year()) * 12 + (ref.month() - dob.month()) - (ref.day() < dob.day()).cast("int64")
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
    last_iv (interval numbers, inclusive), date_of_birth, sex and the requested breakdowns. A patient with several
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
    return with_people.select(*columns, "date_of_birth", "sex", *extra)


@dataclass
class CompiledMeasure:
    """A measure's per-patient frame: population rows with feature columns and the counting columns."""

    frame: ir.Table
    feature_columns: dict[m.Node, str]


CONTINUITY_PART_ROWS = 10_000_000
"""Appointments per part when continuity sums are computed in parts (see ``Compiler._continuity_parts``)."""


class RowsNotStored(RuntimeError):
    """A measure's route needs the run's rows stored (``Compiler.cache_relevant_rows``) and they are not."""


class Compiler:
    """Compiles measures for one run by its plan; features are computed once and shared between measures.

    ``measures`` (or a ``plan`` made by :func:`~qiloop.measures.engine.plan.plan_run`): what the run computes;
    ``columns``: other nodes the run shows per patient (action lists). Counting some measures takes stored rows:
    :meth:`counts` refuses them (``RowsNotStored``) until :meth:`cache_relevant_rows` has run.
    """

    def __init__(
        self,
        store: Store,
        intervals: list[Interval],
        measures: Iterable[Planned] = (),
        breakdowns: tuple[str, ...] = (),
        *,
        columns: Iterable[m.Node] = (),
        plan: RunPlan | None = None,
    ) -> None:
        self.plan = plan if plan is not None else plan_run(measures, intervals, breakdowns, columns)
        self.store = store
        self.intervals = list(self.plan.intervals)
        self.breakdowns = self.plan.breakdowns
        self.offsets = list(self.plan.offsets)
        self.interval_table = interval_table(store, self.intervals, self.offsets)
        self.positions = Positions(self.intervals, self.offsets, store.temporary_table)
        self.spans = population_spans(store, self.positions, self.breakdowns)
        self.code_lists = CodeLists(store.temporary_table, list(self.plan.code_lists))
        self.tables = self._relevant_rows()
        self.features = FeatureBuilder(self.tables, self.positions, code_lists=self.code_lists)
        self.feature_tables: dict[tuple[m.Node, m.Node | None], tuple[ir.Table, str]] = {}
        self._scoped_builders: dict[m.Node, FeatureBuilder] = {}
        self.materialize_features = False
        self._frames = 0
        self._driven_frames: dict[tuple[m.Node, tuple[m.Node, ...], bool], ir.Table] = {}
        self._tallies: dict[Window, ir.Table] = {}
        self._continuity: dict[m.AppointmentQuery, ir.Table] = {}
        self._appointment_count: int | None = None
        self._where_keys: dict[m.Node, ir.Table] = {}

    def cache_population(self) -> None:
        self.spans = self.store.materialize("qiloop_population_spans", self.spans)

    @property
    def population(self) -> ir.Table:
        """One row per patient registered and alive on each interval's reference date (built, never stored)."""
        return self._frame(None)

    def _pruned(self, spans: ir.Table, conditions: Iterable[m.Node]) -> ir.Table:
        """``spans`` without those where ``conditions`` (population-only) cannot hold in any of its intervals.

        Sex conditions are checked on the span; ``age ≥ c`` at its last interval and ``age ≤ c`` at its first (age
        never decreases), so that "aged 65 or over" expands only the spans that reach 65. Rows are still filtered
        exactly after expansion.
        """
        ends = self.interval_table.select("interval_id", "interval_end")
        for condition in conditions:
            if isinstance(condition, m.IsIn) and isinstance(condition.operand, m.Sex):
                spans = spans.filter(spans.sex.isin(sorted(condition.values, key=str)))
                continue
            bound = self.plan.age_bounds.get(condition)
            if bound is None:
                continue
            op, years = bound
            at = ends.view()
            edge = spans.last_iv if op == "ge" else spans.first_iv
            joined = spans.join(at, edge == at.interval_id)
            age = _age(joined.date_of_birth, joined.interval_end)
            joined = joined.filter(age >= years if op == "ge" else age <= years)
            spans = joined.select(*spans.columns)
        return spans

    def _frame(
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
            spans = self._pruned(spans, pruned_by)
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
        joined = rows.join(iv.select("interval_id", "interval_end", *offsets), "interval_id")
        age = _age(joined.date_of_birth, joined.interval_end)
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

    def _stored(self, frame: ir.Table) -> ir.Table:
        """``frame`` computed once into a table (when caching), so that later joins start from its few rows."""
        if not self.materialize_features:
            return frame
        self._frames += 1
        return self.store.materialize(f"qiloop_frame_{self._frames}", frame)

    def _relevant_rows(self) -> dict[str, ir.Table]:
        """Event rows with any code some measure uses (one scan of each event table per run), codes as code ids."""
        out: dict[str, ir.Table] = {}
        for table, column in (("clinical_events", "snomedct_code"), ("medications", "dmd_code")):
            if self.plan.codes[table]:
                out[table] = self.code_lists.with_code_ids(self.store.table(table), column, self.plan.codes[table])
        if self.plan.appointments:
            t = self.store.table("appointments")
            out["appointments"] = t.select(
                "patient_id", "booked_date", "start_date", "status", "mode", "hcp_role", "clinician_id"
            )
        return out

    def cache_relevant_rows(self) -> None:
        """Materialise the code-filtered event rows, and from now on each feature table when first used."""
        for name in list(self.tables):
            if name != "appointments":  # appointments are stored once per window instead (features.py)
                self.tables[name] = self.store.materialize(f"qiloop_{name}", self.tables[name])
        self.features = FeatureBuilder(self.tables, self.positions, self.store.materialize, self.code_lists)
        self.materialize_features = True

    def feature(self, node: m.Node, scope: m.Node | None = None) -> tuple[ir.Table, str]:
        """The (patient_id, interval_id, value) table of a feature, built once per run.

        ``scope``: the caller only looks the feature up for patients with a row of that (driving) feature. When
        every use of ``node`` the run plans has the same scope (``RunPlan.scopes``), the table is built from those
        patients' event rows only: a blood pressure feature for the hypertension measures holds the hypertensive
        patients' rows, not everyone's, so it is built and joined several times faster. Any other use gets the
        table built from everyone's rows.
        """
        if scope is not None and self.plan.scopes.get(node) != scope:
            scope = None
        key = (node, scope)
        if key not in self.feature_tables:
            name = f"f{len(self.feature_tables)}"
            if settings.current().profile:
                print(f"profile feature {name}: {str(node)[:160]}", file=sys.stderr, flush=True)
            builder = self.features if scope is None else self._scoped_builder(scope)
            table = builder.build(node, name)
            continuity = isinstance(node, m.AppointmentAggregate) and node.kind in ("upc", "coc")
            if self.materialize_features and not continuity:  # continuity: one column of the stored totals
                table = self.store.materialize(f"qiloop_feature_{name}", table)
            self.feature_tables[key] = (table, name)
        return self.feature_tables[key]

    def _scoped_builder(self, scope: m.Node) -> FeatureBuilder:
        """A feature builder over the event rows of the patients with a row of the feature ``scope`` only."""
        if scope not in self._scoped_builders:
            patients = self.feature(scope)[0].select("patient_id").distinct()
            if self.materialize_features:
                patients = self.store.materialize(f"qiloop_scope_{len(self._scoped_builders)}", patients)
            tables = {name: t.semi_join(patients, "patient_id") for name, t in self.tables.items()}
            materialize = self.store.materialize if self.materialize_features else None
            self._scoped_builders[scope] = FeatureBuilder(tables, self.positions, materialize, self.code_lists)
        return self._scoped_builders[scope]

    def _population_filter(self, frame: ir.Table, conditions: list[m.Node]) -> ir.Table:
        population_only = _Expressions(frame, {})
        for part in conditions:
            frame = frame.filter(population_only.value(part))
        return frame

    def _driven(self, driver: m.Node, prefilter: list[m.Node], dated: bool, store: bool = True) -> tuple[ir.Table, str]:
        """Population rows where ``driver`` has a row (with its value), meeting ``prefilter``.

        Stored (and shared by every measure with the same driver) when ``store``: other features are left-joined to
        it, and a stored table keeps the optimiser from joining them to the whole population first.
        """
        table, name = self.feature(driver)
        key = (driver, tuple(prefilter), dated)
        if key in self._driven_frames:
            return self._driven_frames[key], name
        frame = self._population_filter(self._frame(table, name, reference_dates=dated), prefilter)
        if store:
            frame = self._driven_frames[key] = self._stored(frame)
        return frame, name

    def compile(self, measure: Planned) -> CompiledMeasure:
        """The measure's per-patient frame: its rows, the features joined and the counting columns."""
        plan = self.plan.frame(measure.id)
        rows, dated = plan.rows, plan.dated

        def population_filter(frame: ir.Table) -> ir.Table:
            return self._population_filter(frame, rows.prefilter)

        names: dict[m.Node, str] = {}
        if rows.scope is not None:
            # Start from the driving feature's rows: a COPD measure touches COPD patients only.
            frame, name = self._driven(rows.scope, rows.prefilter, dated, store=plan.store_driven)
            names[rows.scope] = name
        elif rows.drivers:
            frame = self._candidates([(d,) for d in rows.drivers], population_filter, dated)
        elif plan.candidates is not None:
            frame = self._candidates(plan.candidates, population_filter, dated)
        else:
            frame = population_filter(self._frame(None, reference_dates=dated, pruned_by=rows.prefilter))
        frame, names = self._with_features(frame, plan.features, names, rows.scope)
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

    def _candidates(
        self,
        branches: Iterable[tuple[m.Node, ...]],
        population_filter: Callable[[ir.Table], ir.Table],
        dated: bool,
    ) -> ir.Table:
        """The population rows some branch can hold for: a branch is a driving feature or population conditions.

        Used for or-composites: a row outside every branch's candidates has every branch false, so it is
        outside the denominator and counts nowhere.
        """
        keys = []
        everyone: ir.Table | None = None
        for branch in branches:
            if len(branch) == 1 and isinstance(branch[0], m.FEATURE_TYPES):
                keys.append(self.feature(branch[0])[0].select(*KEYS))
            else:
                if everyone is None:
                    everyone = self._frame(None, reference_dates=dated)
                population_only = _Expressions(everyone, {})
                condition = population_only.value(branch[0])
                for part in branch[1:]:
                    condition = condition & population_only.value(part)
                keys.append(everyone.filter(condition).select(*KEYS))
        candidates = _distinct_union(keys)
        # Stored, so that the optimiser cannot postpone the cut until after the feature joins.
        return self._stored(population_filter(self._frame(candidates, reference_dates=dated)))

    def where(self, node: m.Node) -> ir.Table:
        """The distinct population rows where the condition ``node`` holds: keys, practice_id and breakdowns.

        Built from driving features where there are some: a condition with one driving feature is evaluated on
        that feature's rows only; an ``Or`` is the union of its branches; anything else is evaluated on the
        population rows meeting its population-only conditions (age, sex).
        """
        if node not in self._where_keys:
            columns = [*KEYS, "practice_id", *self.breakdowns]
            if isinstance(node, m.Or):
                branches = [self.where(b) for b in m.disjuncts(node)]
                keys = _distinct_union(branches) if len(branches) > 1 else branches[0]
            else:
                rows = self.plan.rows(node)
                names: dict[m.Node, str] = {}
                if rows.scope is not None:
                    others = any(f != rows.scope for f in rows.features)
                    frame, name = self._driven(rows.scope, list(rows.prefilter), rows.dated, store=others)
                    names[rows.scope] = name
                elif rows.drivers:  # one of several features must have a row (an ``and`` holding an ``or``)
                    candidates = _distinct_union([self.feature(d)[0].select(*KEYS) for d in rows.drivers])
                    frame = self._frame(candidates, reference_dates=rows.dated)
                    frame = self._population_filter(frame, rows.prefilter)
                else:
                    everyone = self._frame(None, reference_dates=rows.dated, pruned_by=rows.prefilter)
                    frame = self._population_filter(everyone, rows.prefilter)
                frame, names = self._with_features(frame, rows.features, names, rows.scope)
                keys = frame.filter(_Expressions(frame, names).value(node)).select(*columns)
                if rows.scope is None:
                    keys = self._stored(keys)  # computed once, shared by the composites
            self._where_keys[node] = keys
        return self._where_keys[node]

    def _with_features(
        self, frame: ir.Table, features: Iterable[m.Node], names: dict[m.Node, str], scope: m.Node | None = None
    ) -> tuple[ir.Table, dict[m.Node, str]]:
        """``frame`` with a column for each of ``features`` (left joins; missing where a patient has no row).

        ``scope``: a feature every row of ``frame`` has a row of (its driver), passed on to ``feature``.
        """
        names = dict(names)
        for feature in features:
            if feature in names:
                continue
            table, name = self.feature(feature, scope)
            names[feature] = name
            joined = frame.left_join(table, KEYS)
            frame = joined.select(*frame.columns, table[name])
        return frame, names

    def with_columns(
        self, frame: ir.Table, nodes: Iterable[m.Node], names: dict[m.Node, str]
    ) -> tuple[ir.Table, dict[m.Node, str]]:
        """``frame`` with the features the planned ``nodes`` (e.g. action-list columns) use joined to it."""
        features = dict.fromkeys(f for node in nodes for f in self.plan.features_of(node))
        return self._with_features(frame, features, names)

    def counts(self, measure: Planned, breakdowns: tuple[str, ...]) -> ir.Table:
        """Numerator and denominator per interval, practice and breakdown values (groups with a denominator).

        The plan's route for the measure says how: a continuity sum, nested appointment counts or counting by
        sets of rows (the fast counts), else the per-patient frame of ``compile``, grouped and summed. A route
        that needs stored rows is refused until ``cache_relevant_rows`` has stored them.
        """
        route = self.plan.route(measure.id)
        if route.needs_stored_rows and not self.materialize_features:
            raise RowsNotStored(
                f"measure {measure.id!r} is counted by its plan as {route.kind}, which reads stored rows: "
                "call Compiler.cache_relevant_rows() before counting (run_measures does)"
            )
        if isinstance(route, ContinuitySum):
            return self._summed_continuity(route, breakdowns)
        if isinstance(route, NestedCounts):
            return self._nested_counts(route, breakdowns)
        if isinstance(route, CountedBySets):
            return self._counts_by_sets(measure, route, breakdowns)
        return self.aggregate(self.compile(measure), breakdowns)

    def _summed_continuity(self, route: ContinuitySum, breakdowns: tuple[str, ...]) -> ir.Table:
        """A continuity index summed over the patients who have one (``index >= 0``), with its count.

        Each appointment query's clinician totals are joined to the population once and summed per group into a
        small table (UPC and COC sums and the number of patients), shared by the UPC and COC measures: the
        per-patient table (a row for each patient and interval with 2 or more appointments) is never stored.
        """
        groups = ["interval_id", "practice_id", *breakdowns]
        query = route.query
        if query not in self._continuity:
            name = f"qiloop_continuity_{len(self._continuity)}"
            parts = self._continuity_parts()
            stored = []
            for k in range(parts):
                totals = self.features.totals_expression(query, (k, parts))
                spans = self.spans
                if parts > 1:
                    spans = spans.filter(in_part(spans, (k, parts)))
                rows = self._frame(totals, "n", "squares", "top", spans=spans)
                sums = rows.group_by(groups).aggregate(
                    upc=continuity_index("upc", rows).sum(),
                    coc=continuity_index("coc", rows).sum(),
                    patients=rows.count(),
                )
                stored.append(self.store.materialize(f"{name}_{k}" if parts > 1 else name, sums))
            if parts > 1:
                every = ibis.union(*stored, distinct=False)
                sums = every.group_by(groups).aggregate(
                    upc=every.upc.sum(), coc=every.coc.sum(), patients=every.patients.sum()
                )
                stored = [self.store.materialize(name, sums)]
            self._continuity[query] = stored[0]
        sums = self._continuity[query]
        return sums.select(*groups, numerator=sums[route.index], denominator=sums.patients)

    def _continuity_parts(self) -> int:
        """In how many parts (by patient) to compute continuity sums on DuckDB: one per 10 million appointments.

        Grouping a row per patient and interval takes memory in proportion to the patients; in parts, each fits
        in memory instead of spilling to disk (at 4,000,000 patients, one part spilled 8 GB and took 6 times as
        long as at 1,000,000), and smaller groupings run faster (at 1,000,000: 28.9 s in one part, 26.6 s in 4).
        """
        if self.store.engine != "duckdb":
            return 1
        if self._appointment_count is None:
            t = self.tables["appointments"]  # built before the runner started: asks the connection nothing
            sql = ibis.to_sql(t.aggregate(n=t.count()), dialect="duckdb")
            if self.store.runner is not None:  # the runner is the connection's only user while it runs
                frame = self.store.submit("appointments count", self.store.fetch, sql).result()
            else:
                frame = self.store.fetch(sql)
            self._appointment_count = int(frame["n"].sum())
        return max(1, -(-self._appointment_count // CONTINUITY_PART_ROWS))

    def _nested_counts(self, route: NestedCounts, breakdowns: tuple[str, ...]) -> ir.Table:
        """Every appointment the numerator counts, the denominator counts too: where the numerator is above 0 so
        is the denominator, so each is summed over its own rows, with no join between them."""
        groups = ["interval_id", "practice_id", *breakdowns]
        sums = []
        for node, tallied, column in (
            (route.denominator, route.tallied[0], "denominator"),
            (route.numerator, route.tallied[1], "numerator"),
        ):
            if tallied:
                summed = self._summed_appointments(node, (), groups, column)
            else:
                table, name = self.feature(node)
                rows = self._frame(table, name)
                summed = rows.group_by(groups).aggregate(**{column: rows[name].sum()})
            sums.append(summed)
        joined = sums[0].left_join(sums[1], groups)
        return joined.select(
            *[sums[0][g] for g in groups],
            numerator=joined.numerator.fill_null(0).cast("int64"),
            denominator=joined.denominator.cast("int64"),
        )

    def _counts_by_sets(self, measure: Planned, route: CountedBySets, breakdowns: tuple[str, ...]) -> ir.Table:
        """The denominator's rows, and the numerator's among them, each built from driving features (``where``),
        so no row carries every feature."""
        den, num = route.denominator, measure.numerator
        groups = ["interval_id", "practice_id", *breakdowns]
        conditions: list[m.Node] = []
        if route.population_only:
            rows_plan = self.plan.frame(measure.id).rows
            conditions, dated = list(rows_plan.prefilter), rows_plan.dated
            everyone = self._frame(None, reference_dates=dated, pruned_by=conditions)
            den_rows = self._population_filter(everyone, conditions)

            def numerator_rows(keys: ir.Table, *carried: str) -> ir.Table:
                return self._population_filter(self._frame(keys, *carried, reference_dates=dated), conditions)

        else:
            den_rows = self._stored(self.where(den))

            def numerator_rows(keys: ir.Table, *carried: str) -> ir.Table:
                joined = den_rows.join(keys, KEYS)
                return joined.select(*den_rows.columns, *[keys[c] for c in carried])

        if route.numerator == "rows":
            rows = numerator_rows(self.where(num).select(*KEYS))
            numerator = rows.group_by(groups).aggregate(numerator=rows.count())
        elif route.numerator == "tally":
            numerator = self._summed_appointments(num, tuple(conditions), groups, "numerator")
        else:
            table, name = self.feature(num)
            rows = numerator_rows(table, name)
            numerator = rows.group_by(groups).aggregate(numerator=rows[name].sum())
        denominator = den_rows.group_by(groups).aggregate(denominator=den_rows.count())
        joined = denominator.left_join(numerator, groups)
        return joined.select(
            *[denominator[g] for g in groups],
            numerator=joined.numerator.fill_null(0).cast("int64"),
            denominator=joined.denominator.cast("int64"),
        )

    def _summed_appointments(
        self, node: m.Node, conditions: tuple[m.Node, ...], groups: list[str], column: str
    ) -> ir.Table:
        """Σ of the per-patient appointment count ``node`` over the population rows meeting ``conditions``, per group.

        Where each appointment falls in at most one interval's window ("this month"), that sum is the number of
        appointments of population patients, at the practice they are registered with: counted from a tally of the
        appointments by group, status, mode, role and lead time, built once per window and shared by every such
        count, instead of a per-patient table for each.
        """
        assert isinstance(node, m.AppointmentAggregate)  # the plan routes only appointment counts here
        q = node.query
        cuts = list(self.plan.lead_cuts)
        tally = self._tally(q.window, conditions)
        for name in ("status", "mode", "hcp_role"):
            values = getattr(q, name)
            if values is not None:
                tally = tally.filter(tally[name].isin(sorted(values)))
        if q.min_lead_days is not None:  # lead ≥ k: beyond the cut k − 1
            tally = tally.filter(tally.lead_class > cuts.index(q.min_lead_days - 1))
        if q.max_lead_days is not None:  # lead ≤ k: not beyond the cut k
            tally = tally.filter(tally.lead_class <= cuts.index(q.max_lead_days))
        return tally.group_by(groups).aggregate(**{column: tally.appointments.sum()})

    def _tally(self, window: Window, conditions: tuple[m.Node, ...]) -> ir.Table:
        """Appointments in ``window`` of population rows meeting ``conditions``, counted by group and kind.

        ``lead_class`` is how many of the run's lead-time cuts the appointment's lead time is beyond (null when a
        date is missing, so that no lead-time condition holds, as for single appointments). The tally of a window
        has a flag column for each set of conditions the plan sums counts under (``RunPlan.tally_conditions``).
        """
        planned = list(self.plan.tally_conditions)
        if window not in self._tallies:
            t = self.tables["appointments"]
            lead_class = sum(
                ((t.start_date > t.booked_date + ibis.interval(days=cut)).cast("int64") for cut in self.plan.lead_cuts),
                ibis.literal(0, type="int64"),
            )
            lead_class = ibis.ifelse(t.start_date.isnull() | t.booked_date.isnull(), ibis.null("int64"), lead_class)
            kinds = t.select("patient_id", "start_date", "status", "mode", "hcp_role", lead_class=lead_class)
            placed = self.positions.ranged(kinds, window, "start_date")
            kind = ["status", "mode", "hcp_role", "lead_class"]
            placed = placed.select("patient_id", *kind, interval_id=placed.lo)
            rows = self._frame(placed, *kind, reference_dates=self.plan.tally_dated)
            population_only = _Expressions(rows, {})
            flagged = {}
            for k, group in enumerate(planned):
                holds = ibis.literal(True)
                for part in group:
                    holds = holds & population_only.value(part)
                flagged[f"condition_{k}"] = holds.fill_null(False)
            rows = rows.mutate(**flagged)
            groups = ["interval_id", "practice_id", *self.breakdowns, *kind, *flagged]
            tally = rows.group_by(groups).aggregate(appointments=rows.count())
            self._tallies[window] = self.store.materialize(f"qiloop_tally_{len(self._tallies)}", tally)
        tally = self._tallies[window]
        if conditions:
            tally = tally.filter(tally[f"condition_{planned.index(conditions)}"])
        return tally

    def aggregate(self, compiled: CompiledMeasure, breakdowns: tuple[str, ...]) -> ir.Table:
        frame = compiled.frame.filter(compiled.frame.in_denominator)
        return frame.group_by(["interval_id", "practice_id", *breakdowns]).aggregate(
            numerator=frame.numerator_value.sum(), denominator=frame.denominator_value.sum()
        )

    def groups(self, breakdowns: tuple[str, ...]) -> ir.Table:
        """Every distinct (interval, practice, breakdown values) with someone in the population."""
        keys = ["interval_id", "practice_id", *breakdowns]
        if "age_band" in breakdowns:
            return self.population.select(*keys).distinct()
        # No ages needed: expand each distinct run of intervals at a practice (and breakdown values) once.
        spans = self.spans.mutate(
            **{b: self.spans[b].cast("string").fill_null(UNKNOWN) for b in breakdowns if b != "sex"}
        )
        runs = spans.select("practice_id", "first_iv", "last_iv", *breakdowns).distinct()
        rows = runs.select("practice_id", *breakdowns, interval_id=ibis.range(runs.first_iv, runs.last_iv + 1).unnest())
        return rows.select(*keys).distinct()


def _distinct_union(tables: list[ir.Table]) -> ir.Table:
    """The distinct rows of ``tables`` together, made distinct once.

    (``ibis.union(..., distinct=True)`` nests a de-duplicating UNION per table: with the 14 branches of
    ``pincer_any`` that grouped the growing union 13 times, 40 s of work at 4,000,000 patients.)
    """
    return ibis.union(*tables, distinct=False).distinct()


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
