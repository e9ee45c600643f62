"""A learning event's journey in a real browser, at 1280 and 320 px, with axe-core on every page it passes.

A receptionist reports a near miss from the header's "Report an event" in fewer than ten fields; a GP triages it
to an after action review; the practice nurse records the review's answers, the contributory factors, the
learning and a change with a task; the GP reviews it and closes it. Skipped like test_web_browser.py when
Debian's Chromium or playwright is absent. Set QILOOP_SCREENSHOTS=DIR to keep screenshots.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from test_web_browser import new_page, serious_violations, sign_in  # noqa: F401
from web_universe import build_universe

from qiloop_web.learning.models import LearningEvent
from qiloop_web.teamwork.models import Task


@pytest.fixture
def learning_universe(transactional_db):
    return build_universe()


class Checked:
    """Visits pages, checking each for console errors, sideways scrolling and serious axe violations."""

    def __init__(self, page, base: str, width: int):
        self.page, self.base, self.width = page, base, width
        self.found: dict[str, list[str]] = {}
        self.keep = os.environ.get("QILOOP_SCREENSHOTS")

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state()
        assert page.problems == [], name
        scroll = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert scroll <= 0, f"{name} scrolls sideways at {self.width} px"
        self.found[name] = serious_violations(page, self.base)
        page.problems.clear()  # axe itself trips the CSP (it probes with inline styles): not the page's fault
        if self.keep:
            page.screenshot(path=str(Path(self.keep) / f"learning_{name}-{self.width}.png"), full_page=True)

    def click(self, role: str, name: str) -> None:
        self.page.get_by_role(role, name=name, exact=True).first.click()
        self.page.wait_for_load_state()


def fill_date(page, field: str, when) -> None:
    page.fill(f"#id_{field}", str(when.day))
    page.fill(f"#id_{field}_month", str(when.month))
    page.fill(f"#id_{field}_year", str(when.year))


@pytest.mark.parametrize("width", [1280, 320])
def test_a_near_miss_from_report_to_closed(browser, learning_universe, live_server, width):
    base, today = live_server.url, timezone.localdate()
    occurred = today - timedelta(days=2)

    # A receptionist reports a near miss from the header link, in fewer than ten fields.
    page = new_page(browser, width)
    visit = Checked(page, base, width)
    sign_in(page, base, "receptionist@example.nhs.uk")
    link = page.get_by_role("link", name="Report an event")
    if not link.is_visible():
        page.get_by_role("button", name="Browse More").click()
    link.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Report an event"
    visit.check("report")
    filled = 0
    for selector, value in [
        ("#id_title", "Letter nearly sent to the wrong record"),
        ("#id_description", "A referral letter was attached to the wrong record; spotted before it was sent."),
    ]:
        page.fill(selector, value)
        filled += 1
    for selector, value in [
        ("#id_event_type", "incident"),
        ("#id_location", "11"),
        ("#id_process", "8"),
        ("#id_physical_harm", "5"),
        ("#id_psychological_harm", "4"),
    ]:
        page.select_option(selector, value)
        filled += 1
    fill_date(page, "occurred_on", occurred)
    filled += 1
    assert filled < 10
    visit.click("button", "Report the event")
    assert "Event 1 reported" in page.inner_text("main")
    visit.check("reported")
    event = LearningEvent.objects.get()
    page.context.close()

    # A GP triages it to an after action review.
    page = new_page(browser, width)
    visit.page = page
    sign_in(page, base, "gp@example.nhs.uk")
    detail = f"{base}/practices/A00001/learning/{event.pk}/"
    page.goto(detail)
    visit.check("detail")
    visit.click("button", "Move to triage")
    visit.click("link", "Triage the event")
    page.select_option("#id_response_type", "after_action_review")
    visit.check("triage")
    visit.click("button", "Save")
    visit.click("button", "Move to analysis")
    assert "Analysis" in page.inner_text("main")
    page.context.close()

    # The practice nurse records the review's answers, the factors, the learning and a change with a task.
    page = new_page(browser, width)
    visit.page = page
    sign_in(page, base, "practice_nurse@example.nhs.uk")
    page.goto(detail)
    visit.click("link", "Record the analysis")
    visit.check("analysis")
    page.get_by_label("What was expected to happen?").fill("The letter goes to the right record.")
    page.get_by_label("What actually happened?").fill("It was attached to another record.")
    page.get_by_label("Why was there a difference?").fill("Two records were open at once.")
    page.get_by_label("What will we do next time?").fill("Close one record before opening the next.")
    page.fill("#id_what_happened", "A letter was attached to the wrong record.")
    page.fill("#id_why", "Two records open at once in a busy session; the names look alike on screen.")
    page.get_by_label("Tools and technology").check()
    page.get_by_label("Tasks", exact=True).check()
    page.fill("#id_what_learned", "One record open at a time when filing letters.")
    fill_date(page, "meeting_on", today)
    visit.click("button", "Save")
    visit.click("button", "Move to agreeing changes")
    visit.click("link", "Add a change as an action")
    visit.check("action")
    page.fill("#id_title", "Add the one-record rule to the filing guide")
    page.select_option("#id_owner", label="Practice Manager (Practice manager)")
    fill_date(page, "due_on", today + timedelta(days=14))
    visit.click("button", "Add the change")
    assert "Action added for Practice Manager" in page.inner_text("main")
    visit.click("link", "Record what has changed")
    page.fill("#id_what_changed", "The filing guide says: one record open at a time.")
    visit.check("change")
    visit.click("button", "Save")
    visit.click("button", "Move to monitoring")
    page.context.close()

    # The GP reviews it and closes it.
    page = new_page(browser, width)
    visit.page = page
    sign_in(page, base, "gp@example.nhs.uk")
    page.goto(detail)
    visit.click("link", "Record the review")
    fill_date(page, "reviewed_on", today)
    page.fill("#id_review_outcome", "No repeat since; the guide is in use.")
    visit.check("review")
    visit.click("button", "Save")
    visit.click("button", "Move to closed")
    assert "is now closed" in page.inner_text("main")
    visit.check("closed")
    page.goto(detail + "record/")
    visit.check("record")
    page.goto(detail + "lfpse/")
    visit.check("lfpse")

    event.refresh_from_db()
    assert event.stage == "closed" and sorted(event.factors) == ["tasks", "tools_technology"]
    assert Task.objects.get(learning_link__event=event).owner.email == "practice_manager@example.nhs.uk"
    assert visit.found == {name: [] for name in visit.found}
    assert len(visit.found) == 11


@pytest.mark.parametrize("width", [1280, 320])
def test_list_themes_and_network_pages_pass_axe(browser, learning_universe, live_server, width):
    from qiloop_web.learning.demo import create_demo_events
    from qiloop_web.learning.models import LearningEvent as Event

    create_demo_events(learning_universe.practice, learning_universe.people)
    base = live_server.url
    page = new_page(browser, width)
    visit = Checked(page, base, width)
    sign_in(page, base, "gp@example.nhs.uk")
    shared = Event.objects.get(share_learning=True)
    for name, path in [
        ("list", "/practices/A00001/learning/"),
        ("themes", "/practices/A00001/learning/themes/?process=5"),
        ("demo-event", f"/practices/A00001/learning/{shared.pk}/"),
        ("organisation", "/organisations/A00001/"),
    ]:
        page.goto(base + path)
        visit.check(name)
    page.goto(base + "/practices/A00001/learning/themes/?process=5")
    assert page.locator("figure svg").count() == 1  # the T chart of days between prescribing events
    page.context.close()
    page = new_page(browser, width)
    visit.page = page
    sign_in(page, base, "network_qi_lead@example.nhs.uk")
    page.goto(base + "/networks/QPCN1/learning/")
    assert "Hospital letters that stop or change medicines" in page.inner_text("main")
    visit.check("network")
    assert visit.found == {name: [] for name in visit.found}
