"""Replace one practice's records in an existing store with that practice's new extract.

>>> from qiloop.records.practice_import import import_practice_extract
>>> result = import_practice_extract("var/Q10002-extract", "var/store.duckdb")  # doctest: +SKIP
>>> result.practice_id, result.tables["patients"]  # doctest: +SKIP
('Q10002', 2104)

A network's store is built from every practice's extract; when one practice
sends a new extract, only its records change. The extract must hold exactly
one practice (its ``practices`` table has one row) and is validated exactly
as :func:`~qiloop.records.importer.import_extract` validates a whole one.

What "the practice's records" means, since events and prescriptions carry a
patient but no practice:

* the practice's row, registrations and appointments are replaced by the extract's;
* every patient in the extract is replaced whole (their ``patients`` row,
  clinical events and medications): the practice's extract holds the full GP
  record of the patients it sends;
* a patient who was registered at the practice, is not in the new extract and
  has no registration or appointment at any other practice leaves the store with
  their events and medications;
* a patient who also belongs to another practice (a network extract holds one
  record for a patient who moved) keeps that record for the other practice:
  only this practice's registrations and appointments go, and the extract's
  copy becomes a separate patient of this practice.

Patient identifiers are the practice's own: two practices may both number
their patients from 1. An extract's patient id means "this practice's patient
with that id" and can never reach another practice's patient:

* an id that names a patient of the practice alone (registered or seen only
  there, or given a store id by an earlier import, see below) is that patient;
* any other id is a new patient of the practice: it keeps its id when no
  patient in the store has it, and is given a new store id otherwise. The
  pairing (practice, the practice's id, store id) is kept in
  ``_qiloop_patient_sources`` so the next extract finds the same patient and
  action lists can show the id the practice knows (:func:`practice_patient_ids`).

Appointment ids likewise: an extract's appointment whose id another practice's
appointment already has is given a new store id (nothing refers to appointments).

The merged store is built beside the old one and swapped in only when every
check has passed (keys still unique, every patient and practice reference
still resolving), so a failed import changes nothing.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from qiloop.errors import InputError, showing_values
from qiloop.records.importer import import_extract
from qiloop.records.schema import TABLES_BY_NAME, UNKNOWN
from qiloop.records.sql import connect, ident
from qiloop.records.store import METADATA_TABLE, StoredTable, building, publish, read_store_info, write_metadata

PATIENT_RECORD_TABLES = ("patients", "clinical_events", "medications")  # rows that belong to a patient, not a practice
PRACTICE_TABLES = ("practice_registrations", "appointments", "practices")  # rows that carry the practice_id
SOURCES_TABLE = "_qiloop_patient_sources"  # (practice_id, source_patient_id, patient_id) where the ids differ

if TYPE_CHECKING:
    from qiloop.records.convert import ConversionReport


@dataclass(frozen=True)
class PracticeImportResult:
    """What a practice import did: the practice, the extract's rows per table, patients who left, time taken."""

    store: Path
    practice_id: str
    tables: dict[str, int]
    patients_removed: int
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.tables.values())


def import_practice_extract(
    source_dir: str | Path,
    store: str | Path,
    *,
    practice_id: str | None = None,
    key: bytes | None = None,
    threads: int | None = None,
    conversion: ConversionReport | None = None,
) -> PracticeImportResult:
    """Replace the records of the one practice in the extract ``source_dir`` in the existing ``store``.

    ``practice_id``, when given, must be the extract's practice (a check that the right file was sent).
    ``conversion``: the report of the conversion that wrote the extract; it replaces the store's earlier one.
    Raises :class:`~qiloop.errors.InputError`, leaving the store exactly as it was, when the extract is
    invalid, holds other than one practice, or would leave the store inconsistent.
    """
    started = time.perf_counter()
    source_dir, store = Path(source_dir), Path(store)
    info = read_store_info(store)
    with building(store) as build_dir:
        part = build_dir / "practice.duckdb"
        extract = import_extract(source_dir, part, key=key, threads=threads)
        practice = _the_one_practice(part, source_dir, practice_id)
        unknown = sorted(set(extract.tables) - set(info.tables))
        if unknown:
            raise InputError(
                f"{source_dir}: the extract has {', '.join(unknown)}, which the store does not; nothing was imported",
                hint="import the whole network's extract instead",
            )
        merged = build_dir / "store.duckdb"
        shutil.copyfile(store, merged)
        con = connect(str(merged), threads=threads)
        try:
            con.execute("ATTACH ? AS part (READ_ONLY)", [str(part)])
            _map_identifiers(con, practice, present=set(info.tables), incoming=set(extract.tables))
            removed = _replace(con, practice, present=set(info.tables), incoming=set(extract.tables))
            _record_sources(con, practice)
            _check_merged(con, set(info.tables), practice)
            counts = {name: _count(con, name) for name in info.tables}
            con.execute("DETACH part")
            part_checksums = {name: t.source_sha256 for name, t in read_store_info(part).tables.items()}
            con.execute(f"DELETE FROM {METADATA_TABLE}")
            con.execute(f"DROP TABLE {METADATA_TABLE}")
            write_metadata(con, [_merged_entry(t, practice, part_checksums, counts) for t in info.tables.values()])
            from qiloop.records.convert import write_report

            write_report(con, conversion)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        publish(merged, store)
    return PracticeImportResult(
        store=store,
        practice_id=practice,
        tables=dict(extract.tables),
        patients_removed=removed,
        seconds=time.perf_counter() - started,
    )


def _the_one_practice(part: Path, source_dir: Path, expected: str | None) -> str:
    con = connect(str(part), read_only=True)
    try:
        has_practices = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'practices'"
        ).fetchone() == (1,)
        ids = (
            [r[0] for r in con.execute("SELECT practice_id FROM practices ORDER BY 1").fetchall()]
            if has_practices
            else []
        )
    finally:
        con.close()
    if not has_practices:
        raise InputError(
            f"{source_dir}: a practice's extract needs a practices table naming the practice; nothing was imported",
            hint="add practices.csv (or .parquet) with the practice's row",
        )
    if len(ids) != 1:
        shown = ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")
        raise InputError(
            f"{source_dir}: a practice's extract holds one practice, but its practices table has {len(ids)}"
            f"{': ' + shown if ids else ''}; nothing was imported",
            hint="import a network's extract as a whole, or send one practice's extract",
        )
    if expected is not None and ids[0] != expected:
        raise InputError(
            f"{source_dir}: the extract is for practice {ids[0]}, not {expected}; nothing was imported",
            hint=f"send {expected}'s own extract",
        )
    return str(ids[0])


def _ensure_sources_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"CREATE TABLE IF NOT EXISTS main.{SOURCES_TABLE} "
        "(practice_id VARCHAR NOT NULL, source_patient_id BIGINT NOT NULL, patient_id BIGINT NOT NULL)"
    )


def _map_identifiers(con: duckdb.DuckDBPyConnection, practice: str, *, present: set[str], incoming: set[str]) -> None:
    """The extract's tables as ``temp.incoming_<name>``, with patient and appointment ids mapped to store ids.

    ``id_map`` pairs each of the extract's patient ids with its store id: the practice's own patient with that
    id (by a kept pairing, or a registration or appointment at the practice under that store id), else the same
    id when no patient in the store has it, else a new id above every id in use.
    """
    _ensure_sources_table(con)
    here = "SELECT patient_id FROM main.practice_registrations WHERE practice_id = $p"
    elsewhere = "SELECT patient_id FROM main.practice_registrations WHERE practice_id <> $p"
    if "appointments" in present:
        here += " UNION SELECT patient_id FROM main.appointments WHERE practice_id = $p"
        elsewhere += " UNION SELECT patient_id FROM main.appointments WHERE practice_id <> $p"
    # A patient who also belongs to another practice (a network extract's patient who moved) is not matched: the
    # extract's copy becomes a patient of this practice alone and the other practice's record is left as it was.
    con.execute(
        "CREATE TEMP TABLE ours AS SELECT o.patient_id, coalesce(s.source_patient_id, o.patient_id) "
        f"AS source_patient_id FROM (({here}) EXCEPT ({elsewhere})) o LEFT JOIN main.{SOURCES_TABLE} s "
        "ON s.practice_id = $p AND s.patient_id = o.patient_id",
        {"p": practice},
    )
    con.execute(
        "CREATE TEMP TABLE id_map AS "
        "WITH incoming AS (SELECT DISTINCT patient_id AS source_patient_id FROM part.patients), "
        "matched AS (SELECT i.source_patient_id, o.patient_id FROM incoming i "
        "LEFT JOIN ours o USING (source_patient_id)), "
        "fresh AS (SELECT source_patient_id, "
        "(SELECT greatest(coalesce(max(patient_id), 0), (SELECT coalesce(max(source_patient_id), 0) FROM incoming)) "
        "FROM main.patients) + row_number() OVER (ORDER BY source_patient_id) AS patient_id FROM matched "
        "WHERE patient_id IS NULL AND source_patient_id IN (SELECT patient_id FROM main.patients)) "
        "SELECT m.source_patient_id, coalesce(m.patient_id, f.patient_id, m.source_patient_id) AS patient_id "
        "FROM matched m LEFT JOIN fresh f USING (source_patient_id)"
    )
    if "appointments" in incoming:
        con.execute(
            "CREATE TEMP TABLE appointment_map AS "
            "WITH theirs AS (SELECT appointment_id FROM main.appointments WHERE practice_id <> $p), "
            "clashing AS (SELECT appointment_id FROM part.appointments WHERE appointment_id IN "
            "(SELECT appointment_id FROM theirs)), "
            "fresh AS (SELECT appointment_id AS source_id, greatest("
            "(SELECT coalesce(max(appointment_id), 0) FROM main.appointments), "
            "(SELECT coalesce(max(appointment_id), 0) FROM part.appointments)) "
            "+ row_number() OVER (ORDER BY appointment_id) AS appointment_id FROM clashing) "
            "SELECT a.appointment_id AS source_id, coalesce(f.appointment_id, a.appointment_id) AS appointment_id "
            "FROM part.appointments a LEFT JOIN fresh f ON f.source_id = a.appointment_id",
            {"p": practice},
        )
    for name in sorted(incoming):
        columns = {c.name for c in TABLES_BY_NAME[name].columns}
        if name == "practices" and "practices" in present:
            _keep_known_networks(con, practice)
            continue
        replaced, joins = [], []
        if "patient_id" in columns:
            replaced.append("m.patient_id AS patient_id")
            joins.append("JOIN id_map m ON m.source_patient_id = t.patient_id")
        if name == "appointments":
            replaced.append("a.appointment_id AS appointment_id")
            joins.append("JOIN appointment_map a ON a.source_id = t.appointment_id")
        select = f"t.* REPLACE ({', '.join(replaced)})" if replaced else "t.*"
        con.execute(
            f"CREATE TEMP TABLE {ident('incoming_' + name)} AS "
            f"SELECT {select} FROM part.{ident(name)} t {' '.join(joins)}"
        )


def _keep_known_networks(con: duckdb.DuckDBPyConnection, practice: str) -> None:
    """``temp.incoming_practices``: the extract's row for the practice, keeping the store's PCN and ICB (and name)
    where the extract does not give them.

    A converted extract (EMIS Web, SystmOne, FHIR, ehrQL) cannot say which PCN and ICB its practice belongs to and
    says ``unknown`` (and a FHIR or ehrQL extract names the practice by its code): replacing the store's row with
    that would take the practice out of its PCN's and ICB's network views.
    """
    con.execute(
        "CREATE TEMP TABLE incoming_practices AS SELECT t.* REPLACE ("
        "CASE WHEN s.practice_id IS NOT NULL AND (t.name IS NULL OR t.name = t.practice_id) THEN s.name "
        "ELSE t.name END AS name, "
        "CASE WHEN s.practice_id IS NOT NULL AND lower(t.pcn_id) = $unknown THEN s.pcn_id ELSE t.pcn_id END AS pcn_id, "
        "CASE WHEN s.practice_id IS NOT NULL AND lower(t.pcn_id) = $unknown THEN s.pcn_name ELSE t.pcn_name END "
        "AS pcn_name, "
        "CASE WHEN s.practice_id IS NOT NULL AND lower(t.icb_id) = $unknown THEN s.icb_id ELSE t.icb_id END AS icb_id, "
        "CASE WHEN s.practice_id IS NOT NULL AND lower(t.icb_id) = $unknown THEN s.icb_name ELSE t.icb_name END "
        "AS icb_name) "
        "FROM part.practices t LEFT JOIN main.practices s ON s.practice_id = t.practice_id AND s.practice_id = $p",
        {"p": practice, "unknown": UNKNOWN},
    )


def _replace(con: duckdb.DuckDBPyConnection, practice: str, *, present: set[str], incoming: set[str]) -> int:
    """Delete the practice's rows and its leaving patients' records, insert the extract's; returns how many left."""
    elsewhere = "SELECT patient_id FROM practice_registrations WHERE practice_id <> $p"
    if "appointments" in present:
        elsewhere += " UNION SELECT patient_id FROM appointments WHERE practice_id <> $p"
    con.execute(
        "CREATE TEMP TABLE leaving AS SELECT patient_id FROM ours "
        f"EXCEPT ({elsewhere}) EXCEPT SELECT patient_id FROM id_map",
        {"p": practice},
    )
    leaving = _scalar(con, "SELECT count(*) FROM leaving")
    con.execute("CREATE TEMP TABLE replaced AS SELECT patient_id FROM leaving UNION SELECT patient_id FROM id_map")
    for name in PRACTICE_TABLES:
        if name in present:
            con.execute(f"DELETE FROM main.{ident(name)} WHERE practice_id = ?", [practice])
    for name in PATIENT_RECORD_TABLES:
        if name in present:
            con.execute(f"DELETE FROM main.{ident(name)} WHERE patient_id IN (SELECT patient_id FROM replaced)")
    for name in sorted(incoming):
        _add_missing_columns(con, name)
        con.execute(f"INSERT INTO main.{ident(name)} BY NAME SELECT * FROM temp.{ident('incoming_' + name)}")
    return leaving


def _add_missing_columns(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """A column the practice's extract has and the store's table lacks (an optional column, or NHS number
    pseudonyms when the network's extract had none) is added to the store's table, empty for the other rows."""
    have = {r[0] for r in con.execute(f"SELECT column_name FROM (DESCRIBE main.{ident(name)})").fetchall()}
    for column, kind in con.execute(
        f"SELECT column_name, column_type FROM (DESCRIBE temp.{ident('incoming_' + name)})"
    ).fetchall():
        if column not in have:
            con.execute(f"ALTER TABLE main.{ident(name)} ADD COLUMN {ident(column)} {kind}")


def _record_sources(con: duckdb.DuckDBPyConnection, practice: str) -> None:
    """Keep the practice's pairings of its own ids with store ids, where they differ (and only current patients)."""
    con.execute(f"DELETE FROM main.{SOURCES_TABLE} WHERE practice_id = ?", [practice])
    con.execute(
        f"INSERT INTO main.{SOURCES_TABLE} SELECT $p, source_patient_id, patient_id FROM id_map "
        "WHERE source_patient_id <> patient_id ORDER BY source_patient_id",
        {"p": practice},
    )


def practice_patient_ids(store: str | Path, practice_id: str, patient_ids: list[int]) -> dict[int, int]:
    """The id the practice itself uses for each of ``patient_ids`` (store ids of its patients).

    The same id unless a practice import gave the patient a new store id because another patient had it.
    """
    con = connect(str(store), read_only=True)
    try:
        has_sources = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [SOURCES_TABLE]
        ).fetchone() == (1,)
        pairs = (
            dict(
                con.execute(
                    f"SELECT patient_id, source_patient_id FROM main.{SOURCES_TABLE} WHERE practice_id = ?",
                    [practice_id],
                ).fetchall()
            )
            if has_sources
            else {}
        )
    finally:
        con.close()
    return {int(p): int(pairs.get(p, p)) for p in patient_ids}


def _check_merged(con: duckdb.DuckDBPyConnection, present: set[str], practice: str) -> None:
    """Keys unique and references resolving across the merged tables; InputError naming the first clash."""
    for name in sorted(present):
        table = TABLES_BY_NAME[name]
        if table.key:
            cols = ", ".join(ident(k) for k in table.key)
            clash = con.execute(
                f"SELECT {cols} FROM main.{ident(name)} GROUP BY {cols} HAVING count(*) > 1 LIMIT 1"
            ).fetchone()
            if clash:
                shown = ", ".join(f"{k} {v}" if showing_values() else k for k, v in zip(table.key, clash, strict=True))
                raise InputError(
                    f"{name}: {shown} from practice {practice}'s extract is already in the store for another "
                    "practice; nothing was imported",
                    hint="identifiers must be unique across the network: check the extract came from the same system",
                )
        columns = {c.name for c in table.columns}
        for column, referenced in (("patient_id", "patients"), ("practice_id", "practices")):
            if column in columns and referenced in present and name != referenced:
                dangling = con.execute(
                    f"SELECT {column} FROM main.{ident(name)} WHERE {column} IS NOT NULL AND {column} NOT IN "
                    f"(SELECT {column} FROM main.{ident(referenced)}) LIMIT 1"
                ).fetchone()
                if dangling:
                    raise InputError(
                        f"{name}: {column} {dangling[0] if showing_values() else '(a value)'} would refer to no row of "
                        f"{referenced} after replacing "
                        f"practice {practice}; nothing was imported",
                        hint="the practice's extract must include every patient its registrations and appointments name",
                    )


def _merged_entry(
    old: StoredTable, practice: str, part_checksums: dict[str, str], counts: dict[str, int]
) -> StoredTable:
    """The table's metadata after the merge: a checksum that changes with the practice's new file."""
    new = part_checksums.get(old.name, "absent")
    checksum = hashlib.sha256(f"{old.source_sha256}|{practice}|{new}".encode()).hexdigest()
    return StoredTable(old.name, old.source_file, checksum, counts[old.name])


def _count(con: duckdb.DuckDBPyConnection, name: str) -> int:
    return _scalar(con, f"SELECT count(*) FROM main.{ident(name)}")


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0
