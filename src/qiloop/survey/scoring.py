"""Scoring a round: each indicator's % with its Wilson 95% interval, set beside the national figures,
under small-number rules so that no answer can be tied to a person.

**Wilson score interval** (Wilson 1927; Newcombe 1998, method 3) for ``k`` of ``n``, z = 1.959964::

    centre = (p + z²/2n) / (1 + z²/n)
    half   = z·√(p(1−p)/n + z²/4n²) / (1 + z²/n)

(8 of 10 → 0.490 to 0.943). Unlike the plain "p ± 1.96·SE" it stays inside 0–1 and behaves at 0% and 100%,
which small practice surveys reach often.

**Differs from the national figure** only when the national value lies outside the interval — a practice of
12 people whose 70% sits beside a national 79% has not shown that it differs.

**Small numbers** (``MIN_RESPONSES`` = 5, as the spec and the NHS staff survey's practice-level reporting):

* nothing at all is shown for a round with fewer than 5 responses;
* a figure is shown only when at least 5 people answered that question (its base, "don't know" left out);
* a role group is shown only with at least 5 responses; smaller groups count only in "all staff";
* and so that a hidden group cannot be found by subtraction (all staff minus the groups shown), when the
  groups hidden hold between 1 and 4 answers together, the smallest group shown is hidden too, until the
  hidden remainder is 0 or at least 5. The same rule runs again for each figure's base.

The GP-versus-practice-manager comparison is shown only when both groups are shown.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qiloop.measures.disclosure import publish_count
from qiloop.survey.instrument import GRID, INDICATORS, MULTI, QUESTION, Indicator, reporting_group
from qiloop.survey.national import National

Z95 = 1.959963984540054
MIN_RESPONSES = 5
ALL = "all"


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for ``k`` successes of ``n`` (n > 0), as proportions."""
    if n <= 0:
        raise ValueError(f"a Wilson interval needs at least one answer (n = {n})")
    if not 0 <= k <= n:
        raise ValueError(f"{k} of {n}: the count must lie between 0 and n")
    p = k / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Figure:
    """One indicator for one group: ``k`` of ``n`` answered positively."""

    indicator: Indicator
    group: str
    k: int
    n: int

    @property
    def proportion(self) -> float:
        return self.k / self.n

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.k, self.n)

    @property
    def national(self) -> National | None:
        return self.indicator.national

    def differs_from(self, national_percent: int | None) -> bool:
        """Whether a national % lies outside this figure's 95% interval."""
        if national_percent is None:
            return False
        low, high = self.interval
        return not (low <= national_percent / 100 <= high)

    @property
    def differs_from_gp(self) -> bool:
        return self.national is not None and self.differs_from(self.national.gp)

    @property
    def differs_from_pm(self) -> bool:
        return self.national is not None and self.differs_from(self.national.pm)


def count(indicator: Indicator, responses: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
    """(k, n): how many answered ``indicator`` positively, of how many answered its question (its base)."""
    question = QUESTION[indicator.question]
    k = n = 0
    for answers in responses:
        value = answers.get(indicator.question)
        if question.kind == GRID:
            value = (value or {}).get(indicator.statement)
        if value in (None, "", [], {}):
            continue
        if question.kind == MULTI:
            n += 1
            k += bool(set(value) & indicator.positive)
        elif value not in question.excluded:
            n += 1
            k += value in indicator.positive
    return k, n


def shown_groups(counts: Mapping[str, int], total: int, minimum: int = MIN_RESPONSES) -> list[str]:
    """The groups that may be shown beside a total: each ≥ ``minimum``, and the hidden rest 0 or ≥ ``minimum``."""
    shown = sorted((g for g, c in counts.items() if c >= minimum), key=lambda g: (counts[g], g))
    while shown and 0 < total - sum(counts[g] for g in shown) < minimum:
        shown.pop(0)  # the smallest shown group joins the hidden ones
    return sorted(shown)


@dataclass
class Report:
    """A round's figures under the small-number rules (see the module docstring)."""

    total: int
    group_counts: dict[str, int]
    groups: list[str]  # shown groups, besides "all"
    figures: dict[tuple[str, str], Figure] = field(default_factory=dict)  # (indicator id, group) -> shown figure

    @property
    def suppressed(self) -> bool:
        return self.total < MIN_RESPONSES

    @property
    def compares_gp_and_pm(self) -> bool:
        return "gp" in self.groups and "practice_manager" in self.groups

    def figure(self, indicator_id: str, group: str = ALL) -> Figure | None:
        return self.figures.get((indicator_id, group))


def score(responses: Sequence[Mapping[str, Any]], indicators: Sequence[Indicator] = INDICATORS) -> Report:
    """Every indicator for all staff and for each role group that may be shown."""
    by_group: dict[str, list[Mapping[str, Any]]] = {}
    for answers in responses:
        by_group.setdefault(reporting_group(answers), []).append(answers)
    counts = {g: len(rs) for g, rs in by_group.items()}
    report = Report(total=len(responses), group_counts=counts, groups=shown_groups(counts, len(responses)))
    if report.suppressed:
        return report
    for indicator in indicators:
        k, n = count(indicator, responses)
        if n < MIN_RESPONSES:
            continue
        report.figures[(indicator.id, ALL)] = Figure(indicator, ALL, k, n)
        per_group = {g: count(indicator, by_group[g]) for g in report.groups}
        for group in shown_groups({g: kn[1] for g, kn in per_group.items()}, n):
            report.figures[(indicator.id, group)] = Figure(indicator, group, *per_group[group])
    return report


def disclosed(report: Report) -> Report:
    """A report for a network view: every count through ``qiloop.measures.disclosure.publish_count``
    (0 stays 0, 1–7 suppressed, else rounded to 5), figures recomputed from the published counts."""
    total = publish_count(report.total)
    out = Report(
        total=int(total or 0),
        group_counts={},
        groups=[],
    )
    if out.suppressed:
        return out
    for (indicator_id, group), figure in report.figures.items():
        if group != ALL:
            continue  # a network view pools practices: role groups stay with each practice
        k, n = publish_count(figure.k), publish_count(figure.n)
        if k is None or n is None or n < MIN_RESPONSES:
            continue
        out.figures[(indicator_id, ALL)] = Figure(figure.indicator, ALL, int(min(k, n)), int(n))
    return out


def free_text_shown(total: int, closed: bool) -> bool:
    """Free-text answers are shown only after the round closes and only with at least MIN_RESPONSES responses."""
    return closed and total >= MIN_RESPONSES
