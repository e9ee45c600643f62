"""SQL turning the loaded SRE tables (``src_<table>``, text) into the canonical tables.

Every table first loses its removed rows (RemovedData = 1) and its repeated rows (the same RowIdentifier
twice, as when two organisations' files are put together: the last one in the file is kept).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import duckdb

from qiloop.errors import InputError
from qiloop.records import pseudonym
from qiloop.records.column_checks import shown
from qiloop.records.convert import ConversionReport, NhsMode
from qiloop.records.from_systmone.layout import (
    DATE_EXAMPLE,
    GENDERS,
    READ,
    TEMPORARY_PREFIX,
)
from qiloop.records.from_systmone.reading import DATE_SUFFIX, SrFile, line_of
from qiloop.records.schema import NHS_NUMBER_PSEUDONYM_COLUMN
from qiloop.records.sql import ident, literal

CODE = "[0-9]{6,18}"  # SNOMED CT and dm+d identifiers
DISTINCT_BITS = 1 << 28  # RowIdentifiers spanning fewer numbers are told apart with a bitstring (32 MiB at most)


def as_id(column: str) -> str:
    """SQL for an id cell: NULL when empty, -1 or 0 (SystmOne's 'none')."""
    c = ident(column)
    return f"CASE WHEN coalesce({c}, '') IN ('', '-1', '0') THEN NULL ELSE {c} END"


def as_flag(column: str) -> str:
    """The flag of a flag column of a loaded table (read once, as BOOLEAN, by ``reading.load``)."""
    return ident(column)


def as_date(column: str) -> str:
    """The date read from a date column of a loaded table (its text is kept only when it is not a date)."""
    return ident(column + DATE_SUFFIX)


def _no_date(column: str) -> str:
    """SQL: the date cell is empty."""
    return f"({as_date(column)} IS NULL AND coalesce({ident(column)}, '') = '')"


class Tables:
    """The conversion's DuckDB connection, the loaded files and the report."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, files: dict[str, SrFile], report: ConversionReport, as_of: date | None
    ) -> None:
        self.con = con
        self.files = files
        self.report = report
        self.as_of = as_of

    def count(self, sql: str, params: Any = None) -> int:
        row = self.con.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()
        return int(row[0]) if row else 0

    def first(self, sql: str, params: Any = None) -> tuple[Any, ...] | None:
        return self.con.execute(sql, params).fetchone()

    def drop(self, *names: str) -> None:
        """Let go of temp tables and views (views first: they read the tables)."""
        views = {str(r[0]) for r in self.con.execute("SELECT view_name FROM duckdb_views() WHERE temporary").fetchall()}
        for name in sorted(names, key=lambda n: n not in views):
            self.con.execute(f"DROP {'VIEW' if name in views else 'TABLE'} IF EXISTS {ident(name)}")

    def keep(self, table: str, where: str | None = None) -> str:
        """``k_<table>``: the table's rows (``where`` they hold) not removed, once each (``_row`` = record ordinal).

        A view of the loaded table when nothing is to be left out (the usual case), else a copy."""
        source, kept = ident(f"src_{table}"), ident(f"k_{table}")
        name = self.files[table].name
        has_id = "RowIdentifier" in (r.name for r in READ[table])
        filtered = f" FROM {source}" + (f" WHERE {where}" if where else "")
        first = self.first(
            f"SELECT count(*) FILTER (WHERE {as_flag('RemovedData')}), count(*)"
            + (", count(n), min(n), max(n)" if has_id else "")
            + (f" FROM (SELECT *, TRY_CAST(RowIdentifier AS BIGINT) AS n{filtered})" if has_id else filtered)
        )
        removed, rows = (int(first[0]), int(first[1])) if first else (0, 0)
        repeated = 0
        if has_id and first and rows and not self._distinct_numbers(first, filtered):
            # repeated ids counted on the ids' hashes (a number each, cheaper than the text): two ids sharing a
            # hash can only make it look as if one repeated, and any repeat is counted again exactly below
            row = self.first(
                "SELECT count(*) - count(DISTINCT hash(RowIdentifier)) FILTER (WHERE RowIdentifier IS NOT NULL)"
                + filtered
            )
            repeated = int(row[0]) if row else 0
        if repeated:
            exact = self.first(
                f"SELECT count(*) - count(DISTINCT RowIdentifier) FROM {source}" + (f" WHERE {where}" if where else "")
            )
            repeated = int(exact[0]) if exact else 0
        if not (removed or repeated or where):
            self.con.execute(f"CREATE TEMP VIEW {kept} AS SELECT rowid AS _row, * FROM {source}")
            return f"k_{table}"
        self.con.execute(f"CREATE TEMP TABLE {kept} AS SELECT rowid AS _row, * FROM {source} WHERE {where or 'true'}")
        if repeated:
            self.con.execute(
                f"DELETE FROM {kept} WHERE _row NOT IN (SELECT max(_row) FROM {kept} GROUP BY RowIdentifier)"
            )
            self.report.notes.append(
                f"{name}: {repeated:,} rows repeat an earlier row's RowIdentifier; the last row of each was kept"
            )
        removed = self.count(f"SELECT 1 FROM {kept} WHERE {as_flag('RemovedData')}")
        if removed:
            self.report.drop(name, "removed (RemovedData = 1)", removed)
            self.con.execute(f"DELETE FROM {kept} WHERE {as_flag('RemovedData')}")
        return f"k_{table}"

    def _distinct_numbers(self, counts: tuple[Any, ...], filtered: str) -> bool:
        """Whether every RowIdentifier is a whole number and no two are the same number (so no two are the same
        text); ``counts`` = (removed, rows, numbers, lowest, highest). One bit a number, when they span few enough:
        much cheaper than a hash table of millions of ids. False when it cannot tell."""
        _, rows, numbers, low, high = counts
        if numbers != rows or high - low >= DISTINCT_BITS:
            return False
        row = self.first(
            f"SELECT bit_count(bitstring_agg(TRY_CAST(RowIdentifier AS BIGINT), $low, $high)){filtered}",
            {"low": low, "high": high},
        )
        return row is not None and int(row[0]) == rows

    def check_cells(self, table: str, later_allowed: str | None = None) -> None:
        """In one pass: ids are whole numbers, dates are dates, and none falls after the as-of date (unless
        ``later_allowed`` holds for the row); the first offending line is reported."""
        source = self.files[table]
        problems: list[tuple[str, str, str]] = []  # (column, condition, message)
        problems.append(
            ("IDPatient", f"{as_id('IDPatient')} IS NOT NULL AND TRY_CAST(IDPatient AS BIGINT) IS NULL", "id")
        )
        if table in ("SRPatient", "SRAppointment"):
            problems.append(("RowIdentifier", "coalesce(TRY_CAST(RowIdentifier AS BIGINT), 0) <= 0", "id"))
        for read in READ[table]:
            if read.kind != "date":
                continue
            c = ident(read.name)
            problems.append((read.name, f"coalesce({c}, '') <> '' AND {as_date(read.name)} IS NULL", "date"))
            if self.as_of is not None:
                allowed = f" AND NOT ({later_allowed})" if later_allowed and read.name == "DateStart" else ""
                problems.append((read.name, f"{as_date(read.name)} > $as_of{allowed}", "late"))
        problems = [p for p in problems if p[0] in (r.name for r in READ[table])]
        firsts = ", ".join(f"min(_row) FILTER (WHERE {condition})" for _, condition, _ in problems)
        params = {"as_of": self.as_of} if self.as_of is not None else None
        row = self.first(f"SELECT {firsts} FROM k_{table}", params)
        found = [(int(r), p) for r, p in zip(row or (), problems, strict=True) if r is not None]
        if not found:
            return
        ordinal, (column, _, kind) = min(found, key=lambda f: f[0])
        value = self.first(f"SELECT {ident(column)} FROM k_{table} WHERE _row = $row", {"row": ordinal})
        where = f"{source.name}:{line_of(source, ordinal)}: column {column}"
        cell = value[0] if value else None
        if kind == "id":
            raise InputError(
                f"{where}: {shown(cell)} is not an id (SystmOne's ids are whole numbers)",
                hint="check that the file is the table its name says and that the delimiter is right "
                "(--delimiter); nothing was imported",
            )
        if kind == "date":
            raise InputError(
                f"{where}: {shown(cell)} is not a date (expected e.g. {DATE_EXAMPLE!r})",
                hint="SystmOne writes dates as dd MMM yyyy HH:mm:ss; correct the file or export it again "
                "(nothing was imported)",
            )
        assert self.as_of is not None
        raise InputError(
            f"{where}: a date after the extract's as-of date {self.as_of.isoformat()}",
            hint="check --as-of (the day the extract was taken) and the extract; nothing was imported",
        )


Copy = Callable[[str, str], None]


def patients(t: Tables, copy: Copy, nhs: NhsMode) -> None:
    source = t.files["SRPatient"]
    k = t.keep("SRPatient")
    genders = ", ".join(literal(g) for g in ("", *GENDERS, "MALE", "FEMALE", "INDETERMINATE", "UNKNOWN"))
    bad = t.first(
        f"SELECT _row, Gender FROM {k} WHERE upper(coalesce(Gender, '')) NOT IN ({genders}) ORDER BY _row LIMIT 1"
    )
    if bad:
        raise InputError(
            f"{source.name}:{line_of(source, int(bad[0]))}: column Gender: {shown(bad[1])} is not M, F, I or U",
            hint="SystmOne writes Gender as M, F, I or U; nothing was imported",
        )
    t.check_cells("SRPatient")
    test = t.count(f"SELECT 1 FROM {k} WHERE {as_flag('TestPatient')}")
    if test:
        t.report.skipped_patients["test patient (TestPatient = true)"] += test
    no_birth = t.count(f"SELECT 1 FROM {k} WHERE NOT {as_flag('TestPatient')} AND {_no_date('DateBirth')}")
    if no_birth:
        t.report.skipped_patients["no date of birth"] += no_birth
    sex = (
        "coalesce(CASE upper(left(Gender, 1)) "
        + " ".join(f"WHEN '{g}' THEN '{v}'" for g, v in GENDERS.items())
        + " END, 'unknown')"
    )
    t.con.execute(
        f"CREATE TEMP TABLE out_patients AS SELECT _row, CAST({as_id('RowIdentifier')} AS BIGINT) AS patient_id, "
        f"date_trunc('month', {as_date('DateBirth')})::DATE AS date_of_birth, {sex} AS sex, "
        f"{as_date('DateDeath')} AS date_of_death, NULLIF(NHSNumber, '') AS nhs_number "
        f"FROM {k} WHERE NOT {as_flag('TestPatient')} AND NOT {_no_date('DateBirth')}"
    )
    days = t.count(f"SELECT 1 FROM {k} WHERE extract('day' FROM {as_date('DateBirth')}) <> 1")
    if days:
        t.report.mapped("patients.date_of_birth", "a full date of birth", "the first of its month", days)
    columns = "patient_id, date_of_birth, sex, date_of_death"
    if t.count("SELECT 1 FROM out_patients WHERE nhs_number IS NOT NULL"):
        columns += ", " + _nhs_column(t, nhs)
    copy("patients", f"SELECT {columns} FROM out_patients")


def _nhs_column(t: Tables, nhs: NhsMode) -> str:
    """NHS numbers as they are (the importer's private build folder only), as pseudonyms, or refused."""
    source = t.files["SRPatient"]
    if nhs == "refuse":
        raise InputError(
            f"{source.name}: the extract holds NHS numbers, which are written only as pseudonyms",
            hint=f"give the practice's key (--key-file or {pseudonym.KEY_ENV_VAR}) to write pseudonyms, "
            "or import with 'qiloop import' instead",
        )
    bad = t.first(
        "SELECT _row, nhs_number FROM out_patients WHERE nhs_number IS NOT NULL AND NOT "
        f"coalesce({pseudonym.sql_is_valid('nhs_number')}, false) ORDER BY _row LIMIT 1"
    )
    if bad:
        raise InputError(
            f"{source.name}:{line_of(source, int(bad[0]))}: column NHSNumber: {shown(pseudonym.mask(bad[1]))} is not "
            "a valid NHS number (10 digits, the last a modulus-11 check digit)",
            hint="check the extract; nothing was imported",
        )
    if nhs == "raw":
        return "nhs_number"
    return f"{pseudonym.sql_pseudonym('nhs_number', '$inner', '$outer')} AS {NHS_NUMBER_PSEUDONYM_COLUMN}"


def registrations(t: Tables, copy: Copy) -> None:
    name = t.files["SRPatientRegistration"].name
    visible = "coalesce(IDOrganisationVisibleTo, '') IN ('', IDOrganisation)"
    elsewhere = t.count(f"SELECT 1 FROM src_SRPatientRegistration WHERE NOT ({visible})")
    if elsewhere:
        t.report.drop(name, "a registration seen from another organisation's files (IDOrganisation is not "
                      "IDOrganisationVisibleTo)", elsewhere)  # fmt: skip
    k = t.keep("SRPatientRegistration", visible)
    t.check_cells("SRPatientRegistration")
    for status, n in t.con.execute(
        f"SELECT coalesce(RegistrationStatus, ''), count(*) FROM {k} GROUP BY 1 ORDER BY 1"
    ).fetchall():
        temporary = str(status).strip().lower().startswith(TEMPORARY_PREFIX)
        t.report.mapped("practice_registrations", str(status) or "(no status)", "left out" if temporary else "kept", n)
    rows = (
        f"SELECT CAST({as_id('IDPatient')} AS BIGINT) AS patient_id, {as_date('DateRegistration')} AS start_date, "
        f"{as_date('DateDeRegistration')} AS end_date, {as_id('IDOrganisation')} AS practice_id, "
        f"lower(coalesce(RegistrationStatus, '')) LIKE '{TEMPORARY_PREFIX}%' AS temporary FROM {k}"
    )
    t.con.execute(f"CREATE TEMP TABLE regs AS {rows}")
    for reason, condition in (
        ("a temporary resident's registration", "temporary"),
        ("no patient, or a patient left out", "patient_id NOT IN (SELECT patient_id FROM out_patients)"),
        ("no DateRegistration", "start_date IS NULL"),
        ("no IDOrganisation", "practice_id IS NULL"),
    ):
        n = t.count(f"SELECT 1 FROM regs WHERE {condition}")
        if n:
            t.report.drop(name, reason, n)
            t.con.execute(f"DELETE FROM regs WHERE {condition}")
    repeated = t.count("SELECT 1 FROM regs GROUP BY patient_id, practice_id, start_date HAVING count(*) > 1")
    if repeated:
        t.report.notes.append(f"{name}: {repeated:,} registrations were given twice; merged")
    copy(
        "practice_registrations",
        "SELECT patient_id, start_date, CASE WHEN bool_or(end_date IS NULL) THEN NULL ELSE max(end_date) END "
        "AS end_date, practice_id FROM regs GROUP BY patient_id, practice_id, start_date ORDER BY ALL",
    )
