"""Reading the CSV files given to ``qiloop spc`` and ``qiloop funnel``.

Every problem is an :class:`~qiloop.errors.InputError` naming the file, the
1-based line number in the file (the header is line 1) and the column, and
saying what to do. Nothing is written when reading fails.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qiloop.charts.text import format_x
from qiloop.errors import InputError

ISO_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?([ T]\d{2}:\d{2}(:\d{2})?)?$")
# UK dates, day first: 1/3/2025 and 01/03/2025 are 1 March 2025 (never 3 January), optionally with a time.
UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
DATE_FORMS = "dd/mm/yyyy (UK, day first) or yyyy-mm-dd (ISO)"


def looks_like_date(text: str) -> bool:
    """Whether ``text`` is written as an ISO date or a UK dd/mm/yyyy date (valid or not)."""
    return bool(ISO_DATE.match(text) or UK_DATE.match(text))


def parse_date(text: str) -> pd.Timestamp:
    """An ISO or UK (dd/mm/yyyy, d/m/yyyy) date; ``ValueError`` saying why when it is not a valid one.

    Slashed dates are always read day first, as in the UK: ``03/04/2025`` is 3 April 2025.
    """
    uk = UK_DATE.match(text)
    if uk:
        day, month, year, hour, minute, second = (int(part) if part else 0 for part in uk.groups())
        if not 1 <= month <= 12:
            raise ValueError(f"there is no month {month} (dates with slashes are read day first, as dd/mm/yyyy)")
        try:
            return pd.Timestamp(dt.datetime(year, month, day, hour, minute, second))
        except ValueError:
            raise ValueError(f"there is no day {day} in {dt.date(year, month, 1):%B %Y}") from None
    if ISO_DATE.match(text):
        try:
            return pd.Timestamp(text)
        except ValueError:
            raise ValueError("it is not a real date") from None
    raise ValueError(f"it is not a date written {DATE_FORMS}")


@dataclass(frozen=True)
class CsvTable:
    """A CSV file's header, its data rows as text, and the line each row came from."""

    path: Path
    columns: list[str]
    rows: list[list[str]]
    lines: list[int]

    def __len__(self) -> int:
        return len(self.rows)

    def has(self, name: str) -> bool:
        return name in self.columns

    def text(self, name: str, option: str | None = None) -> list[str]:
        """A column's cells as text; a missing column names the ones there are."""
        if name not in self.columns:
            how = f" (given with {option})" if option else ""
            raise InputError(
                f"{self.path}: there is no column {name!r}{how}; the columns are {', '.join(map(repr, self.columns))}",
                hint="check the spelling, or name the column with the option",
            )
        index = self.columns.index(name)
        return [row[index].strip() if index < len(row) else "" for row in self.rows]

    def numbers(self, name: str, option: str | None = None, *, positive: bool = False) -> np.ndarray:
        """A numeric column; names the line of the first empty, non-numeric (or, if ``positive``, ≤ 0) cell."""
        out = np.empty(len(self.rows), dtype=float)
        for i, cell in enumerate(self.text(name, option)):
            where = f"{self.path}, line {self.lines[i]}, column {name!r}"
            if cell == "":
                raise InputError(f"{where}: the cell is empty", hint="fill it in or remove the row")
            try:
                value = float(cell)
            except ValueError:
                raise InputError(f"{where}: {cell[:40]!r} is not a number", hint="use plain numbers") from None
            if math.isnan(value) or math.isinf(value):
                raise InputError(f"{where}: {cell[:40]!r} is not a finite number")
            if positive and value <= 0:
                raise InputError(
                    f"{where}: the denominator is {cell}; denominators must be greater than zero",
                    hint="remove rows with no denominator",
                )
            out[i] = value
        return out

    def x_values(self, name: str, option: str | None = None) -> list[Any]:
        """Labels for the x axis: dates when every cell is an ISO or a UK (dd/mm/yyyy) date, else text.

        Dates must increase down the file (no date before or equal to the one above it).
        """
        cells = self.text(name, option)
        for i, cell in enumerate(cells):
            if cell == "":
                raise InputError(f"{self.path}, line {self.lines[i]}, column {name!r}: the cell is empty")
        if not all(looks_like_date(cell) for cell in cells):
            return list(cells)
        return self._increasing_dates(name, cells)

    def date_labels(self, name: str, option: str | None = None) -> list[str]:
        """A label column as text; when every cell is a date (ISO or dd/mm/yyyy), the dates as ISO text, which
        must increase down the file like an SPC chart's x (a unit per period, in time order)."""
        cells = self.text(name, option)
        if not cells or not all(looks_like_date(cell) for cell in cells):
            return cells
        return [format_x(date) for date in self._increasing_dates(name, cells)]

    def _increasing_dates(self, name: str, cells: list[str]) -> list[pd.Timestamp]:
        dates = []
        for i, cell in enumerate(cells):
            try:
                dates.append(parse_date(cell))
            except ValueError as exc:
                raise InputError(
                    f"{self.path}, line {self.lines[i]}, column {name!r}: {cell!r} is not a valid date: {exc}",
                    hint=f"write dates as {DATE_FORMS}; month-first (US) dates are not read",
                ) from None
        for i in range(1, len(dates)):
            if dates[i] <= dates[i - 1]:
                problem = "is before" if dates[i] < dates[i - 1] else "is the same date as"
                raise InputError(
                    f"{self.path}, line {self.lines[i]}, column {name!r}: {cells[i]} {problem} "
                    f"{cells[i - 1]} on line {self.lines[i - 1]}; dates must increase",
                    hint="sort the file by date, with one row per date",
                )
        return dates

    def line_of_row(self, row: int) -> int:
        """The file line of a 1-based data row."""
        return self.lines[row - 1]


def read_csv_table(path: str | Path) -> CsvTable:
    """Read a CSV file with a header row; blank lines are skipped."""
    file = Path(path)
    if not file.exists():
        raise InputError(f"{file}: no such file", hint="check the path")
    if file.is_dir():
        raise InputError(f"{file} is a directory, not a CSV file")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{file}: not a UTF-8 text file", hint="save it as CSV (UTF-8)") from None
    reader = csv.reader(text.splitlines(keepends=True))
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [cell.strip() for cell in record]
                continue
            rows.append(record)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise InputError(f"{file}, line {reader.line_num}: not valid CSV ({exc})") from None
    if header is None:
        raise InputError(f"{file} is empty: expected a header row and data rows")
    return CsvTable(path=file, columns=header, rows=rows, lines=lines)


def pick_column(table: CsvTable, given: str | None, defaults: Sequence[str], what: str, option: str) -> str | None:
    """The column named with ``option``, else the first of ``defaults`` present, else None."""
    if given:
        table.text(given, option)  # raises if missing
        return given
    lowered = {c.lower(): c for c in table.columns}
    for name in defaults:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def with_line(message: str, table: CsvTable) -> str:
    """Add the file line to an engine message that names a 1-based data ``row N``."""
    match = re.search(r"\brow (\d+)\b", message)
    if match and 1 <= int(match.group(1)) <= len(table):
        return f"{table.path}: {message} (row {match.group(1)} is line {table.line_of_row(int(match.group(1)))})"
    return f"{table.path}: {message}"
