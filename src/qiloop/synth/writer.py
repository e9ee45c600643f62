"""Streams the canonical tables to Parquet (one row group per practice) or CSV.

Parquet is written with fixed settings and without the Arrow schema blob,
so the same input gives the same bytes and readers see plain strings and
dates. Code-like columns are dictionary-encoded in memory, which keeps
writing fast; integer ids are delta-encoded, dates and strings dictionary-
encoded, pages compressed with zstd level 1.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from qiloop.records.schema import TABLES

FORMATS = ("parquet", "csv")
_DICT = pa.dictionary(pa.int32(), pa.string())
_ARROW_TYPES = {"int": pa.int64(), "float": pa.float64(), "date": pa.date32(), "str": pa.string()}
# Columns written from dictionary arrays (few distinct values, many rows).
DICTIONARY_COLUMNS = {
    ("patients", "sex"),
    ("patients", "ethnicity"),
    ("practice_registrations", "practice_id"),
    ("clinical_events", "snomedct_code"),
    ("medications", "dmd_code"),
    ("appointments", "practice_id"),
    ("appointments", "status"),
    ("appointments", "mode"),
    ("appointments", "hcp_role"),
    ("appointments", "clinician_id"),
}


# optional columns the generator never fills, so its files leave them out (the import makes them null)
NOT_GENERATED = {("clinical_events", "numeric_comparator")}


def arrow_schema(table_name: str, *, dictionaries: bool) -> pa.Schema:
    table = next(t for t in TABLES if t.name == table_name)
    fields = []
    for column in table.columns:
        if (table_name, column.name) in NOT_GENERATED:
            continue
        kind = _ARROW_TYPES[column.type]
        if dictionaries and (table_name, column.name) in DICTIONARY_COLUMNS:
            kind = _DICT
        fields.append(pa.field(column.name, kind, nullable=not column.required))
    return pa.schema(fields)


class TableSink:
    """One output file; ``write`` appends a batch of rows, ``close`` moves the file into place."""

    def __init__(self, out_dir: Path, table_name: str, fmt: str) -> None:
        self.table_name = table_name
        self.fmt = fmt
        self.path = out_dir / f"{table_name}.{fmt}"
        self._partial = out_dir / f".{table_name}.{fmt}.partial"
        self.rows = 0
        self._schema = arrow_schema(table_name, dictionaries=fmt == "parquet")
        self._plain = arrow_schema(table_name, dictionaries=False)
        self._writer: pq.ParquetWriter | pacsv.CSVWriter
        self._file: BinaryIO | None = None
        if fmt == "parquet":
            table = next(t for t in TABLES if t.name == table_name)
            dictionary = [c.name for c in table.columns if c.type != "int" and c.name != "name"]
            delta = [c.name for c in table.columns if c.type == "int"]
            self._writer = pq.ParquetWriter(
                self._partial,
                self._schema,
                compression="zstd",
                compression_level=1,
                use_dictionary=dictionary,
                column_encoding={name: "DELTA_BINARY_PACKED" for name in delta},
                write_statistics=True,
                store_schema=False,
            )
        else:
            # pyarrow quotes header names; write a plain header (as ehrQL's example CSVs have) ourselves.
            self._file = open(self._partial, "wb")  # noqa: SIM115 - closed in close()/abort()
            self._file.write((",".join(self._plain.names) + "\n").encode())
            self._writer = pacsv.CSVWriter(
                self._file,
                self._plain,
                write_options=pacsv.WriteOptions(include_header=False, quoting_style="none"),
            )

    def write(self, columns: dict[str, pa.Array]) -> None:
        schema = self._schema_for_write()
        arrays = [_as_type(columns[f.name], f.type) for f in schema]
        table = pa.Table.from_arrays(arrays, schema=schema)
        if len(table) == 0:
            return
        self.rows += len(table)
        if self.fmt == "parquet":
            self._writer.write_table(table, row_group_size=4 * 1024 * 1024)
        else:
            self._writer.write_table(table)

    def _schema_for_write(self) -> pa.Schema:
        return self._schema if self.fmt == "parquet" else self._plain

    def close(self) -> Path:
        self._writer.close()
        if self._file is not None:
            self._file.close()
        os.replace(self._partial, self.path)
        return self.path

    def abort(self) -> None:
        try:
            self._writer.close()
            if self._file is not None:
                self._file.close()
        finally:
            self._partial.unlink(missing_ok=True)


def _as_type(array: pa.Array, kind: pa.DataType) -> pa.Array:
    return array if array.type == kind else array.cast(kind)
