"""Coded events, medication issues, appointments and the practices, from the loaded SRE tables."""

from __future__ import annotations

from collections.abc import Sequence

from qiloop.errors import InputError
from qiloop.records.column_checks import shown
from qiloop.records.convert import ConversionReport
from qiloop.records.from_systmone.layout import (
    APPOINTMENT_STATUSES,
    COMPARATORS,
    HAPPENED,
    staff_role,
)
from qiloop.records.from_systmone.reading import line_of
from qiloop.records.from_systmone.tables import CODE, Copy, Tables, as_date, as_flag, as_id
from qiloop.records.schema import COMPARATORS_SQL as KEPT_COMPARATORS
from qiloop.records.sql import literal

NO_ID = "CASE WHEN coalesce({0}, '') IN ('', '-1', '0') THEN NULL ELSE {0} END"  # SystmOne's "none"
KEPT_PATIENT = "patient_id IN (SELECT patient_id FROM out_patients)"
CTV3_UNMAPPED = "CTV3 (no SNOMED CT code in the extract's SRCtv3ToSnomed)"
SNOMED_WRONG = "SNOMEDCode that is not a SNOMED CT identifier"
DMD_MISSING = "Multilex product without a dm+d code (IDMultiLexProduct)"


def _kept_rows(t: Tables, select: str, table: str, name: str, reasons: Sequence[tuple[str, str]]) -> None:
    """Temp table ``<table>_all``: the rows of ``select``, each with the index of the first of the ``reasons`` it
    meets (``_drop``, NULL for none; the rows left out are counted); temp view ``table``: the rows meeting none.

    The rows are joined and typed once; what is counted and written is read from that table."""
    case = "CASE " + " ".join(f"WHEN {condition} THEN {i}" for i, (_, condition) in enumerate(reasons)) + " END"
    t.con.execute(f"CREATE TEMP TABLE {table}_all AS SELECT *, {case} AS _drop FROM ({select})")
    for index, n in t.con.execute(
        f"SELECT _drop, count(*) FROM {table}_all WHERE _drop IS NOT NULL GROUP BY 1"
    ).fetchall():
        t.report.drop(name, reasons[int(index)][0], int(n))
    t.con.execute(f"CREATE TEMP VIEW {table} AS SELECT * FROM {table}_all WHERE _drop IS NULL")


def _status(text: str) -> str | None:
    return APPOINTMENT_STATUSES.get(" ".join(text.lower().split()))


def events(t: Tables, copy: Copy) -> int:
    """clinical_events from SRCode; returns the number of coded rows (for the unmapped share)."""
    source = t.files["SRCode"]
    k = t.keep("SRCode")
    t.check_cells("SRCode")
    numeric = as_flag("IsNumeric") if "IsNumeric" in source.header else "true"
    bad = t.first(
        f"SELECT _row, NumericValue FROM {k} WHERE {numeric} AND coalesce(NumericValue, '') <> '' AND "
        "TRY_CAST(NumericValue AS DOUBLE) IS NULL ORDER BY _row LIMIT 1"
    )
    if bad:
        raise InputError(
            f"{source.name}:{line_of(source, int(bad[0]))}: column NumericValue: {shown(bad[1])} is not a number",
            hint="nothing was imported",
        )
    if "SRCtv3ToSnomed" in t.files:
        t.keep("SRCtv3ToSnomed")
        mapping = "SELECT Ctv3Code, min(SnomedCode) AS SnomedCode FROM k_SRCtv3ToSnomed GROUP BY Ctv3Code"
    else:
        mapping = "SELECT NULL::VARCHAR AS Ctv3Code, NULL::VARCHAR AS SnomedCode WHERE false"
    ev_all = (
        f"SELECT e._row, CAST({as_id('IDPatient')} AS BIGINT) AS patient_id, "
        f"{as_date('DateEvent')} AS date, {NO_ID.format('e.SNOMEDCode')} AS snomed, "
        f"{NO_ID.format('e.CTV3Code')} AS ctv3, "
        f"CASE WHEN regexp_full_match(e.SNOMEDCode, '{CODE}') THEN e.SNOMEDCode WHEN {NO_ID.format('e.SNOMEDCode')} "
        f"IS NULL AND regexp_full_match(m.SnomedCode, '{CODE}') THEN m.SnomedCode END AS code, "
        f"CASE WHEN {numeric} THEN TRY_CAST(NULLIF(NumericValue, '') AS DOUBLE) END AS numeric_value, "
        f"CASE WHEN {numeric} AND coalesce(NumericValue, '') <> '' THEN NULLIF(NumericComparator, '') END AS comparator "
        f"FROM {k} e LEFT JOIN ({mapping}) m ON m.Ctv3Code = e.CTV3Code"
    )
    _kept_rows(
        t,
        ev_all,
        "ev",
        source.name,
        [
            ("no patient, or a patient left out", f"patient_id IS NULL OR NOT {KEPT_PATIENT}"),
            ("no DateEvent", "date IS NULL"),
            ("no code (neither SNOMEDCode nor CTV3Code)", "snomed IS NULL AND ctv3 IS NULL"),
        ],
    )
    coded = t.count("SELECT 1 FROM ev")
    for system, condition, column in (
        (SNOMED_WRONG, f"snomed IS NOT NULL AND NOT regexp_full_match(snomed, '{CODE}')", "snomed"),
        (CTV3_UNMAPPED, "snomed IS NULL AND code IS NULL", "ctv3"),
    ):
        for code, n in t.con.execute(f"SELECT {column}, count(*) FROM ev WHERE {condition} GROUP BY 1").fetchall():
            t.report.unmapped_code(system, str(code), int(n))
    via_ctv3 = t.count("SELECT 1 FROM ev WHERE snomed IS NULL AND code IS NOT NULL")
    if via_ctv3:
        t.report.mapped("clinical_events.snomedct_code", "CTV3Code", "SNOMED CT through SRCtv3ToSnomed", via_ctv3)
    for comparator, n in t.con.execute(
        "SELECT comparator, count(*) FROM ev WHERE code IS NOT NULL AND comparator IS NOT NULL GROUP BY 1 ORDER BY 1"
    ).fetchall():
        if comparator not in COMPARATORS:
            t.report.mapped(
                "clinical_events.numeric_comparator", "a value with an unknown comparator", "the number alone", int(n)
            )
    copy(
        "clinical_events",
        "SELECT patient_id, date, code AS snomedct_code, numeric_value, "
        f"CASE WHEN comparator IN {KEPT_COMPARATORS} THEN comparator END AS numeric_comparator "
        "FROM ev WHERE code IS NOT NULL",
    )
    return coded


def medications(t: Tables, copy: Copy) -> int:
    source = t.files["SRPrimaryCareMedication"]
    k = t.keep("SRPrimaryCareMedication")
    t.check_cells("SRPrimaryCareMedication")
    meds_all = (
        f"SELECT _row, CAST({as_id('IDPatient')} AS BIGINT) AS patient_id, "
        f"{as_date('DateEvent')} AS date, {as_id('IDMultiLexDMD')} AS dmd, {as_id('IDMultiLexProduct')} AS product, "
        f"{as_flag('IsHospitalMedication')} AS hospital FROM {k}"
    )
    _kept_rows(
        t,
        meds_all,
        "meds",
        source.name,
        [
            ("hospital medication (IsHospitalMedication = true)", "hospital"),
            ("no patient, or a patient left out", f"patient_id IS NULL OR NOT {KEPT_PATIENT}"),
            ("no DateEvent", "date IS NULL"),
            ("no medicine (neither IDMultiLexDMD nor IDMultiLexProduct)", "dmd IS NULL AND product IS NULL"),
        ],
    )
    coded = t.count("SELECT 1 FROM meds")
    for system, condition, column in (
        ("IDMultiLexDMD that is not a dm+d identifier", f"NOT regexp_full_match(dmd, '{CODE}')", "dmd"),
        (DMD_MISSING, "dmd IS NULL", "product"),
    ):
        for code, n in t.con.execute(f"SELECT {column}, count(*) FROM meds WHERE {condition} GROUP BY 1").fetchall():
            t.report.unmapped_code(system, str(code), int(n))
    copy(
        "medications",
        f"SELECT patient_id, date, dmd AS dmd_code FROM meds WHERE regexp_full_match(dmd, '{CODE}')",
    )
    return coded


def appointments(t: Tables, copy: Copy, mapping: dict[str, str], roles: dict[str, str]) -> None:
    """appointments from SRAppointment; ``mapping``: SRMapping row id -> text; ``roles``: profile id -> StaffRole."""
    source = t.files["SRAppointment"]
    k = t.keep("SRAppointment")
    # the statuses the file uses (few) for appointments with a patient: SRMapping row id -> text -> canonical
    t.con.execute(
        f"CREATE TEMP TABLE statuses AS SELECT DISTINCT AppointmentStatus AS raw FROM {k} "
        f"WHERE {as_id('IDPatient')} IS NOT NULL AND coalesce(AppointmentStatus, '') <> ''"
    )
    texts = {str(raw): (mapping.get(str(raw)) if str(raw).lstrip("-").isdigit() else str(raw))
             for (raw,) in t.con.execute("SELECT raw FROM statuses").fetchall()}  # fmt: skip
    missing = sorted(raw for raw, text in texts.items() if text is None)
    unknown = sorted(raw for raw, text in texts.items() if text is not None and _status(text) is None)
    if missing or unknown:
        raw = missing[0] if missing else unknown[0]
        ordinal = t.first(f"SELECT min(_row) FROM {k} WHERE AppointmentStatus = $raw", {"raw": raw})
        where = f"{source.name}:{line_of(source, int(ordinal[0]) if ordinal else 0)}: column AppointmentStatus"
        if missing and "SRMapping" not in t.files:
            raise InputError(
                f"{where}: the status is a row of SRMapping, which is not in the extract",
                hint="include SRMapping.csv (the extract's mapping table) in the folder",
            )
        if missing:
            raise InputError(
                f"{where}: status {raw} is not a RowIdentifier of SRMapping",
                hint="SRMapping.csv and SRAppointment.csv must come from the same extract",
            )
        raise InputError(
            f"{where}: {texts[raw]!r} is not an appointment status qiloop knows",
            hint="the statuses known are: "
            + ", ".join(s.title() for s in APPOINTMENT_STATUSES)
            + "; please report the new one so it can be mapped (nothing was imported)",
        )
    t.con.execute("CREATE TEMP TABLE status_map(raw VARCHAR, text VARCHAR, canonical VARCHAR)")
    t.con.executemany(
        "INSERT INTO status_map VALUES (?, ?, ?)", [(raw, text, _status(text or "")) for raw, text in texts.items()]
    )
    happened = ", ".join(literal(s) for s in HAPPENED)
    t.check_cells(
        "SRAppointment",
        later_allowed="AppointmentStatus NOT IN (SELECT raw FROM status_map WHERE canonical IN (" + happened + "))",
    )
    t.con.execute("CREATE TEMP TABLE staff(profile VARCHAR, role VARCHAR, hcp_role VARCHAR)")
    if roles:
        t.con.executemany("INSERT INTO staff VALUES (?, ?, ?)", [(p, r, staff_role(r)) for p, r in roles.items()])
    appts_all = (
        f"SELECT a._row, CAST({as_id('RowIdentifier')} AS BIGINT) AS appointment_id, "
        f"CAST({as_id('IDPatient')} AS BIGINT) AS patient_id, coalesce({as_id('IDOrganisation')}, "
        f"{as_id('IDOrganisationVisibleTo')}) AS practice_id, {as_date('DateAppointmentBooked')} AS booked_date, "
        f"{as_date('DateStart')} AS start_date, s.canonical AS status, s.text AS status_text, "
        f"CASE WHEN {as_flag('TelephoneAppointment')} THEN 'telephone' ELSE 'unknown' END AS mode, "
        f"coalesce(st.hcp_role, 'unknown') AS hcp_role, st.role AS staff_role, "
        f"{as_id('IDProfileClinician')} AS profile, {as_id('IDClinician')} AS clinician_id "
        f"FROM {k} a LEFT JOIN status_map s ON s.raw = a.AppointmentStatus "
        f"LEFT JOIN staff st ON st.profile = {as_id('IDProfileClinician')}"
    )
    _kept_rows(
        t,
        appts_all,
        "appts",
        source.name,
        [
            ("no patient (an empty slot)", "patient_id IS NULL"),
            ("no AppointmentStatus", "status IS NULL"),
            ("a patient left out", f"NOT {KEPT_PATIENT}"),
            ("no DateAppointmentBooked", "booked_date IS NULL"),
            ("no DateStart", "start_date IS NULL"),
            (
                "at an organisation that is not a practice of the extract's registrations",
                "practice_id IS NULL OR practice_id NOT IN (SELECT practice_id FROM regs)",
            ),
        ],
    )
    for text, canonical, n in t.con.execute(
        "SELECT status_text, status, count(*) FROM appts_all WHERE patient_id IS NOT NULL AND status IS NOT NULL "
        "GROUP BY ALL ORDER BY 1"
    ).fetchall():
        t.report.mapped("appointments.status", str(text), str(canonical), int(n))
    for telephone, n in t.con.execute("SELECT mode, count(*) FROM appts GROUP BY 1 ORDER BY 1").fetchall():
        t.report.mapped(
            "appointments.mode",
            "TelephoneAppointment = true" if telephone == "telephone" else "TelephoneAppointment not true",
            str(telephone),
            int(n),
        )
    for role, hcp, n in t.con.execute(
        "SELECT CASE WHEN profile IS NULL THEN '(no IDProfileClinician)' WHEN staff_role IS NULL THEN "
        "'(not in SRStaffMemberProfile)' ELSE staff_role END, hcp_role, count(*) FROM appts GROUP BY ALL ORDER BY 1"
    ).fetchall():
        t.report.mapped("appointments.hcp_role", str(role), str(hcp), int(n))
    copy(
        "appointments",
        "SELECT appointment_id, patient_id, practice_id, booked_date, start_date, status, mode, hcp_role, "
        "clinician_id FROM appts",  # not sorted: the import does not depend on the order of rows
    )


def practices(t: Tables, copy: Copy, names: dict[str, str], practice: str | None, report: ConversionReport) -> None:
    """One practices row per practice of the registrations, named from SROrganisation when it is there."""
    ids = [str(row[0]) for row in t.con.execute("SELECT DISTINCT practice_id FROM regs ORDER BY 1").fetchall()]
    if practice and ids and practice not in ids:
        raise InputError(
            f"--practice {practice}: the extract's registrations are with {', '.join(ids[:5])}"
            + (" and others" if len(ids) > 5 else ""),
            hint="give the ODS code of the practice whose extract this is",
        )
    if not ids and practice:
        ids = [practice]
    t.con.execute("CREATE TEMP TABLE out_practices(practice_id VARCHAR, name VARCHAR)")
    if ids:
        t.con.executemany("INSERT INTO out_practices VALUES (?, ?)", [(p, names.get(p) or p) for p in ids])
    unnamed = [p for p in ids if not names.get(p)]
    if unnamed:
        report.mapped("practices.name", "(not in SROrganisation)", "the ODS code", len(unnamed))
    report.mapped("practices.pcn_id, pcn_name, icb_id, icb_name", "(not in the source)", "unknown", len(ids))
    copy(
        "practices",
        "SELECT practice_id, name, 'unknown' AS pcn_id, 'unknown' AS pcn_name, 'unknown' AS icb_id, "
        "'unknown' AS icb_name FROM out_practices ORDER BY 1",
    )
