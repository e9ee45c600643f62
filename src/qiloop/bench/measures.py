"""``qiloop bench measures``: the whole measure library over 60 monthly intervals.

Generates a synthetic network (cached under var/bench/measures-N-seedS-GEN/, where GEN
is a digest of the generator's code, so a store made by older code is never reused),
imports it into a DuckDB store, then, each in a fresh process so peak memory is its own:

1. runs every library measure over 60 monthly intervals (wall time, peak RSS);
2. times one full aggregate scan of clinical_events and medications on the same
   engine (the floor: no measure can be faster than reading its rows);
3. times pincer_a, copd010 and dna_rate written in plain pandas, one interval
   at a time (what an analyst would write), against qiloop for the same three,
   and checks both give the same counts.

With ``--engine spark`` the library is run on Spark (local mode) and then on DuckDB, and the two
results are compared row for row (numerators and denominators).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import resource
import time
from pathlib import Path
from typing import Any

from qiloop.months import shift_month

PANDAS_MEASURES = ("pincer_a", "copd010", "dna_rate")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--patients", type=int, default=1_000_000, help="patients in the network (default 1,000,000)")
    parser.add_argument("--months", type=int, default=60, help="monthly intervals (default 60)")
    parser.add_argument("--cache", type=Path, default=Path("var/bench"), help="where to keep generated stores")
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument("--skip-pandas", action="store_true", help="skip the pandas comparison")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--memory-limit", default="6GB", help="DuckDB memory limit (QILOOP_DUCKDB_MEMORY_LIMIT); it spills beyond it"
    )
    parser.add_argument(
        "--spark-memory",
        default="8GB",
        help="with --engine spark: the Spark driver's memory (QILOOP_SPARK_DRIVER_MEMORY; local mode does all the "
        "work in the driver)",
    )


def generator_fingerprint() -> str:
    """A short digest of the synthetic generator's code: a cached store made by older code is not reused."""
    import hashlib

    import qiloop.synth

    digest = hashlib.sha256()
    for path in sorted(Path(qiloop.synth.__file__).parent.rglob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def prepare_store(patients: int, cache: Path, seed: int) -> Path:
    """A cached DuckDB store of a synthetic network of ``patients`` patients (made again when the generator changes)."""
    from qiloop.synth import generate_network

    root = cache / f"measures-{patients}-seed{seed}-{generator_fingerprint()}"
    store = root / "store.duckdb"
    if store.exists():
        return store
    extract = root / "extract"
    if not (extract / "patients.parquet").exists():
        began = time.perf_counter()
        generate_network(extract, practices=max(1, patients // 8000), patients=patients, seed=seed)
        print(f"generated {patients:,} patients in {time.perf_counter() - began:.1f} s")
    began = time.perf_counter()
    try:
        from qiloop.records.importer import import_extract

        import_extract(extract, store)
    except ImportError:
        _load_parquet(extract, store)
    print(f"imported into {store} in {time.perf_counter() - began:.1f} s")
    return store


def _load_parquet(extract: Path, store: Path) -> None:
    import duckdb

    from qiloop.records.schema import TABLES

    with duckdb.connect(str(store)) as con:
        for table in TABLES:
            path = extract / f"{table.name}.parquet"
            if path.exists():
                con.execute(f"create table {table.name} as select * from read_parquet(?)", [str(path)])


def _read_through(path: Path) -> float:
    """Read ``path`` once, discarding the bytes, and return the seconds it took.

    The timed runs then find the store in the operating system's cache whatever ran before (on this machine a
    cold read of the 1,000,000-patient store added 15 s to one run and nothing to the next).
    """
    began = time.perf_counter()
    with path.open("rb") as stream:
        while stream.read(16 * 2**20):
            pass
    return time.perf_counter() - began


def _child(target: Any, *args: Any) -> Any:
    """Run ``target(*args)`` in a fresh process; return (its result, its peak RSS in bytes)."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        result = pool.apply(_measured, (target, *args))
        pool.close()  # leaving the block alone terminates the pool, and the semaphores it leaks are then reported
        pool.join()
    return result


def _measured(target: Any, *args: Any) -> tuple[Any, int]:
    result = target(*args)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return result, own + _descendants_peak()


def _descendants_peak() -> int:
    """The peak memory (VmHWM) of this process's living descendants, in bytes: the JVM a Spark run starts."""
    import os

    total, pending, seen = 0, [os.getpid()], set()
    while pending:
        pid = pending.pop()
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                pending += [int(c) for c in (task / "children").read_text().split() if int(c) not in seen]
            except OSError:
                continue
        seen.add(pid)
        if pid != os.getpid():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                continue
    return total


def _months(months: int) -> tuple[dt.date, dt.date]:
    from qiloop.synth import DEFAULT_END

    last = DEFAULT_END.replace(day=1)
    return shift_month(last, -(months - 1)), last


def run_library(store: Path, start: dt.date, end: dt.date, engine: str, ids: tuple[str, ...] | None) -> dict[str, Any]:
    from qiloop.measures.registry import all_measures
    from qiloop.measures.run import run_measures

    measures = list(all_measures().values()) if ids is None else [all_measures()[i] for i in ids]
    began = time.perf_counter()
    results = run_measures(store, measures, start=start, end=end, engine=engine)
    return {"seconds": time.perf_counter() - began, "measures": len(measures), "rows": len(results), "results": results}


def scan_floor(store: Path, engine: str) -> float:
    from qiloop.measures.engine.connection import open_store

    opened = open_store(store, engine)
    began = time.perf_counter()
    for name, code in (("clinical_events", "snomedct_code"), ("medications", "dmd_code")):
        t = opened.table(name)
        t.group_by(code).aggregate(rows=t.count(), patients=t.patient_id.max(), last=t.date.max()).to_pandas()
    return time.perf_counter() - began


def run_pandas_version(store: Path, start: dt.date, end: dt.date) -> dict[str, Any]:
    import duckdb

    from qiloop.bench.measures_pandas import run_pandas
    from qiloop.measures.dates import intervals_between

    began = time.perf_counter()
    with duckdb.connect(str(store), read_only=True) as con:
        con.execute("SET enable_progress_bar = false")
        tables = {
            name: con.execute(f"select * from {name}").df()
            for name in ("patients", "practice_registrations", "clinical_events", "medications", "appointments")
        }
    for frame in tables.values():
        for column in frame.columns:
            if column in ("date", "start_date", "end_date", "date_of_birth", "date_of_death", "booked_date"):
                frame[column] = frame[column].astype("datetime64[s]")
    loaded = time.perf_counter()
    results = run_pandas(tables, intervals_between(start, end))
    return {"load": loaded - began, "seconds": time.perf_counter() - loaded, "results": results}


def _same_counts(qiloop_results: Any, pandas_results: Any) -> tuple[bool, int]:
    """Whether two results tables give the same numerator and denominator for every measure, practice and month
    with a denominator, and in how many rows they differ (a row only one of them has differs)."""
    import numpy as np
    import pandas as pd

    q = qiloop_results[qiloop_results["denominator"] > 0][
        ["measure", "interval_end", "practice_id", "numerator", "denominator"]
    ]
    p = pandas_results[pandas_results["denominator"] > 0][
        ["measure", "interval_end", "practice_id", "numerator", "denominator"]
    ]
    q = q.assign(interval_end=pd.to_datetime(q["interval_end"]))
    p = p.assign(interval_end=pd.to_datetime(p["interval_end"]))
    merged = q.merge(p, on=["measure", "interval_end", "practice_id"], how="outer", suffixes=("_q", "_p"))
    differ = merged["denominator_q"] != merged["denominator_p"]
    # A numerator that is a sum of fractions (the continuity indices) is added in a different order by each engine
    # and each run, so it agrees to about 15 digits; a count must agree exactly.
    near = np.isclose(merged["numerator_q"].astype(float), merged["numerator_p"].astype(float), rtol=1e-9, atol=0)
    differ |= ~near | merged["numerator_q"].isna() | merged["numerator_p"].isna()
    return not bool(differ.any()), int(differ.sum())


def run(args: argparse.Namespace) -> int:
    import os
    import sys

    if hasattr(sys.stdout, "reconfigure"):  # each figure as it is measured, in order with what Spark prints
        sys.stdout.reconfigure(line_buffering=True)

    os.environ["QILOOP_DUCKDB_MEMORY_LIMIT"] = args.memory_limit
    os.environ.setdefault("QILOOP_SPARK_DRIVER_MEMORY", args.spark_memory)
    from qiloop import settings
    from qiloop.errors import InputError

    try:  # a bad size is refused now, before a network is generated
        settings.current()
    except InputError as exc:
        raise InputError(f"{exc.message} (given by --spark-memory or --memory-limit)", hint=exc.hint) from None
    store = prepare_store(args.patients, args.cache, args.seed)
    start, end = _months(args.months)
    print(f"store {store}: {args.patients:,} patients; intervals {start:%Y-%m} to {end:%Y-%m} ({args.months} months)")
    print(
        f"store file read once before timing (so every run starts from a warm disk cache): {_read_through(store):.1f} s"
    )
    library, peak = _child(run_library, store, start, end, args.engine, None)
    print(
        f"library: {library['measures']} measures × {args.months} months in {library['seconds']:.1f} s "
        f"(wall, engine {args.engine}); peak memory {peak / 2**30:.2f} GiB; {library['rows']:,} result rows"
    )
    floor, _ = _child(scan_floor, store, args.engine)
    print(
        f"floor: one aggregate scan of clinical_events + medications {floor:.2f} s; ratio {library['seconds'] / floor:.1f}×"
    )
    if args.engine == "spark":
        duck, duck_peak = _child(run_library, store, start, end, "duckdb", None)
        same, differing = _same_counts(library["results"], duck["results"])
        print(
            f"the same library on DuckDB: {duck['seconds']:.1f} s, peak memory {duck_peak / 2**30:.2f} GiB → Spark "
            f"{library['seconds'] / duck['seconds']:.1f}× the time; "
            f"results {'identical' if same else f'DIFFER in {differing} rows'}"
        )
        if not same:
            return 1
    if args.skip_pandas:
        return 0
    three, _ = _child(run_library, store, start, end, args.engine, PANDAS_MEASURES)
    panda, pandas_peak = _child(run_pandas_version, store, start, end)
    same, differing = _same_counts(three["results"], panda["results"])
    print(
        f"pincer_a + copd010 + dna_rate: qiloop {three['seconds']:.1f} s; pandas {panda['seconds']:.1f} s "
        f"(+ {panda['load']:.1f} s loading the tables) → qiloop {panda['seconds'] / three['seconds']:.1f}× faster; "
        f"counts {'identical' if same else f'DIFFER in {differing} rows'}"
    )
    return 0
