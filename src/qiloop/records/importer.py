"""Import an extract into the analytics store: validate, pseudonymise, write atomically.

>>> from qiloop.records.importer import import_extract
>>> result = import_extract("var/extract", "var/store.duckdb")  # doctest: +SKIP
>>> result.tables["patients"]  # doctest: +SKIP
40213

Either every file validates and the store is replaced in one step, or an
:class:`~qiloop.errors.InputError` lists the problems (file, line, column,
value, what to do; at most twenty) and the store is left exactly as it was.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from qiloop import progress
from qiloop.errors import InputError
from qiloop.records import pseudonym
from qiloop.records.extract import SourceFile, find_extract
from qiloop.records.relations import relation_problems
from qiloop.records.sql import connect, ident
from qiloop.records.store import StoredTable, building, file_sha256, publish, write_metadata
from qiloop.records.validate import (
    MAX_PROBLEMS,
    Problem,
    Staged,
    cell_problems,
    located,
    stage,
    write_if_valid,
    write_typed,
)

if TYPE_CHECKING:
    from qiloop.records.convert import ConversionReport


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote: rows per table, which tables had NHS numbers pseudonymised, and the time taken."""

    store: Path
    tables: dict[str, int]
    pseudonymised: tuple[str, ...]
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.tables.values())


def import_extract(
    source_dir: str | Path,
    store: str | Path,
    *,
    key: bytes | None = None,
    threads: int | None = None,
    conversion: ConversionReport | None = None,
) -> ImportResult:
    """Validate the extract in ``source_dir`` and write it to the DuckDB file ``store``.

    ``key`` is the pseudonymisation key, needed when any file has an ``nhs_number`` column.
    ``conversion``: the report of the conversion that wrote the extract, kept in the store.
    Raises :class:`InputError` (the store unchanged) when anything is wrong.
    """
    started = time.perf_counter()
    source_dir, store = Path(source_dir), Path(store)
    sources = find_extract(source_dir)
    with_nhs = [s.name for s in sources if s.has_nhs_number]
    if with_nhs and key is None:
        raise InputError(
            f"{', '.join(with_nhs)}: has an nhs_number column but no pseudonymisation key was given",
            hint=f"give the practice's key with --key-file FILE or the {pseudonym.KEY_ENV_VAR} environment variable",
        )
    with ThreadPoolExecutor(max_workers=1) as hasher, building(store) as build_dir:
        checksums = {s.table.name: hasher.submit(file_sha256, s.path) for s in sources}
        built = build_dir / "store.duckdb"
        con = connect(str(built), threads=threads)
        try:
            con.execute("SET temp_directory = ?", [str(build_dir / "spill")])
            # Statements commit one by one: inside an open transaction DuckDB numbers new rows from a
            # large offset, and the checks rely on rowid being the row's position in its file.
            rows = _load_all(con, sources, key)
            stored = [
                StoredTable(s.table.name, s.name, checksums[s.table.name].result(), rows[s.table.name]) for s in sources
            ]
            write_metadata(con, stored)
            if conversion is not None:
                from qiloop.records.convert import write_report

                write_report(con, conversion)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        publish(built, store)
    return ImportResult(
        store=store,
        tables={s.table.name: rows[s.table.name] for s in sources},
        pseudonymised=tuple(s.table.name for s in sources if s.has_nhs_number),
        seconds=time.perf_counter() - started,
    )


def _load_all(con: duckdb.DuckDBPyConnection, sources: list[SourceFile], key: bytes | None) -> dict[str, int]:
    problems: list[Problem] = []
    rows: dict[str, int] = {}
    total_bytes = sum(s.path.stat().st_size for s in sources)
    with progress.bar(total=total_bytes, desc="import", unit="B") as bar:
        for source in sources:
            bar.set_description(f"import {source.table.name}")
            written = None if problems else write_if_valid(con, source, key)
            if written is not None:
                rows[source.table.name] = written
            else:
                found = _find_cell_problems(con, source, key, MAX_PROBLEMS - len(problems))
                if not found and not problems:
                    raise RuntimeError(f"{source.name}: flagged by the fast check but no problem found (a bug)")
                problems.extend(found)
            bar.update(source.path.stat().st_size)
            if len(problems) >= MAX_PROBLEMS:
                break
    if not problems:
        problems = relation_problems(con, sources, MAX_PROBLEMS)
    if problems:
        raise _failure(problems)
    return rows


def _find_cell_problems(
    con: duckdb.DuckDBPyConnection, source: SourceFile, key: bytes | None, limit: int
) -> list[Problem]:
    """The slow path, taken only when something is wrong: stage the file and word each problem."""
    staged = stage(con, source)
    if isinstance(staged, list):
        return staged
    con.execute(f"DROP TABLE IF EXISTS main.{ident(source.table.name)}")
    write_typed(con, staged, key)
    problems = cell_problems(con, staged, limit)
    _drop_stage(con, staged)
    return problems


def _drop_stage(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    kind = "TABLE" if staged.source.format == "csv" else "VIEW"
    con.execute(f"DROP {kind} IF EXISTS {ident(staged.relation)}")


def _failure(problems: list[Problem]) -> InputError:
    count = len(problems)
    more = " (stopping at the first 20)" if count >= MAX_PROBLEMS else ""
    noun = "problem" if count == 1 else "problems"
    lines = "\n".join(located(problems))
    return InputError(
        f"the extract has {count} {noun}{more}; nothing was imported:\n{lines}",
        hint="correct these rows and import again; the store was not changed",
    )
