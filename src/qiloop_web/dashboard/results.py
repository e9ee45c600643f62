"""The measure results the pages read: every library measure for every practice and month, computed once.

``compute_results(store, directory)`` runs the library's measures over the
analytics store and writes, in ``directory``:

* ``results.parquet`` — the long results table (one row per measure, practice, month);
* ``breakdowns.parquet`` — the latest month by age band, sex, ethnicity and deprivation
  (one row per measure, practice, breakdown and group);
* ``manifest.json`` — what the results were computed from: the store's tables
  (their source checksums) and every measure's version and code-list versions,
  the months computed (``start``, ``end``) and the month the data start in earnest
  (``data_start``).

A later call recomputes only when that fingerprint has changed. Pages call
:func:`load_results`, which keeps the tables in memory until the files change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from qiloop.measures import all_measures, run_measures
from qiloop.measures.results import ratio
from qiloop.months import shift_month
from qiloop.records.data_span import RULE_VERSION as DATA_SPAN_RULE
from qiloop.records.data_span import data_span
from qiloop.records.store import read_store_info

BREAKDOWNS = ("age_band", "sex", "ethnicity", "imd_quintile")
BREAKDOWN_NAMES = {"age_band": "Age band", "sex": "Sex", "ethnicity": "Ethnicity", "imd_quintile": "Deprivation"}
MONTHS = 60  # at most five years of monthly intervals, ending with the latest month the store has data for
FILES = ("results.parquet", "breakdowns.parquet", "manifest.json")


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


LOOKBACK_MONTHS = 12  # most measures look back 12 months: earlier months would climb as history fills in


def data_months(store: Path) -> tuple[dt.date, dt.date]:
    """First days of the first and latest months the store covers in earnest (``qiloop.records.data_span``:
    a few rows dated after the extract was taken, or long-past history, do not move either end)."""
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
    return f"{day.year:04d}-{day.month:02d}"


def first_month(last: dt.date, months: int) -> dt.date:
    return shift_month(last, -(months - 1))


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
    # Up to ``months`` months, none before a full look-back of history exists (the demo's five years give four).
    first = max(first_month(last, months), first_month(earliest, -LOOKBACK_MONTHS + 1))
    first = min(first, first_month(last, 2))  # at least two months, even for a short extract
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
    """Collapse a run crossed by every breakdown into one table per breakdown (stacked, long)."""
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


@dataclass(frozen=True, eq=False)  # compared (and hashed) by identity: one object per computed set
class Results:
    """The results tables in memory, and when they were computed."""

    results: pd.DataFrame
    breakdowns: pd.DataFrame
    manifest: dict[str, object]

    @property
    def key(self) -> str:
        """Names this set of results in cache keys: their fingerprint and when they were computed."""
        return f"{self.manifest.get('digest', '')}-{self.manifest.get('computed_at', '')}"

    def practice_ids(self) -> set[str]:
        return set(self.results["practice_id"].unique())


_cache: dict[Path, tuple[float, Results]] = {}
_lock = threading.Lock()


def load_results(directory: Path) -> Results | None:
    """The results in ``directory`` (None when there are none yet), re-read only when the manifest changes."""
    manifest_path = Path(directory) / "manifest.json"
    try:
        stamp = manifest_path.stat().st_mtime
    except OSError:
        return None
    with _lock:
        cached = _cache.get(manifest_path)
        if cached and cached[0] == stamp:
            return cached[1]
        results = pd.read_parquet(manifest_path.parent / "results.parquet")
        results["interval_start"] = pd.to_datetime(results["interval_start"])
        breakdowns = pd.read_parquet(manifest_path.parent / "breakdowns.parquet")
        loaded = Results(results, breakdowns, json.loads(manifest_path.read_text(encoding="utf-8")))
        _cache[manifest_path] = (stamp, loaded)
        return loaded
