"""Feature tables stored on the runner thread: typed as Ibis types them, failures reported when settled."""

from concurrent.futures import ThreadPoolExecutor

import duckdb
import pandas as pd
import pytest

from qiloop.measures.engine.connection import open_store


def _store():
    return open_store({"patients": pd.DataFrame({"patient_id": [1, 2, 2], "sex": ["F", "M", "M"]})})


def test_a_table_stored_on_the_runner_has_the_types_ibis_gives_it():
    store = _store()
    t = store.table("patients")
    expr = t.group_by("sex").aggregate(total=t.patient_id.sum())  # DuckDB alone would store HUGEINT
    with ThreadPoolExecutor(1) as executor:
        runner = store.start_queue(executor)
        stored = store.materialize("qiloop_test_sums", expr)
        store.runner = None
    runner.settle()
    real = store.con.get_schema("qiloop_test_sums")
    assert {c: t.copy(nullable=True) for c, t in real.items()} == dict(stored.schema().items())
    assert str(real["total"]) == "int64"
    got = stored.to_pandas().sort_values("sex").reset_index(drop=True)
    assert got.to_dict("list") == {"sex": ["F", "M"], "total": [1, 4]}


def test_a_failed_statement_on_the_runner_is_raised_when_settled():
    store = _store()
    t = store.table("patients")
    broken = t.select(bad=(t.sex.cast("int64")))  # 'F' is not a number: fails only when DuckDB runs it
    with ThreadPoolExecutor(1) as executor:
        runner = store.start_queue(executor)
        store.materialize("qiloop_test_broken", broken)
        store.runner = None
    with pytest.raises(duckdb.Error):
        runner.settle()
    runner.settle()  # reported once, then the queue is empty


def test_qiloop_profile_names_each_statement_and_its_time(monkeypatch, capsys):
    store = _store()
    t = store.table("patients")
    monkeypatch.setenv("QILOOP_PROFILE", "1")
    with ThreadPoolExecutor(1) as executor:
        runner = store.start_queue(executor)
        runner.context = "some_measure"
        store.materialize("qiloop_test_profiled", t.group_by("sex").aggregate(n=t.count()))
        store.runner = None
    runner.settle()
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("profile")]
    assert len(lines) == 1
    seconds, label = lines[0].removeprefix("profile").split(" s  ")
    assert float(seconds) >= 0
    assert label == "qiloop_test_profiled (some_measure)"


def test_without_qiloop_profile_nothing_is_printed(monkeypatch, capsys):
    store = _store()
    t = store.table("patients")
    monkeypatch.delenv("QILOOP_PROFILE", raising=False)
    with ThreadPoolExecutor(1) as executor:
        runner = store.start_queue(executor)
        store.materialize("qiloop_test_quiet", t.select("sex"))
        store.runner = None
    runner.settle()
    assert "profile" not in capsys.readouterr().err


def test_stored_tables_are_dropped_after_the_last_statement_that_uses_them():
    store = _store()
    t = store.table("patients")
    with ThreadPoolExecutor(1) as executor:
        runner = store.start_queue(executor)
        first = store.materialize("qiloop_test_first", t.select("patient_id", "sex"))
        store.materialize("qiloop_test_second", first.filter(first.sex == "M"))
        store.materialize("qiloop_test_unused", t.select("sex"))
        counted = runner.submit("count", store.fetch, 'select count(*) as n from "qiloop_test_second"')
        again = runner.submit("again", store.fetch, 'select count(*) as n from "qiloop_test_second"')
        runner.plan_drops()
        store.runner = None
    runner.settle()
    assert counted.result()["n"].tolist() == [2]
    assert again.result()["n"].tolist() == [2]  # its last use: still there
    left = set(store.con.con.execute("select table_name from duckdb_tables() where temporary").df()["table_name"])
    assert not left & {"qiloop_test_first", "qiloop_test_second", "qiloop_test_unused"}


def test_without_a_plan_nothing_is_dropped():
    store = _store()
    t = store.table("patients")
    with ThreadPoolExecutor(1) as executor:
        runner = store.start_queue(executor)
        store.materialize("qiloop_test_kept", t.select("sex"))
        store.runner = None
    runner.settle()
    left = set(store.con.con.execute("select table_name from duckdb_tables() where temporary").df()["table_name"])
    assert "qiloop_test_kept" in left
