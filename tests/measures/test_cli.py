"""``qiloop measures``: run, actions, list, describe, and clear errors for bad input."""

import pandas as pd
import pytest

from qiloop.cli import main
from qiloop.measures import registry
from qiloop.measures.language import age, appointments, measure, medications

from .spec import D, Store, write_duckdb

NSAID = measure(
    id="test_nsaid_65",
    title="Test: NSAID at 65 and over",
    denominator=age >= 65,
    numerator=medications(["n"]).in_last(months=3).exists(),
    low_is_good=True,
    why_it_matters="test measure",
)
DNA = measure(
    id="test_dna",
    title="Test: DNA rate",
    denominator=appointments().in_last(months=1).count(),
    numerator=appointments(status="did_not_attend").in_last(months=1).count(),
    low_is_good=True,
)


@pytest.fixture(autouse=True)
def registered_measures(monkeypatch):
    monkeypatch.setattr(registry, "_EXTRA", {NSAID.id: NSAID, DNA.id: DNA})


@pytest.fixture
def store_path(tmp_path):
    store = Store()
    for pid in range(1, 11):
        store.patient(pid, dob=D(1940, 1, 1))
        if pid <= 9:
            store.med(pid, D(2024, 2, 1), "n")
    store.appointment(1, D(2024, 2, 1), status="did_not_attend")
    path = tmp_path / "store.duckdb"
    write_duckdb(store, path)
    return path


def test_run_writes_results(store_path, tmp_path, capsys):
    out = tmp_path / "results.parquet"
    code = main(["measures", "run", "--store", str(store_path), "--out", str(out), "--measure", "test_nsaid_65",
                 "--from", "2024-01", "--to", "2024-03"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    results = pd.read_parquet(out)
    assert results["numerator"].tolist() == [0, 9, 9]
    assert results["denominator"].tolist() == [10, 10, 10]


def test_run_network_aggregate_applies_disclosure_control(store_path, tmp_path):
    out = tmp_path / "results.csv"
    code = main(["measures", "run", "--store", str(store_path), "--out", str(out), "--measure", "test_nsaid_65",
                 "--from", "2024-02", "--to", "2024-02", "--aggregate", "network"])  # fmt: skip
    assert code == 0
    results = pd.read_csv(out)
    assert results["practice_id"].tolist() == ["A", "network"]
    assert results["numerator"].tolist() == [10, 10]  # 9 rounds to 10
    assert results["denominator"].tolist() == [10, 10]


def test_run_default_range_ends_at_latest_data(store_path, tmp_path):
    out = tmp_path / "results.parquet"
    assert main(["measures", "run", "--store", str(store_path), "--out", str(out), "--measure", "test_dna"]) == 0
    results = pd.read_parquet(out)
    assert len(results) == 12 and str(results["interval_end"].iloc[-1])[:10] == "2024-02-29"


def test_unknown_measure_suggests_close_matches(store_path, tmp_path, capsys):
    code = main(["measures", "run", "--store", str(store_path), "--out", str(tmp_path / "r.parquet"),
                 "--measure", "test_nsaid65"])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "unknown measure 'test_nsaid65'" in err and "did you mean test_nsaid_65" in err


def test_from_after_to_is_an_error(store_path, tmp_path, capsys):
    code = main(["measures", "run", "--store", str(store_path), "--out", str(tmp_path / "r.parquet"),
                 "--measure", "test_dna", "--from", "2024-05", "--to", "2024-01"])  # fmt: skip
    assert code == 1
    assert "after it ends" in capsys.readouterr().err


def test_range_without_data_is_an_error(store_path, tmp_path, capsys):
    code = main(["measures", "run", "--store", str(store_path), "--out", str(tmp_path / "r.parquet"),
                 "--measure", "test_dna", "--from", "1990-01", "--to", "1990-03"])  # fmt: skip
    assert code == 1
    assert "no one is registered" in capsys.readouterr().err


def test_missing_table_is_named(tmp_path, capsys):
    store = Store().patient(1)
    store.rows.pop("appointments")
    path = tmp_path / "no_appointments.duckdb"
    write_duckdb(store, path)
    code = main(["measures", "run", "--store", str(path), "--out", str(tmp_path / "r.parquet"),
                 "--measure", "test_dna", "--from", "2024-01", "--to", "2024-01"])  # fmt: skip
    assert code == 1
    assert "needs the appointments table" in capsys.readouterr().err


def test_missing_store(tmp_path, capsys):
    code = main(["measures", "run", "--store", str(tmp_path / "nope.duckdb"), "--out", str(tmp_path / "r.parquet")])
    assert code == 1
    assert "no store at" in capsys.readouterr().err


def test_actions_csv_lists_the_numerator_when_low_is_good(store_path, capsys):
    code = main(["measures", "actions", "test_nsaid_65", "--store", str(store_path), "--practice", "A",
                 "--on", "2024-02", "--csv"])  # fmt: skip
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "patient_id"
    assert [line.split(",")[0] for line in lines[1:]] == [str(pid) for pid in range(1, 10)]  # the 9 on an NSAID


def test_actions_prints_the_header_sentence_then_the_list(store_path, capsys):
    code = main(["measures", "actions", "test_dna", "--store", str(store_path), "--practice", "A"])
    assert code == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Action list for A, February 2024: Test: DNA rate"
    assert out[1].startswith("1 patient counted as a problem by “Test: DNA rate” — ")
    assert out[3].startswith("Patient (pseudonymous id)") and out[4].strip() == "1"


def test_actions_for_a_month_outside_the_data_names_the_months_there_are(store_path, capsys):
    code = main(["measures", "actions", "test_nsaid_65", "--store", str(store_path), "--practice", "A",
                 "--on", "2026-03"])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "there are no data for March 2026: the data run from February 2024 to February 2024" in err
    assert "--on 2024-02" in err


def test_list_and_describe(capsys):
    assert main(["measures", "list"]) == 0
    assert "test_dna" in capsys.readouterr().out
    assert main(["measures", "describe", "test_nsaid_65"]) == 0
    out = capsys.readouterr().out
    assert "numerator:   any inline: n issues in the last 3 months" in out
    assert "why it matters: test measure" in out
    assert "action list: lists the patients in the numerator (low is good" in out


def test_running_out_of_memory_says_what_to_do_and_writes_nothing(store_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("QILOOP_DUCKDB_MEMORY_LIMIT", "1KB")
    out = tmp_path / "r.parquet"
    code = main(["measures", "run", "--store", str(store_path), "--out", str(out), "--measure", "test_nsaid_65",
                 "--from", "2024-01", "--to", "2024-03"])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "DuckDB ran out of memory" in err and "memory limit: 1KB" in err
    assert "QILOOP_DUCKDB_MEMORY_LIMIT" in err and "no results were written" in err
    assert not out.exists()


def test_a_memory_limit_duckdb_cannot_read_is_named(store_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("QILOOP_DUCKDB_MEMORY_LIMIT", "lots")
    code = main(["measures", "run", "--store", str(store_path), "--out", str(tmp_path / "r.parquet"),
                 "--measure", "test_nsaid_65", "--from", "2024-01", "--to", "2024-03"])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "QILOOP_DUCKDB_MEMORY_LIMIT='lots'" in err and "such as 6GB" in err


def test_study_index_dates_are_the_day_after_each_pincer_month_and_empty_for_other_measures(
    store_path, tmp_path, monkeypatch, capsys
):
    pincer_like = measure(
        id="test_pincer_like",
        title="Test: a PINCER indicator",
        denominator=age >= 65,
        numerator=medications(["n"]).in_last(months=3).exists(),
        low_is_good=True,
        source_indicator="PINCER (test) indicator X",
    )
    monkeypatch.setattr(registry, "_EXTRA", {NSAID.id: NSAID, DNA.id: DNA, pincer_like.id: pincer_like})
    out = tmp_path / "results.csv"
    code = main(["measures", "run", "--store", str(store_path), "--out", str(out), "--measure", "test_pincer_like",
                 "--measure", "test_dna", "--from", "2023-12", "--to", "2024-02", "--study-index-dates"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    results = pd.read_csv(out, dtype=str, keep_default_na=False)
    pincer = results[results["measure"] == "test_pincer_like"].sort_values("interval_end")
    # Hand-worked: December's last day 31 Dec 2023 -> 1 Jan 2024; leap February 29 Feb 2024 -> 1 Mar 2024.
    assert pincer["study_index_date"].str[:10].tolist() == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert set(results.loc[results["measure"] == "test_dna", "study_index_date"]) == {""}


def test_study_index_dates_refuse_financial_years(store_path, tmp_path, capsys):
    out = tmp_path / "results.csv"
    code = main(["measures", "run", "--store", str(store_path), "--out", str(out), "--measure", "test_nsaid_65",
                 "--intervals", "financial_year", "--study-index-dates"])  # fmt: skip
    assert code != 0
    assert "monthly intervals" in capsys.readouterr().err
    assert not out.exists()
