"""Reading a canonical extract (CSV or Parquet, as ``qiloop synth`` writes it) into DuckDB views for the writers."""

from __future__ import annotations

from pathlib import Path

import duckdb

TABLE_NAMES = ("patients", "practice_registrations", "clinical_events", "medications", "appointments")


def connect_extract(extract_dir: Path, tables: tuple[str, ...] = TABLE_NAMES) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per canonical table of ``extract_dir``, every column text
    (dates ISO, empty cells null), so a writer reads CSV and Parquet extracts alike."""
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    for name in tables:
        parquet, csv = extract_dir / f"{name}.parquet", extract_dir / f"{name}.csv"
        if parquet.exists():
            relation = con.sql("SELECT * FROM read_parquet($path)", params={"path": str(parquet)})
            casts = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in relation.columns)
            con.execute(f"CREATE VIEW {name} AS SELECT {casts} FROM read_parquet('{_quoted(parquet)}')")
        elif csv.exists():
            con.execute(
                f"CREATE VIEW {name} AS SELECT * FROM read_csv('{_quoted(csv)}', header = true, all_varchar = true)"
            )
        else:
            con.close()
            raise FileNotFoundError(f"{extract_dir}: no {name}.parquet or {name}.csv")
    return con


def has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    return column in con.sql(f"SELECT * FROM {table} LIMIT 0").columns


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
