"""The individual data-quality checks, each a DuckDB query over the store.

A check returns a :class:`Finding` (or None when nothing is wrong): what it
found, how many rows, one example row, and why it matters to a practice.
Rows are named by their position in the imported file ("clinical_events row
1043" is the 1,043rd data row of clinical_events.csv, i.e. line 1044) and the
pseudonymous patient_id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from qiloop.records.sql import ident

SYSTOLIC_BP_CODES = ("72313002", "271649006", "163030003")
HBA1C_CODE = "999791000000106"
EGFR_CODE = "1011481000000105"

# (label, codes, low, high, unit)
PLAUSIBLE_RANGES: tuple[tuple[str, tuple[str, ...], float, float, str], ...] = (
    ("systolic blood pressure", SYSTOLIC_BP_CODES, 50, 300, "mmHg"),
    ("HbA1c", (HBA1C_CODE,), 20, 200, "mmol/mol"),
    ("eGFR", (EGFR_CODE,), 1, 200, "mL/min/1.73m²"),
)

Severity = str  # "error" | "warning" | "info"


@dataclass(frozen=True)
class Finding:
    """One data-quality problem: ``count`` rows of ``table`` (``column``) break the rule ``id``."""

    id: str
    severity: Severity
    table: str
    column: str | None
    count: int
    title: str
    why: str
    example: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "severity": self.severity,
            "table": self.table,
            "column": self.column,
            "count": self.count,
            "title": self.title,
            "example": self.example,
            "why_it_matters": self.why,
        }


@dataclass(frozen=True)
class Context:
    con: duckdb.DuckDBPyConnection
    tables: frozenset[str]
    as_of: dt.date


def _example(table: str, rowid: int | None, patient_id: int | None = None) -> str | None:
    if rowid is None:
        return None
    text = f"{table} row {int(rowid) + 1}"
    return f"{text} (patient_id {patient_id})" if patient_id is not None else text


def count_and_example(ctx: Context, table: str, where: str, params: list | None = None, join: str = "") -> tuple:
    """``(count, first rowid, its patient_id)`` of ``table`` rows (alias t) matching ``where``."""
    has_patient = table != "practices"
    patient = "t.patient_id" if has_patient else "NULL"
    row = ctx.con.execute(
        f"SELECT count(*), arg_min(t.rowid, t.rowid), arg_min({patient}, t.rowid) FROM {ident(table)} t {join} "
        f"WHERE {where}",
        params or [],
    ).fetchone()
    return row if row else (0, None, None)


def _finding(ctx: Context, *, id: str, severity: Severity, table: str, column: str | None, where: str,
             title: str, why: str, params: list | None = None, join: str = "") -> Finding | None:  # fmt: skip
    count, rowid, patient = count_and_example(ctx, table, where, params, join)
    if not count:
        return None
    return Finding(id, severity, table, column, int(count), title, why, _example(table, rowid, patient))


DATE_COLUMNS_THAT_CANNOT_BE_FUTURE: tuple[tuple[str, str], ...] = (
    ("patients", "date_of_birth"),
    ("patients", "date_of_death"),
    ("practice_registrations", "start_date"),
    ("clinical_events", "date"),
    ("medications", "date"),
    ("appointments", "booked_date"),
)


def future_dates(ctx: Context) -> list[Finding]:
    found = []
    for table, column in DATE_COLUMNS_THAT_CANNOT_BE_FUTURE:
        if table not in ctx.tables:
            continue
        f = _finding(
            ctx,
            id="future_date",
            severity="warning",
            table=table,
            column=column,
            where=f"t.{ident(column)} > ?",
            params=[ctx.as_of],
            title=f"{column} after {ctx.as_of.isoformat()}",
            why="A date in the future is almost always a typing or system-clock error; the record is counted in "
            "the wrong month or not at all.",
        )
        if f:
            found.append(f)
    return found


PATIENT_DATED_TABLES: tuple[tuple[str, str, str], ...] = (
    # table, date column, extra condition (appointments that did not happen don't count)
    ("clinical_events", "date", "TRUE"),
    ("medications", "date", "TRUE"),
    ("appointments", "start_date", "t.status NOT IN ('cancelled_by_patient', 'cancelled_by_practice')"),
)


def outside_life(ctx: Context) -> list[Finding]:
    if "patients" not in ctx.tables:
        return []
    found = []
    join = "JOIN patients p ON p.patient_id = t.patient_id"
    for table, column, extra in PATIENT_DATED_TABLES:
        if table not in ctx.tables:
            continue
        col = f"t.{ident(column)}"
        for f in (
            _finding(
                ctx,
                id="before_birth",
                severity="error",
                table=table,
                column=column,
                where=f"{col} < p.date_of_birth AND {extra}",
                join=join,
                title="a date before the patient's month of birth",
                why="A record before birth means a wrong date or a record filed against the wrong patient; "
                "it can put a patient in a measure they do not belong to.",
            ),
            _finding(
                ctx,
                id="after_death",
                severity="warning",
                table=table,
                column=column,
                where=f"{col} > p.date_of_death AND {extra}",
                join=join,
                title="a date after the patient's death",
                why="Activity after death suggests a wrong date of death, a wrong patient, or records still being "
                "added; deceased patients should leave the practice's measures.",
            ),
        ):
            if f:
                found.append(f)
    death = _finding(
        ctx,
        id="death_before_birth",
        severity="error",
        table="patients",
        column="date_of_death",
        where="t.date_of_death < t.date_of_birth",
        title="date_of_death before date_of_birth",
        why="One of the two dates is wrong; ages and every age-based measure are wrong for this patient.",
    )
    return found + ([death] if death else [])


def implausible_values(ctx: Context) -> list[Finding]:
    if "clinical_events" not in ctx.tables:
        return []
    found = []
    for label, codes, low, high, unit in PLAUSIBLE_RANGES:
        f = _finding(
            ctx,
            id="implausible_value",
            severity="warning",
            table="clinical_events",
            column="numeric_value",
            where="list_contains(?, t.snomedct_code) AND (t.numeric_value < ? OR t.numeric_value > ?)",
            params=[list(codes), low, high],
            title=f"{label} outside {low:g}–{high:g} {unit}",
            why=f"A {label} value outside {low:g}–{high:g} {unit} is not physiologically plausible: usually a "
            "unit or typing error. It can wrongly put a patient in (or out of) a control measure.",
        )
        if f:
            found.append(f)
    negative = _finding(
        ctx,
        id="negative_value",
        severity="warning",
        table="clinical_events",
        column="numeric_value",
        where="t.numeric_value < 0",
        title="a negative numeric_value",
        why="Clinical measurements are not negative; a minus sign usually marks a typing or export error.",
    )
    return found + ([negative] if negative else [])


def bounded_values(ctx: Context) -> list[Finding]:
    """Values reported as a bound (">90", "<5"): kept with their comparator, compared as the number."""
    if "clinical_events" not in ctx.tables:
        return []
    has_column = ctx.con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() "
        "AND table_name = 'clinical_events' AND column_name = 'numeric_comparator'"
    ).fetchone()
    if not has_column or not has_column[0]:  # a store imported before the column existed
        return []
    f = _finding(
        ctx,
        id="bounded_value",
        severity="info",
        table="clinical_events",
        column="numeric_comparator",
        where="t.numeric_comparator IS NOT NULL",
        title="values reported as a bound (such as eGFR >90)",
        why="Measures compare the number itself, so '>90' counts as 90. That decides every threshold the bound "
        "lies beyond (an eGFR '>90' is not below 60), but not one inside it: '<40' against 'below 45' is decided, "
        "'>40' is not. Check such patients in the record.",
    )
    return [f] if f else []


def overlapping_registrations(ctx: Context) -> list[Finding]:
    if "practice_registrations" not in ctx.tables:
        return []
    row = ctx.con.execute(
        """
        SELECT count(*), arg_min(rid, rid), arg_min(patient_id, rid) FROM (
            SELECT rowid AS rid, patient_id, start_date,
                   max(coalesce(end_date, DATE '9999-12-31')) OVER (
                       PARTITION BY patient_id ORDER BY start_date, rowid
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_end
            FROM practice_registrations)
        WHERE start_date < earlier_end
        """
    ).fetchone()
    if not row or not row[0]:
        return []
    return [
        Finding(
            "overlapping_registrations",
            "warning",
            "practice_registrations",
            None,
            int(row[0]),
            "a start_date before the same patient's earlier registration ends",
            "A patient registered at two places at once is counted twice (or at the wrong practice) in "
            "list sizes and measures; usually a missing end_date.",
            _example("practice_registrations", row[1], row[2]),
        )
    ]


def duplicate_rows(ctx: Context) -> list[Finding]:
    found = []
    for table, columns in (
        ("clinical_events", ("patient_id", "date", "snomedct_code", "numeric_value")),
        ("medications", ("patient_id", "date", "dmd_code")),
        ("appointments", ("patient_id", "practice_id", "booked_date", "start_date", "status", "mode", "hcp_role",
                          "clinician_id")),
    ):  # fmt: skip
        if table not in ctx.tables:
            continue
        row = ctx.con.execute(_duplicates_sql(table, columns)).fetchone()
        if row and row[0]:
            what = (
                "an earlier appointment's details (all but appointment_id)"
                if table == "appointments"
                else "the same values as an earlier row"
            )
            found.append(
                Finding(
                    "duplicate_rows",
                    "warning",
                    table,
                    None,
                    int(row[0]),
                    what,
                    "Repeated rows inflate counts (issues, appointments, readings) and can double-count a patient's "
                    "activity; they usually come from an extract run twice or a system duplicating entries.",
                    _example(table, row[1], row[2]),
                )
            )
    return found


def _duplicates_sql(table: str, columns: tuple[str, ...]) -> str:
    """SQL for (repeats, example rowid, its patient_id): rows equal to an earlier row in ``columns``.

    Sorting rows by a 64-bit hash of the columns puts copies next to each other at a fraction of the
    memory of grouping by the columns themselves; each candidate is then compared column by column
    with its neighbour, so a hash collision is never counted as a copy.
    """
    t, cols = ident(table), ", ".join(ident(c) for c in columns)
    same = " AND ".join(f"a.{ident(c)} IS NOT DISTINCT FROM b.{ident(c)}" for c in columns)
    return f"""
        WITH hashed AS (SELECT rowid AS rid, hash({cols}) AS h FROM {t}),
        neighbours AS (
            SELECT rid, h, lag(h) OVER w AS previous_h, lag(rid) OVER w AS previous_rid
            FROM hashed WINDOW w AS (ORDER BY h, rid)),
        candidates AS (SELECT rid, previous_rid FROM neighbours WHERE h = previous_h)
        SELECT count(*), arg_min(c.rid, c.rid), arg_min(a.patient_id, c.rid)
        FROM candidates c JOIN {t} a ON a.rowid = c.rid JOIN {t} b ON b.rowid = c.previous_rid
        WHERE {same}
    """


def appointment_status(ctx: Context) -> list[Finding]:
    if "appointments" not in ctx.tables:
        return []
    rules: tuple[tuple[str, str, list[object], str, str], ...] = (
        (
            "outcome_in_future",
            "t.status IN ('attended', 'did_not_attend') AND t.start_date > ?",
            [ctx.as_of],
            f"status attended or did_not_attend but a start_date after {ctx.as_of.isoformat()}",
            "An appointment cannot have been attended or missed before it happens: the status or the date is wrong, "
            "which distorts DNA rates.",
        ),
        (
            "booked_in_past",
            "t.status = 'booked' AND t.start_date < ?",
            [ctx.as_of],
            f"status booked but a start_date before {ctx.as_of.isoformat()}",
            "Past appointments with no outcome recorded make attendance and DNA rates unreliable; GPAD asks for "
            "every appointment's outcome to be recorded.",
        ),
        (
            "start_before_booking",
            "t.start_date < t.booked_date",
            [],
            "a start_date before the booked_date",
            "The booking-to-appointment wait comes out negative, which breaks same-day and within-two-weeks access "
            "measures.",
        ),
    )
    found = []
    for id_, where, params, title, why in rules:
        f = _finding(
            ctx, id=id_, severity="warning", table="appointments", column="status", where=where, params=params,
            title=title, why=why,
        )  # fmt: skip
        if f:
            found.append(f)
    return found


def unregistered_patients(ctx: Context) -> list[Finding]:
    if "patients" not in ctx.tables or "practice_registrations" not in ctx.tables:
        return []
    f = _finding(
        ctx,
        id="never_registered",
        severity="warning",
        table="patients",
        column=None,
        where="NOT EXISTS (SELECT 1 FROM practice_registrations r WHERE r.patient_id = t.patient_id)",
        title="no practice registration",
        why="Measures count patients through their registration, so these patients are in no practice's "
        "figures; the extract may be missing registrations.",
    )
    return [f] if f else []


def unknown_codes(ctx: Context, known: dict[str, frozenset[str]]) -> list[Finding]:
    found = []
    for table, column, system in (("clinical_events", "snomedct_code", "snomedct"), ("medications", "dmd_code", "dmd")):
        if table not in ctx.tables:
            continue
        ctx.con.execute(
            "CREATE OR REPLACE TEMP TABLE known_codes AS SELECT unnest(?::VARCHAR[]) AS code",
            [sorted(known.get(system, frozenset()))],
        )
        f = _finding(
            ctx,
            id="unknown_code",
            severity="info",
            table=table,
            column=column,
            where=f"NOT EXISTS (SELECT 1 FROM temp.known_codes k WHERE k.code = t.{ident(column)})",
            title=f"a {column} in none of qiloop's code lists",
            why="These rows are kept but no measure looks at them. That is normal for much of a record; check "
            "it when a code you expected a measure to count is among them (a code-list gap or a mistyped code).",
        )
        if f:
            found.append(f)
    return found


CHECKS: tuple[Callable[[Context], list[Finding]], ...] = (
    future_dates,
    outside_life,
    implausible_values,
    bounded_values,
    overlapping_registrations,
    duplicate_rows,
    appointment_status,
    unregistered_patients,
)
