"""Checks across rows and tables, run on the typed tables once every cell is valid.

Keys must be unique, a registration must not end before it starts, and every
patient_id (and practice_id, when a practices table is given) must refer to a
row that exists. The typed tables keep the files' row order, so a table's
``rowid`` is the record's ordinal in its file.
"""

from __future__ import annotations

import duckdb

from qiloop.records.column_checks import shown
from qiloop.records.extract import SourceFile
from qiloop.records.sql import ident
from qiloop.records.validate import Problem

_REFERENCES: tuple[tuple[str, str, str], ...] = (
    # (column, referenced table, what the referenced table holds)
    ("patient_id", "patients", "patient"),
    ("practice_id", "practices", "practice"),
)


def relation_problems(con: duckdb.DuckDBPyConnection, sources: list[SourceFile], limit: int) -> list[Problem]:
    """Duplicate keys, end dates before start dates and dangling references, in file order per file."""
    present = {s.table.name: s for s in sources}
    problems: list[Problem] = []
    for source in sources:
        found = duplicate_keys(con, source, limit) + ends_before_starts(con, source, limit)
        found += dangling_references(con, source, present, limit)
        found.sort(key=lambda p: p.ordinal if p.ordinal is not None else -1)
        problems.extend(found)
        if len(problems) >= limit:
            break
    return problems[:limit]


def _file_column(source: SourceFile, canonical: str) -> str:
    return source.columns.get(canonical, canonical)


def duplicate_keys(con: duckdb.DuckDBPyConnection, source: SourceFile, limit: int) -> list[Problem]:
    key = source.table.key
    if not key:
        return []
    table = ident(source.table.name)
    cols = ", ".join(ident(k) for k in key)
    repeated = con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} GROUP BY {cols} HAVING count(*) > 1)"
    ).fetchone()
    if not repeated or not repeated[0]:
        return []
    rows = con.execute(
        f"SELECT rowid, first_rowid, {cols} FROM (SELECT rowid, {cols}, min(rowid) OVER (PARTITION BY {cols}) "
        f"AS first_rowid FROM {table}) WHERE rowid <> first_rowid ORDER BY rowid LIMIT ?",
        [limit],
    ).fetchall()
    names = ", ".join(_file_column(source, k) for k in key)
    problems = []
    for ordinal, first, *values in rows:
        shown_values = ", ".join(shown(str(v)) for v in values)
        if len(key) == 1:
            message = f"column {names}: {shown_values} appears again (first on {{ref}}); each {names} must be unique"
        else:
            message = f"columns {names}: {shown_values} repeat {{ref}}; each ({names}) must appear once — remove the duplicate"
        problems.append(Problem(source, message, ordinal=int(ordinal), ref_ordinal=int(first)))
    return problems


def ends_before_starts(con: duckdb.DuckDBPyConnection, source: SourceFile, limit: int) -> list[Problem]:
    names = source.table.column_names
    if "end_date" not in names or "start_date" not in names:
        return []
    table = ident(source.table.name)
    rows = con.execute(
        f"SELECT rowid, end_date, start_date FROM {table} WHERE end_date < start_date ORDER BY rowid LIMIT ?",
        [limit],
    ).fetchall()
    end_name, start_name = _file_column(source, "end_date"), _file_column(source, "start_date")
    return [
        Problem(
            source,
            f"column {end_name}: {shown(str(end))} is before {start_name} {shown(str(start))} "
            f"({end_name} must be empty or on or after {start_name})",
            ordinal=int(ordinal),
        )
        for ordinal, end, start in rows
    ]


def dangling_references(
    con: duckdb.DuckDBPyConnection, source: SourceFile, present: dict[str, SourceFile], limit: int
) -> list[Problem]:
    problems: list[Problem] = []
    for column, target, noun in _REFERENCES:
        if column not in source.table.column_names or source.table.name == target or target not in present:
            continue
        table, target_table, col = ident(source.table.name), ident(target), ident(column)
        rows = con.execute(
            f"SELECT t.rowid, t.{col} FROM {table} t ANTI JOIN {target_table} r ON t.{col} = r.{col} "
            "ORDER BY 1 LIMIT ?",
            [limit],
        ).fetchall()
        target_file = present[target].name
        name = _file_column(source, column)
        problems.extend(
            Problem(
                source,
                f"column {name}: {shown(str(value))} is not in {target_file} "
                f"(every {noun} must have a row there; add it or remove this row)",
                ordinal=int(ordinal),
            )
            for ordinal, value in rows
        )
    return problems
