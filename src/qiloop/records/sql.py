"""Small helpers for building SQL from the schema (never from user text).

Identifiers come from the schema whitelist or from a file header that has
already been matched against it; literals come from the schema's constants.
Paths, keys and other user-supplied values are always bound as parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def probing_with_the_file(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Joins written ``file LEFT JOIN small_table`` build their hash tables on the small table, as written.

    DuckDB cannot tell how many rows a CSV or NDJSON file holds (it takes a CSV to hold a few dozen), so left to
    choose it builds the hash table on the file (millions of rows, every column) and probes it with the patients
    or codes: 0.7 s of CPU more for the 200,000-patient EMIS issues, 16 % of the FHIR conversion."""
    con.execute("SET disabled_optimizers = 'build_side_probe_side'")
    try:
        yield
    finally:
        con.execute("RESET disabled_optimizers")
