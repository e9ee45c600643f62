"""The canary: a marker in every name, address, telephone, e-mail and narrative field of a source reaches
nothing qiloop writes - the store, the conversion report, the quality report, the converted tables, the
command's output or the logs."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from fhir_fixtures import export
from test_convert_ehrql import ehrql_tables

from qiloop.cli import main

MARKER = "CANARYNAME"
KEY = "canary-test-key-0123456789abcdef"


def everything_written(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def run_everything(tmp_path: Path, kind: str, source: Path, capsys, caplog, monkeypatch, *extra: str) -> str:
    monkeypatch.setenv("QILOOP_PROGRESS", "0")
    monkeypatch.setenv("QILOOP_PSEUDONYM_KEY", KEY)
    caplog.set_level(logging.DEBUG)
    work = tmp_path / "work"
    work.mkdir()
    store = work / "store.duckdb"
    assert main(["import", "--from", kind, str(source), "--store", str(store), *extra]) == 0
    assert main(["quality", "--store", str(store)]) == 0
    assert main(["quality", "--store", str(store), "--json"]) == 0
    assert main(["convert", kind, str(source), "--out", str(work / "converted"), *extra]) == 0
    out, err = capsys.readouterr()
    assert MARKER.encode() not in everything_written(work)
    assert (work / "converted" / "conversion.json").is_file()
    return out + err + caplog.text


def test_fhir_personal_fields_reach_nothing(tmp_path, capsys, caplog, monkeypatch):
    source = export(tmp_path / "fhir", MARKER)
    assert (source / "Patient.000.ndjson").read_text().count(MARKER) >= 4 * 10  # the canary is really there
    output = run_everything(tmp_path, "fhir", source, capsys, caplog, monkeypatch, "--max-unmapped", "20")
    assert "Conversion from fhir" in output
    assert MARKER not in output


def test_ehrql_unused_columns_and_tables_reach_nothing(tmp_path, capsys, caplog, monkeypatch):
    source = ehrql_tables(tmp_path / "ehrql")
    with (source / "addresses.csv").open("w", newline="") as f:
        csv.writer(f).writerows([["patient_id", "address_line", "postcode"], ["1", f"1 {MARKER} St", MARKER]])
    # a name column in a table that is read: only the mapped columns are
    patients = (source / "patients.csv").read_text().splitlines()
    lines = [patients[0] + ",full_name,phone,email"] + [
        row + f",{MARKER} Person,{MARKER}01632,{MARKER}@example.org" for row in patients[1:]
    ]
    (source / "patients.csv").write_text("\n".join(lines) + "\n")
    output = run_everything(tmp_path, "ehrql", source, capsys, caplog, monkeypatch)
    assert "addresses.csv" in output  # reported as ignored, by name only
    assert MARKER not in output
