"""Vectorised XmR charts over many series at once (one row per series).

:func:`xmr_batch` gives the same centre lines, limits and per-point variation as
:func:`qiloop.spc.spc` with ``chart='xmr'`` for every row of a matrix (single
phase, no exclusions, no missing values), using numpy over the whole matrix: no
Python loop per series. It is what the nightly run over every practice and
measure uses, and what ``qiloop bench spc`` times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qiloop.errors import InputError
from qiloop.spc import rules, signals
from qiloop.spc.profiles import RuleProfile, get_profile

FloatArray = NDArray[np.float64]

VARIATION_CODES: tuple[str, ...] = (
    "common_cause",
    "special_cause_improvement",
    "special_cause_concern",
    "special_cause_neither",
)
"""``variation`` codes: index into this tuple."""


@dataclass(frozen=True)
class XmrBatch:
    """Per-point arrays, each ``[n_series, n_points]``.

    ``variation`` holds codes into :data:`VARIATION_CODES` (0 common cause, 1 improvement,
    2 concern, 3 neither). ``cl``/``lcl``/``ucl`` are NaN where the profile shows no limits.
    """

    cl: FloatArray
    lcl: FloatArray
    ucl: FloatArray
    lcl_2s: FloatArray
    ucl_2s: FloatArray
    variation: NDArray[np.int8]

    def variation_labels(self, row: int) -> list[str]:
        """The variation names of one series."""
        return [VARIATION_CODES[c] for c in self.variation[row].tolist()]


def _screened_mean_mr(values: FloatArray, profile: RuleProfile) -> FloatArray:
    mr = np.abs(np.diff(values, axis=1))
    amr = mr.mean(axis=1)
    if not profile.mr_screening:
        return amr
    keep = mr < profile.mr_screen_constant * amr[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(keep, mr, 0.0).sum(axis=1) / keep.sum(axis=1)


def xmr_batch(
    values: Any, profile: str | RuleProfile = "mdc", improvement: str = "neither", **profile_overrides: Any
) -> XmrBatch:
    """XmR centre line, limits and per-point variation for every row of ``values``.

    >>> out = xmr_batch(np.tile(np.arange(20.0) % 5, (3, 1)), improvement="up")
    >>> out.variation.shape
    (3, 20)
    """
    matrix = np.asarray(values, dtype=float)
    if matrix.ndim != 2:
        raise InputError("xmr_batch needs a 2-D array: one row per series, one column per point")
    if not np.isfinite(matrix).all():
        raise InputError("xmr_batch needs complete series: found missing or infinite values")
    if improvement not in signals.FAVOURABLE:
        raise InputError(f"improvement must be 'up', 'down' or 'neither', not {improvement!r}")
    rule_profile = get_profile(profile, **profile_overrides)
    if rule_profile.anhoej_runs:
        raise InputError("xmr_batch does not apply Anhøj runs rules; use spc() for the qicharts2 profile")
    n_series, n_points = matrix.shape
    if n_points < 2:
        raise InputError(f"a chart needs at least 2 points; got {n_points}")

    centre = matrix.mean(axis=1)
    sigma = rule_profile.xmr_constant / 3 * _screened_mean_mr(matrix, rule_profile)
    k = rule_profile.sigma_multiplier
    shape = matrix.shape
    cl = np.broadcast_to(centre[:, None], shape).copy()
    lcl = np.broadcast_to((centre - k * sigma)[:, None], shape).copy()
    ucl = np.broadcast_to((centre + k * sigma)[:, None], shape).copy()
    lcl_2s = np.broadcast_to((centre - 2 * sigma)[:, None], shape).copy()
    ucl_2s = np.broadcast_to((centre + 2 * sigma)[:, None], shape).copy()
    if not rule_profile.two_sigma_lines:
        lcl_2s[:] = np.nan
        ucl_2s[:] = np.nan
    variation = np.zeros(shape, dtype=np.int8)
    if n_points < rule_profile.min_points_for_limits:
        for line in (lcl, ucl, lcl_2s, ucl_2s):
            line[:] = np.nan
        return XmrBatch(cl=cl, lcl=lcl, ucl=ucl, lcl_2s=lcl_2s, ucl_2s=ucl_2s, variation=variation)

    zeros = np.zeros(shape, dtype=bool)
    high = {name: zeros.copy() for name in signals.RULE_COLUMN_ORDER}
    low = {name: zeros.copy() for name in signals.RULE_COLUMN_ORDER}
    if rule_profile.outside_limits:
        high["outside_limits"], low["outside_limits"] = rules.outside_flags(matrix, lcl, ucl)
    if rule_profile.shift_length is not None:
        shift = rules.shift_flags(rules.side_of(matrix, cl), rule_profile.shift_length)
        high["shift"], low["shift"] = shift > 0, shift < 0
    if rule_profile.trend_length is not None:
        high["trend"], low["trend"] = rules.trend_flags(matrix, rule_profile.trend_length)
    if rule_profile.two_of_three:
        high["two_of_three"], low["two_of_three"] = rules.two_of_three_flags(
            matrix,
            cl,
            lcl_2s,
            ucl_2s,
            lcl,
            ucl,
            same_side=rule_profile.two_of_three_same_side,
            count_beyond_3sigma=rule_profile.two_of_three_counts_beyond_3sigma,
        )
    direction, special = signals.point_directions(signals.Hits(high=high, low=low), rule_profile, improvement)
    favourable = signals.FAVOURABLE[improvement]
    if favourable == 0:
        variation[special] = 3
    else:
        variation[special & (direction == favourable)] = 1
        variation[special & (direction != favourable)] = 2
    return XmrBatch(cl=cl, lcl=lcl, ucl=ucl, lcl_2s=lcl_2s, ucl_2s=ucl_2s, variation=variation)
