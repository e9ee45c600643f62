"""The analytics store: a DuckDB file with one table per canonical table.

A store is written whole or not at all: it is built in a private directory
next to the target and moved over it with :func:`os.replace` only when
everything has validated. The ``_qiloop_import`` table records, per table,
the source file's name, SHA-256 and row count, and the schema version; it
holds no key material and no timestamps, so the same extract always gives the
same store contents.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from qiloop import __version__
from qiloop.errors import InputError
from qiloop.records.schema import SCHEMA_VERSION, TABLES_BY_NAME, UNKNOWN
from qiloop.records.sql import connect, literal

METADATA_TABLE = "_qiloop_import"
BUILD_PREFIX = ".qiloop-import-"


@dataclass(frozen=True)
class StoredTable:
    name: str
    source_file: str
    source_sha256: str
    rows: int


@dataclass(frozen=True)
class StoreInfo:
    """What a store holds, read from its metadata table."""

    path: Path
    schema_version: str
    qiloop_version: str
    tables: dict[str, StoredTable]

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables.values())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


BUILD_LOCK = ".lock"
UNLOCKED_GRACE_SECONDS = 60  # a build folder just made by another process may not hold its lock yet


@contextmanager
def building(store: Path) -> Iterator[Path]:
    """A private build directory next to ``store``; removed afterwards whatever happens.

    The caller writes ``<dir>/store.duckdb`` and calls :func:`publish` to move it into place. The directory
    holds a lock for as long as its import runs, so a folder left by an import that was killed (no lock
    held) is removed by the next one (:func:`remove_abandoned_builds`).
    """
    parent = store.parent if str(store.parent) else Path(".")
    if store.is_dir():
        raise InputError(f"{store}: is a directory", hint="give --store a file name, e.g. var/store.duckdb")
    if not parent.is_dir():
        raise InputError(f"{parent}: the directory for the store does not exist", hint="create it first")
    remove_abandoned_builds(parent)
    build_dir = Path(tempfile.mkdtemp(prefix=BUILD_PREFIX, dir=parent))
    lock = (build_dir / BUILD_LOCK).open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield build_dir
    finally:
        shutil.rmtree(build_dir, ignore_errors=True)
        lock.close()


def remove_abandoned_builds(parent: Path) -> list[Path]:
    """Remove build folders in ``parent`` whose import is no longer running (killed); returns what went."""
    removed = []
    for folder in sorted(parent.glob(BUILD_PREFIX + "*")):
        if folder.is_dir() and _abandoned(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _abandoned(folder: Path) -> bool:
    lock_path = folder / BUILD_LOCK
    if not lock_path.is_file():
        try:
            return time.time() - folder.stat().st_mtime > UNLOCKED_GRACE_SECONDS
        except OSError:
            return False
    try:
        with lock_path.open("r") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # only possible when its process has gone
            fcntl.flock(lock, fcntl.LOCK_UN)
    except BlockingIOError:
        return False
    except OSError:
        return False
    return True


def publish(built: Path, store: Path) -> None:
    """Atomically put the built database file in place of ``store``."""
    os.replace(built, store)


def write_metadata(con: duckdb.DuckDBPyConnection, tables: list[StoredTable]) -> None:
    con.execute(
        f"CREATE TABLE {METADATA_TABLE} (table_name VARCHAR, source_file VARCHAR, source_sha256 VARCHAR, "
        "rows BIGINT, schema_version VARCHAR, qiloop_version VARCHAR)"
    )
    con.executemany(
        f"INSERT INTO {METADATA_TABLE} VALUES (?, ?, ?, ?, ?, ?)",
        [[t.name, t.source_file, t.source_sha256, t.rows, SCHEMA_VERSION, __version__] for t in tables],
    )


def read_store_info(store: Path) -> StoreInfo:
    """The metadata of an existing store; InputError if it is missing or not a qiloop store."""
    store = Path(store)
    if not store.is_file():
        raise InputError(f"{store}: no such store", hint="create it with 'qiloop import SOURCE_DIR --store STORE'")
    try:
        con = connect(str(store), read_only=True)
    except duckdb.Error:
        raise InputError(f"{store}: not a DuckDB database", hint="import an extract into a new store") from None
    try:
        rows = con.execute(
            f"SELECT table_name, source_file, source_sha256, rows, schema_version, qiloop_version FROM {METADATA_TABLE}"
        ).fetchall()
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    except duckdb.Error:
        raise InputError(f"{store}: not a qiloop store (it has no {METADATA_TABLE} table)") from None
    finally:
        con.close()
    tables = {r[0]: StoredTable(r[0], r[1], r[2], int(r[3])) for r in rows}
    missing = [name for name in tables if name not in present or name not in TABLES_BY_NAME]
    if not rows or missing:
        raise InputError(f"{store}: the store is incomplete or damaged", hint="import the extract again")
    return StoreInfo(store, rows[0][4], rows[0][5], tables)


def write_practices(store: Path, path: Path) -> None:
    """Write the store's practices (ordered by practice_id) to the Parquet file ``path``: its ``practices`` table
    (optional in an extract), and every other practice its registrations name, by its code, of unknown PCN and
    ICB (as a converter writes a practice the source does not describe)."""
    con = connect(str(store), read_only=True)
    try:
        u = literal(UNKNOWN)
        unknown = f"{u} AS pcn_id, {u} AS pcn_name, {u} AS icb_id, {u} AS icb_name"
        named = (
            "SELECT practice_id, name, pcn_id, pcn_name, icb_id, icb_name FROM practices"
            if con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'practices' AND schema_name = 'main'"
            ).fetchone()
            != (0,)
            else f"SELECT NULL::VARCHAR AS practice_id, NULL::VARCHAR AS name, {unknown} WHERE false"
        )
        con.execute(
            f"COPY (SELECT * FROM ({named}) UNION ALL SELECT DISTINCT practice_id, practice_id, {unknown} "
            f"FROM practice_registrations WHERE practice_id NOT IN (SELECT practice_id FROM ({named})) "
            "ORDER BY practice_id) TO ? (FORMAT parquet)",
            [str(path)],
        )
    finally:
        con.close()


def registered_practice_ids(store: Path) -> list[str]:
    """The practices the store's registrations name (each once, in no particular order)."""
    con = connect(str(store), read_only=True)
    try:
        return [str(r[0]) for r in con.execute("SELECT DISTINCT practice_id FROM practice_registrations").fetchall()]
    finally:
        con.close()
