"""The compiler: a run's measures → Ibis expressions counting every interval at once, read from the run plan.

How one pass works:

1. the intervals of the run are numbered 0 … N − 1; ``Positions`` (features.py) turns any date into interval
   numbers, the date arithmetic done once in Python, so every backend agrees;
2. the population is stored as **spans** (population.py): per patient, the run of consecutive intervals in which
   they are registered at one practice and alive — about one row per patient, not one per interval;
3. each feature is a (patient_id, interval_id) table built from interval positions once per run (features.py),
   from the event rows with a code the run uses;
4. a measure's rows start from its **driving feature** (one the denominator cannot be true without) joined to the
   spans, stored and shared by measures with the same driver; other features are left-joined; numerator and
   denominator become columns (expressions.py) and one GROUP BY interval, practice and breakdowns counts every
   interval at once;
5. measures of a few shapes are counted without that frame (fast_counts.py): the plan's route says which.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from qiloop import settings
from qiloop.measures import model as m
from qiloop.measures.dates import Interval
from qiloop.measures.engine import fast_counts
from qiloop.measures.engine.expressions import Expressions
from qiloop.measures.engine.features import KEYS, CodeLists, FeatureBuilder
from qiloop.measures.engine.plan import Rows, RunPlan, plan_run
from qiloop.measures.engine.population import Population
from qiloop.measures.engine.positions import Positions
from qiloop.measures.engine.store import Store


@dataclass
class CompiledMeasure:
    """A measure's per-patient frame: population rows with feature columns and the counting columns."""

    frame: ir.Table
    feature_columns: dict[m.Node, str]


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
        measures: Iterable[m.Measure] = (),
        breakdowns: tuple[str, ...] = (),
        *,
        columns: Iterable[m.Node] = (),
        plan: RunPlan | None = None,
    ) -> None:
        self.plan = plan if plan is not None else plan_run(measures, intervals, breakdowns, columns)
        self.store = store
        self.breakdowns = self.plan.breakdowns
        intervals, offsets = list(self.plan.intervals), list(self.plan.offsets)
        self.positions = Positions(intervals, offsets, store.temporary_table)
        self.population = Population(store, intervals, offsets, self.positions, self.breakdowns, self.plan.age_bounds)
        self.code_lists = CodeLists(store.temporary_table, list(self.plan.code_lists))
        self.tables = self._relevant_rows()
        self.features = FeatureBuilder(self.tables, self.positions, code_lists=self.code_lists)
        self.feature_tables: dict[tuple[m.Node, m.Node | None], tuple[ir.Table, str]] = {}
        self.rows_stored = False
        self._scoped_builders: dict[m.Node, FeatureBuilder] = {}
        self._frames = 0
        self._driven_frames: dict[tuple[m.Node, tuple[m.Node, ...], bool], ir.Table] = {}
        self._where_keys: dict[m.Node, ir.Table] = {}
        tallies = fast_counts.AppointmentTallies(self)
        self.fast_counts = (
            fast_counts.ContinuitySums(self),
            fast_counts.NestedAppointmentCounts(self, tallies),
            fast_counts.CountedBySets(self, tallies),
        )

    def cache_population(self) -> None:
        self.population.cache()

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
        self.rows_stored = True

    def stored(self, frame: ir.Table) -> ir.Table:
        """``frame`` computed once into a table (when rows are stored), so that later joins start from its few rows."""
        if not self.rows_stored:
            return frame
        self._frames += 1
        return self.store.materialize(f"qiloop_frame_{self._frames}", frame)

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
            if self.rows_stored and not continuity:  # continuity: one column of the stored totals
                table = self.store.materialize(f"qiloop_feature_{name}", table)
            self.feature_tables[key] = (table, name)
        return self.feature_tables[key]

    def _scoped_builder(self, scope: m.Node) -> FeatureBuilder:
        """A feature builder over the event rows of the patients with a row of the feature ``scope`` only."""
        if scope not in self._scoped_builders:
            patients = self.feature(scope)[0].select("patient_id").distinct()
            if self.rows_stored:
                patients = self.store.materialize(f"qiloop_scope_{len(self._scoped_builders)}", patients)
            tables = {name: t.semi_join(patients, "patient_id") for name, t in self.tables.items()}
            materialize = self.store.materialize if self.rows_stored else None
            self._scoped_builders[scope] = FeatureBuilder(tables, self.positions, materialize, self.code_lists)
        return self._scoped_builders[scope]

    def _driven(
        self, driver: m.Node, prefilter: tuple[m.Node, ...], dated: bool, store: bool = True
    ) -> tuple[ir.Table, str]:
        """Population rows where ``driver`` has a row (with its value), meeting ``prefilter``.

        Stored (and shared by every measure with the same driver) when ``store``: other features are left-joined to
        it, and a stored table keeps the optimiser from joining them to the whole population first.
        """
        table, name = self.feature(driver)
        key = (driver, prefilter, dated)
        if key in self._driven_frames:
            return self._driven_frames[key], name
        frame = self.population.filtered(self.population.rows(table, name, reference_dates=dated), prefilter)
        if store:
            frame = self._driven_frames[key] = self.stored(frame)
        return frame, name

    def compile(self, measure: m.Measure) -> CompiledMeasure:
        """The measure's per-patient frame: its rows, the features joined and the counting columns."""
        plan = self.plan.frame(measure.id)
        rows, dated = plan.rows, plan.dated
        frame, names = self._start(rows, dated, plan.candidates, store_driven=plan.store_driven, store=True)
        frame, names = self._with_features(frame, plan.features, names, rows.scope)
        expr = Expressions(frame, names)
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

    def _start(
        self,
        rows: Rows,
        dated: bool,
        candidates: tuple[tuple[m.Node, ...], ...] | None,
        *,
        store_driven: bool,
        store: bool,
    ) -> tuple[ir.Table, dict[m.Node, str]]:
        """The population rows a condition (or denominator) can hold on, meeting its population-only conditions.

        One driver: that feature's rows (a COPD measure touches COPD patients only), stored when ``store_driven``.
        ``candidates``: the rows some branch can hold for, a branch being a driving feature or population
        conditions (a row outside every branch's candidates has every branch false), stored when ``store``, so
        that the optimiser cannot postpone the cut until after the feature joins. Else everyone the population
        conditions allow (spans pruned by age and sex first). With the driver's column, if any.
        """
        if rows.scope is not None:
            frame, name = self._driven(rows.scope, rows.prefilter, dated, store=store_driven)
            return frame, {rows.scope: name}
        if not candidates:
            everyone = self.population.rows(None, reference_dates=dated, pruned_by=rows.prefilter)
            return self.population.filtered(everyone, rows.prefilter), {}
        keys = []
        everyone = None
        for branch in candidates:
            if len(branch) == 1 and isinstance(branch[0], m.FEATURE_TYPES):
                keys.append(self.feature(branch[0])[0].select(*KEYS))
            else:
                if everyone is None:
                    everyone = self.population.rows(None, reference_dates=dated)
                keys.append(self.population.filtered(everyone, branch).select(*KEYS))
        frame = self.population.rows(distinct_union(keys), reference_dates=dated)
        frame = self.population.filtered(frame, rows.prefilter)
        return (self.stored(frame) if store else frame), {}

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
                keys = distinct_union(branches) if len(branches) > 1 else branches[0]
            else:
                rows = self.plan.rows(node)
                others = any(f != rows.scope for f in rows.features)
                frame, names = self._start(rows, rows.dated, rows.candidates, store_driven=others, store=False)
                frame, names = self._with_features(frame, rows.features, names, rows.scope)
                keys = frame.filter(Expressions(frame, names).value(node)).select(*columns)
                if rows.scope is None:
                    keys = self.stored(keys)  # computed once, shared by the composites
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

    def counts(self, measure: m.Measure, breakdowns: tuple[str, ...]) -> ir.Table:
        """Numerator and denominator per interval, practice and breakdown values (groups with a denominator).

        The plan's route for the measure says how: one of the fast counts (fast_counts.py), or else the
        per-patient frame of ``compile``, grouped and summed. A route that reads stored rows is refused until
        ``cache_relevant_rows`` has stored them.
        """
        route = self.plan.route(measure.id)
        if route.needs_stored_rows and not self.rows_stored:
            raise RowsNotStored(
                f"measure {measure.id!r} is counted by its plan as {route.kind}, which reads stored rows: "
                "call Compiler.cache_relevant_rows() before counting (run_measures does)"
            )
        for fast in self.fast_counts:
            if fast.applies(self.plan, measure):
                return fast.counts(measure, breakdowns)
        return self.aggregate(self.compile(measure), breakdowns)

    def aggregate(self, compiled: CompiledMeasure, breakdowns: tuple[str, ...]) -> ir.Table:
        frame = compiled.frame.filter(compiled.frame.in_denominator)
        return frame.group_by(["interval_id", "practice_id", *breakdowns]).aggregate(
            numerator=frame.numerator_value.sum(), denominator=frame.denominator_value.sum()
        )

    def groups(self, breakdowns: tuple[str, ...]) -> ir.Table:
        """Every distinct (interval, practice, breakdown values) with someone in the population."""
        return self.population.groups(breakdowns)


def distinct_union(tables: list[ir.Table]) -> ir.Table:
    """The distinct rows of ``tables`` together, made distinct once.

    (``ibis.union(..., distinct=True)`` nests a de-duplicating UNION per table: with the 14 branches of
    ``pincer_any`` that grouped the growing union 13 times, 40 s of work at 4,000,000 patients.)
    """
    return ibis.union(*tables, distinct=False).distinct()
