"""Validate an extract's rows with DuckDB and word the problems for people.

Each file is staged (a CSV as text, a Parquet file as it is), every cell rule
of the file is evaluated in one scan, and only when something is wrong are the
first offending rows fetched and their line numbers found. Problems are
collected up to :data:`MAX_PROBLEMS` and reported together.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from qiloop.errors import InputError
from qiloop.records import pseudonym
from qiloop.records.column_checks import (
    CellCheck,
    ColumnExpr,
    cell_checks,
    column_expr,
    nhs_number_check,
    nhs_number_text,
)
from qiloop.records.extract import SourceFile
from qiloop.records.lines import malformed_lines, record_lines
from qiloop.records.schema import NHS_NUMBER_PSEUDONYM_COLUMN
from qiloop.records.sql import ident

MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Problem:
    """One problem in one file; ``ordinal`` is the 0-based record, ``line`` a known physical line.

    A message may mention another record as ``{ref}`` (``ref_ordinal``), worded as "line N" or "row N".
    """

    source: SourceFile
    message: str
    ordinal: int | None = None
    line: int | None = None
    ref_ordinal: int | None = None


@dataclass(frozen=True)
class Staged:
    """A file staged in DuckDB as a relation called ``relation``, numbered by ``ordinal``."""

    source: SourceFile
    relation: str
    ordinal: str
    exprs: dict[str, ColumnExpr]
    rows: int


def _reader(source: SourceFile) -> tuple[str, dict[str, object]]:
    """SQL reading the file (CSV as text, Parquet as stored) and its named parameters."""
    if source.format == "csv":
        return (
            "read_csv($path, auto_detect=false, header=true, delim=',', quote='\"', escape='\"', columns=$columns, "
            "strict_mode=true, null_padding=false)",
            {"path": str(source.path), "columns": {name: "VARCHAR" for name in source.header}},
        )
    return "read_parquet($path)", {"path": str(source.path)}


def write_if_valid(con: duckdb.DuckDBPyConnection, source: SourceFile, key: bytes | None) -> int | None:
    """The fast path: write ``main.<table>`` straight from the file, checking every cell on the way.

    Each row carries a flag that is true when any of its cells breaks a rule; the flag column is
    dropped when no row is flagged and the row count returned. Otherwise (or when the file cannot
    be read) the table is dropped and None returned, and :func:`stage` and :func:`cell_problems`
    find and word the problems.
    """
    reader, params = _reader(source)
    table = f"main.{ident(source.table.name)}"
    try:
        types = dict(
            con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {reader})", params).fetchall()
        )
        exprs = {
            c.name: column_expr(c, source.columns.get(c.name), types.get(source.columns.get(c.name, "")))
            for c in source.table.columns
        }
        checks = [check for name, expr in exprs.items() if name in source.columns for check in cell_checks(expr)]
        if source.has_nhs_number:
            checks.append(nhs_number_check())
        bad = " OR ".join(f"coalesce({c.bad}, false)" for c in checks) or "false"
        select, named = _typed_select(source, exprs, key)
        con.execute(
            f"CREATE TABLE {table} AS SELECT {select}, ({bad}) AS _qiloop_bad FROM {reader}",
            {**params, **named},
        )
    except duckdb.Error:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        return None
    flagged = con.execute(f"SELECT count(*) FILTER (WHERE _qiloop_bad), count(*) FROM {table}").fetchone() or (1, 0)
    if flagged[0]:
        con.execute(f"DROP TABLE {table}")
        return None
    con.execute(f"ALTER TABLE {table} DROP COLUMN _qiloop_bad")
    return int(flagged[1])


def stage(con: duckdb.DuckDBPyConnection, source: SourceFile) -> Staged | list[Problem]:
    """Load ``source`` into DuckDB; a CSV that cannot be parsed gives its malformed lines instead."""
    relation = f"stage_{source.table.name}"
    if source.format == "csv":
        header_names = source.header
        reader, params = _reader(source)
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(relation)} AS SELECT * FROM {reader}", params)
        except duckdb.Error:
            # DuckDB's message quotes the bad line, which may hold patient data: find it ourselves instead.
            bad = malformed_lines(source.path, len(header_names), MAX_PROBLEMS)
            if not bad:
                return [Problem(source, "the file could not be read as CSV (check its quoting and encoding)", line=1)]
            return [Problem(source, b.message, line=b.line) for b in bad]
        ordinal = "rowid"
    else:
        try:
            con.read_parquet(str(source.path), file_row_number=True).create_view(relation, replace=True)
        except duckdb.Error:
            return [Problem(source, "not a readable Parquet file; re-export the table or give it as CSV")]
        ordinal = "file_row_number"
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {ident(relation)})").fetchall())
    exprs = {
        c.name: column_expr(c, source.columns.get(c.name), types.get(source.columns.get(c.name, "")))
        for c in source.table.columns
    }
    row = con.execute(f"SELECT count(*) FROM {ident(relation)}").fetchone()
    return Staged(source, relation, ordinal, exprs, int(row[0]) if row else 0)


def cell_problems(con: duckdb.DuckDBPyConnection, staged: Staged, limit: int) -> list[Problem]:
    """The first ``limit`` cells (in file order) that break a rule of their column.

    The typed table ``main.<table>`` must already exist (see :func:`write_typed`): the file's text
    and the typed values are read side by side (a positional join), so the type rules are not
    evaluated a second time.
    """
    checks: list[CellCheck] = []
    for c in staged.source.table.columns:
        if c.name in staged.source.columns:
            text_expr = column_expr(c, staged.source.columns[c.name], None, prefix="s.")
            expr = ColumnExpr(c, text_expr.file_name, text_expr.text, f"f.{ident(c.name)}")
            checks.extend(cell_checks(expr))
    if staged.source.has_nhs_number:
        checks.append(nhs_number_check(prefix="s."))
    if not checks:
        return []
    rel = f"{ident(staged.relation)} AS s POSITIONAL JOIN main.{ident(staged.source.table.name)} AS f"
    counts_sql = ", ".join(f"count(*) FILTER (WHERE {c.bad})" for c in checks)
    counts = con.execute(f"SELECT {counts_sql} FROM {rel}").fetchone() or ()
    found: list[tuple[int, str]] = []
    for check, count in zip(checks, counts, strict=True):
        if not count:
            continue
        rows = con.execute(
            f"SELECT s.{staged.ordinal}, {check.text} FROM {rel} WHERE {check.bad} ORDER BY 1 LIMIT ?", [limit]
        ).fetchall()
        found.extend((int(ordinal), check.message(value)) for ordinal, value in rows)
    found.sort(key=lambda item: item[0])
    return [Problem(staged.source, message, ordinal=ordinal) for ordinal, message in found[:limit]]


def write_typed(con: duckdb.DuckDBPyConnection, staged: Staged, key: bytes | None) -> None:
    """Create the canonical table ``main.<table>`` from the staged file, in file order.

    A cell that is not of its column's type becomes NULL here; :func:`cell_problems` reports it.
    An ``nhs_number`` column becomes ``nhs_number_pseudonym`` (HMAC-SHA256 under ``key``).
    """
    select, params = _typed_select(staged.source, staged.exprs, key)
    con.execute(
        f"CREATE TABLE main.{ident(staged.source.table.name)} AS SELECT {select} FROM {ident(staged.relation)}",
        params or None,
    )


def _typed_select(source: SourceFile, exprs: dict[str, ColumnExpr], key: bytes | None) -> tuple[str, dict[str, object]]:
    """The SELECT list of the canonical table and its named parameters (the HMAC pads, for NHS numbers)."""
    select = [f"{expr.typed} AS {ident(name)}" for name, expr in exprs.items()]
    params: dict[str, object] = {}
    if source.has_nhs_number:
        if key is None:  # checked before any work starts; kept so the key is never silently skipped
            raise InputError(f"{source.name}: no pseudonymisation key")
        pseudonym_sql = pseudonym.sql_pseudonym(nhs_number_text(), "$inner", "$outer")
        select.append(f"{pseudonym_sql} AS {ident(NHS_NUMBER_PSEUDONYM_COLUMN)}")
        params["inner"], params["outer"] = pseudonym.hmac_pads(key)
    return ", ".join(select), params


def located(problems: list[Problem]) -> list[str]:
    """The problems as ``file:line: message`` (CSV) or ``file: row N: message`` (Parquet) lines."""
    wanted: dict[str, set[int]] = {}
    for p in problems:
        if p.source.format == "csv":
            wanted.setdefault(p.source.name, set()).update(o for o in (p.ordinal, p.ref_ordinal) if o is not None)
    sources = {p.source.name: p.source for p in problems}
    lines = {name: record_lines(sources[name].path, ordinals) for name, ordinals in wanted.items()}

    def position(source: SourceFile, ordinal: int) -> int:
        if source.format == "csv":
            return lines[source.name].get(ordinal, ordinal + 2)
        return ordinal + 1

    out = []
    for p in problems:
        message = p.message
        if p.ref_ordinal is not None:
            unit = "line" if p.source.format == "csv" else "row"
            message = message.replace("{ref}", f"{unit} {position(p.source, p.ref_ordinal)}")
        if p.line is not None:
            out.append(f"{p.source.where(p.line)}: {message}")
        elif p.ordinal is None:
            out.append(f"{p.source.name}: {message}")
        else:
            out.append(f"{p.source.where(position(p.source, p.ordinal))}: {message}")
    return out
