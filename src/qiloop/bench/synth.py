"""``qiloop bench synth``: time the generator (and the importer, when there is one)."""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qiloop.synth import generate_network


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--patients", type=int, default=1_000_000, help="patients on the start date (default 1,000,000)"
    )
    parser.add_argument("--practices", type=int, default=0, help="practices (default: one per 10,000 patients)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=None, help="output directory (default: a temporary one, removed after)")
    parser.add_argument("--skip-import", action="store_true", help="time the generator only")


def peak_memory_mb() -> float:
    """Peak resident memory of this process and of any finished children, in MB (Linux reports kB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return max(own, children) / scale


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def find_importer() -> Callable[..., Any] | None:
    """A function in qiloop.records that imports a directory of tables into a store, if one exists yet."""
    for module_name in ("qiloop.records.importer", "qiloop.records.importing", "qiloop.records.load", "qiloop.records"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name in ("import_extract", "import_directory", "import_dir", "import_tables"):
            function = getattr(module, name, None)
            if callable(function):
                return function
    return None


def run(args: argparse.Namespace) -> int:
    practices = args.practices or max(1, round(args.patients / 10_000))
    with tempfile.TemporaryDirectory(prefix="qiloop-bench-synth-") as tmp:
        out = Path(args.out) if args.out else Path(tmp) / "network"
        began, cpu_began = time.perf_counter(), cpu_seconds()
        summary = generate_network(out, practices=practices, patients=args.patients, seed=args.seed)
        wall, cpu = time.perf_counter() - began, cpu_seconds() - cpu_began
        print(f"synth: {args.patients:,} patients, {practices} practices, 2021-04-01..2026-03-31, parquet")
        print(f"  wall time          {wall:10.1f} s")
        print(f"  CPU time           {cpu:10.1f} s (user + system; wall > CPU means the machine was busy)")
        print(f"  load average       {os.getloadavg()[0]:10.1f} (1 minute, {os.cpu_count()} CPUs)")
        print(f"  patients/s         {args.patients / wall:10,.0f}  (start-date list)")
        print(f"  patient rows       {summary.patients:10,}  (with joiners and births)")
        for name, count in summary.rows.items():
            print(f"  rows {name:<22} {count:>12,}")
        print(f"  rows total         {sum(summary.rows.values()):12,}")
        size = sum(p.stat().st_size for p in summary.files.values())
        print(f"  bytes written      {size / 1e6:10.1f} MB")
        print(f"  peak memory        {peak_memory_mb():10.0f} MB (max RSS, self or children)")
        importer = None if args.skip_import else find_importer()
        if args.skip_import:
            print("  import: not timed (--skip-import)")
        elif importer is None:
            print("  import: not timed (importer not available)")
        else:
            store = Path(tmp) / "store.duckdb"
            began, cpu_began = time.perf_counter(), cpu_seconds()
            try:
                _call_importer(importer, out, store)
            except Exception as exc:  # noqa: BLE001 - report, do not hide the generator's figures
                print(f"  import: failed ({type(exc).__name__}: {exc})")
            else:
                print(
                    f"  import wall time   {time.perf_counter() - began:10.1f} s ({importer.__module__}.{importer.__name__})"
                )
                print(
                    f"  import CPU time    {cpu_seconds() - cpu_began:10.1f} s (this process; DuckDB threads included)"
                )
                print(f"  peak memory        {peak_memory_mb():10.0f} MB (after import)")
    return 0


def _call_importer(importer: Callable[..., Any], source: Path, store: Path) -> None:
    parameters = list(inspect.signature(importer).parameters)
    if len(parameters) >= 2:
        importer(source, store)
    else:
        importer(source)
