"""Reading an audit: more than two points in time.

For each criterion and each round: the met share with its **Wilson score interval** (95%) and whether the standard
is met; between consecutive rounds: the change in percentage points with **Newcombe's hybrid score interval**
(method 10 of Newcombe 1998, built from the two Wilson intervals) and whether it is more than chance would explain;
and, for criteria from a library measure, the monthly SPC verdict between the rounds
(:func:`qiloop.improvement.change.assess_change`, with the change as the marker).

>>> low, high = wilson_interval(81, 263)
>>> round(low, 4), round(high, 4)
(0.2553, 0.3662)
>>> d, low, high = newcombe_difference(48, 80, 56, 70)
>>> round(d, 4), round(low, 4), round(high, 4)
(0.2, 0.0524, 0.3339)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from qiloop.audit.model import Audit, Criterion
from qiloop.improvement.change import ChangeVerdict, assess_change

Z95 = 1.959963984540054


def wilson_interval(met: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for ``met`` of ``n`` (Wilson 1927; Newcombe 1998 method 3)."""
    if n <= 0:
        raise ValueError("the interval needs at least one eligible patient")
    p = met / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_difference(met1: int, n1: int, met2: int, n2: int, z: float = Z95) -> tuple[float, float, float]:
    """The difference p2 − p1 with Newcombe's hybrid score interval (Newcombe 1998, method 10).

    Round 1 is (met1, n1), round 2 (met2, n2): a positive difference means round 2 is higher.
    """
    p1, p2 = met1 / n1, met2 / n2
    l1, u1 = wilson_interval(met1, n1, z)
    l2, u2 = wilson_interval(met2, n2, z)
    d = p2 - p1
    lower = d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    upper = d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return d, lower, upper


def percent(share: float, places: int = 0) -> str:
    """A share as a percentage, rounded half up (0.625 → '63%')."""
    quantum = Decimal(1).scaleb(-places)
    return f"{Decimal(repr(share * 100)).quantize(quantum, rounding=ROUND_HALF_UP)}%"


def _points(value: float) -> str:
    return f"{Decimal(repr(value * 100)).quantize(Decimal(1), rounding=ROUND_HALF_UP)}"


def _day(day: dt.date) -> str:
    return f"{day:%-d %B %Y}"


@dataclass(frozen=True)
class RoundReading:
    round: int
    reference_date: dt.date
    met: int
    eligible: int
    excluded: int
    share: float
    lower: float
    upper: float
    standard_met: bool | None  # None when the criterion has no standard


@dataclass(frozen=True)
class Difference:
    from_round: int
    to_round: int
    difference: float  # later minus earlier, as a share
    lower: float
    upper: float

    @property
    def beyond_chance(self) -> bool:
        """The 95% interval excludes no change."""
        return self.lower > 0 or self.upper < 0

    @property
    def sentence(self) -> str:
        way = "up" if self.difference > 0 else "down" if self.difference < 0 else "unchanged"
        size = f"{way} {_points(abs(self.difference))} percentage points" if way != "unchanged" else "unchanged"
        interval = f"95% interval {_points(self.lower)} to {_points(self.upper)}"
        verdict = (
            "more than chance alone would explain" if self.beyond_chance else "within what chance alone could explain"
        )
        return f"From round {self.from_round} to round {self.to_round}: {size} ({interval}), {verdict}."


@dataclass(frozen=True)
class CriterionReading:
    criterion: Criterion
    rounds: tuple[RoundReading, ...]
    differences: tuple[Difference, ...]
    verdict: ChangeVerdict | None
    sentence: str


def read_criterion(
    audit: Audit,
    criterion: Criterion,
    *,
    series: tuple[Sequence[Any], Sequence[float], Sequence[float]] | None = None,
) -> CriterionReading:
    """The reading of one criterion over every collection that counts it.

    ``series`` – for a library criterion, the monthly (dates, met, eligible) around the rounds; the verdict judges
    the months on or after the first change against the months before it.
    """
    standard = criterion.standard_percent
    rounds = []
    for collection in sorted(audit.collections, key=lambda c: c.round):
        count = collection.counts.get(criterion.number)
        if count is None or count.eligible <= 0:
            continue
        low, high = wilson_interval(count.met, count.eligible)
        share = count.met / count.eligible
        rounds.append(
            RoundReading(
                round=collection.round,
                reference_date=collection.reference_date,
                met=count.met,
                eligible=count.eligible,
                excluded=count.excluded,
                share=share,
                lower=low,
                upper=high,
                standard_met=None if standard is None else share * 100 >= standard - 1e-9,
            )
        )
    differences = []
    for before, after in zip(rounds, rounds[1:], strict=False):
        d, low, high = newcombe_difference(before.met, before.eligible, after.met, after.eligible)
        differences.append(Difference(before.round, after.round, d, low, high))
    verdict = None
    change = _first_change_between(audit, rounds)
    if series is not None and change is not None:
        x, met, eligible = series
        verdict = assess_change(list(x), list(met), change, n=list(eligible), low_is_good=False, label="the change")
    return CriterionReading(
        criterion, tuple(rounds), tuple(differences), verdict, _sentence(audit, criterion, rounds, differences, verdict)
    )


def _first_change_between(audit: Audit, rounds: list[RoundReading]) -> dt.date | None:
    if len(rounds) < 1:
        return None
    dates = sorted(c.implemented_on for c in audit.changes if c.implemented_on is not None)
    after_first = [d for d in dates if d >= rounds[0].reference_date]
    return after_first[0] if after_first else None


def _standard_text(criterion: Criterion, reading: RoundReading) -> str:
    if criterion.standard_percent is None:
        return ""
    standard = percent(criterion.standard_percent / 100)
    return f" (standard {standard}: {'met' if reading.standard_met else 'not met'})"


def _sentence(
    audit: Audit,
    criterion: Criterion,
    rounds: list[RoundReading],
    differences: list[Difference],
    verdict: ChangeVerdict | None,
) -> str:
    name = f"Criterion {criterion.number}"
    if not rounds:
        return f"{name} has no collection yet."
    first = rounds[0]
    text = (
        f"{name} was met for {percent(first.share)} of {first.eligible} patients on {_day(first.reference_date)}"
        f"{_standard_text(criterion, first)}"
    )
    changes = sorted(c.implemented_on for c in audit.changes if c.implemented_on is not None)
    for previous, reading in zip(rounds, rounds[1:], strict=False):
        between = [d for d in changes if previous.reference_date <= d < reading.reference_date]
        lead = f"after the change on {_day(between[0])}, " if between else "then "
        text += (
            f"; {lead}{percent(reading.share)} of {reading.eligible} on {_day(reading.reference_date)}"
            f"{_standard_text(criterion, reading)}"
        )
    text += "."
    for difference in differences:
        text += " " + difference.sentence
    if verdict is not None:
        text += " The monthly chart: " + verdict.sentence[0].lower() + verdict.sentence[1:]
    return text


def read_audit(
    audit: Audit, series: dict[int, tuple[Sequence[Any], Sequence[float], Sequence[float]]] | None = None
) -> list[CriterionReading]:
    """Every criterion's reading, in criterion order; ``series`` by criterion number for library criteria."""
    series = series or {}
    return [
        read_criterion(audit, c, series=series.get(c.number)) for c in sorted(audit.criteria, key=lambda c: c.number)
    ]
