"""Choosing the chart from the data: XmR, P/P′ (or U/U′), or a run chart of small numbers.

:func:`choose_chart` looks at a measure's numerators and denominators and says which
chart reads them honestly, and why, in one sentence. The rules (docs/spc.md,
"Choosing the chart"), for a **proportion** (numerator a subset of the denominator):

1. **Small numbers → run chart, no sigma signals.** Control limits rest on the
   normal approximation to the binomial, which holds when a typical period expects
   at least :data:`MIN_EXPECTED` (5) in the numerator *and* outside it:
   ``n·p̄ ≥ 5`` and ``n·(1 − p̄) ≥ 5`` (the textbook rule of thumb; Hart & Hart,
   *Statistical Process Control for Health Care*, 2002, after ASTM; Emura & Lin 2013
   compare it with the alternatives). When the median period falls short (1 patient
   of 1 on lithium, PINCER hazards in a few dozen patients at 2%), limits and their
   signals would be noise: the chart shows counts and a median, nothing is badged.
2. **Large, steady denominators → XmR** (Making Data Count's default). Every period
   expects at least 5 and every denominator is within :data:`STEADY_TOLERANCE` (25%)
   of their mean — the common rule for when one set of limits serves every point.
   With a constant denominator the XmR chart *is* Laney's P′ chart, so it copes with
   the overdispersion of large GP denominators.
3. **Denominators that vary or are small in some periods → limits per point**: a P
   chart, or Laney's P′ when every period is large and the points vary more than the
   binomial allows (the χ² dispersion test on the P chart's z-scores, winsorised at
   10%/90% as for funnel plots, Spiegelhalter 2005, p < :data:`DISPERSION_ALPHA`).

A **rate** (a count per unit of denominator, e.g. appointments per 1,000 patients)
follows the same rules with the Poisson expected count ``n·ū`` and U/U′ charts.
A **score** (a mean of per-patient values, e.g. continuity of care) is not a count:
its expected counts mean nothing, so it is charted as an XmR.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qiloop.errors import InputError
from qiloop.spc.funnel_dispersion import estimate_dispersion, winsorise

FloatArray = NDArray[np.float64]

MIN_EXPECTED = 5.0
"""Fewest expected cases (in and out of the numerator) in a typical period for control limits."""
STEADY_TOLERANCE = 0.25
"""Denominators within this fraction of their mean count as steady (one set of limits fits)."""
DISPERSION_ALPHA = 0.05
"""Overdispersion when the χ² test's p-value is below this."""
DISPERSION_TRIM = 0.1
KINDS: tuple[str, ...] = ("proportion", "rate", "score")


@dataclass(frozen=True)
class ChartChoice:
    """The chart chosen for a series and why (``reason``: one sentence)."""

    chart: str  # "run", "xmr", "p", "pp", "u", "up"
    kind: str  # "proportion", "rate" or "score"
    reason: str
    small_numbers: bool = False  # a run chart because the numbers are too small: no signals at all
    centre: float | None = None  # p̄ (or ū) over the points used, as a ratio
    median_denominator: float | None = None
    median_expected: float | None = None  # n·min(p̄, 1 − p̄) (n·ū for rates) of the median period
    smallest_expected: float | None = None
    steady: bool | None = None
    dispersion_p: float | None = None  # the χ² test's p-value (when denominators vary)
    points_used: int = 0


def _number(value: float) -> str:
    if value >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.1f}"


def choose_chart(
    numerators: Iterable[Any],
    denominators: Iterable[Any],
    *,
    kind: str = "proportion",
    use: Iterable[bool] | None = None,
    min_expected: float = MIN_EXPECTED,
    steady_tolerance: float = STEADY_TOLERANCE,
    alpha: float = DISPERSION_ALPHA,
) -> ChartChoice:
    """Choose the chart for these counts (missing values and zero denominators are left out).

    ``use`` – which points to judge by (e.g. not the start-up months); all when None.

    >>> choose_chart([1, 0, 1], [1, 1, 2]).chart
    'run'
    >>> choose_chart([50, 55, 48, 52], [1000, 1010, 990, 1005]).chart
    'xmr'
    """
    if kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    num = np.asarray(list(numerators), dtype=float)
    den = np.asarray(list(denominators), dtype=float)
    if num.size != den.size:
        raise InputError(f"{num.size} numerators but {den.size} denominators: give one of each per period")
    mask = np.ones(num.size, dtype=bool) if use is None else np.asarray(list(use), dtype=bool)
    if mask.size != num.size:
        raise InputError(f"use has {mask.size} values for {num.size} periods")
    ok = mask & ~np.isnan(num) & ~np.isnan(den) & (den > 0)
    if np.any(num[ok] < 0):
        raise InputError("a numerator is negative: counts cannot be negative")
    if kind == "proportion" and np.any(num[ok] > den[ok]):
        raise InputError(
            "a numerator is larger than its denominator, which a proportion cannot be",
            hint="say kind='rate' for counts per unit (e.g. appointments per patient)",
        )
    n, y = den[ok], num[ok]
    used = int(ok.sum())
    if used == 0:
        return ChartChoice("run", kind, "No period has anyone in the denominator, so there is nothing to chart.", True)
    median_den = float(np.median(n))
    if kind == "score":
        return ChartChoice(
            "xmr",
            kind,
            "An XmR chart (the Making Data Count default): the value is a mean of per-patient scores, "
            "not a count, so its limits come from the moving ranges.",
            centre=float(y.sum() / n.sum()),
            median_denominator=median_den,
            points_used=used,
        )
    centre = float(y.sum() / n.sum())
    share = min(centre, 1 - centre) if kind == "proportion" else centre
    expected = n * share
    median_expected, smallest = float(np.median(expected)), float(expected.min())
    steady = bool(np.all(np.abs(n - n.mean()) <= steady_tolerance * n.mean()))
    facts: dict[str, Any] = {
        "kind": kind,
        "centre": centre,
        "median_denominator": median_den,
        "median_expected": median_expected,
        "smallest_expected": smallest,
        "steady": steady,
        "points_used": used,
    }
    limits_word = "proportion" if kind == "proportion" else "rate"
    if median_expected < min_expected:
        if centre in (0.0, 1.0) and kind == "proportion":
            what = "no one" if centre == 0 else "everyone"
            reason = (
                f"A run chart of the counts without control limits: in every period {what} in the "
                "denominator is in the numerator, so there is no variation for limits to measure."
            )
        elif kind == "proportion":
            reason = (
                f"A run chart of the counts without control limits or signals: a typical period has "
                f"{_number(median_den)} in the denominator, so only {_number(median_expected)} are expected "
                f"{'in' if centre <= 0.5 else 'outside'} the numerator, fewer than the {_number(min_expected)} "
                "that control limits need (n·p̄ ≥ 5 and n·(1 − p̄) ≥ 5)."
            )
        else:
            reason = (
                f"A run chart of the counts without control limits or signals: a typical period expects "
                f"{_number(median_expected)} events, fewer than the {_number(min_expected)} that control "
                "limits need (n·ū ≥ 5)."
            )
        return ChartChoice("run", small_numbers=True, reason=reason, **facts)
    low, high = _number(float(n.min())), _number(float(n.max()))
    if smallest >= min_expected and steady:
        return ChartChoice(
            "xmr",
            reason=(
                f"An XmR chart (the Making Data Count default): every denominator is within "
                f"{steady_tolerance:.0%} of their average of {_number(float(n.mean()))} and large enough "
                f"(at least {_number(smallest)} expected), so one set of limits from the moving ranges fits every "
                "point."
            ),
            **facts,
        )
    z = _z_scores(y, n, centre, kind)
    dispersion_p = None
    if z.size >= 3 and np.all(np.isfinite(z)):
        tested = estimate_dispersion(winsorise(z, DISPERSION_TRIM).z, np.ones(z.size))
        dispersion_p = None if math.isnan(tested.p_value) else tested.p_value
    facts["dispersion_p"] = dispersion_p
    why = (
        f"denominators vary from {low} to {high}"
        if not steady
        else f"some periods are small (as few as {_number(smallest)} expected)"
    )
    prime, plain = ("pp", "p") if kind == "proportion" else ("up", "u")
    name = "P" if kind == "proportion" else "U"
    if smallest >= min_expected and dispersion_p is not None and dispersion_p < alpha:
        return ChartChoice(
            prime,
            reason=(
                f"A {name}′ (Laney) chart with limits for each period: {why}, and the periods differ more than "
                f"a binomial {limits_word} would (dispersion test p = {_p_text(dispersion_p)}), so the limits are "
                "widened by Laney's factor."
            ),
            **facts,
        )
    return ChartChoice(
        plain,
        reason=f"A {name} chart with limits for each period: {why}, so each period's limits follow its own denominator.",
        **facts,
    )


def _z_scores(y: FloatArray, n: FloatArray, centre: float, kind: str) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.sqrt(centre * (1 - centre) / n) if kind == "proportion" else np.sqrt(centre / n)
        return np.asarray((y / n - centre) / sigma, dtype=float)


def _p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"
