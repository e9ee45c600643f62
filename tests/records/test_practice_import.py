"""Replacing one practice's records in a network store: the other practices stay, a failure changes nothing."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from qiloop.errors import InputError
from qiloop.records.importer import import_extract
from qiloop.records.practice_import import import_practice_extract
from qiloop.records.store import BUILD_PREFIX, read_store_info
from qiloop.synth import generate_network

PRACTICE = "Q10002"
TABLES = ("practices", "patients", "practice_registrations", "clinical_events", "medications", "appointments")


@pytest.fixture(scope="module")
def network(tmp_path_factory) -> tuple[Path, Path]:
    """A three-practice synthetic extract and its store (built once; tests copy the store)."""
    base = tmp_path_factory.mktemp("network")
    generate_network(base / "extract", practices=3, patients=1500, seed=5, fmt="parquet")
    import_extract(base / "extract", base / "store.duckdb")
    return base / "extract", base / "store.duckdb"


@pytest.fixture
def store(network, tmp_path) -> Path:
    copy = tmp_path / "store.duckdb"
    shutil.copyfile(network[1], copy)
    return copy


def practice_extract(extract: Path, out: Path, practice: str, *, drop_patients: int = 0) -> Path:
    """One practice's extract cut from the network's: its row, registrations and appointments, and the full
    record of every patient registered there (less the first ``drop_patients`` of them, as if they had left)."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        for name in TABLES:
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{extract / f'{name}.parquet'}')")
        con.execute(
            "CREATE TABLE kept AS SELECT DISTINCT patient_id FROM practice_registrations WHERE practice_id = ? "
            "ORDER BY patient_id OFFSET ?",
            [practice, drop_patients],
        )
        queries = {
            "practices": "SELECT * FROM practices WHERE practice_id = $p",
            "patients": "SELECT * FROM patients WHERE patient_id IN (SELECT patient_id FROM kept)",
            "practice_registrations": "SELECT * FROM practice_registrations WHERE practice_id = $p "
            "AND patient_id IN (SELECT patient_id FROM kept)",
            "clinical_events": "SELECT * FROM clinical_events WHERE patient_id IN (SELECT patient_id FROM kept)",
            "medications": "SELECT * FROM medications WHERE patient_id IN (SELECT patient_id FROM kept)",
            "appointments": "SELECT * FROM appointments WHERE practice_id = $p "
            "AND patient_id IN (SELECT patient_id FROM kept)",
        }
        for name, query in queries.items():
            query = query.replace("$p", f"'{practice}'")
            con.execute(f"COPY ({query}) TO '{out / f'{name}.parquet'}' (FORMAT parquet)")
    finally:
        con.close()
    return out


def contents(store: Path) -> dict[str, set[tuple]]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return {name: set(con.execute(f"SELECT * FROM {name}").fetchall()) for name in TABLES}
    finally:
        con.close()


def of_other_practices(rows: dict[str, set[tuple]], practice: str) -> dict[str, set[tuple]]:
    """The rows that carry another practice's id (registrations, appointments, practices)."""
    return {
        name: {row for row in rows[name] if row[_practice_column(name)] != practice}
        for name in ("practices", "practice_registrations", "appointments")
    }


def _practice_column(name: str) -> int:
    return {"practices": 0, "practice_registrations": 3, "appointments": 2}[name]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_same_practice_extract_again_leaves_the_store_as_it_was(network, store, tmp_path):
    before = contents(store)
    part = practice_extract(network[0], tmp_path / "part", PRACTICE)
    result = import_practice_extract(part, store, practice_id=PRACTICE)
    assert result.practice_id == PRACTICE and result.patients_removed == 0
    assert result.tables["practices"] == 1
    assert contents(store) == before
    info = read_store_info(store)
    assert {name: t.rows for name, t in info.tables.items()} == {name: len(rows) for name, rows in before.items()}


def test_a_practice_import_changes_only_that_practice_and_its_leavers(network, store, tmp_path):
    before = contents(store)
    old_checksums = {name: t.source_sha256 for name, t in read_store_info(store).tables.items()}
    part = practice_extract(network[0], tmp_path / "part", PRACTICE, drop_patients=40)
    result = import_practice_extract(part, store)
    after = contents(store)
    assert of_other_practices(after, PRACTICE) == of_other_practices(before, PRACTICE)
    # independently: who was registered only at this practice and is no longer in its extract
    con = duckdb.connect()
    kept = {
        r[0] for r in con.execute("SELECT patient_id FROM read_parquet(?)", [str(part / "patients.parquet")]).fetchall()
    }
    con.close()
    here = {r[0] for r in before["practice_registrations"] if r[3] == PRACTICE}
    elsewhere = {r[0] for r in before["practice_registrations"] if r[3] != PRACTICE}
    elsewhere |= {r[1] for r in before["appointments"] if r[2] != PRACTICE}
    leavers = here - kept - elsewhere
    assert result.patients_removed == len(leavers) > 0
    patients_after = {r[0] for r in after["patients"]}
    assert not leavers & patients_after
    assert {r[0] for r in before["patients"]} - leavers == patients_after
    assert not {r[0] for r in after["clinical_events"]} & leavers
    assert {r for r in before["medications"] if r[0] not in leavers} == after["medications"]
    registered_here = {r[0] for r in after["practice_registrations"] if r[3] == PRACTICE}
    assert registered_here == kept
    # the results fingerprint sees the change: every table's checksum is new
    new_checksums = {name: t.source_sha256 for name, t in read_store_info(store).tables.items()}
    assert all(new_checksums[name] != old_checksums[name] for name in TABLES)


def test_an_invalid_practice_extract_changes_nothing_and_says_where(network, store, tmp_path):
    part = practice_extract(network[0], tmp_path / "part", PRACTICE)
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT * REPLACE (CASE WHEN row_number() OVER () = 3 THEN 'sometimes' ELSE sex END AS sex) "
        f"FROM read_parquet('{part / 'patients.parquet'}')) TO '{tmp_path / 'patients.parquet'}' (FORMAT parquet)"
    )
    con.close()
    shutil.move(tmp_path / "patients.parquet", part / "patients.parquet")
    before = sha256(store)
    with pytest.raises(InputError, match=r"patients\.parquet.*sex"):
        import_practice_extract(part, store)
    assert sha256(store) == before
    assert not [p for p in store.parent.iterdir() if p.name.startswith(BUILD_PREFIX)]  # no build folder left


def test_an_extract_of_two_practices_or_the_wrong_one_is_refused(network, store, tmp_path):
    before = sha256(store)
    with pytest.raises(InputError, match="holds one practice, but its practices table has 3: Q10001, Q10002, Q10003"):
        import_practice_extract(network[0], store)
    part = practice_extract(network[0], tmp_path / "part", PRACTICE)
    with pytest.raises(InputError, match=f"the extract is for practice {PRACTICE}, not Q10003"):
        import_practice_extract(part, store, practice_id="Q10003")
    assert sha256(store) == before


def test_an_identifier_already_used_by_another_practice_is_refused(network, store, tmp_path):
    part = practice_extract(network[0], tmp_path / "part", PRACTICE)
    con = duckdb.connect(str(store), read_only=True)
    taken = con.execute("SELECT appointment_id FROM appointments WHERE practice_id = 'Q10001' LIMIT 1").fetchone()[0]
    con.close()
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * REPLACE (CASE WHEN row_number() OVER () = 1 THEN {taken} ELSE appointment_id END "
        f"AS appointment_id) FROM read_parquet('{part / 'appointments.parquet'}')) "
        f"TO '{tmp_path / 'appointments.parquet'}' (FORMAT parquet)"
    )
    con.close()
    shutil.move(tmp_path / "appointments.parquet", part / "appointments.parquet")
    before = sha256(store)
    with pytest.raises(InputError, match=f"appointments: appointment_id {taken} from practice {PRACTICE}'s extract"):
        import_practice_extract(part, store)
    assert sha256(store) == before


def test_a_practice_import_needs_an_existing_store(network, tmp_path):
    part = practice_extract(network[0], tmp_path / "part", PRACTICE)
    with pytest.raises(InputError, match="no such store"):
        import_practice_extract(part, tmp_path / "missing.duckdb")
