"""Read and validate a code-list CSV (``code,term``).

Any problem raises :class:`~qiloop.errors.InputError` naming the file, the line and the
offending code, and nothing is returned: a list is either entirely good or rejected.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from qiloop.errors import InputError

HEADER = ["code", "term"]
# SNOMED CT and dm+d identifiers are SCTIDs: 6 to 18 decimal digits, no leading zero.
SCTID = re.compile(r"[1-9][0-9]{5,17}")


def read_codelist_csv(path: Path) -> dict[str, str]:
    """The codes of the code-list file at ``path``, each mapped to its term.

    The file must start with the header ``code,term``; every code must be a SNOMED CT
    or dm+d identifier (6 to 18 digits) and appear once.

    >>> read_codelist_csv(Path("copd.csv"))  # doctest: +SKIP
    {'13645005': 'Chronic obstructive pulmonary disease', ...}
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InputError(f"{path}: code list file not found") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text", hint="save the code list as UTF-8 CSV") from exc
    rows = csv.reader(text.splitlines())
    header = next(rows, None)
    if header is None or [h.strip().lower() for h in header] != HEADER:
        raise InputError(
            f"{path}, line 1: missing header: expected 'code,term', found {','.join(header or []) or 'an empty file'}",
            hint="the first line of a code list must be exactly: code,term",
        )
    codes: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for line_number, row in enumerate(rows, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 2:
            raise InputError(
                f"{path}, line {line_number}: expected 2 columns (code,term), found {len(row)}",
                hint="quote terms that contain commas",
            )
        code, term = row[0].strip(), row[1].strip()
        if not SCTID.fullmatch(code):
            raise InputError(
                f"{path}, line {line_number}: malformed code {code!r}: a SNOMED CT or dm+d code is 6 to 18 digits",
                hint="remove spaces, letters and decimal points; Read and CTV3 codes are not supported",
            )
        if code in codes:
            raise InputError(
                f"{path}, line {line_number}: duplicate code {code} (first on line {first_line[code]})",
                hint="list each code once",
            )
        codes[code] = term
        first_line[code] = line_number
    if not codes:
        raise InputError(f"{path}: the code list has no codes")
    return codes
