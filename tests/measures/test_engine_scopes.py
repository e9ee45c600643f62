"""Features built from the driving feature's patients only (scopes), and the counting queries' join order."""

from concurrent.futures import ThreadPoolExecutor

import duckdb
import pandas as pd
import pytest

from qiloop.measures import language as q
from qiloop.measures.dates import intervals_between
from qiloop.measures.engine.compiler import Compiler, distinct_union
from qiloop.measures.engine.connection import open_store
from qiloop.measures.engine.plan import plan_run
from qiloop.measures.run import parse_month

from .spec import D, Store, counts, run_checked

HAS_S1 = q.clinical_events(["s1"]).exists()
HAS_S3 = q.clinical_events(["s3"]).exists()
RECENT_S2 = q.clinical_events(["s2"]).in_last(months=12).exists()
LOW_S4 = q.clinical_events(["s4"]).in_last(months=12).latest_value() <= 5

ON_S1 = q.measure(id="on_s1", title="t", denominator=HAS_S1 & (q.age >= 18), numerator=LOW_S4, low_is_good=False)
ALSO_S1 = q.measure(id="also_s1", title="t", denominator=HAS_S1, numerator=RECENT_S2, low_is_good=False)
ON_S3 = q.measure(id="on_s3", title="t", denominator=HAS_S3, numerator=RECENT_S2, low_is_good=False)


def _store() -> Store:
    store = Store()
    for pid in (1, 2, 3, 4):
        store.patient(pid)
    store.event(1, D(2020, 1, 1), "s1").event(1, D(2024, 1, 5), "s4", 4.0).event(1, D(2024, 2, 1), "s2")
    store.event(2, D(2020, 1, 1), "s1").event(2, D(2024, 1, 5), "s4", 9.0)
    # patients 3 and 4 have no s1: their s4 values and s2 codes are outside the s1 measures' scope
    store.event(3, D(2020, 1, 1), "s3").event(3, D(2024, 1, 5), "s4", 1.0).event(3, D(2024, 2, 1), "s2")
    store.event(4, D(2024, 1, 5), "s4", 2.0).event(4, D(2024, 2, 1), "s2")
    return store


PERIODS = intervals_between(parse_month("2024-03"), parse_month("2024-03", end=True), "monthly")


def _scope_plan(measures):
    return plan_run(measures, PERIODS).scopes


def test_a_feature_used_only_under_one_driver_is_scoped_to_it():
    plan = _scope_plan([ON_S1, ALSO_S1])
    latest_s4 = LOW_S4.node.left
    assert plan[latest_s4] == HAS_S1.node
    assert plan[RECENT_S2.node] == HAS_S1.node
    assert HAS_S1.node not in plan  # the driver itself is built from everyone's rows


def test_a_feature_used_under_two_drivers_is_not_scoped():
    plan = _scope_plan([ALSO_S1, ON_S3])
    assert RECENT_S2.node not in plan


def test_a_scoped_feature_table_holds_the_drivers_patients_only():
    tables = _store().tables()
    store = open_store(tables)
    periods = intervals_between(parse_month("2024-03"), parse_month("2024-03", end=True), "monthly")
    compiler = Compiler(store, periods, [ON_S1])
    compiler.cache_relevant_rows()
    compiler.compile(ON_S1)
    latest_s4 = LOW_S4.node.left
    table, _ = compiler.feature(latest_s4, HAS_S1.node)
    assert sorted(table.to_pandas()["patient_id"]) == [1, 2]
    unscoped, _ = compiler.feature(latest_s4)  # asked for without the scope: everyone's rows, a separate table
    assert sorted(unscoped.to_pandas()["patient_id"]) == [1, 2, 3, 4]


@pytest.mark.parametrize("measures", [[ON_S1, ALSO_S1], [ALSO_S1, ON_S3], [ON_S1, ALSO_S1, ON_S3]])
def test_scoped_and_unscoped_features_give_the_reference_results(measures):
    results = run_checked(_store(), measures)
    by_id = {m: counts(results[results["measure"] == m]) for m in results["measure"].unique()}
    expected = {"on_s1": (1, 2), "also_s1": (1, 2), "on_s3": (1, 1)}
    assert by_id == {m.id: expected[m.id] for m in measures}


def test_a_distinct_union_removes_duplicates_across_and_within_tables():
    con = open_store({"patients": pd.DataFrame({"patient_id": [1, 1, 2], "sex": ["F", "F", "M"]})})
    t = con.table("patients").select("patient_id", "sex")
    other = t.filter(t.sex == "M")
    got = distinct_union([t, other, t]).to_pandas().sort_values("patient_id")
    assert got["patient_id"].tolist() == [1, 2]


def test_counting_queries_restore_the_optimiser_even_when_they_fail():
    store = open_store({"patients": pd.DataFrame({"patient_id": [1, 2], "sex": ["F", "M"]})})
    raw = store.con.con

    def disabled() -> str:
        return raw.execute("select current_setting('disabled_optimizers')").fetchone()[0]

    before = disabled()
    frame = store.count('select count(*) as n from "patients"')
    assert frame["n"].tolist() == [2]
    assert disabled() == before
    with pytest.raises(duckdb.Error):
        store.count('select cast(sex as integer) from "patients"')
    assert disabled() == before
    with ThreadPoolExecutor(1) as executor:  # as the run uses it: queued on the runner
        runner = store.start_queue(executor)
        future = runner.submit("counts test", store.count, 'select sum(patient_id) as s from "patients"')
        store.runner = None
    assert future.result()["s"].tolist() == [3]
