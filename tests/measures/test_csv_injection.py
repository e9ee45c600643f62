"""``qiloop measures run --out X.csv`` and ``measures actions --csv`` write formula-like cells as text (OWASP)."""

import csv
import io

import pandas as pd
import pytest

from qiloop.cli import main
from qiloop.measures import registry
from qiloop.measures.language import age, measure, medications

from .spec import D, Store, write_duckdb

FORMULA = '=HYPERLINK("http://evil.example/","Click")'
NSAID_3M = medications(["n"]).in_last(months=3).exists()
NSAID = measure(
    id="test_nsaid_65_csv",
    title="Test: NSAID at 65 and over",
    denominator=age >= 65,
    numerator=medications(["n"]).in_last(months=3).exists(),
    low_is_good=True,
    why_it_matters="test measure",
)


@pytest.fixture(autouse=True)
def registered_measures(monkeypatch):
    monkeypatch.setattr(registry, "_EXTRA", {NSAID.id: NSAID})


@pytest.fixture
def store_path(tmp_path):
    """A store whose imported practice identifier is a formula."""
    store = Store()
    for pid in range(1, 11):
        store.patient(pid, dob=D(1940, 1, 1), practice=FORMULA)
        store.med(pid, D(2024, 2, 1), "n")
    path = tmp_path / "store.duckdb"
    write_duckdb(store, path)
    return path


def test_measure_results_csv_neutralises_an_imported_identifier(store_path, tmp_path, capsys):
    out = tmp_path / "results.csv"
    code = main(["measures", "run", "--store", str(store_path), "--out", str(out), "--measure", NSAID.id,
                 "--from", "2024-02", "--to", "2024-02"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    rows = list(csv.DictReader(out.open(newline="")))
    assert rows and {r["practice_id"] for r in rows} == {"'" + FORMULA}
    assert all(int(r["denominator"]) == 10 for r in rows)  # numbers stay numbers


def test_action_list_csv_neutralises_a_code(store_path, monkeypatch, capsys):
    import datetime as dt

    from qiloop.measures.actions import ActionList
    from qiloop.measures.language import action_spec, sex

    coded = measure(
        id="coded", title="Coded", denominator=age >= 65, numerator=NSAID_3M, low_is_good=True,
        action_list=action_spec(who="coded", action="review", columns={"Last code": sex}, order_by="Last code",
                                order="by code"),
    )  # fmt: skip
    table = pd.DataFrame({"patient_id": [3, 4], "Last code": [FORMULA, "-5"]})
    listed = ActionList(coded, "A", dt.date(2024, 2, 29), 10, table)
    monkeypatch.setattr("qiloop.measures.actions.compute_action_list", lambda *a, **k: listed)
    assert main(["measures", "actions", NSAID.id, "--store", str(store_path), "--practice", "A",
                 "--csv"]) == 0  # fmt: skip
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [["patient_id", "Last code"], ["3", "'" + FORMULA], ["4", "-5"]]  # a plain number stays one
