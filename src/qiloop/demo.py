"""The demo network: generate a synthetic extract, import it, report its quality.

``build_demo`` is what ``qiloop demo`` runs. The extract goes to
``DIR/extract``, the store to ``DIR/store.duckdb`` and the settings it was made
with to ``DIR/demo.json``; a later run with the same settings reuses the store
when it is still a valid qiloop store.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qiloop.errors import QiloopError
from qiloop.records.importer import import_extract
from qiloop.records.quality import QualityReport, quality_report
from qiloop.records.schema import SCHEMA_VERSION
from qiloop.records.store import read_store_info
from qiloop.synth import DEFAULT_END, generate_network

DEFAULT_DIR = Path("var/demo")
DEFAULT_PRACTICES = 20
DEFAULT_PATIENTS = 40_000
DEFAULT_SEED = 1


@dataclass(frozen=True)
class DemoResult:
    directory: Path
    store: Path
    reused: bool
    rows: dict[str, int]
    report: QualityReport


def demo_settings(practices: int, patients: int, seed: int, end: dt.date) -> dict[str, object]:
    return {
        "practices": practices,
        "patients": patients,
        "seed": seed,
        "end": end.isoformat(),
        "schema_version": SCHEMA_VERSION,
    }


def reusable(directory: Path, settings: dict[str, object]) -> bool:
    """True when ``directory`` holds a valid store made with the same settings."""
    try:
        recorded = json.loads((directory / "demo.json").read_text(encoding="utf-8"))
        read_store_info(directory / "store.duckdb")
    except (OSError, ValueError, QiloopError):
        return False
    return bool(recorded == settings)


def build_demo(
    directory: Path = DEFAULT_DIR,
    *,
    practices: int = DEFAULT_PRACTICES,
    patients: int = DEFAULT_PATIENTS,
    seed: int = DEFAULT_SEED,
    fresh: bool = False,
    say: Callable[[str], None] = print,
) -> DemoResult:
    """Generate (or reuse) the demo network in ``directory`` and return its quality report."""
    directory = Path(directory)
    store = directory / "store.duckdb"
    settings = demo_settings(practices, patients, seed, DEFAULT_END)
    reused = not fresh and reusable(directory, settings)
    if reused:
        say(f"reusing the demo store {store} (same settings; use --fresh to rebuild it)")
        rows = {name: t.rows for name, t in read_store_info(store).tables.items()}
    else:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "demo.json").unlink(missing_ok=True)
        extract = directory / "extract"
        shutil.rmtree(extract, ignore_errors=True)
        say(f"generating a synthetic network: {practices} practices, {patients:,} patients (seed {seed}) ...")
        summary = generate_network(extract, practices=practices, patients=patients, seed=seed, fmt="parquet")
        say(f"  wrote {sum(summary.rows.values()):,} rows to {extract} in {summary.seconds:.1f} s")
        say(f"importing into {store} ...")
        result = import_extract(extract, store)
        say(f"  imported {result.total_rows:,} rows in {result.seconds:.1f} s")
        (directory / "demo.json").write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
        rows = result.tables
    say("checking data quality ...")
    report = quality_report(store, as_of=DEFAULT_END)
    return DemoResult(directory, store, reused, rows, report)
