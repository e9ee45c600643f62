"""The run plan: what a run of measures needs, found by one walk of its measures, holding no Ibis.

:func:`plan_run` walks the run's measures once and writes down every fact the engine needs later: the window
offsets, the codes each event table is filtered by and the code lists, the lead-time cuts, the population
conditions appointment tallies are flagged by, each condition's driving features, which features can be built
from their driver's patients only (the scopes), the age bounds spans are pruned by, and how each measure is
counted (its :data:`Route`). The compiler and the fast counts read the plan; nothing walks the measures again.

>>> import datetime as dt
>>> from qiloop.measures import language as q
>>> from qiloop.measures.dates import Interval
>>> copd = q.clinical_events(["copd"]).exists()
>>> m = q.measure(id="m", title="t", denominator=copd & (q.age >= 40), numerator=q.sex == "female",
...               low_is_good=False)
>>> plan = plan_run([m], [Interval(dt.date(2024, 3, 1), dt.date(2024, 3, 31))])
>>> sorted(plan.codes["clinical_events"]), plan.route("m").kind
(['copd'], 'per_patient')
>>> plan.frame("m").rows.drivers == (copd.node,), plan.age_bounds[(q.age >= 40).node]
(True, ('ge', 40))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from qiloop.measures import model as m
from qiloop.measures.dates import REFERENCE, Interval, Offset, Window
from qiloop.measures.engine.conditions import age_bound, continuity_sum, drivers, nested_counts


@dataclass(frozen=True)
class Rows:
    """Where a condition can hold, found without evaluating it.

    ``drivers``: features at least one of which has a row wherever the condition holds (one: its rows are where
    to start; empty: no such set). ``prefilter``: the ``and``-parts that use no feature (age, sex), checked on
    population rows before any feature is joined. ``dated``: whether it compares with a reference date.
    """

    features: tuple[m.Node, ...]
    drivers: tuple[m.Node, ...]
    prefilter: tuple[m.Node, ...]
    dated: bool

    @property
    def scope(self) -> m.Node | None:
        """The one driving feature (the features joined to its rows need only its patients' rows), if one."""
        return self.drivers[0] if len(self.drivers) == 1 else None

    @property
    def candidates(self) -> tuple[tuple[m.Node, ...], ...] | None:
        """Several drivers: each is a branch the rows can come from (a row with none of them cannot hold)."""
        return tuple((d,) for d in self.drivers) if len(self.drivers) > 1 else None


@dataclass(frozen=True)
class FramePlan:
    """How a measure's per-patient frame is built (``Compiler.compile``).

    ``rows``: the denominator's. ``features``/``dated``: of every part of the measure. ``candidates``: when the
    denominator has several drivers, or is an ``or`` with none, the branches its rows can come from (each a
    driving feature or population conditions); None: one driver, or any row. ``store_driven``: the driver's rows
    are stored before other features are joined to them.
    """

    rows: Rows
    features: tuple[m.Node, ...]
    dated: bool
    candidates: tuple[tuple[m.Node, ...], ...] | None
    store_driven: bool


@dataclass(frozen=True)
class PerPatient:
    """Counted from the measure's per-patient frame, grouped and summed (any measure can be)."""

    kind: Literal["per_patient"] = "per_patient"
    needs_stored_rows: bool = False


@dataclass(frozen=True)
class ContinuitySum:
    """A continuity index summed over the patients who have one (``index >= 0``): see fast_counts."""

    query: m.AppointmentQuery
    index: str  # "upc" or "coc"
    kind: Literal["continuity_sum"] = "continuity_sum"
    needs_stored_rows: bool = True


@dataclass(frozen=True)
class NestedCounts:
    """Appointment counts over appointment counts, the numerator's a subset of the denominator's: each summed alone.

    ``tallied``: for the denominator and numerator, whether it is summed from an appointment tally.
    """

    denominator: m.AppointmentAggregate
    numerator: m.AppointmentAggregate
    tallied: tuple[bool, bool]
    kind: Literal["nested_counts"] = "nested_counts"

    @property
    def needs_stored_rows(self) -> bool:
        return any(self.tallied)


@dataclass(frozen=True)
class CountedBySets:
    """A true/false denominator with no feature (a prevalence) or an ``or``, counted as sets of rows.

    ``numerator``: ``rows`` (true/false: the rows where it holds), ``tally`` (appointments summed from a tally
    under the denominator's conditions) or ``sum`` (a count feature summed over the denominator's rows).
    """

    denominator: m.Node
    population_only: bool
    numerator: Literal["rows", "tally", "sum"]
    kind: Literal["counted_by_sets"] = "counted_by_sets"

    @property
    def needs_stored_rows(self) -> bool:
        return self.numerator == "tally"


Route = PerPatient | ContinuitySum | NestedCounts | CountedBySets


@dataclass(frozen=True)
class RunPlan:
    """Everything a run needs to know about its measures (see the module's docstring); immutable, no Ibis."""

    intervals: tuple[Interval, ...]
    breakdowns: tuple[str, ...]
    offsets: tuple[Offset, ...]
    codes: Mapping[str, frozenset[str]]
    code_lists: tuple[frozenset[str], ...]
    appointments: bool
    lead_cuts: tuple[int, ...]
    tally_conditions: tuple[tuple[m.Node, ...], ...]
    tally_dated: bool
    routes: Mapping[str, Route]
    frames: Mapping[str, FramePlan]
    conditions: Mapping[m.Node, Rows]
    features: Mapping[m.Node, tuple[m.Node, ...]]
    scopes: Mapping[m.Node, m.Node]
    age_bounds: Mapping[m.Node, tuple[str, int]]
    order: tuple[str, ...]

    def route(self, measure_id: str) -> Route:
        return self.routes[measure_id]

    def frame(self, measure_id: str) -> FramePlan:
        return self.frames[measure_id]

    def rows(self, condition: m.Node) -> Rows:
        """The planned rows of a condition the run counts as a set of rows (``Compiler.where``)."""
        return self.conditions[condition]

    def features_of(self, node: m.Node) -> tuple[m.Node, ...]:
        """The features a planned node (a measure part, a condition, an extra column) uses, in order."""
        return self.features[node]


def holds_at_most_one(intervals: Sequence[Interval], window: Window) -> bool:
    """Whether no date is in the window of two intervals: each window ends on or before the next one starts.

    Window bounds never decrease from one interval to the next, so windows that overlap at all overlap with the
    next interval's.
    """
    if window.after is None:
        return len(intervals) <= 1
    refs = [i.reference_date for i in intervals]
    return all(window.after.apply(b) >= window.until.apply(a) for a, b in zip(refs, refs[1:], strict=False))


def plan_run(
    measures: Iterable[m.Measure],
    intervals: Sequence[Interval],
    breakdowns: tuple[str, ...] = (),
    columns: Iterable[m.Node] = (),
) -> RunPlan:
    """The plan of a run of ``measures`` over ``intervals``; ``columns``: other nodes the run shows per patient."""
    walk = _Walk(tuple(intervals))
    measures = list(measures)
    for measure in measures:
        walk.measure(measure)
    for node in columns:
        walk.root(node)
    return walk.plan(tuple(breakdowns), measures)


class _Walk:
    """The one walk of a run's measures, collecting the plan's facts."""

    def __init__(self, intervals: tuple[Interval, ...]) -> None:
        self.intervals = intervals
        self.offsets: set[Offset] = {REFERENCE}
        self.codes: dict[str, set[str]] = {table: set() for table in m.EVENT_TABLES}
        self.lists: dict[frozenset[str], None] = {}
        self.appointments = False
        self.cuts: set[int] = set()
        self.features: dict[m.Node, tuple[m.Node, ...]] = {}
        self.dated: dict[m.Node, bool] = {}
        self.routes: dict[str, Route] = {}
        self.frames: dict[str, FramePlan] = {}
        self.conditions: dict[m.Node, Rows] = {}
        self.uses: dict[m.Node, set[m.Node | None]] = {}
        self.tally_conditions: dict[tuple[m.Node, ...], None] = {}
        self.continuity: set[str] = set()
        self.tally_dated = False

    def root(self, node: m.Node) -> None:
        """Collect the facts of one tree (once per distinct tree)."""
        if node in self.features:
            return
        found: dict[m.Node, None] = {}
        dated = False
        for n in m.walk(node):
            if isinstance(n, m.FEATURE_TYPES):
                found.setdefault(n, None)
                self._feature(n)
            elif isinstance(n, m.ReferenceDate):
                self.offsets.add(n.offset)
                dated = True
        self.features[node] = tuple(found)
        self.dated[node] = dated

    def _feature(self, n: m.Node) -> None:
        window = n.query.window if isinstance(n, (m.Aggregate, m.AppointmentAggregate)) else n.window  # type: ignore[attr-defined]
        self.offsets.update(window.offsets)
        for table, codes in m.coded(n):
            self.codes[table] |= codes.codes
            self.lists[frozenset(codes.codes)] = None
        if isinstance(n, m.AppointmentAggregate):
            self.appointments = True
            if n.query.min_lead_days is not None:
                self.cuts.add(n.query.min_lead_days - 1)  # lead ≥ k is lead > k − 1
            if n.query.max_lead_days is not None:
                self.cuts.add(n.query.max_lead_days)

    def rows(self, node: m.Node) -> Rows:
        self.root(node)
        prefilter = tuple(part for part in m.conjuncts(node) if not _features(part))
        return Rows(self.features[node], tuple(drivers(node)), prefilter, self.dated[node])

    def measure(self, measure: m.Measure) -> None:
        for node in measure.nodes():
            self.root(node)
        den = measure.denominator
        rows = self.rows(den)
        features = tuple(dict.fromkeys(f for node in measure.nodes() for f in self.features[node]))
        candidates = rows.candidates or (_or_candidates(den) if isinstance(den, m.Or) and not rows.drivers else None)
        store_driven = any(f != rows.scope for f in features)
        self.frames[measure.id] = FramePlan(rows, features, any(self.dated[n] for n in measure.nodes()),
                                            candidates, store_driven)  # fmt: skip
        route = self._route(measure, rows)
        self.routes[measure.id] = route
        if any(isinstance(f, m.AppointmentAggregate) and f.kind in ("upc", "coc") for f in features):
            self.continuity.add(measure.id)
        self._uses(measure, route, rows)

    def _route(self, measure: m.Measure, rows: Rows) -> Route:
        den, num = measure.denominator, measure.numerator
        if measure.exclusions is None and continuity_sum(den, num):
            assert isinstance(num, m.AppointmentAggregate)
            return ContinuitySum(num.query, num.kind)
        if measure.exclusions is None and nested_counts(den, num):
            assert isinstance(den, m.AppointmentAggregate) and isinstance(num, m.AppointmentAggregate)
            return NestedCounts(den, num, (self._tallied(den), self._tallied(num)))
        if measure.exclusions is not None or m.type_of(den) != "bool":
            return PerPatient()
        population_only = not rows.features
        if not population_only and not isinstance(den, m.Or):
            return PerPatient()
        if m.type_of(num) == "bool":
            return CountedBySets(den, population_only, "rows")
        if population_only and self._tallied(num):
            self.tally_conditions[rows.prefilter] = None
            self.tally_dated |= rows.dated
            return CountedBySets(den, population_only, "tally")
        if isinstance(num, (m.Aggregate, m.AppointmentAggregate)) and num.kind == "count":
            return CountedBySets(den, population_only, "sum")
        return PerPatient()

    def _tallied(self, node: m.Node) -> bool:
        """Whether a per-patient appointment count is summed from a tally (each appointment in one interval)."""
        return (
            isinstance(node, m.AppointmentAggregate)
            and node.kind == "count"
            and holds_at_most_one(self.intervals, node.query.window)
        )

    def _uses(self, measure: m.Measure, route: Route, rows: Rows) -> None:
        """Record under which driving feature each feature the route joins is used (for the scopes)."""
        if isinstance(route, CountedBySets):
            if not route.population_only:
                self._where(measure.denominator)
            if route.numerator == "rows":
                self._where(measure.numerator)
            else:
                self._use(measure.numerator, None)
        elif isinstance(route, NestedCounts):
            for count, tallied in zip((route.denominator, route.numerator), route.tallied, strict=True):
                if not tallied:
                    self._use(count, None)
        elif isinstance(route, PerPatient):
            for node in measure.nodes():
                self._use(node, rows.scope)

    def _where(self, node: m.Node) -> None:
        """Plan a condition counted as a set of rows (an ``or``: each branch)."""
        rows = self.rows(node)
        self.conditions[node] = rows
        if isinstance(node, m.Or):
            for branch in m.disjuncts(node):
                self._where(branch)
            return
        self._use(node, rows.scope)

    def _use(self, node: m.Node, scope: m.Node | None) -> None:
        self.root(node)
        for feature in self.features[node]:
            self.uses.setdefault(feature, set()).add(None if feature == scope else scope)

    def plan(self, breakdowns: tuple[str, ...], measures: list[m.Measure]) -> RunPlan:
        for table in m.EVENT_TABLES:  # each table's union of codes too: its relevant rows are filtered by it
            if self.codes[table]:
                self.lists[frozenset(self.codes[table])] = None
        scopes = {feature: next(iter(s)) for feature, s in self.uses.items() if len(s) == 1 and None not in s}
        prefilters = [r.prefilter for r in self.conditions.values()] + [f.rows.prefilter for f in self.frames.values()]
        bounds = {c: b for p in prefilters for c in p if (b := age_bound(c)) is not None}
        order = sorted((x.id for x in measures), key=lambda i: i not in self.continuity)
        return RunPlan(
            intervals=self.intervals,
            breakdowns=breakdowns,
            offsets=tuple(sorted(self.offsets)),
            codes=_frozen({t: frozenset(c) for t, c in self.codes.items()}),
            code_lists=tuple(self.lists),
            appointments=self.appointments,
            lead_cuts=tuple(sorted(self.cuts)),
            tally_conditions=tuple(self.tally_conditions),
            tally_dated=self.tally_dated,
            routes=_frozen(self.routes),
            frames=_frozen(self.frames),
            conditions=_frozen(self.conditions),
            features=_frozen(self.features),
            scopes=_frozen(scopes),
            age_bounds=_frozen(bounds),
            order=tuple(order),
        )


def _frozen(mapping: dict[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(mapping))


def _features(node: m.Node) -> list[m.Node]:
    return m.features(node)


def _or_candidates(den: m.Or) -> tuple[tuple[m.Node, ...], ...] | None:
    """Each branch's driving features (one candidate each), else its population conditions; None: any row."""
    branches: list[tuple[m.Node, ...]] = []
    for branch in m.disjuncts(den):
        found = drivers(branch)
        if found:
            branches.extend((d,) for d in found)
            continue
        population_only = tuple(part for part in m.conjuncts(branch) if not _features(part))
        if not population_only:
            return None  # a branch any row may satisfy
        branches.append(population_only)
    return tuple(branches)
