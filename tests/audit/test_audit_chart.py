"""The criterion chart: a point and interval per round, the standard as a line, colours that agree with the words."""

from __future__ import annotations

import datetime as dt

from qiloop.audit.model import Audit, Collection, Count, Criterion, Reason
from qiloop.audit.reading import read_criterion
from qiloop.charts.audit_chart import audit_rounds_spec
from qiloop.charts.export import to_svg
from qiloop.charts.palette import CONCERN, IMPROVEMENT, TARGET_LINE

CRITERION = Criterion(1, "Protected", "NICE CKS", 80)
AUDIT = Audit("x", Reason.OTHER, criteria=(CRITERION,), collections=(
    Collection(1, dt.date(2026, 3, 31), {1: Count(62, 100)}), Collection(2, dt.date(2026, 7, 31), {1: Count(88, 100)})))  # fmt: skip


def test_rounds_intervals_and_standard():
    reading = read_criterion(AUDIT, CRITERION)
    spec = audit_rounds_spec(reading.rounds, standard_percent=80, description="Criterion 1")
    rows = spec["data"]["values"]
    assert [r["round"] for r in rows] == ["Round 1, 31 Mar 2026", "Round 2, 31 Jul 2026"]
    assert [r["percent"] for r in rows] == [62.0, 88.0]
    assert [r["against_standard"] for r in rows] == ["below the standard", "meets the standard"]
    assert rows[0]["lower"] < 62 < rows[0]["upper"]
    assert rows[0]["lower"] == round(reading.rounds[0].lower * 100, 1)
    colours = spec["layer"][1]["encoding"]["color"]["scale"]
    assert colours == {"domain": ["meets the standard", "below the standard"], "range": [IMPROVEMENT, CONCERN]}
    assert spec["layer"][2]["data"]["values"] == [{"standard": 80.0, "label": "Standard 80%"}]
    assert spec["layer"][2]["mark"]["color"] == TARGET_LINE


def test_without_a_standard_there_is_no_line():
    reading = read_criterion(AUDIT, CRITERION)
    assert len(audit_rounds_spec(reading.rounds, standard_percent=None, description="x")["layer"]) == 2


def test_the_spec_renders():
    reading = read_criterion(AUDIT, CRITERION)
    svg = to_svg(audit_rounds_spec(reading.rounds, standard_percent=80, description="x", width=400))
    assert svg.startswith("<svg") and "Standard 80%" in svg and "Round 2, 31 Jul 2026" in svg
