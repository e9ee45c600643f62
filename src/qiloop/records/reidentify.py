"""From an action list to patients: NHS numbers added back, on the practice's own machine, never stored.

A store holds no NHS numbers, only ``nhs_number_pseudonym`` = HMAC-SHA256(key,
number) in its ``patients`` table. The practice, which holds the key and its
own list of NHS numbers, can compute the pseudonym of each of its numbers and
so find which number belongs to each pseudonymous ``patient_id`` of an action
list::

    from qiloop.records.reidentify import reidentify
    found = reidentify(actions, "store.duckdb", "A81001", key, Path("nhs-numbers.txt"))
    found.table  # the action list with ``nhs_number`` ("943 476 5919") and ``nhs_number_note``

The numbers come from the practice's extract patients file (CSV or Parquet
with an ``nhs_number`` column, the file ``qiloop import`` read) or from a plain
list, one number per line (spaces and hyphens allowed, an optional header line
without digits). Nothing is written anywhere: the result is returned. Numbers
are never put in an error message in full (``pseudonym.mask``).

Refused, with an :class:`~qiloop.errors.InputError`: a file with no valid NHS
number or with invalid ones (each named by line or row, masked); a store
without pseudonyms for the practice; and numbers none of which is the
pseudonym of any patient of the practice (the wrong key, or another
practice's file).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from qiloop.errors import InputError
from qiloop.records import pseudonym
from qiloop.records.schema import NHS_NUMBER_COLUMN, NHS_NUMBER_PSEUDONYM_COLUMN
from qiloop.records.sql import connect

NHS_NUMBER = "nhs_number"  # the column added to the action list
NOTE = "nhs_number_note"  # why a patient has no number (empty when matched)
NOT_IMPORTED = "no NHS number was imported for this patient"
NOT_IN_FILE = "not in the file of NHS numbers given"
_MAX_REPORTED = 20
_NUMBER_SQL = '"number"'  # the column of cleaned numbers in the frames registered with DuckDB
_HEADER_NAMES = {"nhs_number", "nhs number", "nhsnumber", "nhs no", "nhs no.", "nhs_no"}
_EXPECTED = (
    "expected the practice's extract patients file (CSV or Parquet with an nhs_number column) "
    "or a plain list with one NHS number per line, e.g. 943 476 5919 (an optional first line without digits is a header)"
)


@dataclass(frozen=True)
class NhsNumbers:
    """The NHS numbers read from one file: ``frame`` has ``location`` ("line 7", "row 7") and ``number`` (digits)."""

    name: str
    frame: pd.DataFrame

    def __len__(self) -> int:
        return len(self.frame)


@dataclass(frozen=True)
class Reidentified:
    """An action list with NHS numbers: ``table``; ``matched`` of its ``len(table)`` patients have a number."""

    table: pd.DataFrame
    matched: int
    numbers_read: int

    @property
    def unmatched(self) -> int:
        return len(self.table) - self.matched


def format_nhs_number(number: str) -> str:
    """``'9434765919'`` -> ``'943 476 5919'`` (the 3-3-4 form NHS systems print)."""
    digits = clean_cell(number)
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def clean_cell(text: str) -> str:
    """A cell as written (``' "943-476-5919" '``) reduced to what is checked: no quotes, spaces or hyphens."""
    return text.strip().strip('"').strip().replace(" ", "").replace("-", "")


def read_nhs_numbers(source: Path | bytes, *, name: str | None = None) -> NhsNumbers:
    """Read and check the NHS numbers in ``source`` (a path, or a file's bytes with its ``name``).

    A ``.parquet`` file needs an ``nhs_number`` column; any other file is CSV
    text: with an ``nhs_number`` (or ``NHS Number``) column in its first line,
    that column is read; otherwise each line is one number. Empty cells and
    blank lines are skipped. Raises :class:`InputError` when no valid number
    is found or any number is invalid (masked, with its line or row).
    """
    name = name or (source.name if isinstance(source, Path) else "the file")
    data = source.read_bytes() if isinstance(source, Path) else source
    cells = _parquet_cells(data, name) if name.lower().endswith(".parquet") else _text_cells(data, name)
    frame = pd.DataFrame(cells, columns=["location", "number"])
    frame = frame[frame["number"] != ""].reset_index(drop=True)
    valid = _valid_mask(frame)
    if not valid.any():
        shown = "; ".join(f"{loc}: {_masked(n)}" for loc, n in frame.head(3).itertuples(index=False))
        raise InputError(
            f"{name}: no valid NHS number found" + (f" (first values: {shown})" if shown else " (no values in it)"),
            hint=f"{_EXPECTED}; nothing was written",
        )
    bad = frame[~valid]
    if len(bad):
        lines = [
            f"{name}: {loc}: {_masked(n)} is not a valid NHS number (10 digits, the last a modulus-11 check digit)"
            for loc, n in bad.head(_MAX_REPORTED).itertuples(index=False)
        ]
        more = f"\n(and {len(bad) - _MAX_REPORTED} more)" if len(bad) > _MAX_REPORTED else ""
        raise InputError(
            f"{name}: {len(bad)} of {len(frame)} NHS numbers are not valid; nothing was written:\n"
            + "\n".join(lines)
            + more,
            hint="correct or remove those lines and try again",
        )
    return NhsNumbers(name, frame)


def _masked(text: str) -> str:
    return repr(pseudonym.mask(text))


def _is_number_header(cell: str) -> bool:
    return cell.strip().strip('"').strip().lower() in _HEADER_NAMES


def _text_cells(data: bytes, name: str) -> list[tuple[str, str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: not UTF-8 text (byte {exc.start + 1})", hint=f"{_EXPECTED}; nothing was written"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    first: list[str] | None = None
    first_line = 0
    for row in reader:
        if any(cell.strip() for cell in row):
            first, first_line = row, reader.line_num
            break
    if first is None:
        return []
    columns = [i for i, cell in enumerate(first) if _is_number_header(cell)]
    if columns:
        return _column_cells(reader, columns[0])
    if len(first) > 1:
        raise InputError(
            f"{name}: line {first_line}: no nhs_number column in the header ({len(first)} columns, none named nhs_number)",
            hint=f"{_EXPECTED}; nothing was written",
        )
    cells = []
    has_header = not any(ch.isdigit() for ch in first[0])
    if not has_header:
        cells.append((f"line {first_line}", clean_cell(first[0])))
    previous_end = reader.line_num
    for row in reader:
        start, previous_end = previous_end + 1, reader.line_num
        cell = ",".join(row)  # a plain list has one value a line; a stray comma makes the value invalid
        cells.append((f"line {start}", clean_cell(cell)))
    return cells


def _column_cells(reader: Any, column: int) -> list[tuple[str, str]]:
    cells = []
    previous_end = reader.line_num
    for row in reader:
        start, previous_end = previous_end + 1, reader.line_num
        if not row:
            continue
        cells.append((f"line {start}", clean_cell(row[column]) if column < len(row) else ""))
    return cells


def _parquet_cells(data: bytes, name: str) -> list[tuple[str, str]]:
    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a file that is not Parquet
        raise InputError(f"{name}: not a Parquet file ({type(exc).__name__})", hint=_EXPECTED) from None
    columns = [c for c in parquet.schema_arrow.names if _is_number_header(c)]
    if not columns:
        raise InputError(
            f"{name}: no nhs_number column (columns: {', '.join(parquet.schema_arrow.names)})",
            hint=f"{_EXPECTED}; nothing was written",
        )
    values = parquet.read(columns=[columns[0]]).column(0).to_pylist()
    return [(f"row {i}", "" if v is None else clean_cell(str(v))) for i, v in enumerate(values, start=1)]


def _valid_mask(frame: pd.DataFrame) -> pd.Series:
    """Which numbers are valid, checked in DuckDB with the import's own SQL."""
    if frame.empty:
        return pd.Series([], dtype=bool)
    con = connect()
    try:
        con.register("numbers", frame.assign(position=range(len(frame))))
        check = pseudonym.sql_is_valid(_NUMBER_SQL)
        valid = con.execute(f"SELECT coalesce({check}, false) AS ok FROM numbers ORDER BY position").df()["ok"]
    finally:
        con.close()
    return valid.astype(bool).reset_index(drop=True)


def practice_pseudonyms(store: str | Path, practice_id: str) -> pd.DataFrame:
    """``patient_id`` and ``nhs_number_pseudonym`` (None where none was imported) of every patient ever
    registered at ``practice_id``, read from a DuckDB store or a directory of Parquet files."""
    path = Path(store)
    if not path.exists():
        raise InputError(f"no store at {path}", hint="create one with: qiloop import EXTRACT_DIR --store STORE")
    con = connect() if path.is_dir() else connect(str(path), read_only=True)
    try:
        if path.is_dir():
            for table in ("patients", "practice_registrations"):
                file = path / f"{table}.parquet"
                if not file.exists():
                    raise InputError(f"the store {path} has no {table}.parquet")
                con.read_parquet(str(file)).create_view(table)
        columns = {row[0] for row in con.execute("SELECT column_name FROM (DESCRIBE patients)").fetchall()}
        if NHS_NUMBER_PSEUDONYM_COLUMN not in columns:
            raise InputError(
                f"the store {path} has no NHS number pseudonyms: its extract was imported without an nhs_number column",
                hint="import the practice's extract with its nhs_number column and the practice's key "
                "(qiloop import EXTRACT_DIR --store STORE --key-file KEY); nothing was written",
            )
        return con.execute(
            f"SELECT patient_id, {NHS_NUMBER_PSEUDONYM_COLUMN} AS pseudonym FROM patients WHERE patient_id IN "
            "(SELECT patient_id FROM practice_registrations WHERE practice_id = ?) ORDER BY patient_id",
            [practice_id],
        ).df()
    except duckdb.Error as exc:
        raise InputError(f"cannot read the store {path}: {exc}") from None
    finally:
        con.close()


def match_numbers(pseudonyms: pd.DataFrame, numbers: NhsNumbers, key: bytes) -> pd.DataFrame:
    """``patient_id`` and ``number`` for every patient in ``pseudonyms`` whose pseudonym is that of a number
    under ``key``. The HMACs are computed in DuckDB (the import's own SQL), one pass over the numbers."""
    inner, outer = pseudonym.hmac_pads(key)
    con = connect()
    try:
        con.register("numbers", numbers.frame[["number"]].drop_duplicates())
        con.register("patients", pseudonyms)
        return con.execute(
            f"""
            WITH hashed AS (SELECT number, {pseudonym.sql_pseudonym(_NUMBER_SQL, "$inner", "$outer")} AS pseudonym
                            FROM numbers)
            SELECT p.patient_id, min(h.number) AS number
            FROM patients p JOIN hashed h ON p.pseudonym = h.pseudonym
            GROUP BY p.patient_id
            """,
            {"inner": inner, "outer": outer},
        ).df()
    finally:
        con.close()


def reidentify_table(
    actions: pd.DataFrame, pseudonyms: pd.DataFrame, numbers: NhsNumbers, key: bytes, practice_id: str
) -> Reidentified:
    """The action list with ``nhs_number`` after ``patient_id`` and ``nhs_number_note`` last (see module doc).

    ``pseudonyms`` are the practice's patients (:func:`practice_pseudonyms`).
    """
    if "patient_id" not in actions.columns:
        raise InputError("the action list has no patient_id column")
    if pseudonyms.empty:
        raise InputError(
            f"no patients of practice {practice_id!r} in the store", hint="check the practice code; nothing was written"
        )
    if pseudonyms["pseudonym"].isna().all():
        raise InputError(
            f"the store has no NHS number pseudonyms for practice {practice_id!r}: "
            "its patients were imported without NHS numbers",
            hint="import the practice's extract with its nhs_number column and the practice's key; nothing was written",
        )
    found = match_numbers(pseudonyms, numbers, key)
    if found.empty:
        raise InputError(
            f"none of the {len(numbers):,} NHS numbers in {numbers.name} is a patient of practice {practice_id!r}: "
            "wrong key or a file from another practice",
            hint="use the key the practice's extract was imported with and this practice's own list; "
            "nothing was written",
        )
    by_patient = dict(zip(found["patient_id"].astype("int64"), found["number"], strict=True))
    has_pseudonym = set(pseudonyms.loc[pseudonyms["pseudonym"].notna(), "patient_id"].astype("int64"))
    numbers_out, notes = [], []
    for patient in actions["patient_id"].astype("int64"):
        number = by_patient.get(patient)
        numbers_out.append(format_nhs_number(number) if number else "")
        notes.append("" if number else (NOT_IN_FILE if patient in has_pseudonym else NOT_IMPORTED))
    table = actions.copy()
    table.insert(1, NHS_NUMBER, numbers_out)
    table[NOTE] = notes
    return Reidentified(table, sum(1 for n in numbers_out if n), len(numbers))


def reidentify(
    actions: pd.DataFrame, store: str | Path, practice_id: str, key: bytes, source: Path | bytes, *, name: str = ""
) -> Reidentified:
    """Add NHS numbers to ``actions`` (an action list of ``practice_id``), matching the store's pseudonyms
    under ``key`` against the numbers in ``source`` (a path, or bytes with their file ``name``)."""
    numbers = read_nhs_numbers(source, name=name or None)
    return reidentify_table(actions, practice_pseudonyms(store, practice_id), numbers, key, practice_id)


__all__ = [
    "NHS_NUMBER",
    "NHS_NUMBER_COLUMN",
    "NOTE",
    "NhsNumbers",
    "Reidentified",
    "format_nhs_number",
    "match_numbers",
    "practice_pseudonyms",
    "read_nhs_numbers",
    "reidentify",
    "reidentify_table",
]
