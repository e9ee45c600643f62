"""Find the files of an extract and match their columns to the canonical schema.

An extract is a directory holding one file per table, ``<table>.csv`` or
``<table>.parquet`` (table names from :data:`qiloop.records.schema.TABLES`).
This module only looks at file names and headers; the rows are checked by
:mod:`qiloop.records.validate`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyarrow.parquet as pq

from qiloop.errors import InputError
from qiloop.records.schema import NHS_NUMBER_COLUMN, REQUIRED_TABLES, TABLES, TABLES_BY_NAME, Table

FileFormat = Literal["csv", "parquet"]
FORMATS: tuple[FileFormat, ...] = ("csv", "parquet")


@dataclass(frozen=True)
class SourceFile:
    """One table's file in an extract, with its columns matched to the schema.

    ``columns`` maps each canonical column present in the file to the name the
    file uses for it (``practice_pseudo_id`` for ``practice_id``, say).
    """

    table: Table
    path: Path
    format: FileFormat
    columns: dict[str, str]
    has_nhs_number: bool
    header: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The file name, as shown in error messages."""
        return self.path.name

    def where(self, row_or_line: int) -> str:
        """``patients.csv:12`` (a physical line) or ``patients.parquet: row 12``."""
        if self.format == "csv":
            return f"{self.name}:{row_or_line}"
        return f"{self.name}: row {row_or_line}"


def find_extract(source_dir: Path) -> list[SourceFile]:
    """The extract's files in schema order, with headers checked.

    Raises :class:`InputError` for a missing directory, a missing required
    table, a table given twice (CSV and Parquet), a data file whose name is not
    a table, or a header that does not match the schema.
    """
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise InputError(
            f"{source_dir}: not a directory",
            hint="give the directory that holds the extract's files (patients.csv, practice_registrations.csv, ...)",
        )
    _reject_unknown_files(source_dir)
    found: list[SourceFile] = []
    for table in TABLES:
        paths = [source_dir / f"{table.name}.{fmt}" for fmt in FORMATS if (source_dir / f"{table.name}.{fmt}").exists()]
        if len(paths) > 1:
            raise InputError(
                f"{source_dir}: both {paths[0].name} and {paths[1].name} are present",
                hint="keep one file per table: delete one of them",
            )
        if not paths:
            if table.name in REQUIRED_TABLES:
                raise InputError(
                    f"{source_dir}: missing required table {table.name} ({table.name}.csv or {table.name}.parquet)",
                    hint=_other_kind(source_dir) or f"every extract needs {', '.join(REQUIRED_TABLES)}",
                )
            continue
        path = paths[0]
        fmt: FileFormat = "csv" if path.suffix == ".csv" else "parquet"
        header = read_csv_header(path) if fmt == "csv" else read_parquet_columns(path)
        columns, has_nhs = match_columns(table, header, path.name, fmt)
        found.append(
            SourceFile(
                table=table, path=path, format=fmt, columns=columns, has_nhs_number=has_nhs, header=tuple(header)
            )
        )
    return found


def _other_kind(source_dir: Path) -> str | None:
    """A hint when the folder looks like another kind of extract (docs/importers.md)."""
    names = [p.name for p in source_dir.iterdir()]
    if any(n.endswith(".ndjson") for n in names):
        return "this looks like a FHIR bulk export: import it with --from fhir"
    if any("practice_level_crosstab" in n.lower() for n in names):
        return "this looks like NHS England's GP appointments data: import it with --from gpad"
    return None


def _reject_unknown_files(source_dir: Path) -> None:
    for path in sorted(source_dir.iterdir()):
        if path.suffix in (".csv", ".parquet") and path.stem not in TABLES_BY_NAME:
            ehrql = path.stem in ("ons_deaths", "addresses") and (source_dir / "patients.csv").exists()
            raise InputError(
                f"{path.name}: not a table of the canonical schema",
                hint="these look like ehrQL tables: import them with --from ehrql (other tables are then ignored)"
                if ehrql
                else _other_kind(source_dir)
                or f"name each file after its table: {', '.join(TABLES_BY_NAME)} (.csv or .parquet)",
            )


def read_csv_header(path: Path) -> list[str]:
    """The column names on the first line of a CSV file."""
    try:
        with path.open("rb") as f:  # only the first line: a bad byte further down is reported with its line
            first = f.readline().decode("utf-8-sig")
        header = next(csv.reader([first]), None)
    except UnicodeDecodeError:
        raise InputError(f"{path.name}:1: the header is not UTF-8 text", hint="save the file as UTF-8 CSV") from None
    except csv.Error as exc:
        raise InputError(f"{path.name}:1: the header is not valid CSV ({exc})") from None
    if not header:
        raise InputError(f"{path.name}:1: the file is empty", hint="the first line must name the columns")
    return header


def read_parquet_columns(path: Path) -> list[str]:
    """The column names of a Parquet file."""
    try:
        return list(pq.read_schema(path).names)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        raise InputError(
            f"{path.name}: not a readable Parquet file ({type(exc).__name__})",
            hint="re-export the table, or give it as CSV",
        ) from None


def match_columns(table: Table, header: list[str], file_name: str, fmt: FileFormat) -> tuple[dict[str, str], bool]:
    """Map canonical column -> file column; check for unknown, duplicate and missing columns."""
    where = f"{file_name}:1" if fmt == "csv" else file_name
    by_file_name: dict[str, str] = {}
    for column in table.columns:
        for name in (column.name, *column.aliases):
            by_file_name[name] = column.name
    seen: dict[str, str] = {}
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    has_nhs = False
    for name in header:
        if name == NHS_NUMBER_COLUMN:
            if has_nhs:
                raise InputError(f"{where}: column {name!r} appears twice", hint="keep one column of each name")
            has_nhs = True
            continue
        canonical = by_file_name.get(name)
        if canonical is None:
            unknown.append(name)
            continue
        if canonical in seen:
            raise InputError(
                f"{where}: columns {seen[canonical]!r} and {name!r} both give {canonical}"
                if seen[canonical] != name
                else f"{where}: column {name!r} appears twice",
                hint="keep one column of each name",
            )
        seen[canonical] = name
        mapping[canonical] = name
    if unknown:
        listed = ", ".join(repr(u) for u in unknown)
        raise InputError(
            f"{where}: unknown column{'s' if len(unknown) > 1 else ''} {listed}",
            hint=f"{table.name} has the columns {', '.join(table.column_names)} (and optionally nhs_number); "
            "rename or remove the others",
        )
    missing = [c.name for c in table.columns if c.name not in mapping and not c.optional]
    if missing:
        raise InputError(
            f"{where}: missing column{'s' if len(missing) > 1 else ''} {', '.join(repr(m) for m in missing)}",
            hint=f"{table.name} needs the columns {', '.join(c.name for c in table.columns if not c.optional)}",
        )
    return mapping, has_nhs
