"""Rule primitives, vectorised over the last axis.

Every function accepts a 1-D array (one series) or a 2-D array
``[n_series, n_points]`` and works along the last axis without Python loops, so
:func:`qiloop.spc.spc` and the batch path :mod:`qiloop.spc.batch` share the same
code. Directions are ``+1`` (high/above/rising) and ``-1`` (low/below/falling).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy import stats

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


# Values this close (relative) to a line count as on it: a mean of identical values can
# differ from them in the last bit (the mean of twelve 0.1s is 0.09999999999999999), and
# such rounding must never make a flat series look like a signal.
RELATIVE_TOLERANCE = 1e-9


def exceeds(a: FloatArray, b: FloatArray) -> BoolArray:
    """``a > b`` by more than rounding (NaN on either side: False)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore"):
        slack = RELATIVE_TOLERANCE * np.maximum(np.abs(a), np.abs(b))
        return np.asarray(a - b > slack)


def side_of(y: FloatArray, cl: FloatArray) -> IntArray:
    """+1 above the centre line, -1 below, 0 on it (within rounding) or where either value is missing."""
    return exceeds(y, cl).astype(np.int64) - exceeds(cl, y).astype(np.int64)


def run_lengths(values: IntArray) -> IntArray:
    """Length of the run of equal values each point belongs to (runs of 0 get their length too).

    >>> run_lengths(np.array([1, 1, -1, 0, 0, 1])).tolist()
    [2, 2, 1, 2, 2, 1]
    """
    values = np.asarray(values)
    n = values.shape[-1]
    if n == 0:
        return np.zeros(values.shape, dtype=np.int64)
    idx = np.broadcast_to(np.arange(n), values.shape)
    change = values[..., 1:] != values[..., :-1]
    edge = np.ones(values.shape[:-1] + (1,), dtype=bool)
    starts = np.concatenate([edge, change], axis=-1)
    ends = np.concatenate([change, edge], axis=-1)
    start_idx = np.maximum.accumulate(np.where(starts, idx, 0), axis=-1)
    end_idx = np.flip(np.minimum.accumulate(np.flip(np.where(ends, idx, n), axis=-1), axis=-1), axis=-1)
    return (end_idx - start_idx + 1).astype(np.int64)


def run_position(values: IntArray) -> IntArray:
    """1-based position of each point within its run of equal values.

    >>> run_position(np.array([1, 1, 1, -1, -1])).tolist()
    [1, 2, 3, 1, 2]
    """
    values = np.asarray(values)
    n = values.shape[-1]
    if n == 0:
        return np.zeros(values.shape, dtype=np.int64)
    idx = np.broadcast_to(np.arange(n), values.shape)
    edge = np.ones(values.shape[:-1] + (1,), dtype=bool)
    starts = np.concatenate([edge, values[..., 1:] != values[..., :-1]], axis=-1)
    start_idx = np.maximum.accumulate(np.where(starts, idx, 0), axis=-1)
    return (idx - start_idx + 1).astype(np.int64)


def shift_flags(side: IntArray, length: int) -> IntArray:
    """Side (+1/-1) of every point in a run of at least ``length`` points on one side, else 0.

    A point on the centre line (side 0) breaks a run.
    """
    side = np.asarray(side, dtype=np.int64)
    return np.where((side != 0) & (run_lengths(side) >= length), side, 0)


def shift_end_flags(side: IntArray, length: int) -> IntArray:
    """Side at the ``length``-th and later points of a run on one side (NHSRplotthedots' form), else 0."""
    side = np.asarray(side, dtype=np.int64)
    return np.where((side != 0) & (run_position(side) >= length), side, 0)


def backfill(flags: IntArray, length: int) -> BoolArray:
    """True for the ``length`` points ending at each non-zero flag (NHSRplotthedots' ``part_of`` form)."""
    hit = np.asarray(flags) != 0
    out = hit.copy()
    for lag in range(1, length):
        out[..., :-lag] |= hit[..., lag:]
    return out


def _steps(y: FloatArray) -> IntArray:
    with np.errstate(invalid="ignore"):
        d = np.diff(np.asarray(y, dtype=float), axis=-1)
    return np.nan_to_num(np.sign(d), nan=0.0).astype(np.int64)


def trend_flags(y: FloatArray, length: int) -> tuple[BoolArray, BoolArray]:
    """(rising, falling): points in a run of at least ``length`` points each strictly above
    (below) the one before. Ties and missing values break a trend; a turning point can be both."""
    y = np.asarray(y, dtype=float)
    steps = _steps(y)
    pad = np.zeros(y.shape[:-1] + (1,), dtype=bool)
    if steps.shape[-1] == 0:
        empty = np.zeros(y.shape, dtype=bool)
        return empty, empty.copy()
    long_run = run_lengths(steps) >= length - 1
    out = []
    for direction in (1, -1):
        step_hit = (steps == direction) & long_run
        # step j joins points j and j + 1
        out.append(np.concatenate([step_hit, pad], axis=-1) | np.concatenate([pad, step_hit], axis=-1))
    return out[0], out[1]


def trend_end_flags(y: FloatArray, length: int) -> IntArray:
    """+1/-1 at the last point of every ``length`` points strictly rising/falling, else 0."""
    y = np.asarray(y, dtype=float)
    steps = _steps(y)
    pad = np.zeros(y.shape[:-1] + (1,), dtype=np.int64)
    if steps.shape[-1] == 0:
        return np.zeros(y.shape, dtype=np.int64)
    hit = np.where((steps != 0) & (run_position(steps) >= length - 1), steps, 0)
    return np.concatenate([pad, hit], axis=-1)


def outside_flags(y: FloatArray, lcl: FloatArray, ucl: FloatArray) -> tuple[BoolArray, BoolArray]:
    """(above, below): strictly beyond (by more than rounding) the upper / lower process limit.

    Missing limits never fire.
    """
    return exceeds(y, ucl), exceeds(lcl, y)


def two_of_three_flags(
    y: FloatArray,
    cl: FloatArray,
    lower_2s: FloatArray,
    upper_2s: FloatArray,
    lcl: FloatArray,
    ucl: FloatArray,
    *,
    same_side: bool = True,
    count_beyond_3sigma: bool = False,
    flag_window: bool = False,
) -> tuple[BoolArray, BoolArray]:
    """(high, low): two or three of any three consecutive points beyond the same 2σ line.

    Only the points beyond the line are flagged (all three when ``flag_window``).
    ``same_side`` requires all three points on that side of the centre line;
    without ``count_beyond_3sigma`` a point beyond a process limit does not count.
    """
    y = np.asarray(y, dtype=float)
    side = side_of(y, cl)
    beyond = [exceeds(y, upper_2s), exceeds(lower_2s, y)]
    if not count_beyond_3sigma:
        beyond[0] &= ~exceeds(y, ucl)
        beyond[1] &= ~exceeds(lcl, y)
    n = y.shape[-1]
    out = []
    for direction, close in zip((1, -1), beyond, strict=True):
        flags = np.zeros(y.shape, dtype=bool)
        if n >= 3:
            count = close[..., :-2].astype(int) + close[..., 1:-1] + close[..., 2:]
            window = count >= 2
            if same_side:
                on_side = side == direction
                window &= on_side[..., :-2] & on_side[..., 1:-1] & on_side[..., 2:]
            covered = np.zeros(y.shape, dtype=bool)
            for offset in range(3):
                covered[..., offset : n - 2 + offset] |= window
            flags = covered if flag_window else covered & close
        out.append(flags)
    return out[0], out[1]


@lru_cache(maxsize=4096)
def anhoej_limits(n_useful: int) -> tuple[int, int]:
    """(longest run maximum, crossings minimum) for ``n_useful`` points not on the centre line.

    Longest run signals when > round(log2(n)) + 3 (Schilling); crossings signal when
    < qbinom(0.05, n - 1, 0.5), the lower 5 % binomial quantile (Chen).
    """
    if n_useful <= 0:
        return 0, 0
    longest = int(round(math.log2(n_useful))) + 3
    crossings = int(stats.binom.ppf(0.05, n_useful - 1, 0.5)) if n_useful > 1 else 0
    return longest, crossings


def anhoej_runs(y: FloatArray, cl: FloatArray) -> dict[str, int | bool]:
    """Anhøj runs analysis of one series: points on the centre line and missing values are dropped.

    Returns ``n_useful, longest_run, longest_run_max, n_crossings, n_crossings_min, runs_signal``.
    """
    side = side_of(np.asarray(y, dtype=float), np.asarray(cl, dtype=float))
    useful = side[side != 0]
    n_useful = int(useful.size)
    longest_max, crossings_min = anhoej_limits(n_useful)
    if n_useful == 0:
        return {
            "n_useful": 0,
            "longest_run": 0,
            "longest_run_max": 0,
            "n_crossings": 0,
            "n_crossings_min": 0,
            "runs_signal": False,
        }
    longest = int(run_lengths(useful).max())
    crossings = int(np.count_nonzero(useful[1:] != useful[:-1]))
    return {
        "n_useful": n_useful,
        "longest_run": longest,
        "longest_run_max": longest_max,
        "n_crossings": crossings,
        "n_crossings_min": crossings_min,
        "runs_signal": bool(longest > longest_max or crossings < crossings_min),
    }


def anhoej_long_run_flags(y: FloatArray, cl: FloatArray) -> IntArray:
    """Side of every point in a run longer than the Anhøj maximum (points on the line are skipped)."""
    y = np.asarray(y, dtype=float)
    side = side_of(y, np.asarray(cl, dtype=float))
    keep = np.flatnonzero(side != 0)
    out = np.zeros(y.shape, dtype=np.int64)
    if keep.size == 0:
        return out
    useful = side[keep]
    longest_max, _ = anhoej_limits(int(keep.size))
    out[keep] = np.where(run_lengths(useful) > longest_max, useful, 0)
    return out
