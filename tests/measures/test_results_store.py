"""qiloop.measures.results_store: the results files the workbench reads, computed once per store and measures."""

from __future__ import annotations

import datetime as dt
import doctest
import json
import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from qiloop.measures import results_store
from qiloop.measures.results_store import (
    BREAKDOWNS,
    by_each_breakdown,
    compute_results,
    data_months,
    data_start,
    months_to_compute,
    read_results,
    up_to_date,
)


def test_the_doctests() -> None:
    assert doctest.testmod(results_store).failed == 0


def _crossed() -> pd.DataFrame:
    """One measure, one practice, one month, crossed by every breakdown: four cells worked by hand below."""
    cells = [
        # age_band, sex, ethnicity, imd_quintile, numerator, denominator
        ("18-29", "F", "White", "1", 1, 4),
        ("18-29", "M", "White", "2", 0, 2),
        ("80+", "F", "Asian", "1", 3, 6),
        ("80+", "M", "unknown", "unknown", 0, 0),  # the engine writes "unknown" for missing
    ]
    rows = [
        {
            "measure": "m",
            "interval_start": "2026-03-01",
            "interval_end": "2026-03-31",
            "practice_id": "A1",
            "age_band": a,
            "sex": s,
            "ethnicity": e,
            "imd_quintile": q,
            "numerator": n,
            "denominator": d,
        }
        for a, s, e, q, n, d in cells
    ]
    return pd.DataFrame(rows)


def test_each_breakdown_sums_the_others_away() -> None:
    out = by_each_breakdown(_crossed())
    assert list(out["breakdown"].unique()) == list(BREAKDOWNS)
    got = {(r.breakdown, r.group): (r.numerator, r.denominator) for r in out.itertuples()}
    assert got == {
        ("age_band", "18-29"): (1, 6),
        ("age_band", "80+"): (3, 6),
        ("sex", "F"): (4, 10),
        ("sex", "M"): (0, 2),
        ("ethnicity", "White"): (1, 6),
        ("ethnicity", "Asian"): (3, 6),
        ("ethnicity", "unknown"): (0, 0),
        ("imd_quintile", "1"): (4, 10),
        ("imd_quintile", "2"): (0, 2),
        ("imd_quintile", "unknown"): (0, 0),
    }
    ratios = {(r.breakdown, r.group): r.ratio for r in out.itertuples()}
    assert ratios[("sex", "F")] == pytest.approx(0.4)
    assert ratios[("age_band", "18-29")] == pytest.approx(1 / 6)
    assert math.isnan(ratios[("imd_quintile", "unknown")]), "no ratio when the denominator is 0"
    assert list(out.columns[:6]) == ["measure", "interval_start", "interval_end", "practice_id", "breakdown", "group"]


@pytest.mark.parametrize(
    ("earliest", "last", "months", "expected"),
    [
        # five demo years: the first twelve months only fill the look-back windows
        (dt.date(2021, 4, 1), dt.date(2026, 3, 1), 60, dt.date(2022, 4, 1)),
        # long history: at most ``months`` months
        (dt.date(2010, 1, 1), dt.date(2026, 3, 1), 60, dt.date(2021, 4, 1)),
        (dt.date(2010, 1, 1), dt.date(2026, 3, 1), 6, dt.date(2025, 10, 1)),
        # a short extract still gives two months
        (dt.date(2025, 10, 1), dt.date(2026, 3, 1), 60, dt.date(2026, 2, 1)),
    ],
)
def test_the_months_computed(earliest: dt.date, last: dt.date, months: int, expected: dt.date) -> None:
    assert months_to_compute(earliest, last, months) == (expected, last)


def _events_store(path: Path, *, steady: bool) -> Path:
    """Events from January 2025 to March 2026 (when ``steady``), a reading dated after the extract was taken and
    one from 2003."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE clinical_events (patient_id BIGINT, date DATE, snomedct_code VARCHAR)")
    if steady:
        con.execute(
            "INSERT INTO clinical_events SELECT i % 50, DATE '2025-01-01' + (i % 455)::INTEGER, 'x' "
            "FROM range(4000) t(i)"
        )
        con.execute("INSERT INTO clinical_events VALUES (7, DATE '2026-04-20', 'x'), (8, DATE '2003-06-01', 'x')")
    con.close()
    return path


def test_data_months_are_the_earnest_ones(tmp_path: Path) -> None:
    store = _events_store(tmp_path / "store.duckdb", steady=True)
    assert data_months(store) == (dt.date(2025, 1, 1), dt.date(2026, 3, 1))


def test_a_store_with_no_dated_rows_gives_this_month(tmp_path: Path) -> None:
    this_month = dt.date.today().replace(day=1)
    assert data_months(_events_store(tmp_path / "empty.duckdb", steady=False)) == (this_month, this_month)


def test_data_start_comes_from_the_manifest() -> None:
    assert data_start({"data_start": "2021-04", "start": "2022-04"}) == dt.date(2021, 4, 1)
    assert data_start({"start": "2022-01"}) == dt.date(2021, 1, 1), "older manifests: a look-back before start"
    assert data_start({}) is None


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from qiloop.demo import build_demo

    folder = tmp_path_factory.mktemp("tiny")
    build_demo(folder, practices=1, patients=150, fresh=True, say=lambda _text: None)
    return folder / "store.duckdb"


def test_results_are_computed_once_and_read_back(tiny_store: Path, tmp_path: Path) -> None:
    directory = tmp_path / "results"
    said: list[str] = []
    assert not up_to_date(tiny_store, directory, ["dna_rate"])
    first = compute_results(tiny_store, directory, measure_ids=["dna_rate"], say=said.append)
    assert first.computed and first.measures == 1 and first.rows > 0
    assert up_to_date(tiny_store, directory, ["dna_rate"])
    assert not up_to_date(tiny_store, directory), "results of one measure are not those of the whole library"
    again = compute_results(tiny_store, directory, measure_ids=["dna_rate"], say=said.append)
    assert not again.computed and "up to date" in said[-1]

    results, breakdowns, manifest = read_results(directory)
    assert len(results) == first.rows
    assert pd.api.types.is_datetime64_any_dtype(results["interval_start"])
    earliest, last = data_months(tiny_store)
    start, end = months_to_compute(earliest, last)
    assert (manifest["start"], manifest["end"]) == (f"{start:%Y-%m}", f"{end:%Y-%m}")
    assert manifest["data_start"] == f"{earliest:%Y-%m}"
    assert set(breakdowns["breakdown"]) == set(BREAKDOWNS)
    assert set(breakdowns["interval_start"].astype(str).str[:7]) == {manifest["end"]}, "breakdowns: latest month"
    # every breakdown of a practice adds up to the same latest-month totals as the results table
    latest = results[results["interval_start"] == results["interval_start"].max()]
    for _name, table in breakdowns.groupby("breakdown"):
        assert table["denominator"].sum() == latest["denominator"].sum()
        assert table["numerator"].sum() == latest["numerator"].sum()

    manifest["digest"] = "from another store"
    (directory / "manifest.json").write_text(json.dumps(manifest))
    assert not up_to_date(tiny_store, directory, ["dna_rate"])
