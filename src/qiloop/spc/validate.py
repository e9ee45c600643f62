"""Checking and normalising the inputs of :func:`qiloop.spc.spc`.

Every problem is an :class:`~qiloop.errors.InputError` naming the 1-based row,
what is wrong and what to do. Nothing is changed when a check fails.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from qiloop.errors import InputError

FloatArray = NDArray[np.float64]

MIN_POINTS = 2


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def as_numbers(values: Iterable[Any], what: str, *, allow_missing: bool) -> FloatArray:
    """``values`` as floats; names the first row that is not a number (or is missing)."""
    if isinstance(values, (str, bytes)):
        raise InputError(f"{what} must be a list of numbers, not a single string")
    items = list(values.tolist() if isinstance(values, (pd.Series, np.ndarray)) else values)
    out = np.empty(len(items), dtype=float)
    for i, value in enumerate(items):
        if _is_missing(value):
            if not allow_missing:
                raise InputError(
                    f"{what}: row {i + 1} is missing (empty or NaN)",
                    hint="fill it in, drop the row, or pass allow_missing=True to leave a gap",
                )
            out[i] = math.nan
            continue
        if isinstance(value, bool):
            raise InputError(f"{what}: row {i + 1} is {value!r}, not a number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(f"{what}: row {i + 1} is {str(value)[:40]!r}, not a number") from None
        if math.isinf(number):
            raise InputError(f"{what}: row {i + 1} is infinite")
        if math.isnan(number) and not allow_missing:
            raise InputError(
                f"{what}: row {i + 1} is missing (NaN)", hint="fill it in, drop the row, or pass allow_missing=True"
            )
        out[i] = number
    return out


def as_dates(x: Sequence[Any]) -> pd.DatetimeIndex | None:
    """``x`` as dates when every label is a date, datetime or ISO date string; otherwise None."""
    items = list(x)
    if not items:
        return None
    if all(isinstance(v, (dt.date, pd.Timestamp, np.datetime64)) for v in items):
        return pd.DatetimeIndex(pd.to_datetime(items))
    if all(isinstance(v, str) for v in items):
        try:
            return pd.DatetimeIndex(pd.to_datetime(items, format="ISO8601"))
        except (ValueError, TypeError):
            return None
    return None


def check_x(x: Sequence[Any], n: int, *, grouped: bool) -> None:
    """Same length as y; dates strictly increasing (non-decreasing for subgroup charts)."""
    if len(x) != n:
        raise InputError(f"x has {len(x)} values but y has {n}: give one label per value")
    for i, label in enumerate(x):
        if _is_missing(label):
            raise InputError(f"x: row {i + 1} has no label (date or name)", hint="fill it in or drop the row")
    dates = as_dates(x)
    if dates is None:
        return
    for i in range(1, len(dates)):
        if dates[i] < dates[i - 1] or (not grouped and dates[i] == dates[i - 1]):
            problem = "is before" if dates[i] < dates[i - 1] else "repeats"
            raise InputError(
                f"x: row {i + 1} ({dates[i].date()}) {problem} row {i} ({dates[i - 1].date()}); dates must increase",
                hint="sort the data by date and give one value per date (or one subgroup per date)",
            )


def check_counts(chart: str, numerator: FloatArray, denominator: FloatArray | None) -> None:
    """Counts not negative; denominators positive; for P charts numerator ≤ denominator."""
    for i, value in enumerate(numerator):
        if value < 0:
            raise InputError(f"row {i + 1}: the count is {value:g}; counts cannot be negative")
    if denominator is None:
        return
    for i, (num, den) in enumerate(zip(numerator, denominator, strict=True)):
        if not den > 0 and not math.isnan(den):
            raise InputError(
                f"row {i + 1}: the denominator is {den:g}; denominators must be greater than zero",
                hint="drop periods with no denominator, or exclude them",
            )
        if chart in ("p", "pp") and num > den:
            raise InputError(
                f"row {i + 1}: the numerator ({num:g}) is larger than the denominator ({den:g}); "
                "a proportion cannot exceed 1",
                hint="check the two columns are not swapped, or use a U chart for rates",
            )


def check_positive(values: FloatArray, what: str) -> None:
    for i, value in enumerate(values):
        if value <= 0:
            raise InputError(f"{what}: row {i + 1} is {value:g}; times between events must be greater than zero")


def check_indices(indices: Iterable[int] | None, n: int, what: str) -> list[int]:
    """0-based point indices within range."""
    if indices is None:
        return []
    out = []
    for index in indices:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise InputError(f"{what}: {index!r} is not a point number (0-based)")
        if not 0 <= int(index) < n:
            raise InputError(f"{what}: point {index} is out of range; the chart has points 0 to {n - 1}")
        out.append(int(index))
    return sorted(set(out))


def split_positions(splits: Iterable[Any] | None, x: Sequence[Any]) -> list[int]:
    """Positions (0-based) where each split x value starts a new phase."""
    if splits is None:
        return []
    labels = list(x)
    dates = as_dates(labels)
    positions = []
    for value in splits:
        position = None
        if dates is not None:
            try:
                stamp = pd.Timestamp(value)
            except (TypeError, ValueError):
                stamp = None
            if stamp is not None:
                matches = np.flatnonzero(dates == stamp)
                position = int(matches[0]) if matches.size else None
        if position is None:
            for i, label in enumerate(labels):
                if label == value:
                    position = i
                    break
        if position is None:
            raise InputError(f"split {value!r} is not one of the x values", hint="give the x of the first new point")
        if position > 0:
            positions.append(position)
    return sorted(set(positions))
