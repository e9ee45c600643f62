"""Opening an analytics store as an Ibis connection, on DuckDB or Spark.

A store is a DuckDB file (what ``qiloop import`` writes), a directory of
``<table>.parquet`` files, an Ibis backend already connected, or (in tests) a
mapping of table name to pandas DataFrame.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.operations as ops
import pandas as pd
from ibis.backends.sql.datatypes import DuckDBType

from qiloop import settings
from qiloop.errors import QiloopError
from qiloop.measures.engine.compat import patch_duckdb
from qiloop.records.schema import TABLES_BY_NAME

patch_duckdb()

ENGINES = ("duckdb", "spark")

_QUOTED_NAME = re.compile(r'"(qiloop_[A-Za-z0-9_]+)"')

_IBIS_TYPES = {"str": "string", "int": "int64", "float": "float64", "date": "date"}


@dataclass
class Store:
    """An Ibis connection and the canonical tables it holds."""

    con: Any
    engine: str
    available: set[str]
    description: str
    _cleanup: list[Any] = field(default_factory=list)
    runner: Executor | None = None  # DuckDB: a one-thread executor that is then the only user of the connection
    _queued: list[Future[Any]] = field(default_factory=list)
    context: str = ""  # what is being compiled, named in QILOOP_PROFILE's lines
    # Dropping stored tables once unused (DuckDB runner): every queued statement's SQL, the tables stored, and
    # once every statement is queued, (last statement using it, table) in order; the runner drops as it goes.
    _statements: list[str] = field(default_factory=list)
    _stored: list[str] = field(default_factory=list)
    _drops: list[tuple[int, str]] | None = None
    _next_drop: int = 0

    def table(self, name: str) -> ibis.Table:
        """The canonical table ``name`` with canonical column types (absent optional columns are null)."""
        if name not in self.available:
            raise QiloopError(
                f"the store {self.description} has no {name} table",
                hint=f"import an extract that includes {name}",
            )
        raw = self.con.table(name)
        columns = {}
        for column in TABLES_BY_NAME[name].columns:
            ibis_type = _IBIS_TYPES[column.type]
            if column.name in raw.columns:
                columns[column.name] = raw[column.name].cast(ibis_type)
            else:
                columns[column.name] = ibis.null(ibis_type)
        return raw.select(**columns)

    def require(self, names: set[str], measure_id: str) -> None:
        missing = sorted(names - self.available)
        if missing:
            raise QiloopError(
                f"measure {measure_id!r} needs the {', '.join(missing)} table(s), which the store {self.description} lacks",
                hint="import an extract with those tables, or leave this measure out with --measure",
            )

    def temporary_table(self, name: str, data: Any) -> ibis.Table:
        """Load a small pyarrow table into the backend as ``name`` (replacing it) and return it."""
        if self.engine == "duckdb":
            raw = self.con.con
            raw.register("qiloop_incoming", data)
            raw.execute(f'create or replace temp table "{name}" as select * from qiloop_incoming')  # name: ours
            raw.unregister("qiloop_incoming")
        else:
            self.con._session.createDataFrame(data).createOrReplaceTempView(name)
        return self.con.table(name)

    def materialize(self, name: str, expr: ibis.Table) -> ibis.Table:
        """Compute ``expr`` once into a temporary table ``name`` (replacing it) and return that table.

        With a ``runner`` (DuckDB), the statement is queued on it and the table is returned at once, typed from
        ``expr``: turning the next measures into SQL (Python) overlaps computing this table (DuckDB). The runner
        runs statements in the order given, so later queries find the table; ``settle`` reports a failure.
        """
        if self.engine == "duckdb":
            sql = ibis.to_sql(expr, dialect="duckdb")
            if self.runner is None:
                self.con.con.execute(f'create or replace temp table "{name}" as {sql}')  # SQL compiled by Ibis
                return self.con.table(name)
            # Stored with the types Ibis gives ``expr`` (DuckDB would sum BIGINTs to HUGEINT), which the table has.
            schema = ibis.schema({column: dtype.copy(nullable=True) for column, dtype in expr.schema().items()})
            typed = ", ".join(
                f'cast("{c}" as {DuckDBType.from_ibis(t).sql("duckdb")}) as "{c}"' for c, t in schema.items()
            )
            statement = f'create or replace temp table "{name}" as select {typed} from ({sql})'  # names: ours
            self._stored.append(name)
            self._queued.append(self.submit(name, self.con.con.execute, statement))
            return ops.DatabaseTable(name, schema=schema, source=self.con, namespace=ops.Namespace()).to_expr()
        return expr.cache()

    def start_queue(self, runner: Executor) -> None:
        """Use ``runner`` (one thread, the only user of the connection from now on) for the statements of a run."""
        self.runner = runner
        self._statements, self._stored, self._drops, self._next_drop = [], [], None, 0

    def submit(self, label: str, function: Any, *args: Any) -> Future[Any]:
        """Queue ``function(*args)`` on the runner; with ``QILOOP_PROFILE`` set, its time is written to stderr.

        After it runs, the stored tables no later statement uses are dropped (once ``plan_drops`` has been called).
        """
        assert self.runner is not None
        index = len(self._statements)
        self._statements.append(" ".join(a for a in args if isinstance(a, str)))
        profile = settings.current().profile
        label = f"{label} ({self.context})" if self.context else label

        def run() -> Any:
            started = time.perf_counter()
            try:
                return function(*args)
            finally:
                if profile:
                    print(f"profile {time.perf_counter() - started:8.3f} s  {label}", file=sys.stderr, flush=True)
                self._drop_unused(index)

        return self.runner.submit(run)

    def plan_drops(self) -> None:
        """Once the run's last statement is queued: drop each stored table after the last statement that uses it.

        Stored tables otherwise hold DuckDB's memory until the run ends, and a large run then spills to disk.
        A statement uses a table when its SQL names it (Ibis quotes every name; ours are unique per run).
        """
        assert self.runner is not None
        stored = set(self._stored)
        last: dict[str, int] = {}
        for index, sql in enumerate(self._statements):
            for name in set(_QUOTED_NAME.findall(sql)) & stored:
                last[name] = index
        self._drops = sorted((index, name) for name, index in last.items())
        self.runner.submit(self._drop_unused, len(self._statements))  # what statements already run left behind

    def _drop_unused(self, index: int) -> None:
        """(Runner thread) drop the stored tables whose last use is at or before statement ``index``."""
        drops = self._drops
        if drops is None:
            return
        while self._next_drop < len(drops) and drops[self._next_drop][0] <= index:
            name = drops[self._next_drop][1]
            self._next_drop += 1
            self.con.con.execute(f'drop table if exists "{name}"')  # name: ours

    def settle(self) -> None:
        """Wait for the statements queued on the runner; raise the first one's error."""
        queued, self._queued = self._queued, []
        for future in queued:
            future.result()

    def fetch(self, sql: str) -> pd.DataFrame:
        """Run SQL that Ibis compiled from a measure (DuckDB only) and return the rows."""
        return self.con.con.execute(sql).df()

    def count(self, sql: str) -> pd.DataFrame:
        """Run a measure's counting query (DuckDB only), its joins in the order written, and return the rows.

        A counting query joins a stored frame to feature tables, one left join each: building each join's hash
        table from the narrow feature table (as written) keeps memory flat. DuckDB's optimiser, misjudging the
        size of a chain of joins, instead builds on the growing, ever wider frame, and at 4,000,000 patients spills:
        ``hyp008`` took 24 s against 12 s as written, ``pincer_a`` 12 s against 8 s.
        """
        raw = self.con.con
        raw.execute("SET disabled_optimizers = 'join_order,build_side_probe_side'")
        try:
            return raw.execute(sql).df()
        finally:
            raw.execute("RESET disabled_optimizers")

    def close(self) -> None:
        for item in self._cleanup:
            item.cleanup()


def _spark_session() -> Any:
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    chosen = settings.current()
    return (
        SparkSession.builder.master(chosen.spark_master)
        .appName("qiloop-measures")
        .config("spark.sql.shuffle.partitions", str(chosen.spark_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.default.parallelism", str(chosen.spark_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def connect_spark(session: Any | None = None) -> Any:
    """An Ibis PySpark backend on ``session`` (a local session when None)."""
    return ibis.pyspark.connect(session or _spark_session())


def open_store(store: Any, engine: str = "duckdb", *, spark_session: Any | None = None) -> Store:
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
        if spill is not None:
            opened._cleanup.append(spill)
        return opened
    return _duckdb_file_to_spark(path, spark_session)


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
