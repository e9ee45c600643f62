"""Every library measure for every practice and month, computed once into a folder of results files.

``compute_results(store, directory)`` runs the library's measures over the analytics store and writes, in
``directory``:

* ``results.parquet`` — the long results table (one row per measure, practice, month);
* ``breakdowns.parquet`` — the latest month by age band, sex, ethnicity and deprivation
  (one row per measure, practice, breakdown and group);
* ``manifest.json`` — what the results were computed from: the store's tables
  (their source checksums) and every measure's version and code-list versions,
  the months computed (``start``, ``end``) and the month the data start in earnest
  (``data_start``).

A later call recomputes only when that fingerprint has changed; :func:`read_results` reads the three files
back. The workbench (``qiloop_web.dashboard.results``) keeps what it read in memory; nothing here knows it.

>>> import pandas as pd
>>> crossed = pd.DataFrame({
...     "measure": ["m", "m"], "interval_start": ["2026-03-01"] * 2, "interval_end": ["2026-03-31"] * 2,
...     "practice_id": ["A1", "A1"], "age_band": ["18-29", "80+"], "sex": ["F", "F"],
...     "ethnicity": ["White", "Asian"], "imd_quintile": ["1", "1"], "numerator": [1, 3], "denominator": [4, 6]})
>>> by_sex = by_each_breakdown(crossed).query("breakdown == 'sex'")
>>> by_sex[["group", "numerator", "denominator", "ratio"]].to_dict("records")
[{'group': 'F', 'numerator': 4, 'denominator': 10, 'ratio': 0.4}]
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from qiloop.measures.breakdowns import BREAKDOWNS
from qiloop.measures.registry import all_measures
from qiloop.measures.results import ratio
from qiloop.measures.run import run_measures
from qiloop.months import shift_month
from qiloop.records.data_span import RULE_VERSION as DATA_SPAN_RULE
from qiloop.records.data_span import data_span
from qiloop.records.store import read_store_info

BREAKDOWN_NAMES = {"age_band": "Age band", "sex": "Sex", "ethnicity": "Ethnicity", "imd_quintile": "Deprivation"}
MONTHS = 60  # at most five years of monthly intervals, ending with the latest month the store has data for
FILES = ("results.parquet", "breakdowns.parquet", "manifest.json")
LOOKBACK_MONTHS = 12  # most measures look back 12 months: earlier months would climb as history fills in


def fingerprint(store: Path, measure_ids: list[str] | None = None) -> dict[str, object]:
    """What the results depend on: the imported tables' checksums, the measures' ids and versions (every library
    measure unless ``measure_ids`` says which) and the rule choosing the months."""
    info = read_store_info(store)
    tables = {name: table.source_sha256 for name, table in sorted(info.tables.items())}
    known = all_measures()
    measures = {
        mid: {"version": known[mid].version, "codelists": known[mid].codelist_versions}
        for mid in sorted(measure_ids or known)
    }
    rules = {"data_span": DATA_SPAN_RULE}  # which months are computed
    digest = hashlib.sha256(json.dumps([tables, measures, rules], sort_keys=True).encode()).hexdigest()
    return {"store": str(store), "qiloop_version": info.qiloop_version, "digest": digest}


def up_to_date(store: Path, directory: Path, measure_ids: list[str] | None = None) -> bool:
    """True when ``directory`` holds results computed from this store and these measures' versions."""
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    files_there = all((directory / name).is_file() for name in FILES)
    return files_there and manifest.get("digest") == fingerprint(store, measure_ids)["digest"]


def data_months(store: Path) -> tuple[dt.date, dt.date]:
    """First days of the first and latest months the store covers in earnest (``qiloop.records.data_span``:
    a few rows dated after the extract was taken, or long-past history, do not move either end). A store
    with no dated rows gives this month twice."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        span = data_span(con)
    finally:
        con.close()
    if span is None:
        today = dt.date.today().replace(day=1)
        return today, today
    return span.first, span.last


def month_text(day: dt.date) -> str:
    """``day``'s month as the engine and the manifest write it: "2026-03"."""
    return f"{day.year:04d}-{day.month:02d}"


def first_month(last: dt.date, months: int) -> dt.date:
    """The first of ``months`` months ending with ``last``'s month."""
    return shift_month(last, -(months - 1))


def months_to_compute(earliest: dt.date, last: dt.date, months: int = MONTHS) -> tuple[dt.date, dt.date]:
    """The first and last months to compute for data running from ``earliest`` to ``last``: up to ``months``
    months ending with ``last``, none before a full look-back of history exists (the demo's five years give
    four), and at least two, even for a short extract."""
    first = max(first_month(last, months), first_month(earliest, -LOOKBACK_MONTHS + 1))
    return min(first, first_month(last, 2)), last


@dataclass(frozen=True)
class ComputeSummary:
    computed: bool
    measures: int
    rows: int
    seconds: float


def compute_results(
    store: Path,
    directory: Path,
    *,
    months: int = MONTHS,
    measure_ids: list[str] | None = None,
    force: bool = False,
    say: Callable[[str], None] = print,
) -> ComputeSummary:
    """Compute every library measure (or those in ``measure_ids``) for every practice and month into ``directory``.

    Nothing is computed when the directory already holds results of this store and these measure versions.
    """
    store, directory = Path(store), Path(directory)
    if not force and up_to_date(store, directory, measure_ids):
        rows = len(pd.read_parquet(directory / "results.parquet", columns=["measure"]))
        say(f"measure results are up to date ({directory})")
        return ComputeSummary(False, len(all_measures()), rows, 0.0)
    started = time.perf_counter()
    known = all_measures()
    measures = [known[i] for i in measure_ids] if measure_ids else list(known.values())
    earliest, last = data_months(store)
    first, last = months_to_compute(earliest, last, months)
    start, end = month_text(first), month_text(last)
    say(f"computing {len(measures)} measures for every practice, {start} to {end} ...")
    # One engine run for all measures (it shares features between them and shows its own progress bar).
    results = run_measures(store, measures, start=start, end=end)
    say(f"  and the latest month ({end}) by {', '.join(BREAKDOWN_NAMES[b].lower() for b in BREAKDOWNS)} ...")
    breakdowns = by_each_breakdown(run_measures(store, measures, start=end, end=end, breakdowns=BREAKDOWNS))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "manifest.json").unlink(missing_ok=True)  # written last: a half-written set is never "up to date"
    results.to_parquet(directory / "results.parquet", index=False)
    breakdowns.to_parquet(directory / "breakdowns.parquet", index=False)
    manifest = fingerprint(store, [m.id for m in measures]) | {
        "start": start,
        "end": end,
        "data_start": month_text(earliest),  # start-up months (look-back before this) are left out of the charts
        "computed_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    seconds = time.perf_counter() - started
    say(f"  {len(results):,} result rows in {seconds:.1f} s")
    return ComputeSummary(True, len(measures), len(results), seconds)


def by_each_breakdown(crossed: pd.DataFrame) -> pd.DataFrame:
    """Collapse a run crossed by every breakdown into one table per breakdown (stacked, long): for each
    breakdown, the numerators and denominators summed over the other breakdowns, and their ratio."""
    tables = []
    for column in BREAKDOWNS:
        keys = ["measure", "interval_start", "interval_end", "practice_id", column]
        summed = crossed.groupby(keys, dropna=False)[["numerator", "denominator"]].sum().reset_index()
        summed = summed.rename(columns={column: "group"})
        summed.insert(4, "breakdown", column)
        summed["group"] = summed["group"].astype(str)
        tables.append(summed)
    out = pd.concat(tables, ignore_index=True)
    out["ratio"] = ratio(out["numerator"], out["denominator"])
    return out


def read_results(directory: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, object]]:
    """The results table (``interval_start`` as timestamps), the breakdowns table and the manifest written by
    :func:`compute_results` in ``directory``."""
    directory = Path(directory)
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    results = pd.read_parquet(directory / "results.parquet")
    results["interval_start"] = pd.to_datetime(results["interval_start"])
    breakdowns = pd.read_parquet(directory / "breakdowns.parquet")
    return results, breakdowns, manifest


def data_start(manifest: Mapping[str, object]) -> dt.date | None:
    """The first month of the data the results were computed from (the manifest's ``data_start``; results
    computed before it was recorded started LOOKBACK_MONTHS after the data, so that is assumed). None when
    the manifest names no months.

    >>> data_start({"data_start": "2021-04", "start": "2022-04"})
    datetime.date(2021, 4, 1)
    >>> data_start({"start": "2022-04"})
    datetime.date(2021, 4, 1)
    """
    recorded = str(manifest.get("data_start", "") or "")
    if recorded:
        return dt.date.fromisoformat(recorded + "-01")
    start = str(manifest.get("start", "") or "")
    if not start:
        return None
    return shift_month(dt.date.fromisoformat(start + "-01"), -LOOKBACK_MONTHS)
