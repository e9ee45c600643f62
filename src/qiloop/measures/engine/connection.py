"""Opening an analytics store: a DuckDB file, a directory of Parquet tables, an Ibis backend or frames.

A store is a DuckDB file (what ``qiloop import`` writes), a directory of ``<table>.parquet`` files, an Ibis
backend already connected, or (in tests) a mapping of table name to pandas DataFrame; it is opened on DuckDB
or on Spark (local mode unless ``QILOOP_SPARK_MASTER`` says otherwise) as a :class:`Store`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import ibis
import pandas as pd

from qiloop import settings
from qiloop.errors import QiloopError
from qiloop.measures.engine.store import Store
from qiloop.records.schema import TABLES_BY_NAME

if TYPE_CHECKING:
    from qiloop.measures import StoreSource

ENGINES = ("duckdb", "spark")


def _spark_session() -> Any:
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    chosen = settings.current()
    builder = (
        SparkSession.builder.master(chosen.spark_master)
        .appName("qiloop-measures")
        .config("spark.sql.shuffle.partitions", str(chosen.spark_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.default.parallelism", str(chosen.spark_partitions))
        .config("spark.sql.session.timeZone", "UTC")
    )
    if chosen.spark_driver_memory:  # read when the driver's JVM starts: the first session of the process
        builder = builder.config("spark.driver.memory", spark_size(chosen.spark_driver_memory))
    return builder.getOrCreate()


def spark_size(size: str) -> str:
    """A memory size as settings write it (``8GB``, ``512MB``) in Spark's notation (``8g``, ``512m``).

    >>> spark_size("8GB"), spark_size("512MB"), spark_size("1.5GB")
    ('8g', '512m', '1536m')
    """
    number, unit = float(size.rstrip("KMGTIB")), size.lstrip("0123456789.").upper().replace("I", "")
    scale = {"B": 1 / 2**20, "KB": 1 / 1024, "MB": 1, "GB": 1024, "TB": 1024**2}[unit]
    megabytes = number * scale
    if megabytes >= 1024 and megabytes % 1024 == 0:
        return f"{int(megabytes // 1024)}g"
    return f"{max(1, round(megabytes))}m"


def open_store(store: StoreSource, engine: str = "duckdb", *, spark_session: Any | None = None) -> Store:
    """Open ``store`` for ``engine`` ('duckdb' or 'spark')."""
    if engine not in ENGINES:
        raise QiloopError(f"unknown engine {engine!r}", hint=f"use one of {', '.join(ENGINES)}")
    if isinstance(store, Store):
        return store
    if isinstance(store, Mapping):
        return _from_frames(store, engine, spark_session)
    if isinstance(store, ibis.BaseBackend):
        names = set(store.list_tables()) & set(TABLES_BY_NAME)
        return Store(store, store.name, names, "given")
    path = Path(store)
    if not path.exists():
        raise QiloopError(f"no store at {path}", hint="create one with: qiloop import EXTRACT_DIR --store STORE")
    if path.is_dir():
        return _from_parquet_dir(path, engine, spark_session)
    if engine == "duckdb":
        try:
            con = ibis.duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            raise QiloopError(f"cannot open the DuckDB store {path}: {exc}") from None
        # Row order is never relied on (every result is grouped, then sorted): tables written without keeping
        # insertion order take less memory and stream in parallel.
        con.con.execute("SET preserve_insertion_order = false")
        con.con.execute("SET enable_progress_bar = false")  # DuckDB would draw one on the terminal for long queries
        limit = settings.current().duckdb_memory_limit
        spill = None
        if limit:
            # Past the limit DuckDB spills to a temporary directory (removed when the store is closed).
            spill = tempfile.TemporaryDirectory(prefix="qiloop-duckdb-")
            try:
                con.con.execute("SET memory_limit = ?", [limit])
            except duckdb.Error as exc:
                spill.cleanup()
                raise QiloopError(
                    f"QILOOP_DUCKDB_MEMORY_LIMIT={limit!r} is not a memory size DuckDB accepts: {exc}",
                    hint="give a size such as 6GB or 500MB",
                ) from None
            con.con.execute("SET temp_directory = ?", [spill.name])
        names = set(con.list_tables()) & set(TABLES_BY_NAME)
        opened = Store(con, "duckdb", names, str(path))
        opened._cleanup.append(_Disconnect(con))  # closing the store lets the file be opened again for writing
        if spill is not None:
            opened._cleanup.append(spill)
        return opened
    return _duckdb_file_to_spark(path, spark_session)


class _Disconnect:
    """Closes a connection the store opened, when the store is closed (before its spill folder goes)."""

    def __init__(self, con: Any) -> None:
        self.con = con

    def cleanup(self) -> None:
        self.con.disconnect()


def _from_frames(frames: Mapping[str, pd.DataFrame], engine: str, spark_session: Any | None) -> Store:
    if engine == "duckdb":
        con = ibis.duckdb.connect()
        for name, frame in frames.items():
            # Ibis 12's create_table from in-memory data emits SQL sqlglot 30 mangles; load through duckdb.
            con.con.register("qiloop_incoming", _arrow(name, frame))
            con.con.execute(f'create table "{name}" as select * from qiloop_incoming')  # name: a canonical table
            con.con.unregister("qiloop_incoming")
        return Store(con, "duckdb", set(frames) & set(TABLES_BY_NAME), "in memory")
    session = spark_session or _spark_session()
    con = ibis.pyspark.connect(session)
    for name, frame in frames.items():
        session.createDataFrame(_arrow(name, frame)).createOrReplaceTempView(name)
    return Store(con, "spark", set(frames) & set(TABLES_BY_NAME), "in memory")


_ARROW_TYPES = {"str": "string", "int": "int64", "float": "float64", "date": "date32"}


def _arrow(name: str, frame: pd.DataFrame) -> Any:
    """``frame`` as a pyarrow Table with the canonical column types."""
    import pyarrow as pa

    typed = _typed(name, frame)
    schema = pa.schema(
        [
            (c.name, pa.type_for_alias(_ARROW_TYPES[c.type]))
            for c in TABLES_BY_NAME[name].columns
            if c.name in typed.columns
        ]
    )
    return pa.Table.from_pandas(typed, schema=schema, preserve_index=False)


def _typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with canonical column types (dates as datetime.date, ints as Int64)."""
    out = pd.DataFrame(index=frame.index)
    for column in TABLES_BY_NAME[name].columns:
        if column.name not in frame.columns:
            continue
        values = frame[column.name]
        if column.type == "date":
            out[column.name] = pd.Series(
                [None if pd.isna(v) else pd.Timestamp(v).date() for v in values], index=frame.index, dtype=object
            )
        elif column.type == "int":
            out[column.name] = pd.to_numeric(values).astype("Int64")
        elif column.type == "float":
            out[column.name] = pd.to_numeric(values).astype("float64")
        else:
            out[column.name] = values.astype(object).where(values.notna(), None)
    return out


def _from_parquet_dir(path: Path, engine: str, spark_session: Any | None) -> Store:
    files = {p.stem: p for p in path.glob("*.parquet") if p.stem in TABLES_BY_NAME}
    if not files:
        raise QiloopError(
            f"{path} holds no <table>.parquet files", hint="point --store at a DuckDB store or an extract"
        )
    if engine == "duckdb":
        con = ibis.duckdb.connect()
        for name, file in files.items():
            con.read_parquet(file, table_name=name)
        return Store(con, "duckdb", set(files), str(path))
    session = spark_session or _spark_session()
    for name, file in files.items():
        session.read.parquet(str(file)).createOrReplaceTempView(name)
    return Store(ibis.pyspark.connect(session), "spark", set(files), str(path))


def _duckdb_file_to_spark(path: Path, spark_session: Any | None) -> Store:
    """Spark cannot read a DuckDB file: export its tables to Parquet in a temporary directory first."""
    import duckdb

    tmp = tempfile.TemporaryDirectory(prefix="qiloop-spark-")
    with duckdb.connect(str(path), read_only=True) as db:
        names = {r[0] for r in db.execute("select table_name from information_schema.tables").fetchall()}
        for name in sorted(names & set(TABLES_BY_NAME)):
            target = Path(tmp.name) / f"{name}.parquet"
            db.table(name).write_parquet(str(target))
    store = _from_parquet_dir(Path(tmp.name), "spark", spark_session)
    store.description = str(path)
    store._cleanup.append(tmp)
    return store
