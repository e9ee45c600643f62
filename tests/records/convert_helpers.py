"""Helpers the converter tests share: a year of a small synthetic network, and rows read from a store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from qiloop.records.importer import import_extract
from qiloop.records.sql import connect
from qiloop.synth import generate_network


def rows(store: Path, sql: str) -> list[tuple]:
    """The rows ``sql`` gives on ``store`` (opened read-only, closed after)."""
    con = connect(str(store), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def year_network(base: Path, *, practices: int = 2, patients: int = 600, seed: int = 5, canonical: bool = True) -> Path:
    """``base/extract``: a canonical CSV extract of April 2024 to March 2025; with ``canonical``, imported into
    ``base/canonical.duckdb`` too. Returns ``base``."""
    generate_network(
        base / "extract",
        practices=practices,
        patients=patients,
        seed=seed,
        fmt="csv",
        start=dt.date(2024, 4, 1),
        end=dt.date(2025, 3, 31),
    )
    if canonical:
        import_extract(base / "extract", base / "canonical.duckdb")
    return base
