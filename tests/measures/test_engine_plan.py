"""The run plan: one walk of the run's measures, no Ibis in it, and routes that never switch off silently."""

import dataclasses
import datetime as dt
from collections.abc import Mapping

import ibis.expr.types as ir
import pytest

from qiloop.measures import language as q
from qiloop.measures import model
from qiloop.measures.dates import Offset, Window, intervals_between
from qiloop.measures.engine.compiler import Compiler, RowsNotStored
from qiloop.measures.engine.connection import open_store
from qiloop.measures.engine.plan import holds_at_most_one, plan_run
from qiloop.measures.registry import all_measures
from qiloop.measures.run import parse_month

from .spec import D, Store

PERIODS = intervals_between(parse_month("2024-01"), parse_month("2024-03", end=True), "monthly")

VISITS = q.appointments().where(status=["attended"])
CONTINUITY = q.measure(id="upc", title="t", denominator=VISITS.upc() >= 0, numerator=VISITS.upc(), low_is_good=False)
THIS_MONTH = q.appointments().in_last(months=1)
PER_1000 = q.measure(id="per_1000", title="t", denominator=q.age >= 0, numerator=THIS_MONTH.count(), low_is_good=False)
DNA = q.measure(
    id="dna",
    title="t",
    denominator=THIS_MONTH.count(),
    numerator=THIS_MONTH.where(status=["did_not_attend"]).count(),
    low_is_good=True,
)
COPD = q.clinical_events(["copd"]).exists()
REVIEWED = q.clinical_events(["review"]).in_last(months=12).exists()
ON_COPD = q.measure(id="copd", title="t", denominator=COPD & (q.age >= 40), numerator=REVIEWED, low_is_good=False)
EITHER = q.measure(id="either", title="t", denominator=COPD | (q.age >= 80), numerator=REVIEWED, low_is_good=False)


def _objects(value):
    """Every value inside a plan: dataclass fields, mapping keys and values, tuple and set items."""
    yield value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _objects(getattr(value, f.name))
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _objects(k)
            yield from _objects(v)
    elif isinstance(value, (tuple, list, set, frozenset)):
        for item in value:
            yield from _objects(item)


def test_the_plan_of_the_whole_library_holds_no_ibis_objects():
    plan = plan_run(all_measures().values(), PERIODS, ("sex", "age_band"))
    assert not [o for o in _objects(plan) if isinstance(o, (ir.Expr, ir.Table))]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.offsets = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        plan.routes["x"] = plan.routes[next(iter(plan.routes))]  # type: ignore[index]


def test_each_measure_is_routed_once_by_its_shape():
    plan = plan_run([CONTINUITY, PER_1000, DNA, ON_COPD, EITHER], PERIODS)
    kinds = {mid: plan.route(mid).kind for mid in ("upc", "per_1000", "dna", "copd", "either")}
    assert kinds == {
        "upc": "continuity_sum",
        "per_1000": "counted_by_sets",
        "dna": "nested_counts",
        "copd": "per_patient",
        "either": "counted_by_sets",
    }
    assert plan.route("per_1000").numerator == "tally"  # "this month": each appointment in one interval
    assert plan.tally_conditions == ((PER_1000.denominator,),)
    assert plan.order[0] == "upc"  # continuity first: it needs the most working memory
    assert plan.frame("copd").rows.drivers == (COPD.node,)
    assert REVIEWED.node not in plan.scopes  # also used unscoped, as "either"'s numerator
    assert plan_run([ON_COPD], PERIODS).scopes[REVIEWED.node] == COPD.node


def test_after_the_plan_nothing_walks_the_measures(monkeypatch):
    """The compiler reads the plan: with the model's tree walk broken, every library measure still compiles."""
    measures = list(all_measures().values())
    plan = plan_run(measures, PERIODS, ("sex",))

    def no_walk(node):
        raise AssertionError(f"walked {node!r} after planning")

    monkeypatch.setattr(model, "walk", no_walk)
    store = Store().patient(1)
    store.event(1, D(2024, 1, 1), "x").med(1, D(2024, 1, 1), "y").appointment(1, D(2024, 1, 5))
    compiler = Compiler(open_store(store.tables()), list(PERIODS), plan=plan)
    compiler.cache_relevant_rows()
    for measure in measures:
        assert set(compiler.counts(measure, ("sex",)).columns) >= {"numerator", "denominator"}


def test_a_fast_count_is_refused_until_the_rows_are_stored():
    """A continuity sum reads stored rows: asked for before ``cache_relevant_rows`` it is refused, never slowed."""
    store = Store().patient(1).patient(2)
    for day in (D(2024, 1, 5), D(2024, 2, 5), D(2024, 3, 5)):
        store.appointment(1, day, clinician="c1").appointment(2, day, clinician="c2")
    compiler = Compiler(open_store(store.tables()), list(PERIODS), [CONTINUITY, ON_COPD])
    compiler.counts(ON_COPD, ())  # the per-patient route needs nothing stored
    with pytest.raises(RowsNotStored, match=r"'upc'.*continuity_sum.*cache_relevant_rows"):
        compiler.counts(CONTINUITY, ())
    compiler.cache_relevant_rows()
    counted = compiler.counts(CONTINUITY, ()).to_pandas().sort_values("interval_id")
    # January: one appointment each, no index; February and March: each patient always sees one clinician
    assert counted["interval_id"].tolist() == [1, 2]
    assert counted["denominator"].tolist() == [2, 2]
    assert counted["numerator"].tolist() == [2.0, 2.0]


@pytest.mark.parametrize("kind", ["monthly", "financial_year"])
@pytest.mark.parametrize(
    "window",
    [
        Window(after=Offset(months=1)),
        Window(after=Offset(months=2)),
        Window(after=Offset(days=30)),
        Window(after=Offset(days=31)),
        Window(after=Offset(months=12)),
        Window(after=Offset.since(8, 1)),
        Window(until=Offset(months=1), after=Offset(months=2)),
        Window(),
    ],
)
def test_a_window_holds_each_date_at_most_once_exactly_when_no_day_is_in_two(kind, window):
    intervals = intervals_between(D(2023, 1, 1), D(2025, 12, 31), kind)
    first = intervals[0].reference_date - dt.timedelta(days=400)
    days = [first + dt.timedelta(days=k) for k in range((intervals[-1].reference_date - first).days + 1)]
    most = max(sum(window.contains(day, i.reference_date) for i in intervals) for day in days)
    assert holds_at_most_one(intervals, window) == (most <= 1)
