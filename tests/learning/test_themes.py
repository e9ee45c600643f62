"""Thematic review counts and the days between events (the series a T chart reads)."""

from __future__ import annotations

from datetime import date

import pytest

from qiloop.learning.themes import days_between, in_period, theme_counts
from qiloop.spc import spc

EVENTS = [
    {
        "occurred_on": date(2026, 1, 5),
        "process": "5",
        "involved_agents": ["4", "9"],
        "factors": ["tools_technology"],
        "physical_harm": "5",
        "psychological_harm": "4",
    },
    {
        "occurred_on": date(2026, 2, 9),
        "process": "5",
        "involved_agents": ["4"],
        "factors": ["tools_technology", "tasks"],
        "physical_harm": "4",
        "psychological_harm": "4",
    },
    {"occurred_on": date(2026, 3, 1), "process": "8", "involved_agents": ["4", "4"], "factors": ["communication"]},
    {"occurred_on": date(2025, 12, 31), "process": "1", "factors": ["person"]},
]


def test_counts_by_each_dimension_most_first_each_event_once_per_value():
    counts = theme_counts(in_period(EVENTS, date(2026, 1, 1), date(2026, 3, 31)))
    assert counts["process"] == [
        ("5", "Planning or prescribing", 2),
        ("8", "Referral, escalation or change to a different service or setting", 1),
    ]
    assert counts["agent"] == [("4", "Medications", 3), ("9", "IT Systems or Software", 1)]
    assert counts["factor"] == [
        ("tools_technology", "Tools and technology", 2),
        ("communication", "Communication and information", 1),
        ("tasks", "Tasks", 1),
    ]
    assert counts["physical_harm"] == [("4", "Low physical harm", 1), ("5", "No physical harm", 1)]
    assert counts["psychological_harm"] == [("4", "No psychological harm", 2)]


def test_period_includes_both_ends_and_refuses_a_backwards_period():
    assert len(in_period(EVENTS, date(2026, 1, 5), date(2026, 3, 1))) == 3
    with pytest.raises(ValueError, match="The period ends"):
        in_period(EVENTS, date(2026, 3, 1), date(2026, 1, 1))


def test_days_between_by_hand():
    assert days_between([e["occurred_on"] for e in EVENTS]) == [
        (date(2026, 1, 5), 5),
        (date(2026, 2, 9), 35),
        (date(2026, 3, 1), 20),
    ]
    assert days_between([date(2026, 1, 1)]) == []


def test_the_days_between_make_a_t_chart():
    gaps = days_between([date(2026, 1, 1), date(2026, 1, 8), date(2026, 1, 20), date(2026, 2, 2), date(2026, 2, 9)])
    result = spc([d for _, d in gaps], x=[when for when, _ in gaps], chart="t")
    assert result.summary.chart == "t"
    assert len(result.points) == 4
