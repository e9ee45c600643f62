"""The bench's comparison of two results tables (Spark against DuckDB, qiloop against pandas)."""

from __future__ import annotations

import pandas as pd

from qiloop.bench.measures import _same_counts


def _results(rows):
    return pd.DataFrame(rows, columns=["measure", "interval_end", "practice_id", "numerator", "denominator"])


BASE = [
    ("pincer_a", "2026-03-31", "Q1", 3, 40),
    ("continuity_upc", "2026-03-31", "Q1", 12.345678901234567, 20),
]


def test_identical_results_agree():
    assert _same_counts(_results(BASE), _results(BASE)) == (True, 0)


def test_a_sum_of_fractions_added_in_another_order_agrees():
    other = [BASE[0], (*BASE[1][:3], BASE[1][3] * (1 + 3e-15), BASE[1][4])]
    assert _same_counts(_results(BASE), _results(other)) == (True, 0)


def test_a_count_off_by_one_differs():
    other = [("pincer_a", "2026-03-31", "Q1", 4, 40), BASE[1]]
    assert _same_counts(_results(BASE), _results(other)) == (False, 1)
    other = [("pincer_a", "2026-03-31", "Q1", 3, 41), BASE[1]]
    assert _same_counts(_results(BASE), _results(other)) == (False, 1)


def test_a_row_only_one_side_has_differs():
    assert _same_counts(_results(BASE), _results(BASE[:1])) == (False, 1)


def test_a_bad_spark_memory_is_refused_before_any_network_is_made(tmp_path, capsys, monkeypatch):
    from qiloop.cli import main

    monkeypatch.delenv("QILOOP_SPARK_DRIVER_MEMORY", raising=False)
    monkeypatch.delenv("QILOOP_DUCKDB_MEMORY_LIMIT", raising=False)  # the bench sets both; restored after
    argv = ["bench", "measures", "--patients", "50", "--engine", "spark", "--skip-pandas"]
    assert main([*argv, "--spark-memory", "lots", "--cache", str(tmp_path / "cache")]) == 1
    assert "QILOOP_SPARK_DRIVER_MEMORY='lots' is not a memory size (given by --spark-memory" in capsys.readouterr().err
    assert not (tmp_path / "cache").exists()
