"""The one-sentence plain-English reading of a chart, for a practice meeting.

The sentence describes the most recent signal (outside the limits, then a shift,
a trend, two of three near a limit, a long run), says whether it is an
improvement or a concern when the direction is known, and adds what the
target assurance icon means. See docs/spc.md for every form.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from qiloop.spc.result import SpcSummary

RULE_PRIORITY: tuple[str, ...] = ("outside_limits", "shift", "trend", "two_of_three", "longest_run")


def _dates(x: pd.Series) -> pd.DatetimeIndex | None:
    values = list(x)
    if values and all(isinstance(v, pd.Timestamp) or hasattr(v, "isoformat") for v in values):
        try:
            return pd.DatetimeIndex(pd.to_datetime(values))
        except (TypeError, ValueError):
            return None
    if values and all(isinstance(v, str) for v in values):
        try:
            return pd.DatetimeIndex(pd.to_datetime(values, format="ISO8601"))
        except (TypeError, ValueError):
            return None
    return None


class _Labels:
    """How to name a point ("March 2025", "3 June 2025", "point 7") and the unit ("months")."""

    def __init__(self, x: pd.Series) -> None:
        self.x = list(x)
        self.dates = _dates(x)
        self.monthly = False
        self.unit = "points"
        if self.dates is not None and len(self.dates) > 1:
            gaps = np.diff(self.dates.values).astype("timedelta64[D]").astype(int)
            self.monthly = bool(all(d.day == 1 for d in self.dates)) and bool(np.all((gaps >= 28) & (gaps <= 31)))
            if self.monthly:
                self.unit = "months"
            elif np.all(gaps == 7):
                self.unit = "weeks"
            elif np.all(gaps == 1):
                self.unit = "days"

    def name(self, i: int) -> str:
        if self.dates is not None:
            date = self.dates[i]
            return date.strftime("%B %Y") if self.monthly else f"{date.day} {date.strftime('%B %Y')}"
        label = self.x[i]
        if isinstance(label, (int, np.integer)):
            return f"point {label}"
        return str(label)


def _run_start(side: np.ndarray, usable: np.ndarray, at: int) -> int:
    """Index of the first point of the run of equal side (over usable points) containing ``at``."""
    idx = np.flatnonzero(usable)
    pos = int(np.searchsorted(idx, at))
    start = pos
    while start > 0 and side[idx[start - 1]] == side[at]:
        start -= 1
    return int(idx[start])


def _trend_start(y: np.ndarray, usable: np.ndarray, at: int, rising: bool) -> int:
    idx = np.flatnonzero(usable)
    pos = int(np.searchsorted(idx, at))
    start = pos
    while start > 0 and ((y[idx[start]] > y[idx[start - 1]]) if rising else (y[idx[start]] < y[idx[start - 1]])):
        start -= 1
    return int(idx[start])


def _count(usable: np.ndarray, start: int, end: int) -> int:
    return int(np.count_nonzero(usable[start : end + 1]))


def describe(points: pd.DataFrame, summary: SpcSummary, *, measure_name: str | None, enough_points: bool) -> str:
    """One sentence: the latest signal (or none), improvement/concern, and the target assurance."""
    measure = measure_name or "the measure"
    labels = _Labels(points["x"])
    usable = (~points["excluded"].to_numpy(bool)) & points["y"].notna().to_numpy()
    n_usable = int(usable.sum())
    if not enough_points:
        return (
            f"With only {n_usable} points it is too early to tell whether {measure} is changing: "
            "keep plotting until there are enough points for limits."
        )
    y = points["y"].to_numpy(float)
    cl = points["cl"].to_numpy(float)
    side = np.sign(np.nan_to_num(y - cl))
    rule_at = points["rule"].tolist()
    special = np.flatnonzero(usable & (points["variation"] != "common_cause").to_numpy())
    if special.size == 0:
        if summary.runs_signal and summary.profile == "qicharts2":
            text = (
                f"The runs analysis of {measure} shows non-random variation (a long run or too few crossings "
                "of the centre line): something has probably changed"
            )
        else:
            text = (
                f"{_cap(measure)} shows only common-cause variation: the ups and downs are what the process "
                "usually produces and are likely to be chance"
            )
        return text + _assurance(summary, measure) + "."
    at = int(special[-1])
    last = int(np.flatnonzero(usable)[-1])
    fired = [r for r in RULE_PRIORITY if r in rule_at[at].split(",")]
    rule = fired[0] if fired else "outside_limits"
    upward = side[at] > 0
    still = at == last
    if rule == "outside_limits":
        limit = "above the upper limit" if y[at] > cl[at] else "below the lower limit"
        text = f"In {labels.name(at)} {measure} was {limit}: this is unlikely to be chance"
    elif rule in ("shift", "longest_run"):
        start = _run_start(side, usable, at)
        k = _count(usable, start, at)
        where = "above" if upward else "below"
        centre = "its average" if summary.chart not in ("run", "g") else "its median"
        if still:
            text = (
                f"Since {labels.name(start)} {measure} has been {where} {centre} for {k} {labels.unit} in a row: "
                "this is unlikely to be chance"
            )
        else:
            text = (
                f"From {labels.name(start)} to {labels.name(at)} {measure} was {where} {centre} for {k} "
                f"{labels.unit} in a row: this is unlikely to be chance"
            )
    elif rule == "trend":
        rising_hit = _rising(y, usable, at)
        start = _trend_start(y, usable, at, rising_hit)
        k = _count(usable, start, at)
        verb = "risen" if rising_hit else "fallen"
        text = (
            f"{_cap(measure)} has {verb} for {k} {labels.unit} in a row up to {labels.name(at)}: "
            "this is unlikely to be chance"
        )
    else:
        where = "upper" if upward else "lower"
        text = (
            f"In {labels.name(at)} {measure} was close to its {where} limit for two of three {labels.unit} "
            "in a row: this is unlikely to be chance"
        )
    variation = points["variation"].iloc[at]
    if variation == "special_cause_improvement":
        text += " and is an improvement"
    elif variation == "special_cause_concern":
        text += " and is a concern"
    if not still:
        text += f", although the latest point ({labels.name(last)}) shows only common-cause variation"
    return text + _assurance(summary, measure) + "."


def _rising(y: np.ndarray, usable: np.ndarray, at: int) -> bool:
    idx = np.flatnonzero(usable)
    pos = int(np.searchsorted(idx, at))
    if pos > 0:
        return bool(y[idx[pos]] > y[idx[pos - 1]])
    return bool(pos + 1 < idx.size and y[idx[pos + 1]] < y[idx[pos]])


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _assurance(summary: SpcSummary, measure: Any) -> str:
    target = summary.target
    if summary.assurance_icon is None or target is None:
        return ""
    target_text = f"{target:g}"
    return {
        "consistently_passing": f"; at its current level it should consistently meet the target of {target_text}",
        "consistently_failing": f"; it will not meet the target of {target_text} without a change to the process",
        "hit_and_miss": f"; it will sometimes meet and sometimes miss the target of {target_text}",
    }[summary.assurance_icon]
