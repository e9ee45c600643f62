"""Read an EMIS Web bulk extract's tables into DuckDB (mapped columns only) and write the canonical tables."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from qiloop import progress
from qiloop.errors import InputError
from qiloop.records.column_checks import shown
from qiloop.records.convert import ConversionReport, ConvertOptions, NhsMode, TableWriter, check_unmapped, closest
from qiloop.records.extract import read_csv_header
from qiloop.records.from_emis.layout import (
    DATES,
    MAY_BE_AHEAD,
    NEEDS,
    OLDER_SPELLINGS,
    READ,
    REQUIRED,
    SCHEMA,
    find_files,
    read_session_modes,
)
from qiloop.records.lines import malformed_lines, record_lines
from qiloop.records.recognise import recognise, wrong_kind_hint
from qiloop.records.sql import connect, ident, literal, probing_with_the_file

SEXES = {"M": "male", "F": "female", "I": "intersex", "U": "unknown"}
# PatientTypeDescription (trimmed: EMIS sends leading spaces) of a registration on the practice's list; empty is
# taken as regular
REGULAR = ("regular", "")
DATE_PATTERN = "[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?"
# SNOMED CT and dm+d identifiers are 6 to 18 digits
SCTID = "regexp_full_match({}, '[0-9]{{6,18}}')"
CLINICAL_UNMAPPED = "EMIS clinical CodeId (no SNOMED CT concept in Coding_ClinicalCode)"
DRUG_UNMAPPED = "EMIS drug CodeId (no dm+d product in Coding_DrugCode)"
SKIPPED = "the patient's record was skipped (dummy, deleted or no date of birth)"
# the tables of coded rows: the canonical table each gives, and the table decoding its CodeIds (read after the
# patients, so that each row is joined to its patient as it is read)
CODED = {
    "CareRecord_Observation": ("clinical_events", "Coding_ClinicalCode"),
    "Prescribing_IssueRecord": ("medications", "Coding_DrugCode"),
}


@dataclass
class _Extract:
    source: Path
    report: ConversionReport
    options: ConvertOptions
    con: duckdb.DuckDBPyConnection
    files: dict[str, list[tuple[Path, int]]] = field(default_factory=dict)  # table -> (file, first rowid)

    def where(self, table: str, rowid: int) -> str:
        """'file:line' for a row of a loaded table."""
        path, first = max((p for p in self.files[table] if p[1] <= rowid), key=lambda p: p[1])
        ordinal = rowid - first
        return f"{path.name}:{record_lines(path, [ordinal]).get(ordinal, ordinal + 2)}"

    def count(self, sql: str) -> int:
        row = self.con.execute(sql).fetchone()
        return int(row[0]) if row else 0


def convert_emis(
    source: Path, out_dir: Path, options: ConvertOptions, nhs: NhsMode, key: bytes | None
) -> ConversionReport:
    if not source.is_dir():
        raise InputError(
            f"{source}: not a folder", hint="give the folder holding the EMIS extract's CSV files (Admin_Patient, ...)"
        )
    report = ConversionReport("emis", source.name)
    tables, other = find_files(source)
    report.ignored.extend(other)
    for table in REQUIRED:
        if table not in tables:
            raise InputError(f"{source}: no {table} file{_what_it_holds(source, other)}", hint=_required_hint())
    for table, needed in NEEDS.items():
        if table in tables and needed not in tables:
            raise InputError(
                f"{source}: has {table} but no {needed} file to decode its CodeIds",
                hint=f"copy the extract's {needed} file (from the same run) into the folder; nothing was imported",
            )
    for table, paths in tables.items():
        if table not in READ:
            report.ignored.extend(p.name for p in paths)
    modes = read_session_modes(options.session_modes) if options.session_modes else {}
    if options.delimiter or options.quote:
        report.notes.append(
            "--delimiter and --quote were not used: EMIS extracts are comma-separated, quoted with '\"'"
        )
    con = connect()
    # what DuckDB spills to disk on a big extract goes beside the converted tables (the importer's private build
    # folder), not into the working directory, and is removed with the connection
    spill = out_dir / ".spill"
    con.execute(f"SET temp_directory = {literal(str(spill))}")
    extract = _Extract(source, report, options, con)
    # a step for the patients, each coded table and the appointments: a large extract takes minutes
    coded_tables = [table for table in CODED if table in tables]
    bar = progress.bar(total=1 + len(coded_tables) + ("Appointment_Slot" in tables), desc="convert emis", unit="step")
    try:
        # the large tables are read each at its step, after the patients, and let go after it (memory is set by
        # the largest, not the sum)
        bar.set_description("convert emis: Admin_Patient")
        for table in READ:
            if table in tables and table not in CODED and not table.startswith("Appointment_"):
                _load(extract, table, tables[table])
        _patients(extract, out_dir, nhs, key)
        bar.update(1)
        coded = 0
        for table in coded_tables:
            bar.set_description(f"convert emis: {table}")
            canonical, codes = CODED[table]
            coded += _coded(extract, out_dir, canonical, table, codes, tables[table])
            bar.update(1)
        check_unmapped(report, coded, options.max_unmapped, f"{source.name} (EMIS extract)")
        if "Appointment_Slot" in tables:
            from qiloop.records.from_emis.appointments import write_appointments

            bar.set_description("convert emis: Appointment_Slot")
            write_appointments(extract, out_dir, modes, tables)
            bar.update(1)
    finally:
        bar.close()
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    return report


def _required_hint() -> str:
    return (
        "an EMIS Web bulk extract holds Admin_Organisation and Admin_Patient files (named "
        "<ProcessingId>_Admin_Patient_<timestamp>_<agreement>.csv or Admin_Patient.csv); give the folder they are in"
    )


def _what_it_holds(source: Path, other: list[str]) -> str:
    """' (FILE: it looks like ...)' when one of the folder's CSV files is recognisably another system's."""
    for name in other:
        if not name.lower().endswith(".csv"):
            continue
        try:
            header = read_csv_header(source / name)
        except InputError:
            continue
        hint = wrong_kind_hint(header, "emis")
        if hint:
            return f" ({name}: {hint})"
    return ""


def _check_header(extract: _Extract, table: str, path: Path) -> list[str]:
    """The file's header, with the columns qiloop reads (else refused) and a note naming any it does not expect."""
    wanted = READ[table]
    expected = {*SCHEMA[table], *OLDER_SPELLINGS.get(table, ())}
    header = read_csv_header(path)
    missing = [c for c in wanted if c not in header]
    if missing:
        raise InputError(f"{path.name}:1: {_missing(table, header, missing[0])}", hint=_missing_hint(table))
    unexpected = [h for h in header if h not in expected]
    if unexpected:
        extract.report.notes.append(
            f"{path.name}: column{'s' if len(unexpected) > 1 else ''} not expected in an EMIS {table} file "
            f"(not read): {', '.join(unexpected)}"
        )
    return header


def _reader(columns: list[str]) -> str:
    """SQL reading the columns ``columns`` (as text, empty as NULL) of the EMIS CSV file ``$path``."""
    select = ", ".join(f"nullif({ident(c)}, '') AS {ident(c)}" for c in columns)
    return (
        f"SELECT {select} FROM read_csv($path, auto_detect=false, header=true, delim=',', quote='\"', "
        "escape='\"', columns=$columns, strict_mode=true, null_padding=false)"
    )


def _unreadable(path: Path, header: list[str]) -> InputError:
    bad = malformed_lines(path, len(header), 1)
    where = f"{path.name}:{bad[0].line}: {bad[0].message}" if bad else f"{path.name}: not readable as CSV"
    return InputError(where, hint="check the file is the EMIS extract's UTF-8 CSV; nothing was imported")


def _load(extract: _Extract, table: str, paths: list[Path], *, headers: list[list[str]] | None = None) -> None:
    """Read the mapped columns (as text) of every file of ``table`` into temp table ``src_<table>``.

    A row of a table with dates is flagged (``_bad``) as it is read when it breaks a date rule, so that the
    dates are checked again, to find and word the first broken rule, only when one is.
    ``headers``: the files' headers, when :func:`_check_header` has already read them."""
    con, report = extract.con, extract.report
    name = ident(f"src_{table}")
    extract.files[table] = []
    dated = table in DATES
    bad, rule_params = _broken_rule(extract, table)
    read = _reader(list(READ[table]))
    if dated:
        read = f"SELECT *, ({bad}) AS _bad FROM ({read})"
    for n, path in enumerate(paths):
        header = headers[n] if headers else _check_header(extract, table, path)
        first = extract.count(f"SELECT count(*) FROM {name}") if n else 0
        params = {"path": str(path), "columns": {h: "VARCHAR" for h in header}, **rule_params}
        try:
            con.execute(f"INSERT INTO {name} {read}" if n else f"CREATE TEMP TABLE {name} AS {read}", params)
        except duckdb.Error:
            raise _unreadable(path, header) from None
        extract.files[table].append((path, first))
        report.read[path.name] = extract.count(f"SELECT count(*) FROM {name}") - first
    if dated and extract.count(f"SELECT count(*) FROM {name} WHERE _bad"):
        _check_dates(extract, table, DATES[table])


def _aggregated(extract: _Extract, table: str, name: str, paths: list[Path], grouped: Callable[[str], str]) -> None:
    """Temp table ``name``: ``grouped(source)``, an aggregate of the rows of ``table`` (a table without dates),
    with ``_rows``, the rows of each group. The one file is aggregated as it is read (its rows are not kept);
    several are loaded first."""
    con = extract.con
    headers = [_check_header(extract, table, path) for path in paths]
    if len(paths) != 1:
        _load(extract, table, paths, headers=headers)
        con.execute(f"CREATE TEMP TABLE {name} AS {grouped(ident('src_' + table))}")
        con.execute(f"DROP TABLE {ident('src_' + table)}")
        return
    params = {"path": str(paths[0]), "columns": {h: "VARCHAR" for h in headers[0]}}
    try:
        con.execute(f"CREATE TEMP TABLE {name} AS {grouped(f'({_reader(list(READ[table]))})')}", params)
    except duckdb.Error:
        raise _unreadable(paths[0], headers[0]) from None
    extract.report.read[paths[0].name] = extract.count(f"SELECT coalesce(sum(_rows), 0) FROM {name}")


def _broken_rule(extract: _Extract, table: str) -> tuple[str, dict[str, object]]:
    """SQL true for a row of ``table`` (as read by :func:`_reader`) breaking a date rule, and its parameters."""
    as_of = extract.options.as_of
    rules = _date_rules(table, DATES.get(table, ()), as_of)
    bad = " OR ".join(f"coalesce({condition}, false)" for _, _, condition in rules) or "false"
    params: dict[str, object] = {}
    if "$as_of" in bad:
        assert as_of is not None
        params["as_of"] = as_of.isoformat()
    return bad, params


def _missing(table: str, header: list[str], column: str) -> str:
    found = recognise(header)
    if found is not None and (found.kind, found.table) != ("emis", table):
        return f"not an EMIS {table} file: {found.describe()}"
    return f"missing column {column!r}{closest(column, header)}"


def _missing_hint(table: str) -> str:
    return f"an EMIS {table} file has the columns {', '.join(SCHEMA[table])}"


def _check_dates(extract: _Extract, table: str, columns: tuple[str, ...]) -> None:
    """Every date is yyyy-MM-dd (a time after it is allowed and dropped); none after --as-of.

    One scan of the table finds the first row breaking each rule; the message is the one for the first column
    (in the table's order) with a problem, a date that is not a date before one after --as-of."""
    if not columns:
        return
    name, as_of = ident(f"src_{table}"), extract.options.as_of
    rules = _date_rules(table, columns, as_of)
    firsts = ", ".join(f"min(rowid) FILTER (WHERE {condition})" for _, _, condition in rules)
    params = {"as_of": as_of.isoformat()} if as_of is not None and "$as_of" in firsts else None
    row = extract.con.execute(f"SELECT {firsts} FROM {name}", params).fetchone() or ()
    for (column, kind, _), first in zip(rules, row, strict=True):
        if first is None:
            continue
        if kind == "format":
            value = extract.con.execute(f"SELECT {ident(column)} FROM {name} WHERE rowid = $r", {"r": first}).fetchone()
            raise InputError(
                f"{extract.where(table, int(first))}: column {column}: {shown(value[0] if value else None)} is not a "
                "date (expected yyyy-MM-dd)",
                hint="EMIS extracts write dates as yyyy-MM-dd; nothing was imported",
            )
        assert as_of is not None
        raise InputError(
            f"{extract.where(table, int(first))}: column {column}: a date after the extract's as-of date "
            f"{as_of.isoformat()}",
            hint="check --as-of (the day the extract was taken) and the system's clock; nothing was imported",
        )


def _date_rules(table: str, columns: tuple[str, ...], as_of: date | None) -> list[tuple[str, str, str]]:
    """(column, kind, SQL true for a cell breaking the rule) for the date columns of ``table``, in order."""
    rules: list[tuple[str, str, str]] = []
    for column in columns:
        c = ident(column)
        # a date as EMIS writes it (yyyy-MM-dd, a year from 1000) is DuckDB's own spelling of the date it casts
        # to, which is checked first: half the CPU of the pattern, which only other spellings are matched against
        rules.append(
            (
                column,
                "format",
                f"CASE WHEN {c} IS NULL THEN false WHEN length({c}) = 10 AND {c} >= '1' AND "
                f"CAST(TRY_CAST({c} AS DATE) AS VARCHAR) = {c} THEN false "
                f"ELSE NOT regexp_full_match({c}, '{DATE_PATTERN}') OR try_strptime(left({c}, 10), '%Y-%m-%d') IS NULL "
                "END",
            )
        )
        if as_of is not None and (table, column) not in MAY_BE_AHEAD:
            rules.append((column, "late", f"{c} IS NOT NULL AND left({c}, 10) > $as_of"))
    return rules


def _true(column: str) -> str:
    """Java's Boolean.parseBoolean, as the transformer reads EMIS flags.

    The flags EMIS writes ('true', 'false', empty) are answered by comparison; only another spelling is trimmed
    and lower-cased (which costs a new string a row)."""
    c = ident(column)
    return (
        f"(CASE WHEN {c} = 'false' THEN false WHEN {c} = 'true' THEN true "
        f"ELSE coalesce(lower(trim({c})) = 'true', false) END)"
    )


def _patients(extract: _Extract, out_dir: Path, nhs: NhsMode, key: bytes | None) -> None:
    con, report, practice = extract.con, extract.report, extract.options.practice
    con.execute(
        "CREATE TEMP TABLE orgs AS SELECT OrganisationGuid AS org, any_value(nullif(trim(ODSCode), '')) AS ods, "
        "any_value(nullif(trim(OrganisationName), '')) AS name FROM src_Admin_Organisation GROUP BY 1"
    )
    if practice and not extract.count(f"SELECT count(*) FROM orgs WHERE ods = {literal(practice)}"):
        named = [
            str(r[0])
            for r in con.execute("SELECT DISTINCT ods FROM orgs WHERE ods IS NOT NULL ORDER BY 1 LIMIT 4").fetchall()
        ]
        held = f" (it holds {', '.join(named)})" if named else ""
        raise InputError(
            f"{extract.source.name}: no organisation with the ODS code {practice!r} in Admin_Organisation{held}",
            hint=f"import {practice}'s own extract; on the command line, --practice names a practice in the extract",
        )
    con.execute(
        "CREATE TEMP TABLE recs AS SELECT p.rowid AS r, p.PatientGuid AS guid, o.ods AS practice_id, "
        "nullif(replace(p.NhsNumber, ' ', ''), '') AS nhs, left(p.DateOfBirth, 8) || '01' AS dob, "
        f"left(p.DateOfDeath, 10) AS death, left(p.DateOfRegistration, 10) AS reg_start, "
        "left(p.DateOfDeactivation, 10) AS reg_end, upper(trim(coalesce(p.Sex, ''))) AS sex, "
        "trim(coalesce(p.PatientTypeDescription, '')) AS reg_type, "
        f"CASE WHEN {_true('DummyType')} THEN 'dummy patient (DummyType true)' "
        f"WHEN {_true('Deleted')} THEN 'deleted record (Deleted true)' "
        "WHEN p.DateOfBirth IS NULL THEN 'no DateOfBirth' END AS skip "
        "FROM src_Admin_Patient p LEFT JOIN orgs o ON o.org = p.OrganisationGuid"
    )
    # records whose rows are left out, and why (the rows say so, by their PatientGuid)
    con.execute(
        f"CREATE TEMP TABLE skipped AS SELECT guid, any_value({literal(SKIPPED)}) AS reason FROM recs "
        "WHERE skip IS NOT NULL GROUP BY 1"
    )
    if practice:
        other = f"another practice's patient (not {practice})"
        elsewhere = f"practice_id IS DISTINCT FROM {literal(practice)}"
        n = extract.count(f"SELECT count(*) FROM recs WHERE {elsewhere}")
        if n:
            report.drop("patients", other, n)
        con.execute(
            f"UPDATE skipped SET reason = {literal(other)} WHERE guid IN (SELECT guid FROM recs WHERE {elsewhere}); "
            f"INSERT INTO skipped SELECT guid, {literal(other)} FROM recs WHERE {elsewhere} AND skip IS NULL; "
            f"DELETE FROM recs WHERE {elsewhere}"
        )
    for reason, n in con.execute("SELECT skip, count(*) FROM recs WHERE skip IS NOT NULL GROUP BY 1").fetchall():
        report.skipped_patients[str(reason)] += int(n)
    twice = con.execute(
        "SELECT max(r) FROM recs WHERE skip IS NULL GROUP BY guid HAVING count(*) > 1 ORDER BY 1 LIMIT 1"
    ).fetchone()
    if twice:
        raise InputError(
            f"{extract.where('Admin_Patient', int(twice[0]))}: the PatientGuid of an earlier record",
            hint="each patient record has its own PatientGuid: are two extract runs mixed in one file?",
        )
    if nhs == "refuse" and extract.count("SELECT count(*) FROM recs WHERE skip IS NULL AND nhs IS NOT NULL"):
        raise InputError(
            f"{extract.source.name}: the extract holds NHS numbers (Admin_Patient NhsNumber), and no "
            "pseudonymisation key was given",
            hint="give the practice's key with --key-file FILE or the QILOOP_PSEUDONYM_KEY environment variable: "
            "NHS numbers are stored only as pseudonyms (nothing was imported)",
        )
    # one person per NHS number (EMIS holds a record per practice); numbered in the order first met
    con.execute(
        "CREATE TEMP TABLE people AS SELECT person, row_number() OVER (ORDER BY first) AS patient_id FROM "
        "(SELECT coalesce('n' || nhs, 'g' || guid) AS person, min(r) AS first FROM recs WHERE skip IS NULL GROUP BY 1)"
    )
    con.execute(
        "CREATE TEMP TABLE pmap AS SELECT k.guid, p.patient_id, k.practice_id FROM recs k "
        "JOIN people p ON p.person = coalesce('n' || k.nhs, 'g' || k.guid) WHERE k.skip IS NULL"
    )
    # every PatientGuid a row can name: its patient, or why its rows are left out (one join per row, not two)
    con.execute(
        "CREATE TEMP TABLE pguids AS SELECT coalesce(m.guid, sk.guid) AS guid, m.patient_id, "
        "CASE WHEN m.patient_id IS NULL THEN sk.reason END AS reason FROM pmap m FULL JOIN skipped sk ON sk.guid = m.guid"
    )
    linked = extract.count("SELECT count(*) - count(DISTINCT patient_id) FROM pmap")
    if linked:
        report.notes.append(
            f"{linked:,} patient records were joined to another record with the same NHS number (one person "
            "registered at more than one practice of the extract): one patient, a registration at each practice"
        )
    for code, n in con.execute("SELECT sex, count(*) FROM recs WHERE skip IS NULL GROUP BY 1 ORDER BY 1").fetchall():
        report.mapped("patients.sex", str(code), SEXES.get(str(code), "unknown"), int(n))
    sex = (
        "CASE sex " + " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in SEXES.items()) + " ELSE 'unknown' END"
    )
    # a person's details from their latest registration
    person_sql = (
        "SELECT p.patient_id, max_by(k.nhs, latest) AS nhs_number, max_by(k.dob, latest) AS date_of_birth, "
        f"max_by({sex}, latest) AS sex, max(k.death) AS date_of_death, count(DISTINCT k.dob) AS dobs "
        "FROM (SELECT *, coalesce(reg_start, '') AS latest FROM recs WHERE skip IS NULL) k "
        "JOIN people p ON p.person = coalesce('n' || k.nhs, 'g' || k.guid) GROUP BY 1 ORDER BY 1"
    )
    con.execute(f"CREATE TEMP TABLE persons AS {person_sql}")
    differ = extract.count("SELECT count(*) FROM persons WHERE dobs > 1")
    if differ:
        report.notes.append(f"{differ:,} people have records with different dates of birth: the latest is used")
    columns = ["patient_id", "date_of_birth", "sex", "date_of_death"]
    if nhs == "pseudonymise":
        with TableWriter(out_dir, "patients", ["patient_id", "nhs_number", *columns[1:]], report, nhs, key) as w:
            cursor = con.execute(f"SELECT patient_id, nhs_number, {', '.join(columns[1:])} FROM persons")
            while rows := cursor.fetchmany(10_000):
                for row in rows:
                    w.write(row, "Admin_Patient")
    else:
        with_nhs = ", nhs_number" if nhs == "raw" else ""
        _copy(extract, out_dir, "patients", f"SELECT {', '.join(columns)}{with_nhs} FROM persons")
    # only regular (GMS) registrations make a practice's list: a temporary resident's record keeps its rows
    # (the patient is counted nowhere unless registered elsewhere)
    for reg_type, n in con.execute(
        "SELECT reg_type, count(*) FROM recs WHERE skip IS NULL GROUP BY 1 ORDER BY 1"
    ).fetchall():
        regular = str(reg_type).lower() in REGULAR
        report.mapped(
            "practice_registrations (PatientTypeDescription)",
            str(reg_type),
            "a registration" if regular else "left out: not a regular (GMS) registration",
            int(n),
        )
    listed = f"lower(reg_type) IN ({', '.join(literal(t) for t in REGULAR)})"
    for reason, condition in (
        ("not a regular (GMS) registration (PatientTypeDescription)", f"NOT {listed}"),
        ("organisation not in Admin_Organisation", f"{listed} AND practice_id IS NULL"),
        ("no DateOfRegistration", f"{listed} AND practice_id IS NOT NULL AND reg_start IS NULL"),
    ):
        n = extract.count(f"SELECT count(*) FROM recs WHERE skip IS NULL AND {condition}")
        if n:
            report.drop("practice_registrations", reason, n)
    _copy(
        extract,
        out_dir,
        "practice_registrations",
        "SELECT p.patient_id, k.reg_start AS start_date, k.reg_end AS end_date, k.practice_id FROM recs k "
        f"JOIN pmap p ON p.guid = k.guid WHERE {listed} AND k.practice_id IS NOT NULL AND k.reg_start IS NOT NULL "
        "ORDER BY k.r",
    )
    _copy(
        extract,
        out_dir,
        "practices",
        "SELECT ods AS practice_id, coalesce(any_value(name), ods) AS name, 'unknown' AS pcn_id, "
        "'unknown' AS pcn_name, 'unknown' AS icb_id, 'unknown' AS icb_name FROM orgs WHERE ods IS NOT NULL"
        + (f" AND ods = {literal(practice)}" if practice else "")
        + " GROUP BY ods ORDER BY ods",
    )
    report.mapped("practices.pcn_id, pcn_name, icb_id, icb_name", "(not in the EMIS extract)", "unknown")
    # what the rows of the large tables need is in pguids and orgs: memory for them
    con.execute(
        "DROP TABLE persons; DROP TABLE people; DROP TABLE pmap; DROP TABLE skipped; DROP TABLE recs; "
        "DROP TABLE src_Admin_Patient"
    )


def _copy(extract: _Extract, out_dir: Path, table: str, sql: str) -> None:
    """Write a canonical table: CSV, or Parquet when the importer asks for it (``tables``, as for SystmOne)."""
    parquet = getattr(extract.options, "tables", "csv") == "parquet"
    how = "FORMAT PARQUET" if parquet else "HEADER, DELIMITER ','"
    out = out_dir / f"{table}.{'parquet' if parquet else 'csv'}"
    row = extract.con.execute(f"COPY ({sql}) TO $out ({how})", {"out": str(out)}).fetchone()
    extract.report.written[table] = int(row[0]) if row else 0


def patient_reason() -> str:
    """SQL: why a row of a patient's (joined to ``pguids`` as ``m``) cannot be kept."""
    return "WHEN m.patient_id IS NULL THEN coalesce(m.reason, 'PatientGuid not in Admin_Patient') "


def patient_joins(guid: str) -> str:
    return f"LEFT JOIN pguids m ON m.guid = {guid} "


def _coded(extract: _Extract, out_dir: Path, canonical: str, table: str, codes: str, paths: list[Path]) -> int:
    """clinical_events or medications: each row's CodeId decoded; returns the number of coded rows.

    One pass reads the file, joins every row to its patient and code and gives it a reason it is left out (or
    none), keeping only what is written or counted (typed, without the GUIDs); the counts and the rows with no
    reason are read from that. When the file breaks a rule (a date that is not a date, or after --as-of; a line
    that is not CSV) or the table has more than one file, it is loaded as text first and checked, so that the
    message names the file and line.
    """
    con, report = extract.con, extract.report
    target = "SnomedCTConceptId" if canonical == "clinical_events" else "DmdProductCodeId"
    # whether a code is a SNOMED CT or dm+d identifier is decided once per code here, not once per row
    con.execute(
        f"CREATE TEMP TABLE codes_{canonical} AS SELECT code_id, code, coalesce({SCTID.format('code')}, false) AS "
        f"valid FROM (SELECT trim(CodeId) AS code_id, any_value(trim({target})) AS code "
        f"FROM {ident('src_' + codes)} WHERE CodeId IS NOT NULL GROUP BY 1)"
    )
    events = canonical == "clinical_events"
    value = "TRY_CAST(o.Value AS DOUBLE)" if events else "NULL::DOUBLE"
    not_number = f"o.Value IS NOT NULL AND {value} IS NULL" if events else "false"
    unmapped = "c.code IS NULL OR NOT c.valid"
    # EMIS writes precisions as YMD (or Y, YM); only another spelling is trimmed and upper-cased
    year_precision = (
        "CASE o.EffectiveDatePrecision WHEN 'YMD' THEN false WHEN 'Y' THEN true "
        "ELSE coalesce(upper(trim(o.EffectiveDatePrecision)) = 'Y', false) END"
    )

    def rows(source: str, extra: str = "") -> str:
        # code_id is read only for an unmapped row (the report names its code), so it is kept for no other
        return (
            f"SELECT {extra}m.patient_id, CAST(left(o.EffectiveDate, 10) AS DATE) AS date, "
            f"c.code, {value} AS value, {year_precision} AS year_only, {not_number} AS not_number, "
            f"CASE WHEN {unmapped} THEN coalesce(trim(o.CodeId), '(empty)') END AS code_id, "
            f"CASE WHEN {_true('Deleted')} THEN 'deleted (Deleted true)' {patient_reason()}"
            "WHEN o.EffectiveDate IS NULL THEN 'no EffectiveDate' "
            f"WHEN {unmapped} THEN 'unmapped' END AS reason "
            f"FROM {source} o {patient_joins('o.PatientGuid')}"
            f"LEFT JOIN codes_{canonical} c ON c.code_id = trim(o.CodeId)"
        )

    headers = [_check_header(extract, table, path) for path in paths]
    if not _read_joined(extract, table, f"rows_{canonical}", paths, headers, rows):
        _load(extract, table, paths, headers=headers)
        con.execute(f"CREATE TEMP TABLE rows_{canonical} AS {rows(ident('src_' + table))}")
        con.execute(f"DROP TABLE {ident('src_' + table)}")  # memory for the next table
    system = CLINICAL_UNMAPPED if events else DRUG_UNMAPPED
    coded = year_only = texts_dropped = 0
    for reason, code_id, n, years, texts in con.execute(
        "SELECT reason, CASE WHEN reason = 'unmapped' THEN code_id END, count(*), count(*) FILTER (WHERE year_only), "
        f"count(*) FILTER (WHERE not_number) FROM rows_{canonical} GROUP BY ALL ORDER BY ALL"
    ).fetchall():  # ordered: codes met as often are named in the same order every time
        if reason is None or reason == "unmapped":
            coded += int(n)
        if reason is None:
            year_only, texts_dropped = year_only + int(years), texts_dropped + int(texts)
        elif reason == "unmapped":
            report.unmapped_code(system, str(code_id), int(n))
        else:
            report.drop(canonical, str(reason), int(n))
    if year_only:
        report.notes.append(
            f"{year_only:,} {canonical} rows have a year-only date (EffectiveDatePrecision Y): each is kept on the "
            "date EMIS gives, but it may be counted in the wrong month (a data quality finding)"
        )
    if texts_dropped:
        report.mapped("clinical_events.numeric_value", "Value that is not a number", "empty", texts_dropped)
    select = (
        "patient_id, date, code AS snomedct_code, value AS numeric_value"
        if events
        else "patient_id, date, code AS dmd_code"
    )
    _copy(extract, out_dir, canonical, f"SELECT {select} FROM rows_{canonical} WHERE reason IS NULL")
    con.execute(f"DROP TABLE rows_{canonical}")
    return coded


def _read_joined(
    extract: _Extract,
    table: str,
    name: str,
    paths: list[Path],
    headers: list[list[str]],
    rows: Callable[[str, str], str],
    *,
    numbered: bool = False,
) -> bool:
    """The fast path: temp table ``name`` straight from the one file of ``table``; False (nothing made) when the
    file breaks a rule, which :func:`_load` then finds and words, or the table has several files.

    ``rows(source, extra)``: the SQL making the table from ``source``, the file's rows (each with ``_bad``, true
    when it breaks a date rule, and with ``numbered``, ``_n``, its position in the file from 1), its select
    list starting with ``extra``."""
    if len(paths) != 1:
        return False
    con = extract.con
    bad, rule_params = _broken_rule(extract, table)
    params = {"path": str(paths[0]), "columns": {h: "VARCHAR" for h in headers[0]}, **rule_params}
    # row_number() OVER () numbers the rows in the file's order (joins keep no order)
    number = "row_number() OVER () AS _n, " if numbered else ""
    source = f"(SELECT {number}*, ({bad}) AS _bad FROM ({_reader(list(READ[table]))}))"
    try:
        with probing_with_the_file(con):
            con.execute(f"CREATE TEMP TABLE {name} AS {rows(source, '_bad, ')}", params)
    except duckdb.Error:
        con.execute(f"DROP TABLE IF EXISTS {name}")
        return False
    flagged, total = con.execute(f"SELECT count(*) FILTER (WHERE _bad), count(*) FROM {name}").fetchone() or (1, 0)
    if flagged:
        con.execute(f"DROP TABLE {name}")
        return False
    extract.report.read[paths[0].name] = int(total)
    return True
