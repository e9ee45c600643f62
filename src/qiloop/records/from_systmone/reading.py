"""Finding an SRE's files, telling their delimiter and text qualifier, and reading only the mapped columns.

SystmOne writes Windows-1252 text. The large tables are read by DuckDB as UTF-8 when the columns qiloop reads
from them are (DuckDB checks only the columns it reads: ids, dates, codes, flags and numbers, ASCII), else as
Latin-1, which decodes every byte (Windows-1252 and Latin-1 differ only in 0x80-0x9F, and no column qiloop reads
from them holds such characters); the small reference tables (SRMapping, SROrganisation,
SRStaffMemberProfile, SRManifest), whose text qiloop keeps, are decoded as Windows-1252 exactly.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from qiloop.errors import InputError
from qiloop.records.convert import ConversionReport, ConvertOptions, closest
from qiloop.records.from_systmone.layout import ALL_COLUMNS, DATE_FORMATS, READ, REQUIRED_TABLES
from qiloop.records.recognise import recognise, wrong_kind_hint
from qiloop.records.sql import ident, literal

ENCODING = "cp1252"
DATE_SUFFIX = "__date"  # a loaded table's date column NAME is read once into NAME__date
SUFFIXES = (".csv", ".txt")
_FIRST_NAME = re.compile(r"""^\ufeff?(?P<q>["']?)(?P<name>[A-Za-z][A-Za-z0-9_]*)(?P=q)(?P<rest>.*)$""", re.S)
_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "pipe": "|", "semicolon": ";"}


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    quote: str  # "" = no text qualifier


@dataclass(frozen=True)
class SrFile:
    """One SRE table's file: its path, header and dialect."""

    table: str
    path: Path
    header: tuple[str, ...]
    dialect: Dialect

    @property
    def name(self) -> str:
        return self.path.name


def find_files(source: Path, report: ConversionReport) -> dict[str, Path]:
    """The file of each table qiloop reads, by table name; other files are reported as ignored."""
    if not source.is_dir():
        raise InputError(
            f"{source}: not a folder",
            hint="give the folder the Strategic Reporting extract was saved to (SRPatient.csv, ...)",
        )
    wanted = {t.lower(): t for t in ALL_COLUMNS}
    found: dict[str, Path] = {}
    for path in sorted(p for p in source.iterdir() if p.is_file() and not p.name.startswith(".")):
        table = _table_of(path, wanted)
        if table is None:
            report.ignored.append(path.name)
            continue
        if table in found:
            raise InputError(
                f"{source}: both {found[table].name} and {path.name} hold {table}",
                hint="keep one file per table (a full extract, unzipped, in one folder)",
            )
        found[table] = path
    for table in REQUIRED_TABLES:
        if table not in found:
            raise InputError(f"{source}: missing the SystmOne table {table}.csv", hint=_missing_hint(source))
    return found


def _table_of(path: Path, wanted: dict[str, str]) -> str | None:
    if path.suffix.lower() not in SUFFIXES:
        return None
    stem = path.stem.lower()
    if stem in wanted:
        return wanted[stem]
    for lower, table in wanted.items():  # SRCode_20250331.csv, say
        if stem.startswith(lower) and stem[len(lower)] in "_-. ":
            return table
    return None


def _missing_hint(source: Path) -> str:
    """Say what the folder's files look like when they are not an SRE."""
    names = [p.name for p in source.iterdir() if p.is_file()]
    if any(n.lower().endswith(".zip") for n in names):
        return "unzip the extract first; qiloop reads the CSV files in the folder"
    for path in sorted(source.iterdir()):
        if path.is_file() and path.suffix.lower() in SUFFIXES:
            try:
                header = header_cells(path, detect_dialect(path, ConvertOptions()))
            except InputError:
                continue
            hint = wrong_kind_hint(header, "systmone")
            if hint:
                return f"{path.name}: {hint}"
    return "a Strategic Reporting extract needs SRPatient and SRPatientRegistration (a full extract, not a delta)"


def detect_dialect(path: Path, options: ConvertOptions) -> Dialect:
    """The delimiter and text qualifier: those given, else read from the header (its first column name)."""
    delimiter = _given_delimiter(options.delimiter)
    quote = None if options.quote is None else ("" if options.quote.lower() in ("", "none") else options.quote)
    if delimiter is not None and quote is not None:
        return Dialect(delimiter, quote)
    first = _first_line(path)
    match = _FIRST_NAME.match(first)
    if match is None or not match["rest"].strip("\r\n"):
        raise InputError(
            f"{path.name}:1: cannot tell the field delimiter from the header",
            hint="give it with --delimiter (and the text qualifier with --quote), as chosen when the extract was set up",
        )
    if delimiter is None:
        delimiter = match["rest"][0]
        if delimiter.isalnum() or delimiter in "\r\n":
            raise InputError(
                f"{path.name}:1: cannot tell the field delimiter from the header",
                hint="give it with --delimiter (and the text qualifier with --quote)",
            )
    if quote is None:
        quote = match["q"] or '"'
    if len(quote) > 1:
        raise InputError(f"--quote {quote!r}: the text qualifier must be one character")
    return Dialect(delimiter, quote)


def _given_delimiter(text: str | None) -> str | None:
    if text is None:
        return None
    delimiter = _DELIMITER_NAMES.get(text.lower(), text)
    if not delimiter or delimiter in "\r\n":
        raise InputError(f"--delimiter {text!r}: not a field delimiter", hint="e.g. --delimiter '|' or --delimiter tab")
    return delimiter


def _first_line(path: Path) -> str:
    with path.open("rb") as f:
        first = f.readline()
    if not first.strip():
        raise InputError(f"{path.name}:1: the file is empty", hint="the first line must name the columns")
    return first.decode(ENCODING, errors="replace")


class _Split:
    """Rows of a file with a delimiter of several characters, which the csv module cannot read (no qualifier
    inside a cell: each line is split, and a qualifier around a cell removed)."""

    def __init__(self, lines: Iterable[str], dialect: Dialect) -> None:
        self._lines = iter(lines)
        self._dialect = dialect
        self.line_num = 0

    def __iter__(self) -> _Split:
        return self

    def __next__(self) -> list[str]:
        line = next(self._lines).rstrip("\r\n")
        self.line_num += 1
        if not line:
            return []
        cells = line.split(self._dialect.delimiter)
        quote = self._dialect.quote
        return [c[1:-1] if quote and len(c) >= 2 and c[0] == c[-1] == quote else c for c in cells]


def _reader(lines: Iterable[str], dialect: Dialect) -> Any:
    """A csv reader (rows, with ``line_num``) for the dialect."""
    if len(dialect.delimiter) > 1:
        return _Split(lines, dialect)
    if dialect.quote:
        return csv.reader(lines, delimiter=dialect.delimiter, quotechar=dialect.quote, doublequote=True, strict=True)
    return csv.reader(lines, delimiter=dialect.delimiter, quoting=csv.QUOTE_NONE)


def header_cells(path: Path, dialect: Dialect) -> list[str]:
    try:
        header: list[str] = next(_reader(io.StringIO(_first_line(path)), dialect), [])
    except csv.Error as exc:
        raise InputError(
            f"{path.name}:1: the header is not readable ({exc})",
            hint="check the delimiter and text qualifier given (--delimiter, --quote), or leave them out to have "
            "them read from the header",
        ) from None
    return [h.lstrip("\ufeff") for h in header]


def open_table(table: str, path: Path, options: ConvertOptions, report: ConversionReport) -> SrFile:
    """Check a table's header: the columns qiloop reads are there, and unexpected ones are named."""
    dialect = detect_dialect(path, options)
    header = header_cells(path, dialect)
    missing = [r.name for r in READ[table] if r.required and r.name not in header]
    if table == "SRCode" and "CTV3Code" not in header and "SNOMEDCode" not in header:
        missing.append("SNOMEDCode")
    if missing:
        if len(header) <= 1:
            raise InputError(
                f"{path.name}:1: the header is one column, {len(header[0]) if header else 0} characters long",
                hint="the delimiter was not recognised: give it with --delimiter (and --quote)",
            )
        raise InputError(
            f"{path.name}:1: missing column {missing[0]!r}{closest(missing[0], header)}",
            hint=_wrong_table_hint(table, header)
            or f"an SRE {table} file has the columns {', '.join(ALL_COLUMNS[table])}",
        )
    expected = set(ALL_COLUMNS[table])
    unexpected = [h for h in header if h not in expected]
    if unexpected:
        report.notes.append(
            f"{path.name}: column{'s' if len(unexpected) > 1 else ''} not in the TPP v93 layout qiloop was built "
            f"from, not read: {', '.join(unexpected)}"
        )
    return SrFile(table, path, tuple(header), dialect)


def _wrong_table_hint(table: str, header: list[str]) -> str | None:
    other = wrong_kind_hint(header, "systmone")
    if other:
        return other
    found = recognise(header, only=["systmone"])
    if found is not None and found.table != table:
        return f"it looks like the SystmOne {found.table} file, not {table}; check the file's name"
    return None


def parse_date(column: str) -> str:
    """SQL reading a date cell (NULL when empty or not a date)."""
    c = ident(column)
    tries = ", ".join(f"try_strptime({c}, {literal(f)})" for f in DATE_FORMATS)
    return f"CASE WHEN coalesce({c}, '') <> '' THEN CAST(coalesce({tries}) AS DATE) END"


def as_flag(cell: str) -> str:
    """SQL: a flag cell (SQL ``cell``) is true ('true', '1', 'y' or 'yes', in any case); empty or anything else is
    false. Flags are read once, as BOOLEAN, when a table is loaded."""
    return f"(lower(coalesce({cell}, '')) IN ('true', '1', 'y', 'yes'))"


def _trimmed(column: str, encoding: str) -> str:
    """SQL: the cell without the spaces around it. Read as UTF-8, only the cells starting or ending with a space
    are trimmed (trim makes a new string of every cell it is given); such a file's cells are ASCII, as the file is
    Windows-1252 (any other byte is not UTF-8), and of the ASCII characters trim removes only the space. Read as
    Latin-1, every cell is trimmed (trim also removes a no-break space, 0xA0)."""
    c = ident(column)
    if encoding == "utf-8":
        return f"CASE WHEN {c} LIKE ' %' OR {c} LIKE '% ' THEN trim({c}) ELSE {c} END"
    return f"trim({c})"


def load(con: duckdb.DuckDBPyConnection, source: SrFile, report: ConversionReport) -> str:
    """Read the table's mapped columns into temp table ``src_<table>``; return its name. Cells are text, but for
    flags (BOOLEAN, false when the column is absent) and dates (see ``DATE_SUFFIX``)."""
    name = f"src_{source.table}"
    present = [r.name for r in READ[source.table] if r.name in source.header]
    dates = [r.name for r in READ[source.table] if r.kind == "date"]
    columns = {f"c{i}": "VARCHAR" for i in range(len(source.header))}
    renamed = ", ".join(f"c{i} AS {ident(h)}" for i, h in enumerate(source.header) if h in present)
    quote = source.dialect.quote
    params = {"path": str(source.path), "delim": source.dialect.delimiter, "quote": quote, "columns": columns}
    # DuckDB checks the encoding of the columns it reads only: those qiloop reads from a large table are ids,
    # dates, codes and flags (ASCII), so the file is first read as UTF-8 (no recoding of its millions of
    # lines), and only when that fails as Latin-1, which decodes every byte
    for encoding in ("utf-8", "latin-1"):
        select = ", ".join(
            f"{as_flag(_trimmed(r.name, encoding)) if r.kind == 'flag' else _trimmed(r.name, encoding)} AS {ident(r.name)}"
            for r in READ[source.table]
            if r.name in source.header
        )
        select += "".join(
            f", {'false' if r.kind == 'flag' else 'NULL::VARCHAR'} AS {ident(r.name)}"
            for r in READ[source.table]
            if r.name not in source.header
        )
        sql = (
            f"SELECT {select} FROM (SELECT {renamed} FROM read_csv($path, auto_detect=false, header=true, "
            "delim=$delim, quote=$quote, escape=$quote, columns=$columns, "
            f"encoding='{encoding}', strict_mode=true, null_padding=false, all_varchar=true))"
        )
        if dates:
            # each date read once here into NAME__date; the text NAME is kept only when it is not a date (empty,
            # or for the message saying it is not a date): the text of millions of dates is not held
            parsed = ", ".join(f"{parse_date(d)} AS {ident(d + DATE_SUFFIX)}" for d in dates)
            text = ", ".join(
                f"CASE WHEN {ident(d + DATE_SUFFIX)} IS NULL THEN {ident(d)} END AS {ident(d)}" for d in dates
            )
            sql = f"SELECT * REPLACE ({text}) FROM (SELECT *, {parsed} FROM ({sql}))"
        try:
            # on all the threads DuckDB has: one thread saves about 6 % of the conversion's CPU (it need not
            # put the threads' rows back in file order) but takes half as long again (measured at 200,000
            # patients, machine quiet: 18.1 s against 12.2 s, CPU 21.9 s against 23.3 s)
            con.execute(f"CREATE TEMP TABLE {ident(name)} AS {sql}", params)
            break
        except duckdb.Error:
            con.execute(f"DROP TABLE IF EXISTS {ident(name)}")
    else:
        raise InputError(
            _malformed(source),
            hint="check the delimiter and text qualifier (--delimiter, --quote); nothing was imported",
        )
    row = con.execute(f"SELECT count(*) FROM {ident(name)}").fetchone()
    report.read[source.name] = int(row[0]) if row else 0
    return name


def _malformed(source: SrFile) -> str:
    """The first line that is not a record of the header's width."""
    expected = len(source.header)
    with source.path.open(newline="", encoding=ENCODING, errors="replace") as f:
        reader = _reader(f, source.dialect)
        next(reader, None)
        previous = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                return f"{source.name}:{previous + 1}: not readable ({exc}); check the text qualifiers on this line"
            start, previous = previous + 1, reader.line_num
            if row and len(row) != expected:
                return f"{source.name}:{start}: expected {expected} fields but found {len(row)}"
    return f"{source.name}: not readable as a delimited file"


def record_lines(source: SrFile, ordinals: Iterable[int]) -> dict[int, int]:
    """Record ordinals (0 = first record after the header) -> the 1-based line each starts on."""
    wanted = set(ordinals)
    found: dict[int, int] = {}
    if not wanted:
        return found
    with source.path.open(newline="", encoding=ENCODING, errors="replace") as f:
        reader = _reader(f, source.dialect)
        next(reader, None)
        ordinal, previous = 0, reader.line_num
        for row in reader:
            start, previous = previous + 1, reader.line_num
            if not row:
                continue
            if ordinal in wanted:
                found[ordinal] = start
            if ordinal >= max(wanted):
                break
            ordinal += 1
    return found


def line_of(source: SrFile, ordinal: int) -> int:
    return record_lines(source, [ordinal]).get(ordinal, ordinal + 2)


def small_table(source: SrFile) -> list[dict[str, str]]:
    """A small reference table's mapped columns, decoded as Windows-1252."""
    keep = [r.name for r in READ[source.table]]
    rows: list[dict[str, str]] = []
    with source.path.open(newline="", encoding=ENCODING, errors="replace") as f:
        reader = _reader(f, source.dialect)
        next(reader, None)
        index = {h: i for i, h in enumerate(source.header) if h in keep}
        try:
            for row in reader:
                if row:
                    rows.append({name: row[i].strip() if i < len(row) else "" for name, i in index.items()})
        except csv.Error as exc:
            raise InputError(f"{source.name}: not readable ({exc})", hint="check --delimiter and --quote") from None
    return rows
