"""One contract for every source: convert to the canonical tables, then run the one validated import.

>>> from qiloop.records.convert import import_from
>>> outcome = import_from("fhir", "var/bulk-export", "var/store.duckdb", key=key)  # doctest: +SKIP
>>> outcome.report.written["patients"]  # doctest: +SKIP
10

A converter (``ehrql``, ``fhir``, ``report``; ``canonical`` needs none) reads a source
and writes canonical CSV tables into a folder; :func:`import_from` gives it a
folder inside the importer's private build directory
(:func:`qiloop.records.store.building`), runs
:func:`~qiloop.records.importer.import_extract` (or the practice import) on
what it wrote, and removes the folder whatever happens. So there is one
validation path, and NHS numbers are never left on disk: they reach the build
folder only while the import runs and the store holds pseudonyms.

Every conversion gives a :class:`ConversionReport` (rows read, written and
dropped by reason, test and deleted patients skipped, unmapped codes with
counts, value mappings applied, tables ignored); the import keeps it in the
store (:data:`CONVERSION_TABLE`) and the quality report shows it.

Converters read only the fields they map: names, addresses, telephone
numbers and e-mail addresses are never copied anywhere (``tests/records/
test_convert_canary.py`` proves it with a marker in every such field).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal

import duckdb

from qiloop.errors import InputError
from qiloop.records import pseudonym
from qiloop.records.schema import NHS_NUMBER_COLUMN, NHS_NUMBER_PSEUDONYM_COLUMN

CONVERSION_TABLE = "_qiloop_conversion"
# kind -> the module and function converting it to canonical tables (canonical needs none; gpad is an
# aggregate comparator, not patient records, and has its own import)
CONVERTERS: dict[str, tuple[str, str]] = {
    "ehrql": ("qiloop.records.from_ehrql", "convert_ehrql"),
    "fhir": ("qiloop.records.from_fhir", "convert_fhir"),
    "emis": ("qiloop.records.from_emis", "convert_emis"),
    "report": ("qiloop.records.from_report", "convert_report"),
    "systmone": ("qiloop.records.from_systmone", "convert_systmone"),
}
PATIENT_KINDS = ("canonical", *CONVERTERS)
KINDS = (*PATIENT_KINDS, "gpad")
TOP_UNMAPPED = 20
DEFAULT_MAX_UNMAPPED = 5.0  # percent of coded rows

NhsMode = Literal["raw", "pseudonymise", "refuse"]


@dataclass
class ConversionReport:
    """What a conversion did; ``read`` is keyed by source file or resource type, ``written`` by canonical table."""

    kind: str
    source: str
    read: Counter[str] = field(default_factory=Counter)
    written: Counter[str] = field(default_factory=Counter)
    skipped_patients: Counter[str] = field(default_factory=Counter)  # reason -> patients
    unmapped: dict[str, Counter[str]] = field(default_factory=dict)  # "code system" -> code -> rows
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    snapshot_as_of: date | None = None  # a snapshot extract (a report export) at this date; None: longitudinal
    # counted as tuples (cheap for every row), worded when read
    _dropped: Counter[tuple[str, str]] = field(default_factory=Counter)
    _mapped: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def drop(self, table: str, reason: str, count: int = 1) -> None:
        self._dropped[table, reason] += count

    def unmapped_code(self, system: str, code: str, count: int = 1) -> None:
        self.unmapped.setdefault(system, Counter())[code] += count

    def mapped(self, what: str, source_value: str, canonical: str, count: int = 1) -> None:
        self._mapped[what, source_value, canonical] += count

    @property
    def dropped(self) -> Counter[str]:
        """ "table: reason" -> rows."""
        return Counter({f"{table}: {reason}": n for (table, reason), n in self._dropped.items()})

    @property
    def mappings(self) -> Counter[str]:
        """ "field: 'source value' -> canonical" -> rows."""
        return Counter({f"{what}: {value!r} -> {canonical}": n for (what, value, canonical), n in self._mapped.items()})

    @property
    def unmapped_rows(self) -> int:
        return sum(sum(c.values()) for c in self.unmapped.values())

    def as_dict(self) -> dict[str, Any]:
        extract = {"kind": "snapshot", "as_of": self.snapshot_as_of.isoformat()} if self.snapshot_as_of else None
        return {
            **({"extract": extract} if extract else {}),
            "kind": self.kind,
            "source": self.source,
            "rows_read": dict(sorted(self.read.items())),
            "rows_written": dict(sorted(self.written.items())),
            "rows_dropped": dict(sorted(self.dropped.items())),
            "patients_skipped": dict(sorted(self.skipped_patients.items())),
            "unmapped_codes": {
                system: {
                    "rows": sum(codes.values()),
                    "distinct": len(codes),
                    "top": [[code, n] for code, n in codes.most_common(TOP_UNMAPPED)],
                }
                for system, codes in sorted(self.unmapped.items())
            },
            "value_mappings": dict(sorted(self.mappings.items())),
            "ignored": sorted(self.ignored),
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2)

    def summary_lines(self) -> list[str]:
        return summary_lines(self.as_dict())


def summary_lines(report: dict[str, Any]) -> list[str]:
    """The report (as stored) in plain text, for the quality output and the workbench."""
    out = [f"Conversion from {report.get('kind', '?')} ({report.get('source', '')})"]
    as_of = snapshot_date(report)
    if as_of is not None:
        out.append(f"  {SNAPSHOT_TEXT.format(as_of=as_of.isoformat())}")

    def counts(title: str, items: dict[str, int]) -> None:
        if items:
            out.append(f"  {title}:")
            out.extend(f"    {name}: {n:,}" for name, n in items.items())

    counts("rows read", report.get("rows_read", {}))
    counts("rows written", report.get("rows_written", {}))
    counts("rows dropped", report.get("rows_dropped", {}))
    counts("patients skipped", report.get("patients_skipped", {}))
    for system, info in report.get("unmapped_codes", {}).items():
        top = ", ".join(f"{code} ({n:,})" for code, n in info["top"])
        out.append(f"  unmapped {system} codes: {info['rows']:,} rows, {info['distinct']:,} distinct; most used: {top}")
    counts("value mappings applied", report.get("value_mappings", {}))
    if report.get("ignored"):
        out.append(f"  ignored (not used by qiloop): {', '.join(report['ignored'])}")
    out.extend(f"  note: {note}" for note in report.get("notes", []))
    return out


SNAPSHOT_TEXT = (
    "a snapshot at {as_of} (a report export): it supports an audit collection at that date, "
    "but not SPC charts, which need monthly history"
)


def snapshot_date(report: dict[str, Any] | None) -> date | None:
    """The as-of date of a snapshot extract, from its stored conversion report; None for a longitudinal one."""
    extract = (report or {}).get("extract") or {}
    if extract.get("kind") != "snapshot" or not extract.get("as_of"):
        return None
    return date.fromisoformat(str(extract["as_of"]))


@dataclass(frozen=True)
class ConvertOptions:
    practice: str | None = None
    max_unmapped: float = DEFAULT_MAX_UNMAPPED
    include_statements: bool = False
    strict: bool = False
    as_of: date | None = None  # the day the extract was taken (snapshot exports; dates after it are refused)
    delimiter: str | None = None  # the field delimiter the practice chose (detected when None)
    quote: str | None = None  # the text qualifier the practice chose (detected when None)
    profile: str | None = None  # report exports: a shipped profile's name or a TOML file
    session_modes: Path | None = None  # EMIS Web: a CSV mapping session categories to appointment modes
    # the format a converter that can choose writes its tables in: CSV for 'qiloop convert --out' (to read),
    # Parquet inside the importer's private build folder (typed, so the import need not parse text again)
    tables: Literal["csv", "parquet"] = "csv"


Converter = Callable[[Path, Path, ConvertOptions, NhsMode, bytes | None], ConversionReport]


class TableWriter:
    """Writes one canonical CSV table row by row; NHS numbers raw (build folder only), as pseudonyms, or refused."""

    def __init__(
        self,
        out_dir: Path,
        name: str,
        columns: Sequence[str],
        report: ConversionReport,
        nhs: NhsMode = "refuse",
        key: bytes | None = None,
    ) -> None:
        self.name = name
        self.report = report
        self.nhs = nhs
        self.key = key
        self.nhs_index = columns.index(NHS_NUMBER_COLUMN) if NHS_NUMBER_COLUMN in columns else None
        header = list(columns)
        if self.nhs_index is not None and nhs == "pseudonymise":
            header[self.nhs_index] = NHS_NUMBER_PSEUDONYM_COLUMN
        self._file = (out_dir / f"{name}.csv").open("w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._file, lineterminator="\n")
        self._csv.writerow(header)

    def write(self, row: Sequence[object], where: object = "") -> None:
        values = ["" if v is None else str(v) for v in row]
        if self.nhs_index is not None and values[self.nhs_index]:
            number = values[self.nhs_index]
            if self.nhs == "refuse":
                raise InputError(
                    f"{where or self.name}: the source holds NHS numbers, which are written only as pseudonyms",
                    hint="give the practice's key (--key-file or "
                    f"{pseudonym.KEY_ENV_VAR}) to write pseudonyms, or import with 'qiloop import' instead",
                )
            if self.nhs == "pseudonymise":
                if not pseudonym.is_valid_nhs_number(number):
                    raise InputError(
                        f"{where or self.name}: {pseudonym.mask(number)!r} is not a valid NHS number",
                        hint="check the source system's export",
                    )
                assert self.key is not None
                values[self.nhs_index] = pseudonym.pseudonym(self.key, number)
        self._csv.writerow(values)
        self.report.written[self.name] += 1

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_unmapped(report: ConversionReport, coded_rows: int, max_unmapped: float, what: str) -> None:
    """Refuse the conversion when more than ``max_unmapped`` percent of coded rows had codes qiloop cannot use."""
    unmapped = report.unmapped_rows
    if coded_rows and 100.0 * unmapped / coded_rows > max_unmapped:
        systems = "; ".join(
            f"{system}: {sum(c.values()):,} rows, e.g. {', '.join(code for code, _ in c.most_common(3))}"
            for system, c in sorted(report.unmapped.items())
        )
        raise InputError(
            f"{what}: {unmapped:,} of {coded_rows:,} coded rows ({100.0 * unmapped / coded_rows:.1f}%) have codes "
            f"that are not SNOMED CT or dm+d ({systems}); nothing was imported or written",
            hint=f"qiloop needs SNOMED CT and dm+d codes; export them from the source system, or accept the loss "
            f"with --max-unmapped PERCENT (now {max_unmapped:g})",
        )
    if unmapped:
        report.notes.append(
            f"{unmapped:,} of {coded_rows:,} coded rows were left out: their codes are not SNOMED CT or dm+d"
        )


def closest(name: str, present: Iterable[str]) -> str:
    """' (the closest header is 'X')' or '' - for a missing-column message."""
    import difflib

    found = difflib.get_close_matches(name, list(present), n=1, cutoff=0.5)
    return f" (the closest header present is {found[0]!r})" if found else ""


def converter(kind: str) -> Converter:
    if kind in CONVERTERS:
        import importlib

        module, function = CONVERTERS[kind]
        found: Converter = getattr(importlib.import_module(module), function)
        return found
    raise InputError(f"{kind!r}: not a kind of patient-level extract", hint=f"use one of: {', '.join(PATIENT_KINDS)}")


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise InputError(f"{kind!r}: not a kind of extract qiloop reads", hint=f"use one of: {', '.join(KINDS)}")


def convert(
    kind: str,
    source: str | Path,
    out_dir: str | Path,
    *,
    key: bytes | None = None,
    options: ConvertOptions = ConvertOptions(),  # noqa: B008 - frozen
    nhs: NhsMode | None = None,
) -> ConversionReport:
    """Convert ``source`` into canonical CSV tables in ``out_dir`` (created; must be empty) and write
    ``conversion.json`` there. NHS numbers are written as pseudonyms when ``key`` is given, else refused
    (``nhs="raw"`` is for the importer's private build folder only)."""
    check_kind(kind)
    source, out_dir = Path(source), Path(out_dir)
    if not source.exists():
        raise InputError(f"{source}: no such file or folder", hint="give the folder (or file) the export was saved to")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise InputError(f"{out_dir}: the folder is not empty", hint="give a new or empty folder with --out")
    if kind == "canonical":
        raise InputError(
            "canonical: the extract is already in qiloop's layout, nothing to convert",
            hint="import it with 'qiloop import SOURCE --store STORE'",
        )
    mode: NhsMode = "refuse" if key is None else (nhs or "pseudonymise")
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        if kind == "gpad":
            from qiloop.records.gpad import convert_gpad

            report = convert_gpad(source, out_dir, options)
        else:
            report = converter(kind)(source, out_dir, options, mode, key)
        (out_dir / "conversion.json").write_text(report.to_json(), encoding="utf-8")
    except BaseException:
        _empty(out_dir, remove=created)  # a failed conversion leaves nothing behind
        raise
    return report


def _empty(folder: Path, *, remove: bool) -> None:
    import shutil

    if remove:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for path in folder.iterdir():
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class ImportOutcome:
    result: Any  # ImportResult, PracticeImportResult or GpadImportResult
    report: ConversionReport | None
    seconds: float = 0.0  # conversion and import together


def import_from(
    kind: str,
    source: str | Path,
    store: str | Path,
    *,
    key: bytes | None = None,
    practice: str | None = None,
    one_practice: bool = False,
    options: ConvertOptions | None = None,
    threads: int | None = None,
) -> ImportOutcome:
    """``qiloop import --from KIND``: convert inside the private build folder, then the one validated import.

    ``practice``: replace that practice's records in an existing store (its extract must hold that one
    practice); for ``gpad``, keep only that practice's rows of a national file; for ``report``, the practice
    the export is from (a report is a snapshot: it replaces a store holding a snapshot, never one holding
    longitudinal records).
    """
    import time

    from qiloop.records.importer import import_extract
    from qiloop.records.practice_import import import_practice_extract
    from qiloop.records.store import building

    started = time.perf_counter()
    check_kind(kind)
    source, store = Path(source), Path(store)
    options = options or ConvertOptions(practice=practice)
    if kind == "gpad":
        from qiloop.records.gpad import import_gpad

        gpad = import_gpad(source, store, options=options)
        return ImportOutcome(gpad, gpad.report, time.perf_counter() - started)
    result: Any
    if kind == "canonical":
        if practice or one_practice:
            result = import_practice_extract(source, store, practice_id=practice, key=key)
        else:
            result = import_extract(source, store, key=key, threads=threads)
        return ImportOutcome(result, None, time.perf_counter() - started)
    if kind == "report" and store.exists() and store_snapshot(store) is None:
        raise InputError(
            f"{store}: the store holds longitudinal records, which a report export (a snapshot) would replace; "
            "nothing was imported",
            hint="import the report into a store of its own (a new --store), e.g. var/audit-2025-03.duckdb",
        )
    with building(store) as build_dir:
        extract = build_dir / "extract"
        report = convert(kind, source, extract, options=replace(options, tables="parquet"), nhs="raw", key=key)
        try:
            # a report export is a snapshot: its store is its own, and --practice only names the practice
            if practice and kind != "report":
                result = import_practice_extract(
                    extract, store, practice_id=practice, key=key, threads=threads, conversion=report
                )
            else:
                result = import_extract(extract, store, key=key, threads=threads, conversion=report)
        except InputError as problem:
            raise InputError(
                f"{source}: the {kind} export converted, but the converted tables did not validate "
                f"(file names below are the canonical tables written from it):\n{problem.message}",
                hint=problem.hint,
            ) from None
    return ImportOutcome(result, report, time.perf_counter() - started)


def write_report(con: duckdb.DuckDBPyConnection, report: ConversionReport | None) -> None:
    """Keep the conversion report in the store (replacing an earlier one; none for a canonical import)."""
    con.execute(f"DROP TABLE IF EXISTS main.{CONVERSION_TABLE}")
    if report is not None:
        con.execute(f"CREATE TABLE main.{CONVERSION_TABLE} (kind VARCHAR, report VARCHAR)")
        con.execute(f"INSERT INTO main.{CONVERSION_TABLE} VALUES (?, ?)", [report.kind, report.to_json()])


def read_report(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The conversion report kept in the (attached, current) store, or None."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND database_name = current_database()",
        [CONVERSION_TABLE],
    ).fetchone()
    if not found or not found[0]:
        return None
    row = con.execute(f"SELECT report FROM {CONVERSION_TABLE} LIMIT 1").fetchone()
    return dict(json.loads(row[0])) if row else None


def store_snapshot(store: str | Path) -> date | None:
    """The as-of date when the store at ``store`` holds a snapshot (a report export); None for a longitudinal
    store, or when there is no store or it cannot be opened now (an import is writing it)."""
    path = Path(store)
    if not path.is_file():
        return None
    from qiloop.records.sql import connect

    try:
        con = connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        return snapshot_date(read_report(con))
    except duckdb.Error:
        return None
    finally:
        con.close()


def snapshot_sentence(as_of: date) -> str:
    """What a snapshot store supports, in a sentence for people ("A snapshot at 31 March 2025 ...")."""
    return (
        f"A snapshot at {as_of.day} {as_of:%B %Y} (a report export): it supports an audit collection at that "
        "date, but not SPC charts, which need monthly history."
    )
