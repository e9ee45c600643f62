"""Disclosure control for results that leave a practice (network and ICB views).

Applied to each count (numerator and denominator) separately:

* 0 stays 0;
* 1 to 7 is suppressed: the count becomes missing;
* 8 and above is rounded to the nearest multiple of 5 (halves round up: 12 → 10, 13 → 15);
* the ratio is recomputed from the published counts: missing when either count
  is missing or the denominator is 0.

(ehrQL writes suppressed counts as 0; qiloop writes them as missing, so a
suppressed count cannot be mistaken for a true zero.)
"""

from __future__ import annotations

import math

import pandas as pd

from qiloop.measures.results import ratio

SUPPRESS_AT_MOST = 7
ROUND_TO = 5


def publish_count(count: float) -> float | None:
    """One count as published: 0, suppressed (None) for 1–7, else rounded to the nearest 5."""
    if count is None or (isinstance(count, float) and math.isnan(count)):
        return None
    if count == 0:
        return 0
    if count <= SUPPRESS_AT_MOST:
        return None
    return float(math.floor(count / ROUND_TO + 0.5) * ROUND_TO)


def apply_disclosure_control(results: pd.DataFrame) -> pd.DataFrame:
    """A copy of a results table with suppressed and rounded counts and recomputed ratios."""
    out = results.copy()
    for column in ("numerator", "denominator"):
        out[column] = pd.array([publish_count(v) for v in results[column]], dtype="Float64")
    out["ratio"] = ratio(out["numerator"], out["denominator"]).astype("Float64")
    return out


NETWORK = "network"


def network_view(results: pd.DataFrame) -> pd.DataFrame:
    """What leaves a practice: every practice row plus a network total row, all under disclosure control."""
    return apply_disclosure_control(pd.concat([results, network_totals(results)], ignore_index=True))


def network_totals(results: pd.DataFrame) -> pd.DataFrame:
    """Practices summed into one row (practice_id ``network``) per measure, interval and breakdown group."""
    keys = [c for c in results.columns if c not in ("practice_id", "numerator", "denominator", "ratio")]
    summed = results.groupby(keys, dropna=False, sort=False)[["numerator", "denominator"]].sum().reset_index()
    summed["practice_id"] = NETWORK
    summed["ratio"] = ratio(summed["numerator"], summed["denominator"])
    return summed[list(results.columns)]
