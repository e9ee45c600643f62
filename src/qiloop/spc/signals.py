"""Applying a rule profile to a computed chart: per-point rule hits, variation and icons."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qiloop.spc import rules
from qiloop.spc.profiles import RuleProfile

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]

RULE_COLUMN_ORDER: tuple[str, ...] = ("outside_limits", "shift", "trend", "two_of_three", "longest_run")

FAVOURABLE = {"up": 1, "down": -1, "neither": 0}


@dataclass(frozen=True)
class Hits:
    """For each rule, the points where it fired high (+1 side) and low (−1 side)."""

    high: dict[str, BoolArray]
    low: dict[str, BoolArray]


def evaluate_rules(
    y: FloatArray,
    cl: FloatArray,
    lcl: FloatArray,
    ucl: FloatArray,
    lcl_2s: FloatArray,
    ucl_2s: FloatArray,
    segments: list[NDArray[np.int64]],
    profile: RuleProfile,
) -> Hits:
    """Run the profile's rules on each segment (point indices in order; excluded points already left out)."""
    n = y.size
    names = [name for name in RULE_COLUMN_ORDER]
    high = {name: np.zeros(n, dtype=bool) for name in names}
    low = {name: np.zeros(n, dtype=bool) for name in names}
    for idx in segments:
        if idx.size == 0:
            continue
        ys, cls = y[idx], cl[idx]
        if profile.outside_limits:
            above, below = rules.outside_flags(ys, lcl[idx], ucl[idx])
            high["outside_limits"][idx] |= above
            low["outside_limits"][idx] |= below
        side = rules.side_of(ys, cls)
        if profile.shift_length is not None:
            shift = rules.shift_flags(side, profile.shift_length)
            high["shift"][idx] |= shift > 0
            low["shift"][idx] |= shift < 0
        if profile.trend_length is not None:
            rising, falling = rules.trend_flags(ys, profile.trend_length)
            high["trend"][idx] |= rising
            low["trend"][idx] |= falling
        if profile.two_of_three:
            hi2, lo2 = rules.two_of_three_flags(
                ys,
                cls,
                lcl_2s[idx],
                ucl_2s[idx],
                lcl[idx],
                ucl[idx],
                same_side=profile.two_of_three_same_side,
                count_beyond_3sigma=profile.two_of_three_counts_beyond_3sigma,
            )
            high["two_of_three"][idx] |= hi2
            low["two_of_three"][idx] |= lo2
        if profile.anhoej_runs:
            long_run = rules.anhoej_long_run_flags(ys, cls)
            high["longest_run"][idx] |= long_run > 0
            low["longest_run"][idx] |= long_run < 0
    return Hits(high=high, low=low)


def rule_labels(hits: Hits) -> list[str]:
    """Comma-separated names of the rules that fired at each point."""
    n = next(iter(hits.high.values())).size
    fired = {name: hits.high[name] | hits.low[name] for name in RULE_COLUMN_ORDER}
    return [",".join(name for name in RULE_COLUMN_ORDER if fired[name][i]) for i in range(n)]


def point_directions(hits: Hits, profile: RuleProfile, improvement: str) -> tuple[NDArray[np.int64], BoolArray]:
    """(direction, special): +1/−1 for the side that decides each special-cause point, 0 otherwise.

    With ``conflict == 'improvement'`` a point that fired both ways takes the favourable
    side; with ``'precedence'`` the first rule in ``rule_precedence`` that fired decides.
    For direction ``neither`` the first rule in precedence order decides.
    """
    shape = next(iter(hits.high.values())).shape
    any_high = np.zeros(shape, dtype=bool)
    any_low = np.zeros(shape, dtype=bool)
    for name in RULE_COLUMN_ORDER:
        any_high |= hits.high[name]
        any_low |= hits.low[name]
    special = any_high | any_low
    favourable = FAVOURABLE[improvement]
    direction = np.zeros(shape, dtype=np.int64)
    order = [name for name in profile.rule_precedence if name in hits.high]
    order += [name for name in RULE_COLUMN_ORDER if name not in order]
    if favourable != 0 and profile.conflict == "improvement":
        fav = any_high if favourable > 0 else any_low
        direction[special] = -favourable
        direction[fav] = favourable
        return direction, special
    decided = np.zeros(shape, dtype=bool)
    for name in order:
        hi, lo = hits.high[name], hits.low[name]
        both = hi & lo & ~decided
        if favourable != 0:
            direction[both] = favourable
        else:
            direction[both] = 1
        decided |= both
        only_hi = hi & ~decided
        direction[only_hi] = 1
        decided |= only_hi
        only_lo = lo & ~decided
        direction[only_lo] = -1
        decided |= only_lo
    return direction, special


def variation_labels(direction: NDArray[np.int64], special: BoolArray, improvement: str) -> list[str]:
    """Per-point variation: common cause, or special cause improvement / concern / neither."""
    favourable = FAVOURABLE[improvement]
    out = []
    for d, s in zip(direction.tolist(), special.tolist(), strict=True):
        if not s:
            out.append("common_cause")
        elif favourable == 0:
            out.append("special_cause_neither")
        elif d == favourable:
            out.append("special_cause_improvement")
        else:
            out.append("special_cause_concern")
    return out


def variation_icon(variation: str, direction: int, improvement: str) -> str:
    """The Making Data Count variation icon for the last point."""
    if variation == "common_cause":
        return "common_cause"
    side = "high" if direction > 0 else "low"
    kind = {
        "special_cause_improvement": "improving",
        "special_cause_concern": "concerning",
        "special_cause_neither": "neither",
    }[variation]
    return f"special_cause_{kind}_{side}"


def assurance_icon(target: float, lcl: float, ucl: float, improvement: str, *, inclusive: bool) -> str | None:
    """Passing when the whole control band is on the good side of the target, failing when it is
    wholly on the bad side, hit and miss when the target is inside the band.

    ``inclusive``: a target exactly on a limit counts as passing/failing (MDC);
    otherwise it is hit and miss (NHSRplotthedots).
    """
    if improvement == "neither" or np.isnan(lcl) or np.isnan(ucl):
        return None

    def beyond_or_on(a: float, b: float) -> bool:
        return a <= b if inclusive else a < b

    if improvement == "up":
        if beyond_or_on(target, lcl):
            return "consistently_passing"
        if beyond_or_on(ucl, target):
            return "consistently_failing"
    else:
        if beyond_or_on(ucl, target):
            return "consistently_passing"
        if beyond_or_on(target, lcl):
            return "consistently_failing"
    return "hit_and_miss"
