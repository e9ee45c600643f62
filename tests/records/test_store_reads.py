"""qiloop.records.store: the reads of a store the workbench needs (its practices, the practices registered)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from qiloop.records.store import registered_practice_ids, write_practices


def _store(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE practices (practice_id VARCHAR, name VARCHAR, pcn_id VARCHAR, pcn_name VARCHAR, "
        "icb_id VARCHAR, icb_name VARCHAR)"
    )
    con.execute(
        "INSERT INTO practices VALUES ('B00002', 'Beech', 'U2', 'Two', 'I', 'ICB'), ('A00001', 'Ash', 'U1', 'One', 'I', 'ICB')"
    )
    con.execute("CREATE TABLE practice_registrations (patient_id BIGINT, practice_id VARCHAR)")
    con.execute("INSERT INTO practice_registrations VALUES (1, 'A00001'), (2, 'A00001'), (3, 'B00002')")
    con.close()
    return path


def test_the_practices_table_is_written_in_code_order(tmp_path: Path) -> None:
    out = tmp_path / "practices.parquet"
    write_practices(_store(tmp_path / "store.duckdb"), out)
    table = pd.read_parquet(out)
    assert table[["practice_id", "name", "pcn_id"]].to_dict("records") == [
        {"practice_id": "A00001", "name": "Ash", "pcn_id": "U1"},
        {"practice_id": "B00002", "name": "Beech", "pcn_id": "U2"},
    ]


UNKNOWN = {"pcn_id": "unknown", "pcn_name": "unknown", "icb_id": "unknown", "icb_name": "unknown"}


def test_a_registered_practice_the_practices_table_lacks_is_written_by_its_code(tmp_path: Path) -> None:
    """The practices table is optional in an extract (and an ehrQL network's conversion has none): every practice
    the registrations name is written, of unknown PCN and ICB, so the workbench's tree can hold it."""
    store = _store(tmp_path / "store.duckdb")
    con = duckdb.connect(str(store))
    con.execute("INSERT INTO practice_registrations VALUES (4, 'C00003'), (5, 'C00003')")
    con.close()
    out = tmp_path / "practices.parquet"
    write_practices(store, out)
    records = pd.read_parquet(out).to_dict("records")
    assert [r["practice_id"] for r in records] == ["A00001", "B00002", "C00003"]
    assert records[2] == {"practice_id": "C00003", "name": "C00003", **UNKNOWN}
    con = duckdb.connect(str(store))
    con.execute("DROP TABLE practices")
    con.close()
    write_practices(store, out)
    assert pd.read_parquet(out).to_dict("records") == [
        {"practice_id": code, "name": code, **UNKNOWN} for code in ("A00001", "B00002", "C00003")
    ]


def test_each_registered_practice_is_named_once(tmp_path: Path) -> None:
    assert sorted(registered_practice_ids(_store(tmp_path / "store.duckdb"))) == ["A00001", "B00002"]
