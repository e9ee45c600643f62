"""A canonical extract written as a SystmOne Strategic Reporting extract (TPP v93 columns), for round-trip
tests and import benchmarks. Synthetic data only.

The files are what ``qiloop.records.from_systmone`` reads: one ``SR<Table>.csv`` per table with every v93
column in order (the personal ones left empty), Windows-1252, every cell quoted, CRLF line ends, dates as
``30 Dec 2020 08:00:00``. Appointment statuses are row ids into ``SRMapping``; a third of the coded events
carry only a (made-up) CTV3 code, mapped to SNOMED CT in ``SRCtv3ToSnomed``; clinicians are numbered and
their roles written in ``SRStaffMemberProfile``; the practices are named in ``SROrganisation``; ``SRManifest``
says the extract is full. Appointment mode survives only as TelephoneAppointment.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from qiloop.records.from_systmone.layout import ALL_COLUMNS, APPOINTMENT_STATUSES

STATUS_TEXT = {
    "attended": "Finished",
    "did_not_attend": "Did Not Attend",
    "cancelled_by_patient": "Cancelled by Patient",
    "cancelled_by_practice": "Cancelled by Unit",
    "booked": "Booked",
}
FIRST_STATUS_ID = 101  # SRMapping row ids of the 15 statuses (other mapping groups come first)
ROLE_TEXT = {
    "gp": "General Medical Practitioner",
    "nurse": "Practice Nurse",
    "pharmacist": "Clinical Pharmacist",
    "other": "Health Care Assistant",
}
PROFILE_OFFSET = 100_000  # IDProfileClinician = PROFILE_OFFSET + IDClinician
SECONDS = "'%d %b %Y %H:%M:%S'"


def _source(extract_dir: Path, table: str) -> str | None:
    for suffix, reader in ((".parquet", "read_parquet"), (".csv", "read_csv")):
        path = extract_dir / f"{table}{suffix}"
        if path.exists():
            options = ", header=true, all_varchar=false" if suffix == ".csv" else ""
            return f"{reader}('{path.as_posix()}'{options})"
    return None


def _copy(con: duckdb.DuckDBPyConnection, out_dir: Path, table: str, values: dict[str, str], sql_from: str) -> None:
    """COPY one SR table: every v93 column, in order, from ``values`` (column -> SQL) or empty."""
    select = ", ".join(
        f"coalesce(CAST({values[c]} AS VARCHAR), '') AS \"{c}\"" if c in values else f"'' AS \"{c}\""
        for c in ALL_COLUMNS[table]
    )
    con.execute(
        f"COPY (SELECT {select} FROM {sql_from}) TO $out (HEADER, DELIMITER ',', QUOTE '\"', FORCE_QUOTE *, "
        "NEW_LINE '\r\n')",
        {"out": str(out_dir / f"{table}.csv")},
    )


def _small(out_dir: Path, table: str, rows: list[dict[str, str]]) -> None:
    with (out_dir / f"{table}.csv").open("w", newline="", encoding="cp1252") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(ALL_COLUMNS[table])
        writer.writerows([[row.get(c, "") for c in ALL_COLUMNS[table]] for row in rows])


def write(extract_dir: Path, out_dir: Path) -> None:
    extract_dir, out_dir = Path(extract_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        _write(con, extract_dir, out_dir)
    finally:
        con.close()


def _write(con: duckdb.DuckDBPyConnection, extract_dir: Path, out_dir: Path) -> None:
    patients = _source(extract_dir, "patients")
    registrations = _source(extract_dir, "practice_registrations")
    assert patients and registrations, f"{extract_dir}: not a canonical extract"
    con.execute(f"CREATE TABLE regs AS SELECT *, row_number() OVER () AS n FROM {registrations}")
    con.execute(
        "CREATE TABLE home AS SELECT patient_id, arg_min(practice_id, start_date) AS practice_id FROM regs GROUP BY 1"
    )
    con.execute(f"CREATE TABLE pats AS SELECT * FROM {patients}")
    has_nhs = "nhs_number" in [r[0] for r in con.execute("DESCRIBE pats").fetchall()]
    gender = "CASE p.sex WHEN 'male' THEN 'M' WHEN 'female' THEN 'F' WHEN 'intersex' THEN 'I' ELSE 'U' END"
    _copy(
        con,
        out_dir,
        "SRPatient",
        {
            "RowIdentifier": "p.patient_id",
            "IDOrganisationVisibleTo": "h.practice_id",
            "NHSNumber": "p.nhs_number" if has_nhs else "NULL",
            "DateBirth": "strftime(p.date_of_birth::DATE, '%d %b %Y %H:%M')",
            "DateDeath": "strftime(p.date_of_death::DATE, '%d %b %Y %H:%M')",
            "Gender": gender,
            "TestPatient": "'false'",
            "SpineMatched": "'true'",
            "RemovedData": "'0'",
        },
        "pats p LEFT JOIN home h USING (patient_id) ORDER BY p.patient_id",
    )
    _copy(
        con,
        out_dir,
        "SRPatientRegistration",
        {
            "RowIdentifier": "n",
            "IDOrganisationVisibleTo": "practice_id",
            "DateEventRecorded": f"strftime(start_date::DATE, {SECONDS})",
            "IDProfileEnteredBy": "'-1'",
            "DateRegistration": f"strftime(start_date::DATE, {SECONDS})",
            "DateDeRegistration": f"strftime(end_date::DATE, {SECONDS})",
            "RegistrationStatus": "'GMS'",
            "IDPatient": "patient_id",
            "IDOrganisation": "practice_id",
            "IDOrganisationRegisteredAt": "practice_id",
            "RemovedData": "'0'",
        },
        "regs ORDER BY n",
    )
    _events(con, extract_dir, out_dir)
    _medications(con, extract_dir, out_dir)
    _appointments(con, extract_dir, out_dir)
    practices = _source(extract_dir, "practices")
    named = dict(con.execute(f"SELECT practice_id, name FROM {practices}").fetchall()) if practices else {}
    ids = sorted({str(r[0]) for r in con.execute("SELECT DISTINCT practice_id FROM regs").fetchall()} | set(named))
    _small(
        out_dir,
        "SROrganisation",
        [{"RowIdentifier": str(i), "ID": p, "Name": named.get(p, p), "RemovedData": "0"} for i, p in enumerate(ids, 1)],
    )
    tables = [p.stem for p in sorted(out_dir.glob("SR*.csv"))]
    _small(
        out_dir,
        "SRManifest",
        [
            {"FileName": t, "IsDelta": "N", "IsReference": "Y" if t in ("SRMapping", "SRCtv3ToSnomed") else "N"}
            for t in [*tables, "SRManifest"]
        ],
    )


def _events(con: duckdb.DuckDBPyConnection, extract_dir: Path, out_dir: Path) -> None:
    events = _source(extract_dir, "clinical_events")
    if not events:
        return
    con.execute(f"CREATE TABLE ev AS SELECT *, row_number() OVER () AS n FROM {events}")
    # a made-up five-character CTV3 code for each SNOMED CT code (X + the code's rank in base 36)
    con.execute(
        "CREATE TABLE ctv3 AS SELECT snomedct_code, 'X' || lpad(upper(to_base(rank, 36)), 4, '0') AS ctv3 FROM "
        "(SELECT snomedct_code, row_number() OVER (ORDER BY snomedct_code) AS rank FROM "
        "(SELECT DISTINCT CAST(snomedct_code AS VARCHAR) AS snomedct_code FROM ev))"
    )
    numeric = "e.numeric_value IS NOT NULL"
    _copy(
        con,
        out_dir,
        "SRCode",
        {
            "RowIdentifier": "e.n",
            "IDOrganisationVisibleTo": "h.practice_id",
            "DateEventRecorded": f"strftime(e.date::DATE, {SECONDS})",
            "DateEvent": f"strftime(e.date::DATE, {SECONDS})",
            "CTV3Code": "c.ctv3",
            "SNOMEDCode": "CASE WHEN e.n % 3 <> 0 THEN CAST(e.snomedct_code AS VARCHAR) END",
            "IsNumeric": f"CASE WHEN {numeric} THEN 'true' ELSE 'false' END",
            "NumericValue": f"CASE WHEN {numeric} THEN CAST(e.numeric_value AS VARCHAR) END",
            "IDPatient": "e.patient_id",
            "IDOrganisation": "h.practice_id",
            "RemovedData": "'0'",
        },
        "ev e JOIN ctv3 c ON c.snomedct_code = CAST(e.snomedct_code AS VARCHAR) LEFT JOIN home h USING (patient_id) "
        "ORDER BY e.n",
    )
    _copy(
        con,
        out_dir,
        "SRCtv3ToSnomed",
        {"RowIdentifier": "rowid + 1", "Ctv3Code": "ctv3", "SnomedCode": "snomedct_code", "RemovedData": "'0'"},
        "ctv3 ORDER BY ctv3",
    )


def _medications(con: duckdb.DuckDBPyConnection, extract_dir: Path, out_dir: Path) -> None:
    medications = _source(extract_dir, "medications")
    if not medications:
        return
    _copy(
        con,
        out_dir,
        "SRPrimaryCareMedication",
        {
            "RowIdentifier": "m.n",
            "IDOrganisationVisibleTo": "h.practice_id",
            "DateEventRecorded": f"strftime(m.date::DATE, {SECONDS})",
            "DateEvent": f"strftime(m.date::DATE, {SECONDS})",
            "IDMultiLexProduct": "'-1'",
            "IDMultiLexDMD": "m.dmd_code",
            "IsRepeatMedication": "'false'",
            "IsOtherMedication": "'false'",
            "IsDentalMedication": "'false'",
            "IsHospitalMedication": "'false'",
            "IDPatient": "m.patient_id",
            "IDOrganisation": "h.practice_id",
            "RemovedData": "'0'",
        },
        f"(SELECT *, row_number() OVER () AS n FROM {medications}) m LEFT JOIN home h USING (patient_id) ORDER BY m.n",
    )


def _appointments(con: duckdb.DuckDBPyConnection, extract_dir: Path, out_dir: Path) -> None:
    appointments = _source(extract_dir, "appointments")
    if not appointments:
        return
    statuses = [text.title().replace(" By ", " by ") for text in APPOINTMENT_STATUSES]
    ids = {text: str(FIRST_STATUS_ID + i) for i, text in enumerate(statuses)}
    mapping = [{"RowIdentifier": "1", "IdMappingGroup": "1", "Mapping": "Yes"}]
    mapping += [{"RowIdentifier": i, "IdMappingGroup": "7", "Mapping": text} for text, i in ids.items()]
    _small(out_dir, "SRMapping", mapping)
    status = "CASE a.status " + " ".join(f"WHEN '{k}' THEN '{ids[v]}'" for k, v in STATUS_TEXT.items()) + " END"
    con.execute(f"CREATE TABLE appts AS SELECT * FROM {appointments}")
    con.execute(
        "CREATE TABLE clinicians AS SELECT clinician_id, any_value(hcp_role) AS hcp_role, "
        "any_value(practice_id) AS practice_id, row_number() OVER (ORDER BY clinician_id) AS number "
        "FROM appts WHERE clinician_id IS NOT NULL GROUP BY clinician_id"
    )
    _copy(
        con,
        out_dir,
        "SRAppointment",
        {
            "RowIdentifier": "a.appointment_id",
            "IDOrganisationVisibleTo": "a.practice_id",
            "DateStart": "strftime(a.start_date::DATE, '%d %b %Y 09:00:00')",
            "DateEnd": "strftime(a.start_date::DATE, '%d %b %Y 09:10:00')",
            "AppointmentStatus": status,
            "DateAppointmentBooked": "strftime(a.booked_date::DATE, '%d %b %Y 08:00:00')",
            "FollowUpAppointment": "'false'",
            "TelephoneAppointment": "CASE WHEN a.mode = 'telephone' THEN 'true' ELSE 'false' END",
            "IDClinician": "coalesce(CAST(c.number AS VARCHAR), '-1')",
            "IDProfileClinician": f"coalesce(CAST(c.number + {PROFILE_OFFSET} AS VARCHAR), '-1')",
            "AllowsOverbooking": "'false'",
            "IDPatient": "a.patient_id",
            "IDOrganisation": "a.practice_id",
            "IDOrganisationRegisteredAt": "a.practice_id",
            "RemovedData": "'0'",
        },
        "appts a LEFT JOIN clinicians c USING (clinician_id) ORDER BY a.appointment_id",
    )
    _small(
        out_dir,
        "SRStaffMemberProfile",
        [
            {
                "RowIdentifier": str(number + PROFILE_OFFSET),
                "StaffRole": ROLE_TEXT.get(str(role), "Receptionist"),
                "IDStaffMember": str(number),
                "IDOrganisation": str(practice),
                "RemovedData": "0",
            }
            for role, practice, number in con.execute(
                "SELECT hcp_role, practice_id, number FROM clinicians ORDER BY number"
            ).fetchall()
        ],
    )
