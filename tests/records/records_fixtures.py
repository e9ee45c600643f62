"""A small valid extract, written by tests as CSV or Parquet, in ehrQL's example-data layout.

Every table has a few rows; tests copy :func:`valid_extract` and change one
cell, one line or one header to plant the problem they look for.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from qiloop.records.schema import TABLES_BY_NAME

Rows = list[list[str]]
Extract = dict[str, tuple[list[str], Rows]]


def valid_extract() -> Extract:
    """Header and rows per table; the patients/registrations/events/medications headers are ehrQL's."""
    return {
        "practices": (
            ["practice_id", "name", "pcn_id", "pcn_name", "icb_id", "icb_name"],
            [
                ["P1", "Riverside Surgery", "N1", "North PCN", "I1", "Test ICB"],
                ["P2", "Hill Medical Centre", "N1", "North PCN", "I1", "Test ICB"],
            ],
        ),
        "patients": (
            ["patient_id", "sex", "date_of_birth", "date_of_death"],
            [
                ["1", "female", "1950-03-01", ""],
                ["2", "male", "1972-11-01", "2023-06-14"],
                ["3", "intersex", "2001-01-01", ""],
                ["4", "unknown", "2019-07-01", ""],
            ],
        ),
        "practice_registrations": (
            ["patient_id", "start_date", "end_date", "practice_pseudo_id"],
            [
                ["1", "2000-01-01", "", "P1"],
                ["2", "1995-04-01", "2023-06-14", "P1"],
                ["3", "2001-02-01", "2015-01-31", "P2"],
                ["3", "2015-02-01", "", "P1"],
                ["4", "2019-07-15", "", "P2"],
            ],
        ),
        "clinical_events": (
            ["patient_id", "date", "snomedct_code", "numeric_value"],
            [
                ["1", "2023-01-10", "72313002", "142"],
                ["1", "2023-01-10", "999791000000106", "48.5"],
                ["2", "2022-05-02", "44054006", ""],
                ["3", "2024-02-29", "1011481000000105", "88"],
            ],
        ),
        "medications": (
            ["patient_id", "date", "dmd_code"],
            [
                ["1", "2023-02-01", "329653008"],
                ["2", "2022-06-01", "317291008"],
            ],
        ),
        "appointments": (
            [
                "appointment_id",
                "patient_id",
                "practice_id",
                "booked_date",
                "start_date",
                "status",
                "mode",
                "hcp_role",
                "clinician_id",
            ],
            [
                ["10", "1", "P1", "2023-01-02", "2023-01-10", "attended", "face_to_face", "gp", "C1"],
                ["11", "3", "P1", "2023-03-01", "2023-03-01", "did_not_attend", "telephone", "nurse", ""],
            ],
        ),
    }


def write_csv(directory: Path, extract: Extract) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in extract.items():
        with (directory / f"{name}.csv").open("w", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
    return directory


_ARROW_TYPES = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "date": pa.date32()}


def _typed(kind: str, text: str) -> object:
    if text == "":
        return None
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "date":
        return dt.date.fromisoformat(text)
    return text


def write_parquet(directory: Path, extract: Extract) -> Path:
    """Typed Parquet files (int64, float64, date32, string) from a valid extract."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in extract.items():
        table = TABLES_BY_NAME[name]
        by_name = {n: c for c in table.columns for n in (c.name, *c.aliases)}
        arrays = {}
        for i, column_name in enumerate(header):
            kind = by_name[column_name].type if column_name in by_name else "str"
            arrays[column_name] = pa.array([_typed(kind, r[i]) for r in rows], type=_ARROW_TYPES[kind])
        pq.write_table(pa.table(arrays), directory / f"{name}.parquet")
    return directory


def with_cell(extract: Extract, table: str, row: int, column: str, value: str) -> Extract:
    """A copy of ``extract`` with one cell changed (``row`` 0-based among the data rows)."""
    out = {name: (list(h), [list(r) for r in rows]) for name, (h, rows) in extract.items()}
    header, rows = out[table]
    rows[row][header.index(column)] = value
    return out
