"""The demo practice's worked example project: built through the actions, once, and it reads as designed."""

from __future__ import annotations

import datetime as dt

from qiloop_web.audit.models import AuditEvent
from qiloop_web.projects.charts import project_charts
from qiloop_web.projects.demo import BASELINE_WEEKS, WEEKS_SINCE_CHANGE, create_demo_project, turnaround_series
from qiloop_web.projects.models import PdsaCycle, Project
from qiloop_web.teamwork.demo import create_demo_teamwork
from qiloop_web.teamwork.models import Task, TimeEntry

TODAY = dt.date(2026, 11, 26)  # a Thursday


def test_turnaround_series_is_weekly_ends_by_today_and_steps_down():
    series = turnaround_series(TODAY)
    assert len(series) == BASELINE_WEEKS + WEEKS_SINCE_CHANGE
    assert series[-1][0] == dt.date(2026, 11, 20)  # the Friday before
    assert all((b[0] - a[0]).days == 7 for a, b in zip(series, series[1:], strict=False))
    before = [v for _, v in series[:BASELINE_WEEKS]]
    after = [v for _, v in series[BASELINE_WEEKS:]]
    assert min(before) > max(after)


def test_demo_project_is_built_once_through_the_actions(universe):
    people = universe.people
    project = create_demo_project(universe.practice, people, today=TODAY)
    again = create_demo_project(universe.practice, people, today=TODAY)
    assert again.pk == project.pk
    assert Project.objects.filter(practice=universe.practice).count() == 1
    assert project.status == "active"
    assert project.members.count() == 5  # the manager who created it and four more roles, a patient among them

    outcome = project.measures.get(role="outcome")
    assert outcome.points.count() == BASELINE_WEEKS + WEEKS_SINCE_CHANGE

    first, second = PdsaCycle.objects.filter(project=project).order_by("pk")
    assert (first.stage, first.decision, first.new_phase) == ("done", "adopt", True)
    assert second.previous_id == first.pk and second.stage == "plan"

    assert AuditEvent.objects.filter(action__startswith="pdsa.").count() >= 5


def test_demo_teamwork_is_built_once_for_the_project(universe):
    project = create_demo_project(universe.practice, universe.people, today=TODAY)
    assert not Task.objects.filter(project=project).exists(), "the project app makes no tasks"
    create_demo_teamwork(project, universe.people, today=TODAY)
    create_demo_teamwork(project, universe.people, today=TODAY)
    assert Task.objects.filter(project=project).count() == 2
    assert Task.objects.filter(project=project, due_on__lt=TODAY).count() == 1
    assert TimeEntry.objects.filter(practice=universe.practice).count() == 5


def test_demo_chart_shows_the_adopted_change_as_an_improvement(universe):
    project = create_demo_project(universe.practice, universe.people, today=dt.date.today())
    charts = {chart.measure.role: chart for chart in project_charts(project) if hasattr(chart, "measure")}
    outcome = charts["outcome"]
    assert outcome.verdict is not None
    assert outcome.verdict.kind == "improvement", outcome.verdict.sentence
