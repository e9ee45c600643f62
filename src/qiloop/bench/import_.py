"""``qiloop bench import --from KIND``: a source system's layout against qiloop's own, on the same network.

Makes a synthetic network (or reuses the one cached under ``--cache``, made again when the generator changes),
writes it in the layout of ``KIND`` with that kind's layout writer (:mod:`qiloop.bench.layouts`; cached too,
and not timed), then, each in a fresh process so its CPU time and peak memory are its own:

1. imports the network's canonical tables (``qiloop import``);
2. converts and imports the ``KIND`` layout of the same network (``qiloop import --from KIND``).

It prints the wall time, CPU time (user + system, DuckDB's threads included) and peak resident memory of each,
the ratios, and the rows each store holds, table by table.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from qiloop.bench.layouts import expected_rows
from qiloop.errors import InputError

TABLES = ("patients", "practice_registrations", "clinical_events", "medications", "appointments")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from", dest="kind", required=True, metavar="KIND", help="the layout to import (one with a layout writer)"
    )
    parser.add_argument("--patients", type=int, default=1_000_000, help="patients in the network (default 1,000,000)")
    parser.add_argument("--practices", type=int, default=0, help="practices (default: one per 10,000 patients)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--cache", type=Path, default=Path("var/bench"), help="where to keep the network and its layouts"
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also measure the least any conversion can cost: reading only the fields the converter maps "
        "(qiloop.bench.floor), and the import of the converted tables alone",
    )
    parser.add_argument(
        "--keep", type=Path, default=None, metavar="DIR", help="keep the two stores in DIR (default: removed after)"
    )


def layout_kinds() -> list[str]:
    """The kinds of patient-level extract that have a layout writer."""
    from qiloop.records.convert import PATIENT_KINDS

    return [k for k in PATIENT_KINDS if importlib.util.find_spec(f"qiloop.bench.layouts.{k}") is not None]


def _digest(*modules: str) -> str:
    """A short digest of the code of ``modules`` (packages: every file in them), so a cache made by older code
    is not reused."""
    digest = hashlib.sha256()
    for name in modules:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None
        origin = Path(spec.origin)
        paths = sorted(origin.parent.rglob("*.py")) if origin.name == "__init__.py" else [origin]
        for path in paths:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def prepare(kind: str, patients: int, practices: int, seed: int, cache: Path) -> tuple[Path, Path, float | None]:
    """(the canonical extract, its ``kind`` layout, seconds spent writing the layout or None when cached)."""
    from qiloop.bench.layouts import writer
    from qiloop.synth import generate_network

    root = cache / f"import-{patients}-p{practices}-seed{seed}-{_digest('qiloop.synth')}"
    extract = root / "extract"
    if not (extract / "patients.parquet").exists():
        shutil.rmtree(extract, ignore_errors=True)
        began = time.perf_counter()
        generate_network(extract, practices=practices, patients=patients, seed=seed)
        print(f"generated the network in {time.perf_counter() - began:.1f} s ({extract})")
    layout = root / f"{kind}-{_digest(f'qiloop.bench.layouts.{kind}', 'qiloop.bench.layouts._source')}"
    done = layout / ".complete"
    if done.exists():
        return extract, layout, None
    shutil.rmtree(layout, ignore_errors=True)
    began = time.perf_counter()
    writer(kind)(extract, layout)
    seconds = time.perf_counter() - began
    done.touch()
    return extract, layout, seconds


@dataclass(frozen=True)
class Measured:
    wall: float  # seconds, the import alone (not the child's start-up)
    cpu: float  # user + system seconds of the child, every thread
    peak: int  # the child's peak resident memory, bytes
    rows: dict[str, int]


def _import_child(kind: str, source: str, store: str) -> Measured:
    from qiloop.records.convert import import_from

    def used() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    began, cpu_began = time.perf_counter(), used()
    import_from(kind, source, store)
    wall, cpu = time.perf_counter() - began, used() - cpu_began
    return Measured(wall, cpu, _peak_rss(), _rows(Path(store)))


def _peak_rss() -> int:
    """This process's peak resident memory in bytes: Linux's VmHWM, which starts again at exec (getrusage's
    ru_maxrss does not: a spawned child would report its parent's peak when that was higher)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _rows(store: Path) -> dict[str, int]:
    from qiloop.records.sql import connect

    con = connect(str(store), read_only=True)
    try:
        return {name: int(con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]) for name in TABLES}  # type: ignore[index]
    finally:
        con.close()


def _in_child(kind: str, source: Path, store: Path) -> Measured:
    """Run one import in a fresh process (its figures are its own, not the parent's)."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        measured: Measured = pool.apply(_import_child, (kind, str(source), str(store)))
        pool.close()
        pool.join()
    return measured


@dataclass(frozen=True)
class Floor:
    read_wall: float  # DuckDB reading the mapped fields of the layout's files, nothing else
    read_cpu: float
    convert_cpu: float  # the conversion alone, to canonical Parquet tables
    import_wall: float  # the import of those tables alone
    import_cpu: float


def _floor_child(kind: str, layout: str, work: str) -> Floor:
    from qiloop.bench.floor import read_mapped
    from qiloop.records.convert import ConvertOptions, convert
    from qiloop.records.importer import import_extract

    def used() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    began, cpu_began = time.perf_counter(), used()
    read_mapped(kind, Path(layout))
    read_wall, read_cpu = time.perf_counter() - began, used() - cpu_began
    # as qiloop import --from KIND does it, in two steps timed apart
    extract, cpu_began = Path(work) / "extract", used()
    convert(kind, layout, extract, options=ConvertOptions(tables="parquet"), nhs="raw")
    convert_cpu = used() - cpu_began
    began, cpu_began = time.perf_counter(), used()
    import_extract(extract, Path(work) / "store.duckdb")
    return Floor(read_wall, read_cpu, convert_cpu, time.perf_counter() - began, used() - cpu_began)


def _floor(kind: str, layout: Path) -> Floor:
    ctx = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="qiloop-bench-floor-") as work, ctx.Pool(1) as pool:
        floor: Floor = pool.apply(_floor_child, (kind, str(layout), work))
        pool.close()
        pool.join()
    return floor


def _print_floor(kind: str, floor: Floor, canonical: Measured, converted: Measured) -> None:
    base = canonical.cpu
    print(f"  floor ({kind}, each step in one process):")
    print(
        f"    reading only the fields the converter maps  wall {floor.read_wall:8.1f} s  CPU {floor.read_cpu:8.1f} s"
        f"  ({floor.read_cpu / base:.2f}× the canonical import)"
    )
    print(f"    the conversion alone, to canonical Parquet          CPU {floor.convert_cpu:8.1f} s")
    print(
        f"    the import of the converted tables alone    wall {floor.import_wall:8.1f} s  CPU {floor.import_cpu:8.1f} s"
        f"  ({floor.import_cpu / base:.2f}×)"
    )
    least = floor.read_cpu + floor.import_cpu
    print(
        f"    no conversion and import can cost less than reading + importing: CPU {least:.1f} s = "
        f"{least / base:.2f}× the canonical import (this run: {converted.cpu / base:.2f}×)"
    )


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run(args: argparse.Namespace) -> int:
    kinds = layout_kinds()
    if args.kind not in kinds:
        raise InputError(
            f"{args.kind!r}: no layout writer, so there is nothing to import the network from",
            hint=f"kinds with a layout writer (qiloop.bench.layouts): {', '.join(kinds) or 'none'}",
        )
    if args.floor:
        from qiloop.bench.floor import KINDS as FLOOR_KINDS

        if args.kind not in FLOOR_KINDS:
            raise InputError(
                f"--floor: not measured for {args.kind!r}",
                hint=f"--floor measures {', '.join(FLOOR_KINDS)}; run without it for {args.kind}",
            )
    if args.patients < 1:
        raise InputError(f"--patients {args.patients}: give at least 1 patient")
    practices = args.practices or max(1, round(args.patients / 10_000))
    extract, layout, written = prepare(args.kind, args.patients, practices, args.seed, args.cache)
    print(
        f"import bench: {args.patients:,} patients, {practices} practice{'' if practices == 1 else 's'}, seed {args.seed}"
    )
    print(f"  canonical tables   {extract} ({_size(extract) / 1e6:,.1f} MB, Parquet)")
    how = "reused" if written is None else f"written in {written:.1f} s"
    print(
        f"  {args.kind} layout{' ' * max(1, 12 - len(args.kind))}{layout} ({_size(layout) / 1e6:,.1f} MB; {how}, not timed)"
    )
    print(f"  load average before {os.getloadavg()[0]:.2f} (1 minute, {os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory(prefix="qiloop-bench-import-") as tmp:
        stores = args.keep or Path(tmp)
        stores.mkdir(parents=True, exist_ok=True)
        canonical_store, kind_store = stores / "canonical.duckdb", stores / f"{args.kind}.duckdb"
        for store in (canonical_store, kind_store):
            store.unlink(missing_ok=True)
        canonical = _in_child("canonical", extract, canonical_store)
        converted = _in_child(args.kind, layout, kind_store)
        floor = _floor(args.kind, layout) if args.floor else None
        print(f"  load average after {os.getloadavg()[0]:.2f}")
        width = max(len("canonical"), len(args.kind))
        for name, m in (("canonical", canonical), (args.kind, converted)):
            print(
                f"  {name:<{width}} import  wall {m.wall:8.1f} s  CPU {m.cpu:8.1f} s  peak memory {m.peak / 2**20:8,.0f} MB"
            )
        print(
            f"  ratio {args.kind}/canonical  wall {converted.wall / canonical.wall:.2f}×  "
            f"CPU {converted.cpu / canonical.cpu:.2f}×  peak memory {converted.peak / canonical.peak:.2f}× (target: within 2×)"
        )
        if floor is not None:
            _print_floor(args.kind, floor, canonical, converted)
        expected = expected_rows(args.kind, extract, canonical.rows)
        for name in TABLES:
            a, b, e = canonical.rows[name], converted.rows[name], expected[name]
            note = "" if b == e else f"  DIFFER (expected {e:,})"
            if b == e != a:
                note = f"  (as expected for the {args.kind} layout)"
            print(f"  rows {name:<22} canonical {a:>12,}  {args.kind} {b:>12,}{note}")
        same = all(converted.rows[name] == expected[name] for name in TABLES)
        agree = all(converted.rows[name] == canonical.rows[name] for name in TABLES)
        print(f"  row counts {'agree' if agree else f'as expected for the {args.kind} layout' if same else 'DIFFER'}")
        if args.keep:
            print(f"  stores kept in {args.keep}")
    return 0 if same else 1
