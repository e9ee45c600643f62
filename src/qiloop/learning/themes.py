"""Thematic review: what a practice's events have in common over a period, and how often a kind recurs.

:func:`theme_counts` counts events by healthcare process, involved agent, contributory factor and harm;
:func:`days_between` turns the dates of events of one kind into the days between them, the series a
T chart (:func:`qiloop.spc.spc` with ``chart="t"``) reads: a rise means the events have become rarer.

>>> days_between([date(2026, 1, 10), date(2026, 1, 3), date(2026, 2, 1)])
[(datetime.date(2026, 1, 10), 7), (datetime.date(2026, 2, 1), 22)]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from qiloop.learning.taxonomy import FACTORS, HEALTHCARE_PROCESS, INVOLVED_AGENTS, PHYSICAL_HARM, PSYCHOLOGICAL_HARM

#: The dimensions a thematic review counts by, with their words.
DIMENSIONS: dict[str, str] = {
    "process": "Healthcare process",
    "agent": "Involved agent",
    "factor": "Contributory factor",
    "physical_harm": "Physical harm",
    "psychological_harm": "Psychological harm",
}

#: The fewest intervals (events minus one) worth drawing a T chart of.
MIN_T_CHART_INTERVALS = 3


def in_period(events: Iterable[Mapping[str, Any]], start: date, end: date) -> list[Mapping[str, Any]]:
    """The events that happened from ``start`` to ``end`` (both included)."""
    if end < start:
        raise ValueError(f"The period ends ({end:%-d %B %Y}) before it starts ({start:%-d %B %Y}): swap the dates.")
    return [e for e in events if isinstance(e.get("occurred_on"), date) and start <= e["occurred_on"] <= end]


def theme_counts(events: Iterable[Mapping[str, Any]]) -> dict[str, list[tuple[str, str, int]]]:
    """For each of :data:`DIMENSIONS`: (key, words, number of events) for every value met, most first.

    An event counts once under each process, agent and factor it has (so a dimension's counts can add up
    to more than the number of events).
    """
    counters: dict[str, Counter[str]] = {name: Counter() for name in DIMENSIONS}
    for event in events:
        if event.get("process"):
            counters["process"][str(event["process"])] += 1
        for agent in set(event.get("involved_agents") or []):
            counters["agent"][str(agent)] += 1
        for factor in set(event.get("factors") or []):
            counters["factor"][str(factor)] += 1
        for name in ("physical_harm", "psychological_harm"):
            if event.get(name):
                counters[name][str(event[name])] += 1

    def factor_words(key: str | None) -> str:
        return FACTORS[key].label if key in FACTORS else str(key)

    words = {
        "process": HEALTHCARE_PROCESS.label,
        "agent": INVOLVED_AGENTS.label,
        "factor": factor_words,
        "physical_harm": PHYSICAL_HARM.label,
        "psychological_harm": PSYCHOLOGICAL_HARM.label,
    }
    return {
        name: [(key, words[name](key), n) for key, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]
        for name, counter in counters.items()
    }


def days_between(dates: Iterable[date]) -> list[tuple[date, int]]:
    """(date of each event after the first, days since the one before), in date order."""
    ordered = sorted(dates)
    return [(later, (later - earlier).days) for earlier, later in zip(ordered, ordered[1:], strict=False)]
