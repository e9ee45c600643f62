"""Every page with charts, in Chromium: the charts draw and the console stays silent (no warning, no error).

Before, each chart logged "The input spec uses Vega-Lite v5, but the current version of Vega-Lite is
v6.4.3" (38 on the dashboard): the specs' ``$schema`` now names the version the pages load
(tests/charts/test_vega_lite_version.py), and this test catches that or any other warning Vega, Vega-Lite,
vega-embed or the page logs. Skipped like test_web_browser.py without Debian's Chromium or playwright.
Set QILOOP_SCREENSHOTS=DIR to keep a screenshot of each page's first chart.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from test_projects_pdsa import PLAN
from test_web_browser import sign_in, wait_for_charts  # noqa: F401  (browser is a fixture)

from qiloop_web.projects.models import DriverNode, ManualPoint, Project, ProjectMeasure
from qiloop_web.projects.pdsa_actions import create_cycle, decide, update_cycle
from qiloop_web.teamwork import actions as teamwork


def charted_project(universe) -> Project:
    """A project with a manual measure over 18 months, an adopted change (a new phase) and a cycle being tested."""
    gp = universe.people["gp"]
    project = Project.objects.create(practice=universe.practice, title="Fewer missed appointments", status="active")
    primary = DriverNode.objects.create(project=project, kind="primary", text="Patients remember")
    idea = DriverNode.objects.create(project=project, parent=primary, kind="change_idea", text="Text reminders")
    measure = ProjectMeasure.objects.create(
        project=project, role="outcome", title="Missed appointments", unit="%", low_is_good=True
    )
    for m in range(18):
        day = dt.date(2025 + m // 12, m % 12 + 1, 1)
        ManualPoint.objects.create(measure=measure, date=day, value=(10.0 + m % 2 * 2) if m < 12 else 8.0)
    for title, starts_on, adopt in [
        ("Text message reminders two days before every appointment", dt.date(2026, 1, 1), True),
        ("Phone calls to patients who missed two appointments this year", dt.date(2026, 5, 1), False),
    ]:
        cycle = create_cycle(project=project, title=title, change_idea=idea, by=gp)
        update_cycle(cycle=cycle, fields=PLAN | {"starts_on": starts_on}, to="do", by=gp)
        if adopt:
            update_cycle(
                cycle=cycle, fields={"what_happened": "Texts went out", "observations": "-"}, to="study", by=gp
            )
            update_cycle(cycle=cycle, fields={"results": "Fewer missed"}, to="act", by=gp)
            decide(cycle=cycle, decision="adopt", next_step="Keep sending texts", new_phase=True, by=gp)
    return project


@pytest.fixture
def charts_universe(browser_universe):
    universe = browser_universe
    universe.charted = charted_project(universe)
    for key, day, minutes in [("gp", dt.date(2026, 1, 5), 90), ("practice_nurse", dt.date(2026, 3, 9), 45)]:
        teamwork.record_time(
            practice=universe.practice, by=universe.people[key], spent_on=day, minutes=minutes, meeting="QI huddle"
        )
    return universe


def listen(page) -> list[str]:
    heard: list[str] = []
    page.on("console", lambda m: m.type in ("warning", "error") and heard.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda error: heard.append(f"pageerror: {error}"))
    return heard


@pytest.mark.parametrize("width", [1280, 375])
def test_pages_with_charts_log_nothing_in_the_console(browser, charts_universe, live_server, width):
    base = live_server.url
    project = charts_universe.charted
    # (The dashboard's cards are drawn on the server as SVG and load no chart scripts: test_web_dashboard_summary.)
    pages = [
        ("gp@example.nhs.uk", "/practices/A00001/measures/pincer_a/"),
        ("gp@example.nhs.uk", f"/practices/A00001/projects/{project.pk}/"),
        ("gp@example.nhs.uk", f"/practices/A00001/projects/{project.pk}/measures/{project.measures.get().pk}/"),
        ("gp@example.nhs.uk", "/practices/A00001/qi-time/"),
        ("network_qi_lead@example.nhs.uk", "/networks/QPCN1/measures/dna_rate/"),
    ]
    keep = os.environ.get("QILOOP_SCREENSHOTS")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    heard = listen(page)
    signed_in, drawn, said = None, {}, {}
    for email, path in pages:
        if email != signed_in:
            context.clear_cookies()
            sign_in(page, base, email)
            signed_in = email
        heard.clear()
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        drawn[path] = wait_for_charts(page)
        said[path] = list(heard)
        if keep:
            name = "charts_" + path.strip("/").replace("/", "_")
            page.locator("[data-vega-spec]").first.screenshot(path=str(Path(keep) / f"{name}-{width}.png"))
    context.close()
    assert said == {path: [] for _email, path in pages}
    assert {path: count for path, count in drawn.items() if count == 0} == {}, "pages whose charts did not draw"
