"""The data-quality report: what a practice manager should know about an imported store.

>>> from qiloop.records.quality import quality_report
>>> report = quality_report("var/demo/store.duckdb")  # doctest: +SKIP
>>> print(report.summary_text())  # doctest: +SKIP

It lists, for every column, the share of rows with a value (completeness),
and findings: dates in the future, records before birth or after death,
implausible readings, overlapping registrations, duplicate rows, appointment
statuses that contradict their dates, patients with no registration, and
codes that appear in none of qiloop's code lists. Each finding says how many
rows, one example row, and why it matters.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from qiloop import progress
from qiloop.records.convert import read_report
from qiloop.records.gpad import COUNTS_TABLE, mismatch_finding
from qiloop.records.quality_checks import CHECKS, Context, Finding, unknown_codes
from qiloop.records.schema import TABLES
from qiloop.records.sql import connect, ident
from qiloop.records.store import read_store_info

# Columns where an empty cell is normal, and what it means (said next to their completeness).
EMPTY_MEANS = {
    ("patients", "date_of_death"): "empty while the patient is alive",
    ("practice_registrations", "end_date"): "empty while the patient is registered",
    ("clinical_events", "numeric_value"): "only readings and results have a value",
    ("appointments", "clinician_id"): "empty when no clinician is recorded",
}
WRAP = 100

SEVERITY_ORDER = ("error", "warning", "info")
SEVERITY_HEADINGS = {
    "error": "Errors: wrong data that changes the measures; correct them in the clinical system",
    "warning": "Warnings: probably wrong; check a few examples",
    "info": "For information",
}


@dataclass(frozen=True)
class Completeness:
    """Share of ``table`` rows with a value in ``column``."""

    table: str
    column: str
    rows: int
    filled: int

    @property
    def percent(self) -> float:
        return 100.0 * self.filled / self.rows if self.rows else 100.0

    def as_dict(self) -> dict[str, object]:
        return {
            "table": self.table,
            "column": self.column,
            "rows": self.rows,
            "filled": self.filled,
            "percent": round(self.percent, 2),
        }


@dataclass
class QualityReport:
    store: Path
    as_of: dt.date
    findings: list[Finding]
    completeness: list[Completeness]
    notes: list[str] = field(default_factory=list)
    conversion: dict[str, object] | None = None  # the report of the conversion the store was imported from

    def finding(self, id: str, table: str | None = None) -> list[Finding]:
        """The findings with this id (and table)."""
        return [f for f in self.findings if f.id == id and (table is None or f.table == table)]

    def as_dict(self) -> dict[str, object]:
        return {
            "store": str(self.store),
            "as_of": self.as_of.isoformat(),
            "findings": [f.as_dict() for f in self.findings],
            "completeness": [c.as_dict() for c in self.completeness],
            "notes": list(self.notes),
            "conversion": self.conversion,
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2)

    def summary_text(self) -> str:
        """The report as plain text, most serious findings first."""
        out = [f"Data quality of {self.store} (as of {self.as_of.isoformat()})", ""]
        if not self.findings:
            out.append("No problems found.")
        for severity in SEVERITY_ORDER:
            items = [f for f in self.findings if f.severity == severity]
            if not items:
                continue
            out.append(SEVERITY_HEADINGS[severity])
            for f in items:
                rows = "row" if f.count == 1 else "rows"
                out.append(f"  - {f.table}: {f.count:,} {rows} with {f.title}")
                if f.example:
                    out.append(f"      e.g. {f.example}")
                out.append(
                    textwrap.fill(
                        f.why, width=WRAP, initial_indent="      why it matters: ", subsequent_indent="      "
                    )
                )
            out.append("")
        gaps = [c for c in self.completeness if c.filled < c.rows]
        out.append("Completeness (share of rows with a value)")
        if gaps:
            for c in gaps:
                means = EMPTY_MEANS.get((c.table, c.column))
                note = f"; {means}" if means else ""
                out.append(
                    f"  - {c.table}.{c.column}: {c.percent:.1f}% ({c.rows - c.filled:,} of {c.rows:,} empty{note})"
                )
            out.append("  every other column is complete")
        else:
            out.append("  every column is complete")
        for note in self.notes:
            out += ["", f"note: {note}"]
        if self.conversion is not None:
            from qiloop.records.convert import summary_lines

            out += ["", *summary_lines(self.conversion)]
        return "\n".join(out)


def _default_known_codes() -> dict[str, frozenset[str]] | None:
    try:
        from qiloop.codelists import all_known_codes
    except ImportError:
        return None
    return all_known_codes()


def quality_report(
    store_path: str | Path,
    as_of: dt.date | None = None,
    *,
    known_codes: dict[str, frozenset[str]] | None = None,
    known_codes_loader: Callable[[], dict[str, frozenset[str]] | None] = _default_known_codes,
) -> QualityReport:
    """Check the store at ``store_path``; dates after ``as_of`` (default today) count as in the future.

    ``known_codes`` (``{"snomedct": ..., "dmd": ...}``) defaults to every code in qiloop's code lists;
    when there are none the unknown-code check is skipped with a note.
    """
    store_path = Path(store_path)
    info = read_store_info(store_path)
    as_of = as_of or dt.date.today()
    con = connect()
    try:
        con.execute("ATTACH ? AS store (READ_ONLY)", [str(store_path)])
        con.execute("USE store")
        ctx = Context(con, frozenset(info.tables), as_of)
        findings: list[Finding] = []
        for check in progress.track(CHECKS, desc="quality checks", unit="check"):
            findings.extend(check(ctx))
        notes: list[str] = []
        codes = known_codes if known_codes is not None else known_codes_loader()
        if codes and any(codes.values()):
            findings.extend(unknown_codes(ctx, codes))
        else:
            notes.append("no code lists are available, so codes were not checked against them")
        if "appointments" in ctx.tables and _has_table(con, COUNTS_TABLE):
            findings.extend(mismatch_finding(con))
        completeness = _completeness(ctx)
        conversion = read_report(con)
    finally:
        con.close()
    findings.sort(key=lambda f: SEVERITY_ORDER.index(f.severity))
    return QualityReport(store_path, as_of, findings, completeness, notes, conversion)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND database_name = current_database()", [name]
    ).fetchone()
    return bool(row and row[0])


def _completeness(ctx: Context) -> list[Completeness]:
    out: list[Completeness] = []
    for table in TABLES:
        if table.name not in ctx.tables:
            continue
        counts = ", ".join(f"count({ident(c.name)})" for c in table.columns)
        row = ctx.con.execute(f"SELECT count(*), {counts} FROM {ident(table.name)}").fetchone() or ()
        rows, *filled = row
        out.extend(
            Completeness(table.name, c.name, int(rows), int(n)) for c, n in zip(table.columns, filled, strict=True)
        )
    return out
