"""Did the change work? Points after a change judged against the limits from before it.

The points before ``change_at`` are the **baseline**: qiloop computes the centre line and
limits from them alone (as if the chart were frozen there, :func:`qiloop.spc.spc` with
``freeze``), extends those lines over the points on or after the change, and applies the
Making Data Count rules (:data:`PROFILE`: a point beyond a limit, a shift of 6 on one side
of the old average, a trend of 6, two of three near a limit) **to the points after the
change only**. A signal in the improving direction is an improvement; the other way a
deterioration. When both appear, the most recent signal decides (as the Making Data Count
variation icon reads the latest point).

Thresholds (docs/improvement.md says why):

* :data:`MIN_BEFORE` = 12 baseline points — a year of monthly data; fewer and the limits
  move too much with each point to say what "usual" was.
* :data:`MIN_AFTER` = 6 points after the change — the length of the shift and trend rules;
  with fewer a sustained change cannot show yet.

>>> x = [f"2025-{m:02d}-01" for m in range(1, 13)] + [f"2026-{m:02d}-01" for m in range(1, 7)]
>>> y = [10, 12] * 6 + [9] * 6
>>> verdict = assess_change(x, y, "2026-01-01", low_is_good=True, label="PDSA 2")
>>> verdict.kind, verdict.points_before, verdict.points_after
('improvement', 12, 6)
>>> verdict.sentence
'Since the change on 1 January 2026 (PDSA 2), all 6 months are below the old average: the data show a real improvement.'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from qiloop.errors import InputError
from qiloop.spc import signals, spc
from qiloop.spc.profiles import RuleProfile, get_profile
from qiloop.spc.validate import as_dates

VerdictKind = Literal["improvement", "deterioration", "no_change_yet", "too_few_points"]

#: The rules used to judge a change: Making Data Count's.
PROFILE: RuleProfile = get_profile("mdc")
MIN_BEFORE = 12
MIN_AFTER = PROFILE.shift_length or 6

#: Rules in the order the sentence prefers them as evidence.
EVIDENCE_ORDER: tuple[str, ...] = ("outside_limits", "shift", "trend", "two_of_three")


@dataclass(frozen=True)
class ChangeVerdict:
    """What the data say since a change.

    ``kind`` – improvement, deterioration, no_change_yet or too_few_points; ``sentence`` –
    the plain-English reading; ``points_before``/``points_after`` – baseline points and
    points on or after the change; ``rules`` – the rules that fired after the change in the
    direction that decided the verdict; ``sustained`` – an improvement whose last
    ``min_after`` points are all on the good side of the old average; ``baseline_cl`` /
    ``baseline_lcl`` / ``baseline_ucl`` – the old lines (at the first point after the change;
    None when there is no baseline to compute them from).
    """

    kind: VerdictKind
    sentence: str
    points_after: int
    points_before: int
    baseline_cl: float | None = None
    baseline_lcl: float | None = None
    baseline_ucl: float | None = None
    rules: tuple[str, ...] = ()
    sustained: bool = False


def has_baseline(points_before: int, *, min_before: int = MIN_BEFORE) -> bool:
    """True when a measure has enough points before the first change to set baseline limits."""
    return points_before >= min_before


def _units(dates: pd.DatetimeIndex | None) -> str:
    """'months' for monthly dates (first of the month), 'weeks', 'days', otherwise 'points'."""
    if dates is None or len(dates) < 2:
        return "points"
    gaps = np.diff(dates.values).astype("timedelta64[D]").astype(int)
    if all(d.day == 1 for d in dates) and bool(np.all((gaps >= 28) & (gaps <= 31))):
        return "months"
    if bool(np.all(gaps == 7)):
        return "weeks"
    if bool(np.all(gaps == 1)):
        return "days"
    return "points"


def _count(k: int, units: str) -> str:
    return f"{k} {units if k != 1 else units[:-1]}"


def change_position(x: Sequence[Any], change_at: Any) -> int:
    """Index of the first point on or after ``change_at`` (``len(x)`` when every point is before it).

    With dates, ``change_at`` is a date (or ISO string) and need not be one of the x values.
    With other labels it must be one of them.

    >>> change_position(["2026-01-01", "2026-02-01", "2026-03-01"], "2026-02-03")
    2
    """
    labels = list(x)
    dates = as_dates(labels)
    if dates is not None:
        try:
            stamp = pd.Timestamp(change_at)
        except (TypeError, ValueError):
            raise InputError(
                f"the change date {change_at!r} is not a date, but the chart's x values are dates"
            ) from None
        if pd.isna(stamp):
            raise InputError("the change has no date", hint="give the date the change started")
        return int(np.searchsorted(dates.values, stamp.to_datetime64(), side="left"))
    for i, label in enumerate(labels):
        if label == change_at:
            return i
    raise InputError(
        f"the change point {change_at!r} is not one of the x values",
        hint="give the x of the first point after the change",
    )


def phase_start(x: Sequence[Any], change_at: Any) -> Any | None:
    """The x value of the first point on or after ``change_at`` (pass it to ``spc(splits=[...])``), or None."""
    position = change_position(x, change_at)
    labels = list(x)
    return labels[position] if position < len(labels) else None


def _describe_change(change_at: Any, dates: pd.DatetimeIndex | None, label: str | None) -> str:
    if dates is not None:
        when = pd.Timestamp(change_at)
        text = f"the change on {when.day} {when.strftime('%B %Y')}"
    else:
        text = f"the change at {change_at}"
    return f"{text} ({label})" if label else text


def _longest_run(mask: np.ndarray) -> int:
    best = run = 0
    for hit in mask.tolist():
        run = run + 1 if hit else 0
        best = max(best, run)
    return best


def _trend_length(y: np.ndarray, falling: bool) -> int:
    best = run = 1
    for a, b in zip(y[:-1].tolist(), y[1:].tolist(), strict=True):
        run = run + 1 if ((b < a) if falling else (b > a)) else 1
        best = max(best, run)
    return best if y.size else 0


def assess_change(
    x: Sequence[Any],
    y: Sequence[float],
    change_at: Any,
    *,
    low_is_good: bool,
    n: Sequence[float] | None = None,
    min_before: int = MIN_BEFORE,
    min_after: int = MIN_AFTER,
    label: str | None = None,
    chart: str | None = None,
    since: Any = None,
) -> ChangeVerdict:
    """Say whether the points on or after ``change_at`` show special-cause change against the baseline before it.

    ``x`` – dates (or labels) in order; ``y`` – values (counts when ``n`` is given);
    ``n`` – denominators, which make it a ratio chart; ``low_is_good`` – which way is better;
    ``label`` – how to name the change in the sentence ("PDSA 2"); ``chart`` – the SPC chart,
    by default ``xmr`` without denominators and Laney's ``pp`` (P′, robust to the over-dispersion
    of large denominators) with them; ``since`` – points before this x are ignored (e.g. an
    earlier change, so the baseline is the current way of working). Missing values are skipped.
    """
    labels = list(x)
    values = np.asarray([math.nan if v is None else float(v) for v in y], dtype=float)
    if len(labels) != values.size:
        raise InputError(f"x has {len(labels)} values but y has {values.size}: give one date per value")
    denominators = None if n is None else np.asarray([math.nan if v is None else float(v) for v in n], dtype=float)
    if denominators is not None and denominators.size != values.size:
        raise InputError(f"n has {denominators.size} values but y has {values.size}")
    if min_before < 2 or min_after < 1:
        raise InputError("min_before must be at least 2 and min_after at least 1")
    keep = ~np.isnan(values) if denominators is None else ~np.isnan(values) & ~np.isnan(denominators)
    if since is not None:
        keep &= np.arange(values.size) >= change_position(labels, since)
    position = change_position(labels, change_at)
    before_mask = keep & (np.arange(values.size) < position)
    labels = [label_ for label_, k in zip(labels, keep.tolist(), strict=True) if k]
    values = values[keep]
    denominators = None if denominators is None else denominators[keep]
    before = int(np.count_nonzero(before_mask))
    after = values.size - before

    dates = as_dates(labels) if labels else None
    units = _units(dates)
    intro = "Since " + _describe_change(change_at, dates, label)
    if before < min_before:
        return ChangeVerdict(
            kind="too_few_points",
            sentence=(
                f"Only {_count(before, units)} before {_describe_change(change_at, dates, label)}: at least "
                f"{min_before} are needed to know what was usual before it, so it is too early to tell whether "
                "the change worked. Add earlier data if you have it."
            ),
            points_after=after,
            points_before=before,
        )

    improvement = "down" if low_is_good else "up"
    chart_name = chart or ("xmr" if denominators is None else "pp")
    result = spc(
        values,
        x=labels,
        n=denominators,
        chart=chart_name,
        profile=PROFILE,
        improvement=improvement,
        freeze=before,
        min_points_for_limits=1,
    )
    points = result.points
    lines = {name: points[name].to_numpy(float) for name in ("cl", "lcl", "ucl", "lcl_2s", "ucl_2s")}
    # A value equal to the old average up to rounding (the mean of twelve 0.1s is 0.09999999999999999) is on it,
    # not above or below it: otherwise a flat series would "shift".
    raw = points["y"].to_numpy(float)
    plotted = np.where(np.isclose(raw, lines["cl"], rtol=1e-9, atol=0.0), lines["cl"], raw)

    def line_at(name: str, i: int) -> float | None:
        value = lines[name][i] if i < values.size else lines[name][before - 1]
        return None if math.isnan(value) else float(value)

    first = before if after else before - 1
    old_cl, old_lcl, old_ucl = line_at("cl", first), line_at("lcl", first), line_at("ucl", first)
    good_low = low_is_good
    good, bad = ("below", "above") if good_low else ("above", "below")
    good_limit, bad_limit = ("lower", "upper") if good_low else ("upper", "lower")

    after_idx = np.arange(before, values.size)
    hits = signals.evaluate_rules(
        plotted, lines["cl"], lines["lcl"], lines["ucl"], lines["lcl_2s"], lines["ucl_2s"], [after_idx], PROFILE
    )
    direction, special = signals.point_directions(hits, PROFILE, improvement)
    favourable = signals.FAVOURABLE[improvement]
    improving = special & (direction == favourable)
    worsening = special & (direction == -favourable)

    if after < min_after:
        sentence = (
            f"{intro} there {'has' if after == 1 else 'have'} been {_count(after, units) if after else 'no points yet'}; "
            f"at least {min_after} are needed to see a real change, so it is too early to tell."
        )
        outside = hits.low["outside_limits"] if good_low else hits.high["outside_limits"]
        outside_bad = hits.high["outside_limits"] if good_low else hits.low["outside_limits"]
        if outside[after_idx].any():
            sentence += f" One is already {good} the old {good_limit} limit: an early sign of improvement."
        elif outside_bad[after_idx].any():
            sentence += f" One is already {bad} the old {bad_limit} limit: an early sign that things got worse."
        return ChangeVerdict(
            kind="too_few_points",
            sentence=sentence,
            points_after=after,
            points_before=before,
            baseline_cl=old_cl,
            baseline_lcl=old_lcl,
            baseline_ucl=old_ucl,
        )

    special_after = np.flatnonzero(special[after_idx])
    if special_after.size == 0:
        sentence = (
            f"{intro}, the {_count(after, units)} since show only common-cause variation against the old limits: "
            f"no change yet. A real improvement would show as {min_after} {units} in a row {good} the old "
            f"average or one {good} the old {good_limit} limit."
        )
        return ChangeVerdict(
            kind="no_change_yet",
            sentence=sentence,
            points_after=after,
            points_before=before,
            baseline_cl=old_cl,
            baseline_lcl=old_lcl,
            baseline_ucl=old_ucl,
        )

    latest = int(after_idx[special_after[-1]])
    kind: VerdictKind = "improvement" if improving[latest] else "deterioration"
    decided = improving if kind == "improvement" else worsening
    side_hits = hits.low if (kind == "improvement") == good_low else hits.high
    fired = tuple(name for name in EVIDENCE_ORDER if (side_hits[name] & decided)[after_idx].any())
    where, limit = (good, good_limit) if kind == "improvement" else (bad, bad_limit)
    evidence = _evidence(fired, plotted[after_idx], lines, after_idx, where, limit, units, after, side_hits)
    cl = lines["cl"][after_idx]
    tail = plotted[after_idx][-min_after:]
    tail_cl = cl[-min_after:]
    on_good_side = tail < tail_cl if good_low else tail > tail_cl
    sustained = kind == "improvement" and bool(np.all(on_good_side))
    if kind == "improvement":
        ending = "the data show a real improvement."
        bad_hits = hits.high if good_low else hits.low
        conflicting = np.zeros(values.size, dtype=bool)
        for name in EVIDENCE_ORDER:
            conflicting |= bad_hits[name] & improving
        if worsening[after_idx].any():
            ending = "the data show a real improvement, after an earlier signal that things had got worse."
        elif conflicting[after_idx].any():
            # Making Data Count shows a point flagged both ways (only possible through a trend) as improvement.
            ending = (
                "the data show a real improvement, although some of those points are still worse than before "
                "the change: look at the chart."
            )
    else:
        ending = "the data show that things have got worse; look at what the change affected."
        if improving[after_idx].any():
            ending = "the data show that things have got worse again after an earlier improvement."
    return ChangeVerdict(
        kind=kind,
        sentence=f"{intro}, {evidence}: {ending}",
        points_after=after,
        points_before=before,
        rules=fired,
        sustained=sustained,
        baseline_cl=old_cl,
        baseline_lcl=old_lcl,
        baseline_ucl=old_ucl,
    )


def _evidence(
    fired: tuple[str, ...],
    y_after: np.ndarray,
    lines: dict[str, np.ndarray],
    after_idx: np.ndarray,
    where: str,
    limit: str,
    units: str,
    after: int,
    side_hits: dict[str, np.ndarray],
) -> str:
    """The strongest evidence, in words: beyond a limit, a shift, a trend, two of three near a limit."""
    rule = fired[0] if fired else "outside_limits"
    below = where == "below"
    if rule == "outside_limits":
        k = int(np.count_nonzero(side_hits["outside_limits"][after_idx]))
        return f"{_count(k, units)} {'was' if k == 1 else 'were'} {where} the old {limit} limit"
    if rule == "shift":
        cl = lines["cl"][after_idx]
        side = y_after < cl if below else y_after > cl
        run = _longest_run(side)
        if run == after:
            return f"all {_count(after, units)} are {where} the old average"
        return f"{_count(run, units)} in a row were {where} the old average"
    if rule == "trend":
        length = _trend_length(y_after, falling=below)
        return f"the measure {'fell' if below else 'rose'} for {_count(length, units)} in a row"
    return f"two of three {units} in a row were close to the old {limit} limit"
