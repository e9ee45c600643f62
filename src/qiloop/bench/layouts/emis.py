"""A canonical extract written out as an EMIS Web bulk extract (synthetic data only).

File names carry a processing id, a timestamp and a sharing agreement as EMIS names them
(``<ProcessingId>_<Schema>_<Table>_<yyyyMMddHHmmss>_<SharingAgreementGuid>.csv``); every table has the
v5.4 columns in order (:data:`qiloop.records.from_emis.SCHEMA`), CRLF line ends, GUIDs upper case in
braces, flags ``true``/``false``. CodeIds are numbered per SNOMED CT concept and dm+d product, with
``Coding_ClinicalCode`` and ``Coding_DrugCode`` to decode them. What the layout cannot carry is left
out as EMIS leaves it: a cancelled appointment is a slot without a patient, and there is no booking date.
Each practice also gets a dummy patient and a deleted record (each with one observation), which a
conversion must skip, and a free slot. Appointment modes become session categories
(:data:`SESSION_CATEGORIES`; :func:`write_session_modes` writes the mapping back).

Name, address, telephone, e-mail and free-text columns (AssociatedText, Dosage, a session's Description) hold
``personal`` (a marker for the canary test).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb

from qiloop.records.from_emis import SCHEMA
from qiloop.records.sql import literal

PROCESSING_ID = "4021"
TIMESTAMP = "20250401093000"
AGREEMENT = "8B1F3C2E-5D0A-4C57-9E1B-2A6D7F9C0B13"
SESSION_CATEGORIES = {
    "face_to_face": "Face to Face Consultations",
    "telephone": "Telephone Consultations",
    "video": "Video Consultations",
    "online": "Online Consultations",
    "home_visit": "Home Visits",
}
SEX = {"male": "M", "female": "F", "intersex": "I", "unknown": "U"}
JOB = {"gp": ("R0260", "General Medical Practitioner"), "nurse": ("R0690", "Practice Nurse"),
       "pharmacist": ("R1290", "Clinical Pharmacist"), "other": ("R0020", "Healthcare Assistant")}  # fmt: skip


def expected_rows(extract_dir: Path, canonical: dict[str, int]) -> dict[str, int]:
    """The rows an import of this layout gives, from the canonical import's ``canonical``: EMIS holds a patient
    record for each registration (with no NHS numbers to join them, a person registered twice is two patients),
    and a cancelled appointment is a free slot, not an appointment."""
    con = duckdb.connect()
    try:
        registrations, kept = (
            con.execute(f"SELECT count(*) FROM read_parquet({literal(str(extract_dir / name))})").fetchone()[0]  # type: ignore[index]
            for name in ("practice_registrations.parquet", "appointments.parquet")
        )
        cancelled = con.execute(
            "SELECT count(*) FROM read_parquet(?) WHERE status LIKE 'cancelled%'",
            [str(extract_dir / "appointments.parquet")],
        ).fetchone()[0]  # type: ignore[index]
    finally:
        con.close()
    return {**canonical, "patients": int(registrations), "appointments": int(kept) - int(cancelled)}


def file_name(table: str) -> str:
    return f"{PROCESSING_ID}_{table}_{TIMESTAMP}_{AGREEMENT}.csv"


def write_session_modes(path: Path) -> Path:
    """The practice's mapping of the session categories this writer uses back to appointment modes."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["session_category", "mode"])
        w.writerows([category, mode] for mode, category in SESSION_CATEGORIES.items())
    return path


def write(extract_dir: Path, out_dir: Path, *, personal: str = "Synthetic") -> None:
    """Write the canonical extract in ``extract_dir`` (CSV or Parquet) as an EMIS extract into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    spill = out_dir / ".spill"  # a big network spills here (removed after), within a modest memory limit
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"SET temp_directory = {literal(str(spill))}")
        con.execute("SET memory_limit = '4GB'")
        con.execute(
            "CREATE MACRO guid(x) AS '{' || upper(substr(md5(x), 1, 8) || '-' || substr(md5(x), 9, 4) || '-' || "
            "substr(md5(x), 13, 4) || '-' || substr(md5(x), 17, 4) || '-' || substr(md5(x), 21, 12)) || '}'"
        )
        for table in ("practices", "patients", "practice_registrations", "clinical_events", "medications",
                      "appointments"):  # fmt: skip
            _view(con, extract_dir, table)
        _write_all(con, out_dir, literal(personal))
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def _view(con: duckdb.DuckDBPyConnection, extract_dir: Path, table: str) -> None:
    parquet, text = extract_dir / f"{table}.parquet", extract_dir / f"{table}.csv"
    if parquet.exists():
        con.execute(f"CREATE VIEW raw_{table} AS SELECT * FROM read_parquet({literal(str(parquet))})")
    elif text.exists():
        con.execute(f"CREATE VIEW raw_{table} AS SELECT * FROM read_csv({literal(str(text))}, all_varchar=true)")
    else:
        return
    columns = [row[0] for row in con.execute(f"DESCRIBE raw_{table}").fetchall()]
    select = ", ".join(f"nullif(CAST({c} AS VARCHAR), '') AS {c}" for c in columns)
    con.execute(f"CREATE VIEW {table} AS SELECT {select} FROM raw_{table}")


def _has(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [name]).fetchone()
    return bool(row and row[0])


def _out(con: duckdb.DuckDBPyConnection, out_dir: Path, table: str, values: dict[str, str], source: str) -> None:
    """COPY one EMIS table: ``values`` gives SQL for some columns, the rest are empty; order is the schema's."""
    unknown = set(values) - set(SCHEMA[table])
    assert not unknown, unknown
    values = {**values, "ProcessingId": literal(PROCESSING_ID)} if "ProcessingId" in SCHEMA[table] else values
    select = ", ".join(f"{values.get(c, 'NULL::VARCHAR')} AS {c}" for c in SCHEMA[table])
    con.execute(
        f"COPY (SELECT {select} FROM {source}) TO {literal(str(out_dir / file_name(table)))} "
        "(HEADER, DELIMITER ',', NEW_LINE '\r\n')"
    )


def _write_all(con: duckdb.DuckDBPyConnection, out_dir: Path, p: str) -> None:
    has_nhs = "nhs_number" in [row[0] for row in con.execute("DESCRIBE patients").fetchall()]
    names = (
        "SELECT practice_id, name FROM practices"
        if _has(con, "practices")
        else "SELECT NULL AS practice_id, NULL AS name WHERE false"
    )
    used = "SELECT practice_id FROM practice_registrations" + (
        " UNION SELECT practice_id FROM appointments" if _has(con, "appointments") else ""
    )
    con.execute(
        "CREATE TEMP TABLE orgs AS SELECT ids.ods, guid('org' || ids.ods) AS org, row_number() OVER (ORDER BY ids.ods) "
        f"AS n, coalesce(nm.name, ids.ods) AS name FROM (SELECT practice_id AS ods FROM ({used}) UNION SELECT practice_id "
        f"FROM ({names})) ids LEFT JOIN (SELECT practice_id, any_value(name) AS name FROM ({names}) GROUP BY 1) nm "
        "ON nm.practice_id = ids.ods WHERE ids.ods IS NOT NULL"
    )
    _out(con, out_dir, "Admin_Organisation", {
        "OrganisationGuid": "org", "CDB": "CAST(10000 + n AS VARCHAR)", "OrganisationName": "name", "ODSCode": "ods",
        "CCGOrganisationGuid": "guid('ccg')", "OrganisationType": "'General Practice'", "OpenDate": "'1990-04-01'",
        "MainLocationGuid": "guid('loc' || ods)",
    }, "orgs ORDER BY n")  # fmt: skip
    # one record per registration (EMIS keeps one per practice); a patient's rows go to their latest record
    con.execute(
        "CREATE TEMP TABLE recs AS SELECT r.patient_id, r.practice_id, r.start_date, r.end_date, "
        "guid('pat' || r.patient_id || r.practice_id || r.start_date) AS guid, o.org, "
        "row_number() OVER (PARTITION BY r.patient_id ORDER BY r.start_date DESC) = 1 AS latest "
        "FROM practice_registrations r JOIN orgs o ON o.ods = r.practice_id"
    )
    con.execute(
        "CREATE TEMP TABLE precs AS SELECT p.*, k.guid, k.org, k.practice_id, k.start_date, k.end_date, k.latest, "
        "false AS dummy, false AS deleted, 0 AS extra FROM patients p LEFT JOIN recs k USING (patient_id) "
        # dummy and deleted records, one each per practice, after the real ones
        "UNION ALL BY NAME SELECT NULL AS patient_id, '1980-01-01' AS date_of_birth, 'female' AS sex, "
        "guid('dummy' || ods || d) AS guid, org, ods AS practice_id, '2010-01-01' AS start_date, true AS latest, "
        "d = 1 AS dummy, d = 2 AS deleted, d AS extra FROM orgs, range(1, 3) t(d)"
    )
    nhs = "nhs_number" if has_nhs else "NULL::VARCHAR"
    sex = "CASE sex " + " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in SEX.items()) + " END"
    _out(con, out_dir, "Admin_Patient", {
        "PatientGuid": "guid", "OrganisationGuid": "org", "UsualGpUserInRoleGuid": "guid('gp' || practice_id)",
        "Sex": sex, "DateOfBirth": "date_of_birth", "DateOfDeath": "date_of_death", "Title": "'Mx'",
        "GivenName": p, "MiddleNames": p, "Surname": f"{p} || 'son'", "DateOfRegistration": "start_date",
        "NhsNumber": f"CASE WHEN extra = 0 THEN {nhs} END", "PatientNumber": "coalesce(patient_id, '0')",
        "PatientTypeDescription": "' Regular'", "DummyType": "CAST(dummy AS VARCHAR)",
        "HouseNameFlatNumber": f"{p} || ' House'", "NumberAndStreet": f"'1 ' || {p} || ' Street'", "Village": p,
        "Town": p, "County": p, "Postcode": f"{p} || ' 1AA'", "CarerName": p, "PersonGuid": "guid('person' || guid)",
        "DateOfDeactivation": "end_date", "Deleted": "CAST(deleted AS VARCHAR)", "SpineSensitive": "'false'",
        "IsConfidential": "'false'", "EmailAddress": f"{p} || '@example.org'", "HomePhone": f"{p} || ' 01632 960000'",
        "MobilePhone": f"{p} || ' 07700 900000'",
    }, "precs ORDER BY extra, TRY_CAST(patient_id AS BIGINT), start_date")  # fmt: skip
    con.execute("CREATE TEMP TABLE latest AS SELECT patient_id, guid, org FROM precs WHERE latest AND extra = 0")
    _coded(con, out_dir, p)
    if _has(con, "appointments"):
        _appointments(con, out_dir, p)


def _coded(con: duckdb.DuckDBPyConnection, out_dir: Path, p: str) -> None:
    has_events, has_meds = _has(con, "clinical_events"), _has(con, "medications")
    events = "SELECT * FROM clinical_events" if has_events else "SELECT NULL AS snomedct_code WHERE false"
    con.execute(
        "CREATE TEMP TABLE ccodes AS SELECT snomedct_code AS code, 100000 + row_number() OVER (ORDER BY snomedct_code) "
        f"AS code_id FROM (SELECT DISTINCT snomedct_code FROM ({events}))"
    )
    # the dummy and deleted records' observation, and an EMIS-local code with no SNOMED CT concept (unused)
    con.execute("INSERT INTO ccodes VALUES ('1240751000000100', 99990), (NULL, 99991)")
    _out(con, out_dir, "Coding_ClinicalCode", {
        "CodeId": "CAST(code_id AS VARCHAR)", "Term": "'Synthetic clinical term'", "SnomedCTConceptId": "code",
        "EmisCodeCategoryDescription": "'Observation'",
    }, "ccodes ORDER BY code_id")  # fmt: skip
    con.execute(
        "CREATE TEMP VIEW obs AS SELECT row_number() OVER () AS n, l.guid, l.org, e.date, c.code_id, "
        f"e.numeric_value FROM ({events}) e JOIN latest l USING (patient_id) JOIN ccodes c ON c.code = e.snomedct_code "
        "UNION ALL SELECT 1000000000 + row_number() OVER (ORDER BY guid), guid, org, '2020-06-01', 99990, NULL "
        "FROM precs WHERE extra > 0"
    )
    _out(con, out_dir, "CareRecord_Observation", {
        "ObservationGuid": "guid('obs' || n)", "PatientGuid": "guid", "OrganisationGuid": "org",
        "EffectiveDate": "date", "EffectiveDatePrecision": "'YMD'", "EnteredDate": "date", "EnteredTime": "'10:00:00'",
        "CodeId": "CAST(code_id AS VARCHAR)", "AssociatedText": f"'Seen with ' || {p}", "ConsultationGuid":
        "guid('cons' || guid || date)", "Value": "numeric_value", "ObservationType": "CASE WHEN numeric_value IS NULL "
        "THEN 'Observation' ELSE 'Value' END", "Deleted": "'false'", "IsConfidential": "'false'",
    }, "obs")  # fmt: skip
    meds = "SELECT * FROM medications" if has_meds else "SELECT NULL AS dmd_code WHERE false"
    con.execute(
        "CREATE TEMP TABLE dcodes AS SELECT dmd_code AS code, 500000 + row_number() OVER (ORDER BY dmd_code) AS code_id "
        f"FROM (SELECT DISTINCT dmd_code FROM ({meds}))"
    )
    _out(con, out_dir, "Coding_DrugCode", {
        "CodeId": "CAST(code_id AS VARCHAR)", "Term": "'Synthetic drug term'", "DmdProductCodeId": "code",
    }, "dcodes ORDER BY code_id")  # fmt: skip
    con.execute(
        "CREATE TEMP VIEW issues AS SELECT row_number() OVER () AS n, l.guid, l.org, m.date, c.code_id "
        f"FROM ({meds}) m JOIN latest l USING (patient_id) JOIN dcodes c ON c.code = m.dmd_code"
    )
    _out(con, out_dir, "Prescribing_IssueRecord", {
        "IssueRecordGuid": "guid('iss' || n)", "PatientGuid": "guid", "OrganisationGuid": "org",
        "DrugRecordGuid": "guid('drug' || guid || code_id)", "EffectiveDate": "date", "EffectiveDatePrecision": "'YMD'",
        "EnteredDate": "date", "EnteredTime": "'11:00:00'", "CodeId": "CAST(code_id AS VARCHAR)",
        "Dosage": f"'ONE TO BE TAKEN EACH DAY, ' || {p}", "Quantity": "'28'", "QuantityUnit": "'tablet'",
        "CourseDurationInDays": "'28'", "IsConfidential": "'false'", "Deleted": "'false'",
    }, "issues")  # fmt: skip


def _appointments(con: duckdb.DuckDBPyConnection, out_dir: Path, p: str) -> None:
    category = "CASE a.mode " + " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in SESSION_CATEGORIES.items())
    con.execute(
        "CREATE TEMP TABLE appts AS SELECT CAST(a.appointment_id AS BIGINT) AS id, a.*, o.org, l.guid, "
        "guid('ses' || a.practice_id || a.start_date || coalesce(a.clinician_id, '') || a.mode) AS session, "
        f"{category} ELSE 'Other' END AS category FROM appointments a JOIN orgs o ON o.ods = a.practice_id "
        "LEFT JOIN latest l USING (patient_id)"
    )
    # a free slot in each practice's last session, after the booked ones
    con.execute(
        "INSERT INTO appts BY NAME SELECT max(id) OVER () + row_number() OVER (ORDER BY practice_id) AS id, "
        "practice_id, start_date, 'free' AS status, mode, category, org, session, clinician_id "
        "FROM (SELECT DISTINCT ON (practice_id) * FROM appts ORDER BY practice_id, id DESC)"
    )
    _out(con, out_dir, "Appointment_Session", {
        "AppointmentSessionGuid": "session", "Description": f"{p} || ' surgery'", "LocationGuid": "guid('loc' || practice_id)",
        "SessionTypeDescription": "'Timed Appointments'", "SessionCategoryDisplayName": "category",
        "StartDate": "start_date", "StartTime": "'08:30:00'", "EndDate": "start_date", "EndTime": "'12:00:00'",
        "Private": "'false'", "OrganisationGuid": "org", "Deleted": "'false'",
    }, "(SELECT DISTINCT session, practice_id, category, start_date, org FROM appts) ORDER BY session")  # fmt: skip
    _out(con, out_dir, "Appointment_SessionUser", {
        "SessionGuid": "session", "UserInRoleGuid": "guid('user' || clinician_id)", "Deleted": "'false'",
    }, "(SELECT DISTINCT session, clinician_id FROM appts WHERE clinician_id IS NOT NULL) ORDER BY session")  # fmt: skip
    job = "CASE role " + " ".join(f"WHEN {literal(k)} THEN {literal(v[0])}" for k, v in JOB.items()) + " END"
    job_name = "CASE role " + " ".join(f"WHEN {literal(k)} THEN {literal(v[1])}" for k, v in JOB.items()) + " END"
    _out(con, out_dir, "Admin_UserInRole", {
        "UserInRoleGuid": "guid('user' || clinician_id)", "OrganisationGuid": "org", "Title": "'Dr'",
        "GivenName": p, "Surname": p, "JobCategoryCode": job, "JobCategoryName": job_name,
        "ContractStartDate": "'2015-01-01'",
    }, "(SELECT clinician_id, any_value(org) AS org, mode(hcp_role) AS role FROM appts WHERE clinician_id IS NOT NULL "
       "GROUP BY 1) ORDER BY clinician_id")  # fmt: skip
    attended = "status = 'attended'"
    _out(con, out_dir, "Appointment_Slot", {
        "SlotGuid": "guid('slot' || id)", "AppointmentDate": "start_date", "AppointmentStartTime": "'09:00:00'",
        "PlannedDurationInMinutes": "'10'",
        "PatientGuid": "CASE WHEN status IN ('free', 'cancelled_by_patient', 'cancelled_by_practice') THEN NULL "
        "ELSE guid END",
        "SendInTime": f"CASE WHEN {attended} THEN '09:04:00' END", "LeftTime": f"CASE WHEN {attended} THEN '09:15:00' END",
        "DidNotAttend": "CAST(status = 'did_not_attend' AS VARCHAR)",
        "PatientWaitInMin": f"CASE WHEN {attended} THEN '4' END", "AppointmentDelayInMin": f"CASE WHEN {attended} THEN '0' END",
        "ActualDurationInMinutes": f"CASE WHEN {attended} THEN '11' END", "OrganisationGuid": "org",
        "SessionGuid": "session", "Deleted": "'false'",
    }, "appts ORDER BY id")  # fmt: skip
