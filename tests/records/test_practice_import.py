"""Replacing one practice's records in a network store: the other practices stay, a failure changes nothing."""

from __future__ import annotations

import datetime as dt
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
    part = practice_extract(network[0], tmp_path / "part", PRACTICE)
    import_practice_extract(part, store, practice_id=PRACTICE)  # splits patients shared with other practices
    before = contents(store)
    result = import_practice_extract(part, store, practice_id=PRACTICE)
    assert result.practice_id == PRACTICE and result.patients_removed == 0
    assert result.tables["practices"] == 1
    assert contents(store) == before
    info = read_store_info(store)
    assert {name: t.rows for name, t in info.tables.items()} == {name: len(rows) for name, rows in before.items()}


def records_of_other_practices(store: Path, practice: str) -> dict[str, dict[int, tuple]]:
    """What every other practice sees: its patients' records by the id it uses."""
    con = duckdb.connect(str(store), read_only=True)
    others = [
        r[0] for r in con.execute("SELECT practice_id FROM practices WHERE practice_id <> ?", [practice]).fetchall()
    ]
    con.close()
    return {other: record_by_practice_id(store, other) for other in others}


def test_a_practice_import_changes_only_that_practice_and_its_leavers(network, store, tmp_path):
    before = contents(store)
    seen_by_others = records_of_other_practices(store, PRACTICE)
    old_checksums = {name: t.source_sha256 for name, t in read_store_info(store).tables.items()}
    part = practice_extract(network[0], tmp_path / "part", PRACTICE, drop_patients=40)
    result = import_practice_extract(part, store)
    after = contents(store)
    assert of_other_practices(after, PRACTICE) == of_other_practices(before, PRACTICE)
    assert records_of_other_practices(store, PRACTICE) == seen_by_others
    assert record_by_practice_id(store, PRACTICE) == extract_records(part)
    # independently: who was registered only at this practice and is no longer in its extract
    con = duckdb.connect()
    kept = {
        r[0] for r in con.execute("SELECT patient_id FROM read_parquet(?)", [str(part / "patients.parquet")]).fetchall()
    }
    con.close()
    here = {r[0] for r in before["practice_registrations"] if r[3] == PRACTICE}
    here |= {r[1] for r in before["appointments"] if r[2] == PRACTICE}
    elsewhere = {r[0] for r in before["practice_registrations"] if r[3] != PRACTICE}
    elsewhere |= {r[1] for r in before["appointments"] if r[2] != PRACTICE}
    leavers = here - kept - elsewhere
    assert result.patients_removed == len(leavers) > 0
    patients_after = {r[0] for r in after["patients"]}
    assert not leavers & patients_after
    split = kept & elsewhere  # shared with another practice: kept for it, and a new copy for this one
    assert len(patients_after) == len(before["patients"]) - len(leavers) + len(split)
    assert {r[0] for r in before["patients"]} - leavers <= patients_after
    assert not {r[0] for r in after["clinical_events"]} & leavers
    assert {r for r in before["medications"] if r[0] not in leavers} <= after["medications"]
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


def test_an_appointment_id_another_practice_uses_gets_a_new_store_id(network, store, tmp_path):
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
    sent = con.execute(f"SELECT count(*) FROM read_parquet('{tmp_path / 'appointments.parquet'}')").fetchone()[0]
    con.close()
    shutil.move(tmp_path / "appointments.parquet", part / "appointments.parquet")
    before = contents(store)
    import_practice_extract(part, store)
    after = contents(store)
    assert of_other_practices(after, PRACTICE) == of_other_practices(before, PRACTICE)
    assert [r for r in after["appointments"] if r[0] == taken and r[2] == "Q10001"]
    assert len([r for r in after["appointments"] if r[2] == PRACTICE]) == sent


def test_a_practice_import_needs_an_existing_store(network, tmp_path):
    part = practice_extract(network[0], tmp_path / "part", PRACTICE)
    with pytest.raises(InputError, match="no such store"):
        import_practice_extract(part, tmp_path / "missing.duckdb")


# --- practice isolation: a practice's ids are its own ------------------------------------------------------------


def renumber(part: Path, *, start: int = 1) -> dict[int, int]:
    """Give the extract's patients the ids start, start+1, ... (as a practice numbering from 1 would); returns
    old -> new."""
    con = duckdb.connect()
    try:
        ids = [
            r[0]
            for r in con.execute(
                f"SELECT patient_id FROM read_parquet('{part / 'patients.parquet'}') ORDER BY 1"
            ).fetchall()
        ]
        mapping = {old: start + i for i, old in enumerate(ids)}
        con.execute("CREATE TABLE m (old BIGINT, new BIGINT)")
        con.executemany("INSERT INTO m VALUES (?, ?)", list(mapping.items()))
        for name in ("patients", "practice_registrations", "clinical_events", "medications", "appointments"):
            path = part / f"{name}.parquet"
            con.execute(
                f"COPY (SELECT t.* REPLACE (m.new AS patient_id) FROM read_parquet('{path}') t "
                f"JOIN m ON m.old = t.patient_id) TO '{path}.new' (FORMAT parquet)"
            )
            shutil.move(f"{path}.new", path)
    finally:
        con.close()
    return mapping


def record_by_practice_id(store: Path, practice: str) -> dict[int, tuple]:
    """Each patient registered at ``practice``, by the id the practice uses: (patients row less its id,
    sorted events, sorted medications)."""
    from qiloop.records.practice_import import practice_patient_ids

    con = duckdb.connect(str(store), read_only=True)
    try:
        ids = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT patient_id FROM practice_registrations WHERE practice_id = ?", [practice]
            ).fetchall()
        ]
        out = {}
        for pid in ids:
            row = con.execute("SELECT * EXCLUDE (patient_id) FROM patients WHERE patient_id = ?", [pid]).fetchone()
            events = sorted(
                con.execute(
                    "SELECT * EXCLUDE (patient_id) FROM clinical_events WHERE patient_id = ?", [pid]
                ).fetchall(),
                key=repr,
            )
            meds = sorted(
                con.execute("SELECT * EXCLUDE (patient_id) FROM medications WHERE patient_id = ?", [pid]).fetchall(),
                key=repr,
            )
            out[pid] = (row, events, meds)
    finally:
        con.close()
    own = practice_patient_ids(store, practice, list(out))
    return {own[pid]: record for pid, record in out.items()}


def extract_records(part: Path) -> dict[int, tuple]:
    """The same shape as record_by_practice_id, read straight from an extract's files."""
    con = duckdb.connect()
    try:
        for name in ("patients", "clinical_events", "medications"):
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{part / f'{name}.parquet'}')")
        if "numeric_comparator" not in [r[0] for r in con.execute("DESCRIBE clinical_events").fetchall()]:
            # an optional column the generator leaves out: null in the store
            con.execute(
                f"CREATE OR REPLACE VIEW clinical_events AS SELECT *, NULL::VARCHAR AS numeric_comparator "
                f"FROM read_parquet('{part / 'clinical_events.parquet'}')"
            )
        out = {}
        for (pid,) in con.execute("SELECT patient_id FROM patients").fetchall():
            row = con.execute("SELECT * EXCLUDE (patient_id) FROM patients WHERE patient_id = ?", [pid]).fetchone()
            events = sorted(
                con.execute(
                    "SELECT * EXCLUDE (patient_id) FROM clinical_events WHERE patient_id = ?", [pid]
                ).fetchall(),
                key=repr,
            )
            meds = sorted(
                con.execute("SELECT * EXCLUDE (patient_id) FROM medications WHERE patient_id = ?", [pid]).fetchall(),
                key=repr,
            )
            out[pid] = (row, events, meds)
    finally:
        con.close()
    return out


def test_two_practices_numbering_their_patients_from_1_each_keep_their_own(network, store, tmp_path):
    first = practice_extract(network[0], tmp_path / "first", "Q10001")
    second = practice_extract(network[0], tmp_path / "second", PRACTICE)
    renumber(first)
    renumber(second)
    import_practice_extract(first, store, practice_id="Q10001")
    after_first = record_by_practice_id(store, "Q10001")
    import_practice_extract(second, store, practice_id=PRACTICE)
    assert record_by_practice_id(store, "Q10001") == after_first == extract_records(first)
    assert record_by_practice_id(store, PRACTICE) == extract_records(second)
    # both numbered from 1, yet no store patient is registered at both
    con = duckdb.connect(str(store), read_only=True)
    shared = con.execute(
        "SELECT count(*) FROM (SELECT patient_id FROM practice_registrations WHERE practice_id = 'Q10001' "
        "INTERSECT SELECT patient_id FROM practice_registrations WHERE practice_id = ?)",
        [PRACTICE],
    ).fetchone()[0]
    con.close()
    assert shared == 0
    # sending the same extract again finds the same patients and changes nothing
    before = contents(store)
    import_practice_extract(second, store, practice_id=PRACTICE)
    assert contents(store) == before


def test_an_extract_naming_another_practices_patient_creates_its_own_patient(network, store, tmp_path):
    """Ashfield's extract carries a row with the id of a patient registered only at another practice: that
    patient's record must not change; the row becomes a new patient of Ashfield."""
    con = duckdb.connect(str(store), read_only=True)
    victim = con.execute(
        "SELECT patient_id FROM practice_registrations WHERE practice_id = 'Q10001' AND patient_id NOT IN "
        "(SELECT patient_id FROM practice_registrations WHERE practice_id <> 'Q10001') "
        "AND patient_id IN (SELECT patient_id FROM medications) ORDER BY 1 LIMIT 1"
    ).fetchone()[0]
    con.close()
    part = practice_extract(network[0], tmp_path / "part", PRACTICE)
    con = duckdb.connect()
    for name, extra in (
        (
            "patients",
            f"SELECT {victim}::BIGINT AS patient_id, DATE '1950-01-01' AS date_of_birth, 'male' AS sex, "
            "DATE '2025-01-01' AS date_of_death, NULL AS ethnicity, NULL AS imd_quintile",
        ),
        (
            "practice_registrations",
            f"SELECT {victim}::BIGINT AS patient_id, DATE '2020-01-01' AS start_date, "
            f"NULL::DATE AS end_date, '{PRACTICE}' AS practice_id",
        ),
    ):
        path = part / f"{name}.parquet"
        con.execute(
            f"COPY (SELECT * FROM read_parquet('{path}') UNION ALL BY NAME {extra}) TO '{path}.new' (FORMAT parquet)"
        )
        shutil.move(f"{path}.new", path)
    con.close()
    before = contents(store)
    victim_before = {name: {r for r in before[name] if r[0] == victim} for name in ("patients", "medications")}
    victim_events = {r for r in before["clinical_events"] if r[0] == victim}
    import_practice_extract(part, store, practice_id=PRACTICE)
    after = contents(store)
    assert {name: {r for r in after[name] if r[0] == victim} for name in ("patients", "medications")} == victim_before
    assert {r for r in after["clinical_events"] if r[0] == victim} == victim_events
    assert of_other_practices(after, PRACTICE) == of_other_practices(before, PRACTICE)
    ours = record_by_practice_id(store, PRACTICE)
    assert ours[victim][0][:3] == (dt.date(1950, 1, 1), "male", dt.date(2025, 1, 1))


def test_a_registration_naming_another_practice_is_refused_with_its_line(network, store, tmp_path):
    part = practice_extract(network[0], tmp_path / "part", PRACTICE)
    con = duckdb.connect()
    path = part / "practice_registrations.parquet"
    con.execute(
        f"COPY (SELECT * REPLACE (CASE WHEN row_number() OVER () = 2 THEN 'Q10001' ELSE practice_id END "
        f"AS practice_id) FROM read_parquet('{path}')) TO '{path}.new' (FORMAT parquet)"
    )
    con.close()
    shutil.move(f"{path}.new", path)
    before = sha256(store)
    with pytest.raises(InputError, match=r"practice_registrations.*(line|row) 2"):
        import_practice_extract(part, store)
    assert sha256(store) == before
