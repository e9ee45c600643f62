"""Tasks and QI time in a real browser: the hours chart draws under the CSP, and the pages pass axe-core at 1280 and 320 px.

Skipped like test_web_browser.py when Debian's Chromium or playwright is absent.
Set QILOOP_SCREENSHOTS=DIR to keep screenshots of the pages.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from test_web_browser import new_page, serious_violations, sign_in, wait_for_charts  # noqa: F401
from web_universe import build_universe

from qiloop_web.teamwork import actions


@pytest.fixture
def teamwork_universe(transactional_db):
    universe = build_universe()
    people, practice, today = universe.people, universe.practice, timezone.localdate()
    for key, days, title in [("gp", -3, "Audit the NSAID list"), ("receptionist", 5, "Count last month's DNAs")]:
        actions.create_task(
            practice=practice, title=title, owner=people[key], due_on=today + timedelta(days=days), by=people["gp"]
        )
    for key, day, minutes in [("gp", date(2026, 1, 5), 90), ("practice_nurse", date(2026, 1, 9), 45)]:
        actions.record_time(practice=practice, by=people[key], spent_on=day, minutes=minutes, meeting="QI huddle")
    actions.record_time(practice=practice, by=people["gp"], spent_on=date(2026, 3, 2), minutes=60, meeting="Audit")
    return universe


PAGES = [
    "/my-tasks/",
    "/practices/A00001/",
    "/practices/A00001/tasks/",
    "/practices/A00001/tasks/new/",
    "/practices/A00001/qi-time/",
    "/practices/A00001/qi-time/new/",
]


@pytest.mark.parametrize("width", [1280, 320])
def test_teamwork_pages_draw_and_pass_axe(browser, teamwork_universe, live_server, width):
    base = live_server.url
    keep = os.environ.get("QILOOP_SCREENSHOTS")
    page = new_page(browser, width)
    sign_in(page, base, "gp@example.nhs.uk")
    found = {}
    for path in PAGES:
        page.goto(base + path)
        charts = wait_for_charts(page)
        if path.endswith("/qi-time/"):
            assert charts == 1
            assert page.locator("#chart-qi-time svg rect, #chart-qi-time svg path").count() > 0
        assert page.problems == [], path
        if keep:
            name = "teamwork_" + path.strip("/").replace("/", "_")
            page.screenshot(path=str(Path(keep) / f"{name}-{width}.png"), full_page=True)
        found[path] = serious_violations(page, base)
        scroll = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert scroll <= 0, f"{path} scrolls sideways at {width} px"
        page.problems.clear()
    assert found == {path: [] for path in PAGES}


def test_an_invalid_task_shows_the_error_summary_in_the_browser(browser, teamwork_universe, live_server):
    base = live_server.url
    page = new_page(browser)
    sign_in(page, base, "practice_manager@example.nhs.uk")
    page.goto(f"{base}/practices/A00001/tasks/new/")
    page.get_by_role("button", name="Add task").click()
    page.wait_for_load_state()
    summary = page.locator(".nhsuk-error-summary")
    assert "Enter what needs doing" in summary.inner_text()
    assert "Enter the due date" in summary.inner_text()
    assert serious_violations(page, base) == []
