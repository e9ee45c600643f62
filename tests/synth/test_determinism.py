"""Same arguments give the same bytes; a different seed gives different data."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from qiloop.synth import generate_network

SMALL = {"practices": 3, "patients": 4_000, "start": dt.date(2023, 4, 1), "end": dt.date(2025, 3, 31)}


def digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_same_arguments_give_the_same_bytes(tmp_path: Path, fmt: str) -> None:
    first = generate_network(tmp_path / "a", seed=7, fmt=fmt, **SMALL)
    second = generate_network(tmp_path / "b", seed=7, fmt=fmt, **SMALL)
    a, b = digests(first.out_dir), digests(second.out_dir)
    assert set(a) == {f"{t}.{fmt}" for t in first.rows} | {"truth.json"}
    assert a == b


def test_a_different_seed_gives_different_tables(tmp_path: Path) -> None:
    a = digests(generate_network(tmp_path / "a", seed=7, **SMALL).out_dir)
    b = digests(generate_network(tmp_path / "b", seed=8, **SMALL).out_dir)
    for name in ("patients.parquet", "clinical_events.parquet", "medications.parquet", "appointments.parquet"):
        assert a[name] != b[name], name


def test_no_partial_files_are_left_behind(tmp_path: Path) -> None:
    summary = generate_network(tmp_path / "n", seed=1, **SMALL)
    assert not [p for p in summary.out_dir.iterdir() if p.name.startswith(".")]
