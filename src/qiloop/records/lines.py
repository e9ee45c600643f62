"""Physical line numbers of CSV records, worked out only when there is an error to report.

DuckDB numbers the records of a CSV file (0, 1, 2, ... after the header) but
not the lines they start on; a quoted cell may hold a line break and blank
lines are skipped. Rather than slow every import down, the lines are found by
a plain scan of the file, up to the last record an error names.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


def record_lines(path: Path, ordinals: Iterable[int]) -> dict[int, int]:
    """Map record ordinals (0 = first record after the header) to the 1-based line each starts on."""
    wanted = set(ordinals)
    if not wanted:
        return {}
    last = max(wanted)
    found: dict[int, int] = {}
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as f:
        reader = csv.reader(f)
        next(reader, None)  # header
        ordinal = 0
        previous_end = reader.line_num
        for row in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not row:
                continue  # a blank line is not a record
            if ordinal in wanted:
                found[ordinal] = start
            if ordinal >= last:
                break
            ordinal += 1
    return found


@dataclass(frozen=True)
class MalformedLine:
    line: int
    message: str


def malformed_lines(path: Path, expected_fields: int, limit: int) -> list[MalformedLine]:
    """Lines that are not valid UTF-8, not valid CSV, or hold the wrong number of fields."""
    problems: list[MalformedLine] = []
    with path.open("rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                problems.append(MalformedLine(number, "the line is not UTF-8 text (save the file as UTF-8 CSV)"))
                if len(problems) >= limit:
                    return problems
    if problems:
        return problems
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, strict=True)
        next(reader, None)
        previous_end = reader.line_num
        while len(problems) < limit:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                problems.append(
                    MalformedLine(previous_end + 1, f"not valid CSV ({exc}); check the quotes on this line")
                )
                break
            start = previous_end + 1
            previous_end = reader.line_num
            if row and len(row) != expected_fields:
                hint = "is the line truncated?" if len(row) < expected_fields else "is a comma missing its quotes?"
                problems.append(
                    MalformedLine(start, f"expected {expected_fields} fields but found {len(row)} ({hint})")
                )
    return problems
