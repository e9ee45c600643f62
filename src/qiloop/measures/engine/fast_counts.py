"""Fast counts: measures of a few shapes counted without a per-patient frame.

Each class says when it applies to a measure under a run plan (``applies``: the plan's route for the measure)
and computes the measure's counts per interval, practice and breakdown values through :class:`Counting`, the
few things it reads of the compiler (which it does not import). The plan decides the routes
(:mod:`qiloop.measures.engine.plan`); a route that reads stored rows is refused by the compiler until they are.

* :class:`ContinuitySums`: a UPC or COC index over the patients who have one, summed per group;
* :class:`AppointmentTallies`: appointment counts summed from a tally built once per window;
* :class:`NestedAppointmentCounts`: a count of appointments over a count including them, each summed alone;
* :class:`CountedBySets`: a prevalence or an ``or`` denominator, counted as sets of rows.
"""

from __future__ import annotations

from typing import Protocol

import ibis
import ibis.expr.types as ir

from qiloop.measures import model as m
from qiloop.measures.dates import Window
from qiloop.measures.engine import plan as p
from qiloop.measures.engine.expressions import Expressions
from qiloop.measures.engine.features import KEYS, FeatureBuilder, continuity_index, in_part
from qiloop.measures.engine.population import Population
from qiloop.measures.engine.positions import Positions
from qiloop.measures.engine.store import Store

CONTINUITY_PART_ROWS = 10_000_000
"""Appointments per part when continuity sums are computed in parts (see ``ContinuitySums.parts``)."""


class Counting(Protocol):
    """What a fast count reads of the compiler."""

    plan: p.RunPlan
    store: Store
    population: Population
    positions: Positions
    features: FeatureBuilder
    tables: dict[str, ir.Table]

    def feature(self, node: m.Node, scope: m.Node | None = None) -> tuple[ir.Table, str]: ...

    def where(self, node: m.Node) -> ir.Table: ...

    def stored(self, frame: ir.Table) -> ir.Table: ...


def _groups(breakdowns: tuple[str, ...]) -> list[str]:
    return ["interval_id", "practice_id", *breakdowns]


def _joined(denominator: ir.Table, numerator: ir.Table, groups: list[str]) -> ir.Table:
    joined = denominator.left_join(numerator, groups)
    return joined.select(
        *[denominator[g] for g in groups],
        numerator=joined.numerator.fill_null(0).cast("int64"),
        denominator=joined.denominator.cast("int64"),
    )


class ContinuitySums:
    """A continuity index summed over the patients who have one (``index >= 0``), with its count.

    Each appointment query's clinician totals are joined to the population once and summed per group into a
    small table (UPC and COC sums and the number of patients), shared by the UPC and COC measures: the
    per-patient table (a row for each patient and interval with 2 or more appointments) is never stored.
    """

    def __init__(self, on: Counting) -> None:
        self.on = on
        self._sums: dict[m.AppointmentQuery, ir.Table] = {}
        self._appointments: int | None = None

    @staticmethod
    def applies(plan: p.RunPlan, measure: m.Measure) -> bool:
        return isinstance(plan.route(measure.id), p.ContinuitySum)

    def counts(self, measure: m.Measure, breakdowns: tuple[str, ...]) -> ir.Table:
        route = self.on.plan.route(measure.id)
        assert isinstance(route, p.ContinuitySum)  # ``applies``
        groups = _groups(breakdowns)
        if route.query not in self._sums:
            self._sums[route.query] = self._summed(route.query, groups)
        sums = self._sums[route.query]
        return sums.select(*groups, numerator=sums[route.index], denominator=sums.patients)

    def _summed(self, query: m.AppointmentQuery, groups: list[str]) -> ir.Table:
        on = self.on
        name = f"qiloop_continuity_{len(self._sums)}"
        parts = self.parts()
        stored = []
        for k in range(parts):
            totals = on.features.totals_expression(query, (k, parts))
            spans = on.population.spans
            if parts > 1:
                spans = spans.filter(in_part(spans, (k, parts)))
            rows = on.population.rows(totals, "n", "squares", "top", spans=spans)
            sums = rows.group_by(groups).aggregate(
                upc=continuity_index("upc", rows).sum(),
                coc=continuity_index("coc", rows).sum(),
                patients=rows.count(),
            )
            stored.append(on.store.materialize(f"{name}_{k}" if parts > 1 else name, sums))
        if parts == 1:
            return stored[0]
        every = ibis.union(*stored, distinct=False)
        sums = every.group_by(groups).aggregate(upc=every.upc.sum(), coc=every.coc.sum(), patients=every.patients.sum())
        return on.store.materialize(name, sums)

    def parts(self) -> int:
        """In how many parts (by patient) to compute continuity sums on DuckDB: one per 10 million appointments.

        Grouping a row per patient and interval takes memory in proportion to the patients; in parts, each fits
        in memory instead of spilling to disk (at 4,000,000 patients, one part spilled 8 GB and took 6 times as
        long as at 1,000,000), and smaller groupings run faster (at 1,000,000: 28.9 s in one part, 26.6 s in 4).
        """
        store = self.on.store
        if store.engine != "duckdb":
            return 1
        if self._appointments is None:
            t = self.on.tables["appointments"]  # built before the runner started: asks the connection nothing
            sql = ibis.to_sql(t.aggregate(n=t.count()), dialect="duckdb")
            if store.runner is not None:  # the runner is the connection's only user while it runs
                frame = store.runner.submit("appointments count", store.fetch, sql).result()
            else:
                frame = store.fetch(sql)
            self._appointments = int(frame["n"].sum())
        return max(1, -(-self._appointments // CONTINUITY_PART_ROWS))


class AppointmentTallies:
    """Σ of a per-patient appointment count over population rows, from a tally of the appointments.

    Where each appointment falls in at most one interval's window ("this month"), that sum is the number of
    appointments of population patients, at the practice they are registered with: counted from a tally of the
    appointments by group, status, mode, role and lead time, built once per window and shared by every such
    count, instead of a per-patient table for each. Used by the two routes below when the plan says so.
    """

    def __init__(self, on: Counting) -> None:
        self.on = on
        self._tallies: dict[Window, ir.Table] = {}

    def summed(self, node: m.Node, conditions: tuple[m.Node, ...], groups: list[str], column: str) -> ir.Table:
        """Σ ``node`` (an appointment count) over the population rows meeting ``conditions``, per group."""
        assert isinstance(node, m.AppointmentAggregate)  # the plan tallies only appointment counts
        q = node.query
        cuts = list(self.on.plan.lead_cuts)
        tally = self.tally(q.window, conditions)
        for name in ("status", "mode", "hcp_role"):
            values = getattr(q, name)
            if values is not None:
                tally = tally.filter(tally[name].isin(sorted(values)))
        if q.booked_date_known:  # lead_class is null when a date is missing
            tally = tally.filter(tally.lead_class.notnull())
        if q.min_lead_days is not None:  # lead ≥ k: beyond the cut k − 1
            tally = tally.filter(tally.lead_class > cuts.index(q.min_lead_days - 1))
        if q.max_lead_days is not None:  # lead ≤ k: not beyond the cut k
            tally = tally.filter(tally.lead_class <= cuts.index(q.max_lead_days))
        return tally.group_by(groups).aggregate(**{column: tally.appointments.sum()})

    def tally(self, window: Window, conditions: tuple[m.Node, ...]) -> ir.Table:
        """Appointments in ``window`` of population rows meeting ``conditions``, counted by group and kind.

        ``lead_class`` is how many of the run's lead-time cuts the appointment's lead time is beyond (null when a
        date is missing, so that no lead-time condition holds, as for single appointments). The tally of a window
        has a flag column for each set of conditions the plan sums counts under (``RunPlan.tally_conditions``).
        """
        plan, planned = self.on.plan, list(self.on.plan.tally_conditions)
        if window not in self._tallies:
            t = self.on.tables["appointments"]
            lead_class = sum(
                ((t.start_date > t.booked_date + ibis.interval(days=cut)).cast("int64") for cut in plan.lead_cuts),
                ibis.literal(0, type="int64"),
            )
            lead_class = ibis.ifelse(t.start_date.isnull() | t.booked_date.isnull(), ibis.null("int64"), lead_class)
            kinds = t.select("patient_id", "start_date", "status", "mode", "hcp_role", lead_class=lead_class)
            placed = self.on.positions.ranged(kinds, window, "start_date")
            kind = ["status", "mode", "hcp_role", "lead_class"]
            placed = placed.select("patient_id", *kind, interval_id=placed.lo)
            rows = self.on.population.rows(placed, *kind, reference_dates=plan.tally_dated)
            population_only = Expressions(rows, {})
            flagged = {}
            for k, group in enumerate(planned):
                holds = ibis.literal(True)
                for part in group:
                    holds = holds & population_only.value(part)
                flagged[f"condition_{k}"] = holds.fill_null(False)
            rows = rows.mutate(**flagged)
            groups = ["interval_id", "practice_id", *plan.breakdowns, *kind, *flagged]
            tally = rows.group_by(groups).aggregate(appointments=rows.count())
            self._tallies[window] = self.on.store.materialize(f"qiloop_tally_{len(self._tallies)}", tally)
        tally = self._tallies[window]
        if conditions:
            tally = tally.filter(tally[f"condition_{planned.index(conditions)}"])
        return tally


class NestedAppointmentCounts:
    """Every appointment the numerator counts, the denominator counts too (``dna_rate``, the waits): where the
    numerator is above 0 so is the denominator, so each is summed over its own rows, with no join between them."""

    def __init__(self, on: Counting, tallies: AppointmentTallies) -> None:
        self.on = on
        self.tallies = tallies

    @staticmethod
    def applies(plan: p.RunPlan, measure: m.Measure) -> bool:
        return isinstance(plan.route(measure.id), p.NestedCounts)

    def counts(self, measure: m.Measure, breakdowns: tuple[str, ...]) -> ir.Table:
        route = self.on.plan.route(measure.id)
        assert isinstance(route, p.NestedCounts)  # ``applies``
        groups = _groups(breakdowns)
        sums = []
        for node, tallied, column in (
            (route.denominator, route.tallied[0], "denominator"),
            (route.numerator, route.tallied[1], "numerator"),
        ):
            if tallied:
                sums.append(self.tallies.summed(node, (), groups, column))
            else:
                table, name = self.on.feature(node)
                rows = self.on.population.rows(table, name)
                sums.append(rows.group_by(groups).aggregate(**{column: rows[name].sum()}))
        return _joined(sums[0], sums[1], groups)


class CountedBySets:
    """A true/false denominator that is an ``or`` (the PINCER composites) or uses no feature (a prevalence).

    Its rows, and the numerator's among them, are each built from driving features (``Compiler.where``), so
    no row carries every feature; the numerator is the rows where it holds, a tally of appointments, or a count
    feature summed over the denominator's rows.
    """

    def __init__(self, on: Counting, tallies: AppointmentTallies) -> None:
        self.on = on
        self.tallies = tallies

    @staticmethod
    def applies(plan: p.RunPlan, measure: m.Measure) -> bool:
        return isinstance(plan.route(measure.id), p.CountedBySets)

    def counts(self, measure: m.Measure, breakdowns: tuple[str, ...]) -> ir.Table:
        on = self.on
        route = on.plan.route(measure.id)
        assert isinstance(route, p.CountedBySets)  # ``applies``
        groups = _groups(breakdowns)
        rows_plan = on.plan.frame(measure.id).rows
        conditions, dated = rows_plan.prefilter, rows_plan.dated
        if route.population_only:
            everyone = on.population.rows(None, reference_dates=dated, pruned_by=conditions)
            den_rows = on.population.filtered(everyone, conditions)

            def numerator_rows(keys: ir.Table, *carried: str) -> ir.Table:
                return on.population.filtered(on.population.rows(keys, *carried, reference_dates=dated), conditions)

        else:
            den_rows = on.stored(on.where(route.denominator))

            def numerator_rows(keys: ir.Table, *carried: str) -> ir.Table:
                joined = den_rows.join(keys, KEYS)
                return joined.select(*den_rows.columns, *[keys[c] for c in carried])

        num = measure.numerator
        if route.numerator == "rows":
            rows = numerator_rows(on.where(num).select(*KEYS))
            numerator = rows.group_by(groups).aggregate(numerator=rows.count())
        elif route.numerator == "tally":
            numerator = self.tallies.summed(num, conditions, groups, "numerator")
        else:
            table, name = on.feature(num)
            rows = numerator_rows(table, name)
            numerator = rows.group_by(groups).aggregate(numerator=rows[name].sum())
        denominator = den_rows.group_by(groups).aggregate(denominator=den_rows.count())
        return _joined(denominator, numerator, groups)
