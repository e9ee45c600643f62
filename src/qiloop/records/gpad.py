"""NHS England's "Appointments in General Practice" (GPAD) practice-level files as a national comparator.

>>> from qiloop.records.gpad import import_gpad, comparator
>>> import_gpad("downloads/Practice_Level_Crosstab_Feb_25.csv", "var/store.duckdb")  # doctest: +SKIP
>>> comparator("var/store.duckdb", "dna_rate", practice_id="A81001").national  # doctest: +SKIP

GPAD is not patient records: it is appointment counts per practice, month, staff type, mode, national
category, time from booking to appointment and status. It is kept in the store as the aggregate table
:data:`COUNTS_TABLE` (beside the patient tables, which it never touches) and gives England (and per
practice) figures for the access measures, with the definitional differences stated in
:data:`DEFINITIONS`.

Reading: the published headers and values as they are (``APPOINTMENT_MONTH_START_DATE`` as ``01MAR2024``
or ISO; the lead-time bands with their double spaces, whitespace normalised; the older ``CCG_CODE`` in
place of ``SUB_ICB_LOCATION_CODE``; releases without ``APPT_STATUS``, whose rows get status ``unknown``).
Only the code and count columns are read (never ``GP_NAME``, ``PCN_NAME``, ...). A file's release month
comes from its name (``..._Feb_25.csv``); when two releases give the same practice and month, the later
release wins, and months within two of their release are flagged provisional.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from qiloop.errors import InputError
from qiloop.records.column_checks import shown
from qiloop.records.convert import ConversionReport, ConvertOptions, closest
from qiloop.records.extract import read_csv_header
from qiloop.records.sql import connect, ident, literal

if TYPE_CHECKING:
    from qiloop.records.quality_checks import Finding

COUNTS_TABLE = "gpad_appointment_counts"
PROVISIONAL_MONTHS = 2

HCP_TYPES = {"GP": "gp", "Other Practice staff": "other", "Unknown": "unknown"}
MODES = {
    "Face-to-Face": "face_to_face",
    "Telephone": "telephone",
    "Video Conference/Online": "video_online",
    "Home Visit": "home_visit",
    "Unknown": "unknown",
}
BANDS = {  # published strings, whitespace normalised ("8  to 14 Days" is read as "8 to 14 Days")
    "Same Day": "same_day",
    "1 Day": "1",
    "2 to 7 Days": "2_7",
    "8 to 14 Days": "8_14",
    "15 to 21 Days": "15_21",
    "22 to 28 Days": "22_28",
    "More than 28 Days": "over_28",
    "Unknown / Data Quality": "unknown",
}
STATUSES = {"Attended": "attended", "DNA": "did_not_attend", "Unknown": "unknown"}
UNMAPPED_CATEGORIES = ("Unmapped", "Inconsistent Mapping")

REQUIRED = (
    "APPOINTMENT_MONTH_START_DATE",
    "GP_CODE",
    "HCP_TYPE",
    "APPT_MODE",
    "NATIONAL_CATEGORY",
    "TIME_BETWEEN_BOOK_AND_APPT",
    "COUNT_OF_APPOINTMENTS",
)
ALIASES = {"SUB_ICB_LOCATION_CODE": ("SUB_ICB_LOCATION_CODE", "CCG_CODE"), "PCN_CODE": ("PCN_CODE",)}
VALUE_COLUMNS = {
    "HCP_TYPE": ("hcp_type", HCP_TYPES),
    "APPT_MODE": ("mode", MODES),
    "TIME_BETWEEN_BOOK_AND_APPT": ("lead_band", BANDS),
    "APPT_STATUS": ("status", STATUSES),
}
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
RELEASE_NAME = re.compile(r"_(?P<mon>[A-Za-z]{3})_(?P<yy>[0-9]{2})\.csv$")


def _release(path: Path) -> dt.date | None:
    match = RELEASE_NAME.search(path.name)
    if not match or match["mon"].upper() not in MONTHS:
        return None
    return dt.date(2000 + int(match["yy"]), MONTHS.index(match["mon"].upper()) + 1, 1)


def _files(source: Path, report: ConversionReport) -> list[Path]:
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise InputError(f"{source}: no such file or folder")
    files = []
    for path in sorted(source.iterdir()):
        if path.suffix.lower() == ".csv" and "crosstab" in path.name.lower():
            files.append(path)
        elif path.is_file() and not path.name.startswith("."):
            report.ignored.append(path.name)  # Mapping.csv, the zip, notes
    if not files:
        raise InputError(
            f"{source}: no GPAD practice-level files (Practice_Level_Crosstab_<Mon>_<YY>.csv)",
            hint="unzip NHS England's download and give the folder or one Practice_Level_Crosstab file",
        )
    return files


def _load_file(con: duckdb.DuckDBPyConnection, path: Path, report: ConversionReport, options: ConvertOptions) -> None:
    """Append one file's rows (canonical values) to temp table ``counts``; InputError naming file and line."""
    header = [h.strip() for h in read_csv_header(path)]
    if "APPOINTMENT_MONTH_START_DATE" not in header and "patient_id" in header:
        raise InputError(
            f"{path.name}: a table of patient records, not a GPAD file", hint="import it with --from canonical or ehrql"
        )
    for name in REQUIRED:
        if name not in header:
            raise InputError(
                f"{path.name}:1: missing column {name!r}{closest(name, header)}",
                hint="GPAD practice-level files have the columns " + ", ".join(REQUIRED) + ", APPT_STATUS, ...",
            )
    picked = {name: next((a for a in aliases if a in header), None) for name, aliases in ALIASES.items()}
    if picked["SUB_ICB_LOCATION_CODE"] == "CCG_CODE":
        report.mapped("sub_icb_id", "CCG_CODE (a release before the 2022 rename)", "SUB_ICB_LOCATION_CODE")
    has_status = "APPT_STATUS" in header
    release = _release(path)
    raw_columns = {name: "VARCHAR" for name in read_csv_header(path)}
    src = (
        "read_csv($path, auto_detect=false, header=true, delim=',', quote='\"', escape='\"', columns=$columns, "
        "strict_mode=true, null_padding=false)"
    )

    def col(name: str) -> str:
        original = next(h for h in raw_columns if h.strip() == name)
        return f"regexp_replace(trim({ident(original)}), '\\s+', ' ', 'g')"

    where = f"WHERE {col('GP_CODE')} = $practice" if options.practice else ""
    pcn = col("PCN_CODE") if picked["PCN_CODE"] else "NULL"
    sub_icb = col(picked["SUB_ICB_LOCATION_CODE"]) if picked["SUB_ICB_LOCATION_CODE"] else "NULL"
    params: dict[str, object] = {"path": str(path), "columns": raw_columns}
    if options.practice:
        params["practice"] = options.practice
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE raw_file AS SELECT "
            f"{col('APPOINTMENT_MONTH_START_DATE')} AS month_text, {col('GP_CODE')} AS practice_id, {pcn} AS pcn_id, "
            f"{sub_icb} AS sub_icb_id, {col('HCP_TYPE')} AS HCP_TYPE, {col('APPT_MODE')} AS APPT_MODE, "
            f"{col('NATIONAL_CATEGORY')} AS national_category, {col('TIME_BETWEEN_BOOK_AND_APPT')} AS "
            f"TIME_BETWEEN_BOOK_AND_APPT, {col('APPT_STATUS') if has_status else 'NULL'} AS APPT_STATUS, "
            f"{col('COUNT_OF_APPOINTMENTS')} AS count_text FROM {src} {where}",
            params,
        )
    except duckdb.Error:
        raise InputError(
            f"{path.name}: could not be read as CSV (check its quoting and that it is UTF-8 text)",
            hint="give the file as NHS England published it",
        ) from None
    # the table keeps file order (rowid); the line is n + 1 (GPAD cells hold no line breaks)
    con.execute("CREATE OR REPLACE TEMP TABLE raw AS SELECT rowid + 1 AS n, * FROM raw_file ORDER BY rowid")
    report.read[path.name] = _scalar(con, "SELECT count(*) FROM raw")
    if not has_status:
        report.notes.append(
            f"{path.name}: this release has no APPT_STATUS column; its appointments count as unknown status"
        )
    for column, (_, mapping) in VALUE_COLUMNS.items():
        if column == "APPT_STATUS" and not has_status:
            continue
        accepted = ", ".join(repr(v) for v in mapping)
        bad = con.execute(
            f"SELECT n, {column} FROM raw WHERE {column} IS NULL OR {column} NOT IN "
            f"({', '.join(literal(v) for v in mapping)}) ORDER BY n LIMIT 1"
        ).fetchone()
        if bad:
            line = _line(path, options, int(bad[0]))
            raise InputError(
                f"{path.name}:{line}: column {column}: {shown(bad[1])} is not a published value",
                hint=f"accepted values: {accepted}; nothing was imported",
            )
    bad = con.execute(
        "SELECT n, count_text FROM raw WHERE NOT regexp_full_match(coalesce(count_text, ''), '[0-9]+') ORDER BY n LIMIT 1"
    ).fetchone()
    if bad:
        raise InputError(
            f"{path.name}:{_line(path, options, int(bad[0]))}: column COUNT_OF_APPOINTMENTS: {shown(bad[1])} is not a count",
            hint="counts are whole numbers; nothing was imported",
        )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE months AS SELECT n, month_text, coalesce("
        "try_strptime(month_text, '%d%b%Y'), try_strptime(month_text, '%Y-%m-%d'))::DATE AS month FROM raw"
    )
    bad = con.execute(
        "SELECT n, month_text FROM months WHERE month IS NULL OR day(month) <> 1 ORDER BY n LIMIT 1"
    ).fetchone()
    if bad:
        raise InputError(
            f"{path.name}:{_line(path, options, int(bad[0]))}: column APPOINTMENT_MONTH_START_DATE: {shown(bad[1])} is not "
            "the first of a month written DDMONYYYY (01MAR2024) or YYYY-MM-DD",
            hint="give the file as NHS England published it; nothing was imported",
        )
    latest = con.execute("SELECT max(month) FROM months").fetchone()
    if release is None:
        release = latest[0] if latest and latest[0] else None
        report.notes.append(f"{path.name}: no release month in the file name; its latest month is taken as the release")
    maps = {
        column: "CASE "
        + " ".join(f"WHEN {column} = {literal(k)} THEN {literal(v)}" for k, v in mapping.items())
        + " END"
        for column, (_, mapping) in VALUE_COLUMNS.items()
    }
    for column, (target, mapping) in VALUE_COLUMNS.items():
        if column == "APPT_STATUS" and not has_status:
            continue
        for value, n in con.execute(
            f"SELECT {column}, sum(count_text::BIGINT) FROM raw GROUP BY 1 ORDER BY 1"
        ).fetchall():
            report.mapped(f"{target} (appointments)", value, mapping[value], int(n))
    con.execute(
        f"INSERT INTO counts SELECT r.practice_id, r.pcn_id, r.sub_icb_id, m.month, {maps['HCP_TYPE']}, "
        f"{maps['APPT_MODE']}, r.national_category, {maps['TIME_BETWEEN_BOOK_AND_APPT']}, "
        f"{maps['APPT_STATUS'] if has_status else literal('unknown')}, r.count_text::BIGINT, $release::DATE, $file "
        "FROM raw r JOIN months m USING (n) ORDER BY r.n",
        {"release": release, "file": path.name},
    )


def _line(path: Path, options: ConvertOptions, n: int) -> str:
    """The physical line of the n-th (1-based) row read; with a practice filter the n-th matching row."""
    if not options.practice:
        return str(n + 1)
    import csv

    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader)]
        code = header.index("GP_CODE")
        seen = 0
        for row in reader:
            if len(row) > code and row[code].strip() == options.practice:
                seen += 1
                if seen == n:
                    return str(reader.line_num)
    return f"row {n}"


def _read(con: duckdb.DuckDBPyConnection, source: Path, options: ConvertOptions) -> ConversionReport:
    report = ConversionReport("gpad", source.name)
    con.execute(
        "CREATE TEMP TABLE counts (practice_id VARCHAR, pcn_id VARCHAR, sub_icb_id VARCHAR, month DATE, "
        "hcp_type VARCHAR, mode VARCHAR, national_category VARCHAR, lead_band VARCHAR, status VARCHAR, "
        "count BIGINT, release DATE, source_file VARCHAR)"
    )
    for path in _files(source, report):
        _load_file(con, path, report, options)
    twice = con.execute(
        "SELECT practice_id, month, list(DISTINCT source_file ORDER BY source_file) FROM counts "
        "GROUP BY practice_id, month, release HAVING count(DISTINCT source_file) > 1 LIMIT 1"
    ).fetchone()
    if twice:
        raise InputError(
            f"{' and '.join(twice[2])}: both give practice {twice[0]}'s appointments for {twice[1]:%B %Y} in the same "
            "release (a file given twice?)",
            hint="give each release's files once; nothing was imported",
        )
    if options.practice and not _scalar(con, "SELECT count(*) FROM counts"):
        raise InputError(
            f"{source}: no rows for practice {options.practice}",
            hint="check the practice's ODS code (GP_CODE); nothing was imported",
        )
    return report


def _final_select(source: str) -> str:
    """Rows of the latest release for each practice and month, with the provisional flag."""
    return (
        "SELECT practice_id, pcn_id, sub_icb_id, month, hcp_type, mode, national_category, lead_band, status, "
        f"count, release, month > release - INTERVAL {PROVISIONAL_MONTHS + 1} MONTH AS provisional FROM {source} "
        "QUALIFY release = max(release) OVER (PARTITION BY practice_id, month) "
        "ORDER BY month, practice_id, hcp_type, mode, national_category, lead_band, status"
    )


def convert_gpad(source: Path, out_dir: Path, options: ConvertOptions) -> ConversionReport:
    """``qiloop convert gpad``: the comparator table as ``gpad_appointment_counts.csv``."""
    con = connect()
    try:
        report = _read(con, source, options)
        _report_restated(con, report)
        con.execute(f"COPY ({_final_select('counts')}) TO $out (HEADER)", {"out": str(out_dir / f"{COUNTS_TABLE}.csv")})
        report.written[COUNTS_TABLE] = _scalar(con, f"SELECT count(*) FROM ({_final_select('counts')})")
    finally:
        con.close()
    return report


def _report_restated(con: duckdb.DuckDBPyConnection, report: ConversionReport) -> None:
    restated = _scalar(
        con,
        "SELECT count(*) FROM (SELECT practice_id, month FROM counts GROUP BY ALL HAVING count(DISTINCT release) > 1)",
    )
    if restated:
        report.drop(
            COUNTS_TABLE,
            "an earlier release of a restated month (the latest release wins)",
            _scalar(con, "SELECT count(*) FROM counts")
            - _scalar(con, f"SELECT count(*) FROM ({_final_select('counts')})"),
        )


@dataclass(frozen=True)
class GpadImportResult:
    store: Path
    tables: dict[str, int]
    report: ConversionReport
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.tables.values())


def import_gpad(source: str | Path, store: str | Path, *, options: ConvertOptions | None = None) -> GpadImportResult:
    """Add (or update) the GPAD comparator table in ``store``: the patient tables are left as they are.

    A store that does not exist yet is created holding the comparator only. Rows already in the store are
    kept unless the new files restate their practice and month in a later release. Atomic: the new store is
    built in the private build folder and replaces the old in one step.
    """
    from qiloop.records.store import building, publish

    started = time.perf_counter()
    source, store = Path(source), Path(store)
    options = options or ConvertOptions()
    with building(store) as build_dir:
        built = build_dir / "store.duckdb"
        if store.exists():
            import shutil

            shutil.copyfile(store, built)
        try:
            con = connect(str(built))
        except duckdb.Error:
            raise InputError(
                f"{store}: not a DuckDB store the comparator can be added to",
                hint="give the analytics store written by 'qiloop import', or a new file",
            ) from None
        try:
            report = _read(con, source, options)
            has_table = _scalar(
                con,
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND database_name = current_database()",
                COUNTS_TABLE,
            )
            if has_table:
                # kept unless the new files give the same practice and month in the same or a later release
                con.execute(
                    f"INSERT INTO counts SELECT o.* EXCLUDE (provisional), NULL AS source_file FROM main.{COUNTS_TABLE} o "
                    "WHERE NOT EXISTS (SELECT 1 FROM counts n WHERE n.practice_id = o.practice_id AND n.month = o.month "
                    "AND n.release >= o.release)"
                )
            _report_restated(con, report)
            con.execute(f"CREATE OR REPLACE TABLE main.{COUNTS_TABLE} AS {_final_select('counts')}")
            rows = _scalar(con, f"SELECT count(*) FROM main.{COUNTS_TABLE}")
            report.written[COUNTS_TABLE] = rows
            con.execute("CREATE OR REPLACE TABLE main._qiloop_gpad_report (report VARCHAR)")
            con.execute("INSERT INTO main._qiloop_gpad_report VALUES (?)", [report.to_json()])
            con.execute("CHECKPOINT")
        except duckdb.Error as exc:
            raise InputError(
                f"{store}: not a DuckDB store the comparator can be added to ({type(exc).__name__})",
                hint="give the analytics store written by 'qiloop import', or a new file",
            ) from None
        finally:
            con.close()
        publish(built, store)
    return GpadImportResult(store, {COUNTS_TABLE: rows}, report, time.perf_counter() - started)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> int:
    row = con.execute(sql, list(params)).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


# --- the comparator ------------------------------------------------------------------------------------------

KNOWN_BAND = "lead_band <> 'unknown'"


@dataclass(frozen=True)
class Definition:
    measure_id: str
    numerator: str  # SQL condition over the counts table
    denominator: str
    text: str
    differences: str


_WAIT_DIFF = (
    "GPAD counts every appointment in the practice's system whatever its status (attended, DNA and unknown), "
    "including patients not registered there; qiloop counts appointments of registered patients (attended, missed "
    "or still booked). GPAD's denominator leaves out the 'Unknown / Data Quality' band; qiloop's has no unknown "
    "waits. GPAD has no cancelled appointments; qiloop leaves cancellations out too."
)
DEFINITIONS: dict[str, Definition] = {
    "dna_rate": Definition(
        "dna_rate",
        "status = 'did_not_attend'",
        "status IN ('attended', 'did_not_attend')",
        "GPAD appointments with status DNA over those Attended or DNA",
        "GPAD's status is Unknown for many appointments (and for whole releases without APPT_STATUS); those are "
        "left out of both numerator and denominator, as qiloop leaves out booked appointments. GPAD includes "
        "patients not registered at the practice.",
    ),
    "wait_same_day": Definition(
        "wait_same_day", "lead_band = 'same_day'", KNOWN_BAND, "GPAD appointments booked for the same day", _WAIT_DIFF
    ),
    "wait_1d": Definition(
        "wait_1d", "lead_band IN ('same_day', '1')", KNOWN_BAND, "GPAD appointments within 1 day of booking", _WAIT_DIFF
    ),
    "wait_7d": Definition(
        "wait_7d",
        "lead_band IN ('same_day', '1', '2_7')",
        KNOWN_BAND,
        "GPAD appointments within 7 days of booking",
        _WAIT_DIFF,
    ),
    "wait_14d": Definition(
        "wait_14d",
        "lead_band IN ('same_day', '1', '2_7', '8_14')",
        KNOWN_BAND,
        "GPAD appointments within 14 days of booking",
        _WAIT_DIFF,
    ),
    "f2f_share": Definition(
        "f2f_share",
        "mode = 'face_to_face'",
        "true",
        "GPAD appointments with mode Face-to-Face over all appointments (every mode, Unknown included)",
        "GPAD counts all statuses including Unknown and patients not registered at the practice; home visits are a "
        "separate mode in both. GPAD's 'Video Conference/Online' is one mode where qiloop has video and online.",
    ),
    "gpad_unmapped_share": Definition(
        "gpad_unmapped_share",
        "national_category IN ('Unmapped', 'Inconsistent Mapping')",
        "true",
        "GPAD appointments whose slot type maps to no national category (Unmapped or Inconsistent Mapping)",
        "a data-quality figure with no patient-level counterpart: a high share makes the category mix unreliable",
    ),
}


@dataclass(frozen=True)
class Figure:
    month: dt.date
    numerator: int
    denominator: int
    provisional: bool = False

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass
class Comparator:
    """England figures (pooled over every practice in the files), the practice's own, and every practice's."""

    measure_id: str
    definition: str
    differences: str
    national: list[Figure]
    practice: list[Figure] = field(default_factory=list)
    practices: dict[dt.date, list[tuple[str, int, int]]] = field(default_factory=dict)  # for funnels


def has_comparator(store: str | Path) -> bool:
    """True when the store holds GPAD counts."""
    if not Path(store).is_file():
        return False
    con = connect(str(store), read_only=True)
    try:
        return bool(_scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", COUNTS_TABLE))
    finally:
        con.close()


def comparator(store: str | Path, measure_id: str, *, practice_id: str | None = None) -> Comparator:
    """The GPAD comparator for ``measure_id`` (a key of :data:`DEFINITIONS`), month by month."""
    if measure_id not in DEFINITIONS:
        raise InputError(
            f"{measure_id!r}: no GPAD comparator for this measure",
            hint=f"comparators exist for {', '.join(DEFINITIONS)}",
        )
    if not has_comparator(store):
        raise InputError(
            f"{store}: holds no GPAD data", hint="add it with 'qiloop import --from gpad FILES --store STORE'"
        )
    d = DEFINITIONS[measure_id]
    con = connect(str(store), read_only=True)
    try:
        per_practice = con.execute(
            f"SELECT month, practice_id, sum(count) FILTER (WHERE ({d.numerator}) AND ({d.denominator})), "
            f"sum(count) FILTER (WHERE {d.denominator}), bool_or(provisional) FROM {COUNTS_TABLE} "
            "GROUP BY ALL ORDER BY month, practice_id"
        ).fetchall()
    finally:
        con.close()
    result = Comparator(measure_id, d.text, d.differences, [])
    by_month: dict[dt.date, list[tuple[str, int, int, bool]]] = {}
    for month, practice, num, den, provisional in per_practice:
        by_month.setdefault(month, []).append((practice, int(num or 0), int(den or 0), bool(provisional)))
    for month, items in by_month.items():
        result.national.append(
            Figure(month, sum(i[1] for i in items), sum(i[2] for i in items), any(i[3] for i in items))
        )
        result.practices[month] = [(p, n, dd) for p, n, dd, _ in items]
        if practice_id is not None:
            mine = [i for i in items if i[0] == practice_id]
            if mine:
                result.practice.append(Figure(month, mine[0][1], mine[0][2], mine[0][3]))
    return result


# --- the quality finding ---------------------------------------------------------------------------------------

MISMATCH_THRESHOLD = 0.20


def mismatch_finding(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """``gpad_mismatch``: practice-months where the records' appointments and GPAD's differ by more than 20%.

    Compared over the months both sources cover for the practice; the records' count is appointments not
    cancelled (GPAD has no cancelled appointments) by start month and practice. ``con`` has the store as its
    current database, holding both ``appointments`` and :data:`COUNTS_TABLE`.
    """
    from qiloop.records.quality_checks import Finding

    rows = con.execute(
        f"WITH g AS (SELECT practice_id, month, sum(count) AS n FROM {COUNTS_TABLE} GROUP BY ALL), "
        "r AS (SELECT practice_id, date_trunc('month', start_date)::DATE AS month, count(*) AS n FROM appointments "
        "WHERE status NOT LIKE 'cancelled%' GROUP BY ALL), "
        "spans AS (SELECT practice_id, greatest(min(g.month), (SELECT min(month) FROM r WHERE r.practice_id = "
        "g.practice_id)) AS first, least(max(g.month), (SELECT max(month) FROM r WHERE r.practice_id = "
        "g.practice_id)) AS last FROM g GROUP BY practice_id) "
        "SELECT g.practice_id, g.month, coalesce(r.n, 0) AS records, g.n AS gpad FROM g JOIN spans s "
        "USING (practice_id) LEFT JOIN r USING (practice_id, month) WHERE g.month BETWEEN s.first AND s.last "
        f"AND abs(coalesce(r.n, 0) - g.n) > {MISMATCH_THRESHOLD} * g.n ORDER BY g.practice_id, g.month"
    ).fetchall()
    if not rows:
        return []
    practice, month, records, gpad = rows[0]
    change = (records - gpad) / gpad if gpad else 0.0
    return [
        Finding(
            id="gpad_mismatch",
            severity="warning",
            table="appointments",
            column=None,
            count=len(rows),
            title="months where the records' appointments and NHS England's GP appointments data differ by more "
            "than 20% (practice-months)",
            why="The two should count the same appointments; a large gap means appointments are missing from the "
            "extract (or recorded as cancelled), or the practice's slots map differently, and access measures "
            "computed from either may not be comparable.",
            example=f"practice {practice}, {month:%B %Y}: {records:,} in the records, {gpad:,} in GPAD ({change:+.0%})",
        )
    ]
