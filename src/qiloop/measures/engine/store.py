"""The analytics store: an Ibis connection, the canonical tables it holds, and the tables a run stores in it.

Opened by :mod:`qiloop.measures.engine.connection`; on DuckDB the statements of a run are queued on a
:class:`~qiloop.measures.engine.runner.Runner`, the connection's only user while the run lasts.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.operations as ops
import pandas as pd
from ibis.backends.sql.datatypes import DuckDBType

from qiloop.errors import QiloopError
from qiloop.measures.engine.compat import patch_duckdb
from qiloop.measures.engine.runner import Runner
from qiloop.records.schema import TABLES_BY_NAME

patch_duckdb()

_IBIS_TYPES = {"str": "string", "int": "int64", "float": "float64", "date": "date"}


@dataclass
class Store:
    """An Ibis connection and the canonical tables it holds."""

    con: Any
    engine: str
    available: set[str]
    description: str
    _cleanup: list[Any] = field(default_factory=list)
    runner: Runner | None = None  # DuckDB: queues the run's statements on one thread, the connection's only user

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
            self.runner.store(name, statement)
            return ops.DatabaseTable(name, schema=schema, source=self.con, namespace=ops.Namespace()).to_expr()
        return expr.cache()

    def start_queue(self, executor: Executor) -> Runner:
        """Queue the statements of a run on ``executor`` (one thread, the connection's only user from now on)."""
        self.runner = Runner(executor, self.con.con.execute)
        return self.runner

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
