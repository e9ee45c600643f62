"""ehrQL tables (OpenSAFELY's example-data / dummy-table CSV layout) -> the canonical tables.

What maps (docs/importers.md has the table):

* ``patients``: patient_id, sex, date_of_birth, date_of_death (as they are);
* ``practice_registrations``: patient_id, start_date, end_date, practice_pseudo_id -> practice_id;
* ``clinical_events``: patient_id, date, snomedct_code, numeric_value; a row without a SNOMED CT code
  (TPP records many events twice, once in CTV3 and once in SNOMED CT) is dropped, so nothing counts twice;
* ``medications``: patient_id, date, dmd_code; a row without a dm+d code is dropped;
* ``appointments``: patient_id, booked_date, start_date, status (TPP's 15 status strings mapped to the
  canonical five); appointment_id is numbered in file order, practice_id is the practice the patient was
  registered with on the start date, mode and hcp_role are ``unknown`` (ehrQL has neither); seen_date is not used.

Every other table (``addresses``, ``ons_deaths``, ...) and every other column (``ctv3_code``,
``consultation_id``, ...) is not read; the tables are listed as ignored in the report. Only the columns
above are read from the files (DuckDB reads the named columns only).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from qiloop.errors import InputError
from qiloop.records.column_checks import shown
from qiloop.records.convert import ConversionReport, ConvertOptions, NhsMode, check_unmapped, closest
from qiloop.records.extract import read_csv_header
from qiloop.records.lines import malformed_lines
from qiloop.records.sql import connect, ident, literal

# table -> [(ehrQL column, canonical column, is a date, required in the file)]
COLUMNS: dict[str, list[tuple[str, str, bool, bool]]] = {
    "patients": [
        ("patient_id", "patient_id", False, True),
        ("sex", "sex", False, True),
        ("date_of_birth", "date_of_birth", True, True),
        ("date_of_death", "date_of_death", True, False),
    ],
    "practice_registrations": [
        ("patient_id", "patient_id", False, True),
        ("start_date", "start_date", True, True),
        ("end_date", "end_date", True, False),
        ("practice_pseudo_id", "practice_id", False, True),
    ],
    "clinical_events": [
        ("patient_id", "patient_id", False, True),
        ("date", "date", True, True),
        ("snomedct_code", "snomedct_code", False, True),
        ("numeric_value", "numeric_value", False, False),
    ],
    "medications": [
        ("patient_id", "patient_id", False, True),
        ("date", "date", True, True),
        ("dmd_code", "dmd_code", False, True),
    ],
    "appointments": [
        ("patient_id", "patient_id", False, True),
        ("booked_date", "booked_date", True, True),
        ("start_date", "start_date", True, True),
        ("status", "status", False, True),
    ],
}
REQUIRED = ("patients", "practice_registrations")

# TPP's appointment statuses (ehrQL's tpp schema) -> canonical
TPP_STATUSES: dict[str, str] = {
    "Arrived": "attended",
    "In Progress": "attended",
    "Finished": "attended",
    "Visit": "attended",
    "Waiting": "attended",
    "Patient Walked Out": "attended",
    "Did Not Attend": "did_not_attend",
    "No Access Visit": "did_not_attend",
    "Cancelled by Patient": "cancelled_by_patient",
    "Cancelled by Unit": "cancelled_by_practice",
    "Cancelled by Other Service": "cancelled_by_practice",
    "Cancelled Due To Death": "cancelled_by_practice",
    "Booked": "booked",
    "Requested": "booked",
    "Blocked": "booked",
}


def convert_ehrql(
    source: Path, out_dir: Path, options: ConvertOptions, nhs: NhsMode, key: bytes | None
) -> ConversionReport:
    if not source.is_dir():
        raise InputError(f"{source}: not a folder", hint="give the folder holding the ehrQL tables (patients.csv, ...)")
    report = ConversionReport("ehrql", source.name)
    files = {p.stem: p for p in sorted(source.iterdir()) if p.suffix == ".csv"}
    if not files and any(p.suffix in (".ndjson", ".json") for p in source.iterdir()):
        raise InputError(f"{source}: holds JSON files, not ehrQL tables", hint="import a FHIR export with --from fhir")
    for name in REQUIRED:
        if name not in files:
            raise InputError(
                f"{source}: missing the ehrQL table {name}.csv",
                hint=f"an ehrQL extract needs {', '.join(REQUIRED)}; the other tables are optional",
            )
    report.ignored.extend(f"{stem}.csv" for stem in files if stem not in COLUMNS)
    report.ignored.extend(
        p.name for p in sorted(source.iterdir()) if p.is_file() and p.suffix != ".csv" and not p.name.startswith(".")
    )
    con = connect()
    try:
        for table, columns in COLUMNS.items():
            if table in files:
                _load(con, table, files[table], columns, report)
        _write(con, out_dir, report, set(files) & set(COLUMNS), options)
    finally:
        con.close()
    return report


def _load(
    con: duckdb.DuckDBPyConnection,
    table: str,
    path: Path,
    columns: list[tuple[str, str, bool, bool]],
    report: ConversionReport,
) -> None:
    """Read the mapped columns (as text) into temp table ``src_<table>``; check headers and date formats."""
    header = read_csv_header(path)
    missing = [c for c, _, _, required in columns if required and c not in header]
    if missing:
        raise InputError(
            f"{path.name}:1: missing column {missing[0]!r}{closest(missing[0], header)}",
            hint=f"an ehrQL {table} table has the columns {', '.join(c for c, *_ in columns)}",
        )
    present = [(c, canonical, is_date) for c, canonical, is_date, _ in columns if c in header]
    select = ", ".join(f"{ident(c)} AS {ident(canonical)}" for c, canonical, _ in present)
    missing_optional = [canonical for c, canonical, _, _ in columns if c not in header]
    select += "".join(f", NULL::VARCHAR AS {ident(canonical)}" for canonical in missing_optional)
    try:
        con.execute(
            f"CREATE TEMP TABLE {ident('src_' + table)} AS SELECT {select} FROM read_csv($path, auto_detect=false, "
            "header=true, delim=',', quote='\"', escape='\"', columns=$columns, strict_mode=true, null_padding=false)",
            {"path": str(path), "columns": {name: "VARCHAR" for name in header}},
        )
    except duckdb.Error:
        bad = malformed_lines(path, len(header), 1)
        where = f"{path.name}:{bad[0].line}: {bad[0].message}" if bad else f"{path.name}: not readable as CSV"
        raise InputError(
            where, hint="check the file's quoting and that it is UTF-8 CSV; nothing was imported"
        ) from None
    report.read[path.name] = _count(con, f"SELECT count(*) FROM {ident('src_' + table)}")
    for _, canonical, is_date in present:
        if not is_date:
            continue
        bad_row = con.execute(
            f"SELECT rowid, {ident(canonical)} FROM {ident('src_' + table)} WHERE {ident(canonical)} <> '' AND "
            f"(NOT regexp_full_match({ident(canonical)}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') OR "
            f"try_strptime({ident(canonical)}, '%Y-%m-%d') IS NULL) ORDER BY rowid LIMIT 1"
        ).fetchone()
        if bad_row:
            from qiloop.records.lines import record_lines

            line = record_lines(path, [int(bad_row[0])]).get(int(bad_row[0]), int(bad_row[0]) + 2)
            raise InputError(
                f"{path.name}:{line}: column {canonical}: {shown(bad_row[1])} is not a date (expected YYYY-MM-DD)",
                hint="ehrQL tables write dates as YYYY-MM-DD; correct the file and convert again (nothing was imported)",
            )


def _write(
    con: duckdb.DuckDBPyConnection, out_dir: Path, report: ConversionReport, tables: set[str], options: ConvertOptions
) -> None:
    def copy(table: str, sql: str) -> None:
        con.execute(f"COPY ({sql}) TO $out (HEADER, DELIMITER ',')", {"out": str(out_dir / f"{table}.csv")})
        report.written[table] = _count(con, f"SELECT count(*) FROM ({sql})")

    copy("patients", "SELECT patient_id, sex, date_of_birth, date_of_death FROM src_patients")
    copy(
        "practice_registrations",
        "SELECT patient_id, start_date, end_date, practice_id FROM src_practice_registrations",
    )
    coded = 0
    for table, column, system in (
        ("clinical_events", "snomedct_code", "not SNOMED CT (snomedct_code holding a Read/CTV3-style code)"),
        ("medications", "dmd_code", "not dm+d (dmd_code holding a non-numeric code)"),
    ):
        if table not in tables:
            continue
        source = ident("src_" + table)
        dropped = _count(con, f"SELECT count(*) FROM {source} WHERE coalesce({column}, '') = ''")
        if dropped:
            reason = "no SNOMED CT code (a CTV3-only row)" if table == "clinical_events" else "no dm+d code"
            report.drop(table, reason, dropped)
        # SNOMED CT and dm+d identifiers are 6 to 18 digits: anything else is another code system
        wrong = f"NOT regexp_full_match({column}, '[0-9]{{6,18}}')"
        for code, n in con.execute(
            f"SELECT {column}, count(*) FROM {source} WHERE coalesce({column}, '') <> '' AND {wrong} GROUP BY 1"
        ).fetchall():
            report.unmapped_code(system, str(code), int(n))
        coded += _count(con, f"SELECT count(*) FROM {source} WHERE coalesce({column}, '') <> ''")
        columns = ", ".join(c for _, c, _, _ in COLUMNS[table])
        copy(table, f"SELECT {columns} FROM {source} WHERE coalesce({column}, '') <> '' AND NOT {wrong}")
    check_unmapped(report, coded, options.max_unmapped, "the ehrQL tables")
    if "appointments" in tables:
        _appointments(con, report, copy)
    if options.practice:
        copy("practices", practices_row_sql(options.practice))
        report.mapped("practices.pcn_id, pcn_name, icb_id, icb_name", "(not in the source)", "unknown")


def practices_row_sql(practice: str) -> str:
    """One practices row for a practice's extract from a source that does not describe the practice."""
    p = literal(practice)
    return (
        f"SELECT {p} AS practice_id, {p} AS name, 'unknown' AS pcn_id, 'unknown' AS pcn_name, "
        "'unknown' AS icb_id, 'unknown' AS icb_name"
    )


def _appointments(con: duckdb.DuckDBPyConnection, report: ConversionReport, copy: object) -> None:
    values = ", ".join(f"({literal(k)}, {literal(v)})" for k, v in TPP_STATUSES.items())
    con.execute(
        f"CREATE TEMP TABLE status_map(source VARCHAR, canonical VARCHAR); INSERT INTO status_map VALUES {values}"
    )
    unknown = con.execute(
        "SELECT a.rowid, a.status FROM src_appointments a LEFT JOIN status_map m ON m.source = a.status "
        "WHERE m.source IS NULL AND coalesce(a.status, '') <> '' ORDER BY a.rowid LIMIT 1"
    ).fetchone()
    if unknown:
        raise InputError(
            f"appointments.csv:{int(unknown[0]) + 2}: column status: {shown(unknown[1])} is not a TPP appointment status",
            hint=f"the statuses ehrQL's TPP schema uses are: {', '.join(TPP_STATUSES)}",
        )
    for source, canonical, n in con.execute(
        "SELECT a.status, m.canonical, count(*) FROM src_appointments a JOIN status_map m ON m.source = a.status "
        "GROUP BY ALL ORDER BY 1"
    ).fetchall():
        report.mapped("appointments.status", source, canonical, int(n))
    con.execute(
        "CREATE TEMP TABLE appts AS SELECT a.rowid + 1 AS appointment_id, a.patient_id, "
        "(SELECT max_by(r.practice_id, r.start_date) FROM src_practice_registrations r WHERE r.patient_id = a.patient_id "
        "AND r.start_date <= a.start_date AND (coalesce(r.end_date, '') = '' OR r.end_date >= a.start_date)) "
        "AS practice_id, a.booked_date, a.start_date, m.canonical AS status "
        "FROM src_appointments a LEFT JOIN status_map m ON m.source = a.status"
    )
    for reason, condition in (
        ("no status", "status IS NULL"),
        ("no booked_date", "status IS NOT NULL AND coalesce(booked_date, '') = ''"),
        ("no start_date", "status IS NOT NULL AND coalesce(booked_date, '') <> '' AND coalesce(start_date, '') = ''"),
        (
            "the patient was registered with no practice on the start date",
            "status IS NOT NULL AND coalesce(booked_date, '') <> '' AND coalesce(start_date, '') <> '' "
            "AND practice_id IS NULL",
        ),
    ):
        n = _count(con, f"SELECT count(*) FROM appts WHERE {condition}")
        if n:
            report.drop("appointments", reason, n)
    report.mapped("appointments.mode", "(not in ehrQL)", "unknown", _count(con, "SELECT count(*) FROM appts"))
    report.mapped("appointments.hcp_role", "(not in ehrQL)", "unknown", _count(con, "SELECT count(*) FROM appts"))
    copy(  # type: ignore[operator]
        "appointments",
        "SELECT appointment_id, patient_id, practice_id, booked_date, start_date, status, 'unknown' AS mode, "
        "'unknown' AS hcp_role, NULL AS clinician_id FROM appts WHERE status IS NOT NULL AND "
        "coalesce(booked_date, '') <> '' AND coalesce(start_date, '') <> '' AND practice_id IS NOT NULL "
        "ORDER BY appointment_id",
    )


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0
