"""qiloop.records.store: the reads of a store the workbench needs (its practices, the practices registered)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from qiloop.records.store import registered_practice_ids, write_practices


def _store(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE practices (practice_id VARCHAR, name VARCHAR, pcn_id VARCHAR)")
    con.execute("INSERT INTO practices VALUES ('B00002', 'Beech', 'U2'), ('A00001', 'Ash', 'U1')")
    con.execute("CREATE TABLE practice_registrations (patient_id BIGINT, practice_id VARCHAR)")
    con.execute("INSERT INTO practice_registrations VALUES (1, 'A00001'), (2, 'A00001'), (3, 'B00002')")
    con.close()
    return path


def test_the_practices_table_is_written_in_code_order(tmp_path: Path) -> None:
    out = tmp_path / "practices.parquet"
    write_practices(_store(tmp_path / "store.duckdb"), out)
    table = pd.read_parquet(out)
    assert table.to_dict("records") == [
        {"practice_id": "A00001", "name": "Ash", "pcn_id": "U1"},
        {"practice_id": "B00002", "name": "Beech", "pcn_id": "U2"},
    ]


def test_each_registered_practice_is_named_once(tmp_path: Path) -> None:
    assert sorted(registered_practice_ids(_store(tmp_path / "store.duckdb"))) == ["A00001", "B00002"]
