"""QI time totals by role and month: the table, the CSV and the Vega-Lite stacked bar chart.

The figures are the evidence that QI needs protected time, so they are
computed one way and shown three ways: a chart for sighted users, a table
(its text alternative, always in the page) and a CSV download. Each month
from the first month with time to the last appears, months with none as 0,
so a gap in the bars is a real gap.

``by_role_and_month`` takes plain ``(month, role, minutes)`` rows, so it is
tested with hand-made figures; the chart spec comes from
``qiloop.charts.monthly_stacked_bar_spec`` (no Vega-Lite is written here).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from qiloop.charts.bar_chart import monthly_stacked_bar_spec
from qiloop.csv_safety import neutralise_row
from qiloop.months import shift_month
from qiloop_web.organisations.roles import Role

# One colour per role, always the same (NHS identity colours); the table says the same in words.
ROLE_COLOURS: dict[str, str] = {
    Role.GP.value: "#005EB8",
    Role.PRACTICE_MANAGER.value: "#330072",
    Role.PRACTICE_NURSE.value: "#00A499",
    Role.PHARMACIST.value: "#ED8B00",
    Role.HEALTHCARE_ASSISTANT.value: "#AE2573",
    Role.RECEPTIONIST.value: "#425563",
    Role.HEALTH_SECRETARY.value: "#007F3B",
    Role.PATIENT_REPRESENTATIVE.value: "#FFB81C",
}
_OTHER_COLOUR = "#768692"
_ROLE_ORDER = [role.value for role in Role]


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_label(month: date) -> str:
    return f"{month:%B %Y}"


def _next_month(month: date) -> date:
    return shift_month(month, 1)


def hours(minutes: int) -> str:
    """Minutes as hours to one decimal place, halves rounded up as people expect: 90 -> "1.5", 45 -> "0.8"."""
    value = (Decimal(minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value:,}"


@dataclass(frozen=True)
class Totals:
    """Minutes of QI time per (month, role); ``months`` run from the first to the last month with any time."""

    months: list[date]
    roles: list[str]
    minutes: dict[tuple[date, str], int] = field(default_factory=dict)

    def cell(self, month: date, role: str) -> int:
        return self.minutes.get((month, role), 0)

    def month_total(self, month: date) -> int:
        return sum(self.cell(month, role) for role in self.roles)

    def role_total(self, role: str) -> int:
        return sum(self.cell(month, role) for month in self.months)

    @property
    def total(self) -> int:
        return sum(self.minutes.values())

    @property
    def is_empty(self) -> bool:
        return not self.minutes


def by_role_and_month(rows: Iterable[tuple[date, str, int]]) -> Totals:
    """Add up ``(day or month, role, minutes)`` rows into totals per calendar month and role."""
    minutes: dict[tuple[date, str], int] = {}
    for day, role, spent in rows:
        key = (month_start(day), str(role))
        minutes[key] = minutes.get(key, 0) + int(spent)
    minutes = {key: value for key, value in minutes.items() if value}
    if not minutes:
        return Totals(months=[], roles=[])
    first, last = min(month for month, _ in minutes), max(month for month, _ in minutes)
    months = [first]
    while months[-1] < last:
        months.append(_next_month(months[-1]))
    present = {role for _, role in minutes}
    roles = sorted(present, key=lambda role: (_ROLE_ORDER.index(role) if role in _ROLE_ORDER else 99, role))
    return Totals(months=months, roles=roles, minutes=minutes)


def role_label(role: str) -> str:
    return Role(role).label if role in Role.values else role


def table(totals: Totals) -> dict[str, object]:
    """The table the page shows: a row per month, a column per role, totals on the right and at the bottom."""
    return {
        "roles": [role_label(role) for role in totals.roles],
        "rows": [
            {
                "month": month_label(month),
                "cells": [(role_label(role), hours(totals.cell(month, role))) for role in totals.roles],
                "total": hours(totals.month_total(month)),
            }
            for month in totals.months
        ],
        "role_totals": [(role_label(role), hours(totals.role_total(role))) for role in totals.roles],
        "total": hours(totals.total),
    }


def to_csv(totals: Totals) -> str:
    """One row per month and role with any time: month (YYYY-MM), role, its label, minutes and hours."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["month", "role", "role_label", "minutes", "hours"])  # cells through neutralise_row (OWASP)
    for month in totals.months:
        for role in totals.roles:
            spent = totals.cell(month, role)
            if spent:
                writer.writerow(neutralise_row([f"{month:%Y-%m}", role, role_label(role), spent, f"{spent / 60:.2f}"]))
    return out.getvalue()


def sentence(totals: Totals) -> str:
    """The figures in one or two plain sentences (the chart's short description)."""
    if totals.is_empty:
        return "No QI time has been recorded yet."
    busiest = max(totals.months, key=totals.month_total)
    top_role = max(totals.roles, key=totals.role_total)
    span = (
        month_label(totals.months[0])
        if len(totals.months) == 1
        else f"{month_label(totals.months[0])} to {month_label(totals.months[-1])}"
    )
    return (
        f"{hours(totals.total)} hours of QI time recorded from {span}. "
        f"The most in one month was {hours(totals.month_total(busiest))} hours in {month_label(busiest)}; "
        f"{role_label(top_role)} recorded the most time ({hours(totals.role_total(top_role))} hours). "
        "The table gives every figure."
    )


def chart_spec(totals: Totals) -> dict[str, object]:
    """A Vega-Lite stacked bar chart (``qiloop.charts``): hours per month, one colour per role, fitted to its column."""
    groups = [(role_label(role), ROLE_COLOURS.get(role, _OTHER_COLOUR)) for role in totals.roles]
    values = {
        (month, role_label(role)): round(totals.cell(month, role) / 60, 2)
        for month in totals.months
        for role in totals.roles
    }
    return monthly_stacked_bar_spec(
        totals.months,
        groups,
        values,
        y_title="Hours",
        legend_title="Role",
        description=sentence(totals),
        width="container",
        value_field="hours",
        group_field="role",
    )


def spec_json(spec: dict[str, object]) -> str:
    """JSON safe inside <script type="application/json"> (no "</script>" can close it)."""
    text = json.dumps(spec)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@dataclass(frozen=True)
class HoursChart:
    """What dashboard/_chart.html needs to draw the chart and say what it shows."""

    element_id: str
    spec_json: str
    text: str
    kind = "hours"


def hours_chart(totals: Totals) -> HoursChart:
    return HoursChart(element_id="chart-qi-time", spec_json=spec_json(chart_spec(totals)), text=sentence(totals))
