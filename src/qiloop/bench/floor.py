"""The least a conversion can cost: DuckDB reading only the fields the converter maps, and nothing else.

``qiloop bench import --from KIND --floor`` runs :func:`read_mapped` in a process of its own and reports its
CPU time beside the conversion's. Each file of the layout is read by the same DuckDB reader the converter uses
(``read_json`` for FHIR NDJSON, ``read_csv`` for the EMIS and SystmOne tables, as text), for exactly the
columns the converter reads (its own lists: :data:`qiloop.records.from_fhir_bulk.FIELDS`,
:data:`qiloop.records.from_emis.layout.READ`, :data:`qiloop.records.from_systmone.layout.READ`), and each
column is only counted: no rule, no join, nothing kept. No conversion of the layout can cost less than this
plus the import of the tables it gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb

from qiloop.records.sql import ident, literal

Read = tuple[str, str, dict[str, object]]  # (what is read, SQL, parameters)

KINDS = ("fhir", "emis", "systmone")


def reads(kind: str, layout: Path) -> list[Read]:
    """The statements reading the fields ``kind``'s converter maps from the layout in ``layout``."""
    if kind == "fhir":
        return list(_fhir(layout))
    if kind == "emis":
        return list(_emis(layout))
    if kind == "systmone":
        return list(_systmone(layout))
    raise ValueError(f"{kind!r}: no floor (kinds with one: {', '.join(KINDS)})")


def _counted(columns: list[str]) -> str:
    return ", ".join(f"count({ident(c)})" for c in columns)


def _fhir(layout: Path) -> Iterator[Read]:
    from qiloop.records.from_fhir_bulk import FIELDS

    for path in sorted(layout.glob("*.ndjson")):
        resource_type = path.name.split(".")[0]
        fields = FIELDS.get(resource_type)
        if not fields:
            continue  # Organization (a handful, read in Python), and types read only to be counted
        columns = {"resourceType": "VARCHAR", **fields}
        spec = "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in columns.items()) + "}"
        sql = (
            f"SELECT {_counted(list(columns))} FROM read_json($path, format = 'newline_delimited', "
            f"columns = {spec}, maximum_object_size = 1073741824)"
        )
        yield path.name, sql, {"path": str(path)}


def _emis(layout: Path) -> Iterator[Read]:
    from qiloop.records.extract import read_csv_header
    from qiloop.records.from_emis.layout import READ, find_files

    tables, _ = find_files(layout)
    for table, paths in tables.items():
        for path in paths:
            if table not in READ:
                continue
            header = read_csv_header(path)
            sql = (
                f"SELECT {_counted([c for c in READ[table] if c in header])} FROM read_csv($path, auto_detect=false, "
                "header=true, delim=',', quote='\"', escape='\"', columns=$columns, strict_mode=true, "
                "null_padding=false)"
            )
            yield path.name, sql, {"path": str(path), "columns": {h: "VARCHAR" for h in header}}


def _systmone(layout: Path) -> Iterator[Read]:
    from qiloop.records.convert import ConversionReport, ConvertOptions
    from qiloop.records.from_systmone.layout import READ
    from qiloop.records.from_systmone.reading import find_files, open_table

    report = ConversionReport("systmone", layout.name)
    for table, path in find_files(layout, report).items():
        if table not in READ:
            continue  # the small reference tables, read whole in Python
        source = open_table(table, path, ConvertOptions(), report)
        present = [r.name for r in READ[table] if r.name in source.header]
        sql = (
            f"SELECT {_counted(present)} FROM read_csv($path, auto_detect=false, header=true, delim=$delim, "
            "quote=$quote, escape=$quote, columns=$columns, strict_mode=true, null_padding=false)"
        )
        params: dict[str, object] = {
            "path": str(path),
            "delim": source.dialect.delimiter,
            "quote": source.dialect.quote,
            "columns": {h: "VARCHAR" for h in source.header},
        }
        yield path.name, sql, params


def read_mapped(kind: str, layout: Path, threads: int | None = None) -> dict[str, int]:
    """Run every statement of :func:`reads`; the rows read from each file."""
    from qiloop.records.sql import connect

    con = connect(threads=threads)
    try:
        counted: dict[str, int] = {}
        for name, sql, params in reads(kind, layout):
            try:
                row = con.execute(sql, params).fetchone()
            except duckdb.Error:  # SystmOne's Windows-1252 text: the converter reads it as Latin-1 then
                row = con.execute(
                    sql.replace("strict_mode=true", "encoding='latin-1', strict_mode=true"), params
                ).fetchone()
            counted[name] = int(row[0]) if row else 0
        return counted
    finally:
        con.close()
