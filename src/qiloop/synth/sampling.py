"""Vectorised sampling helpers: every function works on whole arrays of people.

Dates are whole days since 1970-01-01 held in int64 arrays; ``NO_DATE`` marks
"no such date" (alive, still registered, never diagnosed).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

NO_DATE = np.int64(10**7)  # far beyond any real date (year ~29,000)
EPOCH = dt.date(1970, 1, 1)


def to_days(d: dt.date) -> int:
    return (d - EPOCH).days


def first_of_month(days: np.ndarray) -> np.ndarray:
    """The first day of the month of each date."""
    months = days.astype("datetime64[D]").astype("datetime64[M]")
    return months.astype("datetime64[D]").astype(np.int64)


def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For n_i items per row i: the row index of each item and its rank 0..n_i-1 within the row."""
    counts = counts.astype(np.int64)
    rows = np.repeat(np.arange(len(counts)), counts)
    offsets = np.cumsum(counts) - counts
    rank = np.arange(len(rows), dtype=np.int64) - np.repeat(offsets, counts)
    return rows, rank


def recurring(
    rng: np.random.Generator,
    lo: np.ndarray,
    hi: np.ndarray,
    period: float,
    jitter_sd: float = 0.0,
    phase: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Dates repeating every ``period`` days between ``lo`` and ``hi`` (inclusive) for each row.

    The first date falls at ``lo + phase`` (uniform in one period unless
    given); each later one ``period`` days on, moved by normal jitter. Returns
    (row index, date) for every date inside its row's interval.
    """
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    if phase is None:
        phase = rng.random(len(lo)) * period
    first = lo + phase
    span = hi - first
    counts = np.where(span >= 0, np.floor(np.maximum(span, 0) / period).astype(np.int64) + 1, 0)
    rows, rank = expand(counts)
    dates = first[rows] + rank * period
    if jitter_sd > 0 and len(dates):
        dates = dates + rng.normal(0.0, jitter_sd, len(dates))
    dates = np.rint(dates).astype(np.int64)
    keep = (dates >= lo[rows]) & (dates <= hi[rows])
    return rows[keep], dates[keep]


def poisson_points(
    rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, rate_per_day: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """A Poisson process of dates between ``lo`` and ``hi`` (inclusive) for each row."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    length = np.maximum(hi - lo + 1, 0)
    counts = rng.poisson(np.asarray(rate_per_day) * length)
    rows, _ = expand(counts)
    dates = lo[rows] + np.floor(rng.random(len(rows)) * length[rows]).astype(np.int64)
    return rows, dates


def choose(rng: np.random.Generator, n: int, shares: np.ndarray | list[float] | tuple[float, ...]) -> np.ndarray:
    """``n`` category indices drawn with the given shares (normalised)."""
    p = np.asarray(shares, dtype=float)
    cumulative = np.cumsum(p / p.sum())
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, rng.random(n), side="right").astype(np.int64)


def logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def expit(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))
