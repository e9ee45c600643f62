"""Small helpers for building SQL from the schema (never from user text).

Identifiers come from the schema whitelist or from a file header that has
already been matched against it; literals come from the schema's constants.
Paths, keys and other user-supplied values are always bound as parameters.
"""

from __future__ import annotations

import duckdb


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A quoted SQL string literal for a schema constant."""
    return "'" + value.replace("'", "''") + "'"


def connect(
    path: str = ":memory:", *, threads: int | None = None, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with its own progress bar off (qiloop draws its own)."""
    con = duckdb.connect(path, read_only=read_only)
    con.execute("SET enable_progress_bar = false")
    if threads is not None:
        con.execute("SET threads = ?", [threads])  # noqa: S608 - bound parameter
    return con
