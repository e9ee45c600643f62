"""The demo network's results as canonical text tables: what ``test_results_unchanged`` compares row for row.

Issue 21's constraint "results unchanged": the engine restructure (merge d900a83) gives the same answers as the
engine before it. The golden files in ``tests/measures/golden/`` were written by the code *before* that merge
(``d900a83^1``) from the demo network's store; the test computes the same tables with the current code and
compares them. Three tables, all from the demo network (``qiloop demo``'s defaults: 20 practices, 40,000
patients, seed 1):

* ``results``: every library measure × every practice × every month the store covers in earnest
  (``qiloop.records.data_span``: 60 months, a superset of the dashboard's 48) — measure, interval, practice,
  numerator, denominator, ratio, measure version and code-list versions;
* ``breakdowns``: the latest month crossed by age band, sex, ethnicity and deprivation, as the dashboard
  computes it, summed to one table per breakdown (``qiloop.measures.results_store.by_each_breakdown``);
* ``action_lists``: every measure's action list for every practice at the latest month: the denominator, how
  many patients are listed, a SHA-256 of the sorted patient pseudonyms and one of the whole table (its columns
  too).

This module imports only ``qiloop``'s public functions that exist before and after the merge, so the same code
writes the golden files from the old tree and the current tables from the new one::

    scripts/golden-results --help

Regenerating the golden files is right only when a change of results is intended and has been reviewed.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import time
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd

GOLDEN = Path(__file__).parent / "golden"
PRACTICES, PATIENTS, SEED = 20, 40_000, 1  # qiloop.demo's defaults, written out: the golden store must not drift
BREAKDOWNS = ("age_band", "sex", "ethnicity", "imd_quintile")
TABLES = ("results", "breakdowns", "action_lists")
KEYS = {
    "results": ["measure", "interval_start", "interval_end", "practice_id"],
    "breakdowns": ["measure", "interval_start", "interval_end", "practice_id", "breakdown", "group"],
    "action_lists": ["measure", "practice_id", "on"],
}
NUMBERS = {"numerator", "denominator", "ratio"}  # compared as numbers (float sums may differ in the last bit)


def build_store(directory: Path) -> Path:
    """The demo network's store (``qiloop.demo.build_demo`` with the pinned settings) in ``directory``."""
    from qiloop.demo import build_demo

    return Path(build_demo(directory, practices=PRACTICES, patients=PATIENTS, seed=SEED, say=lambda _t: None).store)


def store_fingerprint(store: Path) -> dict[str, dict[str, object]]:
    """Each table's row count and an MD5 of its rows (order-independent): the inputs both engines read."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        names = [row[0] for row in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        out: dict[str, dict[str, object]] = {}
        for name in names:
            if name.startswith("_"):
                continue  # the store's own bookkeeping (import times, versions)
            rows, digest = con.execute(
                f"SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) "
                f'FROM (SELECT md5(CAST(t AS VARCHAR)) AS h FROM "{name}" AS t)'
            ).fetchone()
            out[name] = {"rows": int(rows), "md5": str(digest)}
        return out
    finally:
        con.close()


def months(store: Path) -> tuple[str, str]:
    """The first and latest months (``YYYY-MM``) the store covers in earnest."""
    from qiloop.records.data_span import data_span

    con = duckdb.connect(str(store), read_only=True)
    try:
        span = data_span(con)
    finally:
        con.close()
    assert span is not None, "the demo store has no dated rows"
    return f"{span.first:%Y-%m}", f"{span.last:%Y-%m}"


def number(value: object) -> str:
    """Canonical text of a count or ratio: integers without a decimal point, floats by ``repr``, NaN as ''."""
    if value is None:
        return ""
    x = float(value)  # type: ignore[arg-type]
    if math.isnan(x):
        return ""
    return str(int(x)) if x.is_integer() and abs(x) < 2**53 else repr(x)


def day(value: object) -> str:
    return pd.Timestamp(value).date().isoformat()  # type: ignore[arg-type]


def _canonical(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = table.astype(str).sort_values(keys, kind="stable").reset_index(drop=True)
    return out


def results_table(store: Path, measure_ids: list[str], first: str, last: str) -> pd.DataFrame:
    from qiloop.measures import run_measures

    raw = run_measures(store, measure_ids, start=first, end=last)
    table = pd.DataFrame(
        {
            "measure": raw["measure"],
            "interval_start": raw["interval_start"].map(day),
            "interval_end": raw["interval_end"].map(day),
            "practice_id": raw["practice_id"],
            "numerator": raw["numerator"].map(number),
            "denominator": raw["denominator"].map(number),
            "ratio": raw["ratio"].map(number),
            "measure_version": raw["measure_version"],
            "codelist_versions": raw["codelist_versions"],
        }
    )
    return _canonical(table, KEYS["results"])


def breakdowns_table(store: Path, measure_ids: list[str], last: str) -> pd.DataFrame:
    from qiloop.measures import run_measures

    crossed = run_measures(store, measure_ids, start=last, end=last, breakdowns=BREAKDOWNS)
    parts = []
    for column in BREAKDOWNS:
        keys = ["measure", "interval_start", "interval_end", "practice_id", column]
        summed = crossed.groupby(keys, dropna=False)[["numerator", "denominator"]].sum().reset_index()
        summed = summed.rename(columns={column: "group"})
        summed["breakdown"] = column
        parts.append(summed)
    both = pd.concat(parts, ignore_index=True)
    table = pd.DataFrame(
        {
            "measure": both["measure"],
            "interval_start": both["interval_start"].map(day),
            "interval_end": both["interval_end"].map(day),
            "practice_id": both["practice_id"],
            "breakdown": both["breakdown"],
            "group": both["group"].astype(str),
            "numerator": both["numerator"].map(number),
            "denominator": both["denominator"].map(number),
        }
    )
    return _canonical(table, KEYS["breakdowns"])


def sha256(lines: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def action_lists_table(store: Path, measure_ids: list[str]) -> pd.DataFrame:
    """Every measure's action list for every practice at the latest month, as counts and digests."""
    from qiloop.measures import compute_action_list
    from qiloop.measures.actions import compute_action_lists

    con = duckdb.connect(str(store), read_only=True)
    try:
        practices = [row[0] for row in con.execute("SELECT practice_id FROM practices ORDER BY 1").fetchall()]
    finally:
        con.close()
    rows = []
    for measure_id in measure_ids:
        lists = compute_action_lists(store, measure_id, practices)
        for practice_id in practices:
            found = lists.get(practice_id)
            if found is None:  # no one registered: the one-practice call says so
                try:
                    found = compute_action_list(store, measure_id, practice_id)
                except Exception as exc:  # noqa: BLE001 - recorded, compared as text
                    rows.append({"measure": measure_id, "practice_id": practice_id, "on": "", "error": str(exc)})
                    continue
            table = found.table.sort_values("patient_id", kind="stable").reset_index(drop=True)
            rows.append(
                {
                    "measure": measure_id,
                    "practice_id": practice_id,
                    "on": found.on.isoformat(),
                    "denominator": str(found.denominator),
                    "count": str(found.count),
                    "patients_sha256": sha256(str(p) for p in table["patient_id"]),
                    "table_sha256": hashlib.sha256(table.to_csv(index=False).encode()).hexdigest(),
                    "columns": "|".join(str(c) for c in table.columns),
                    "error": "",
                }
            )
    table = pd.DataFrame(rows).fillna("")
    return _canonical(table, KEYS["action_lists"])


def compute(store: Path, measure_ids: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """The three tables for ``measure_ids`` (default: every library measure) from ``store``."""
    from qiloop.measures import all_measures

    ids = sorted(measure_ids if measure_ids is not None else all_measures())
    first, last = months(store)
    return {
        "results": results_table(store, ids, first, last),
        "breakdowns": breakdowns_table(store, ids, last),
        "action_lists": action_lists_table(store, ids),
    }


def write(directory: Path, tables: dict[str, pd.DataFrame], meta: dict[str, object]) -> None:
    """The tables as gzipped CSV (byte-reproducible: no timestamp in the gzip header) and ``demo.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        text = table.to_csv(index=False, lineterminator="\n").encode()
        with (
            (directory / f"demo_{name}.csv.gz").open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as out,
        ):
            out.write(text)
    (directory / "demo.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read(directory: Path = GOLDEN) -> tuple[dict[str, pd.DataFrame], dict[str, object]]:
    tables = {name: pd.read_csv(directory / f"demo_{name}.csv.gz", dtype=str, keep_default_na=False) for name in TABLES}
    meta = json.loads((directory / "demo.json").read_text(encoding="utf-8"))
    return tables, meta


def _same(column: str, before: pd.Series, after: pd.Series) -> pd.Series:
    """Row by row: the same text, or (a count or ratio) the same number to 1e-9 relative."""
    same = before == after
    if column in NUMBERS:
        a, b = pd.to_numeric(before, errors="coerce"), pd.to_numeric(after, errors="coerce")
        close = (a - b).abs() <= 1e-9 * pd.concat([a.abs(), b.abs()], axis=1).max(axis=1) + 1e-12
        same |= close.fillna(False).astype(bool)
    return same


def differences(before: pd.DataFrame, after: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The rows that differ, one per key: a row only one side has (``column`` "(row)"), or the first value that
    is not the same (text exactly; counts and ratios to 1e-9 relative), with its ``before`` and ``after``."""
    columns = [c for c in before.columns if c not in keys]
    merged = before.merge(after, on=keys, how="outer", suffixes=("_before", "_after"), indicator=True)
    merged = merged.sort_values(keys, kind="stable").reset_index(drop=True)
    out = merged[keys].copy()
    out["column"], out["before"], out["after"] = "", "", ""
    only_before, only_after = merged["_merge"] == "left_only", merged["_merge"] == "right_only"
    out.loc[only_before, ["column", "before", "after"]] = ["(row)", "present", "missing"]
    out.loc[only_after, ["column", "before", "after"]] = ["(row)", "missing", "present"]
    both = merged["_merge"] == "both"
    for column in reversed(columns):  # the first differing column wins: it is written last
        a = merged[f"{column}_before"].fillna("").astype(str)
        b = merged[f"{column}_after"].fillna("").astype(str)
        differ = both & ~_same(column, a, b)
        out.loc[differ, "column"] = column
        out.loc[differ, "before"] = a[differ]
        out.loc[differ, "after"] = b[differ]
    return out[out["column"] != ""].reset_index(drop=True)


def say_changes(old: dict[str, pd.DataFrame], new: dict[str, pd.DataFrame]) -> None:
    """Print what differs from the golden files being replaced (as the test compares: float noise is not a change):
    the diff of the gzipped files also shows the continuity indices' last bits, which vary from run to run."""
    for name in TABLES:
        found = differences(old[name], new[name], KEYS[name])
        if found.empty:
            print(f"{name}: no changes")
            continue
        by_measure = found.groupby("measure").size()
        print(f"{name}: {len(found):,} rows change ({', '.join(f'{m} {n}' for m, n in by_measure.items())}); first:")
        print(found.head(20).to_string(index=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="golden-results",
        description="Write the demo network's results, breakdowns and action lists as golden files. "
        "Regenerate only when a change of results is intended and reviewed: the test exists to catch the others.",
    )
    parser.add_argument("--store", type=Path, help="an existing demo store to read (default: build one in --work)")
    parser.add_argument("--work", type=Path, default=Path("var/golden"), help="where to build the demo store")
    parser.add_argument("--out", type=Path, default=GOLDEN, help=f"where to write the files (default {GOLDEN})")
    parser.add_argument("--note", default="", help="recorded in demo.json: which code wrote the files, and why")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    store = args.store or build_store(args.work)
    tables = compute(store)
    first, last = months(store)
    meta = {
        "settings": {"practices": PRACTICES, "patients": PATIENTS, "seed": SEED},
        "months": {"first": first, "last": last},
        "store": store_fingerprint(store),
        "measures": sorted(tables["results"]["measure"].unique().tolist()),
        "rows": {name: len(table) for name, table in tables.items()},
        "note": args.note,
    }
    if (args.out / "demo.json").exists():
        say_changes(read(args.out)[0], tables)
    write(args.out, tables, meta)
    print(
        f"wrote {', '.join(f'{n} {len(t):,} rows' for n, t in tables.items())} to {args.out} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return 0
