"""The staff QI survey in a real browser (Chromium through Playwright).

The journey: the practice manager opens a round, three staff (a GP, a nurse, a receptionist) answer on a 375 px
phone screen through the round's link, the manager types in two paper questionnaires, closes the round and reads
the results — charts drawn under the CSP. Then every survey page passes axe-core (no serious or critical
violation) at 1280 and 320 px and never scrolls sideways.

Skipped like test_web_browser.py when Debian's Chromium or playwright is absent.
Set QILOOP_SCREENSHOTS=DIR to keep screenshots of the pages.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from test_web_browser import new_page, serious_violations, sign_in, wait_for_charts  # noqa: F401
from web_universe import build_universe

from qiloop_web.survey import actions
from qiloop_web.survey.demo import synthetic_answers
from qiloop_web.survey.models import Response, SurveyRound


@pytest.fixture
def survey_universe(transactional_db):
    return build_universe()


def answer_on_a_phone(browser, base: str, link: str, email: str, role_label: str) -> None:
    page = new_page(browser, 375)
    sign_in(page, base, email)
    page.goto(link)
    page.get_by_label(role_label, exact=True).check()
    page.get_by_role("group", name="Working well together as a team").get_by_label("Very helpful", exact=True).check()
    page.get_by_role("group", name="High level of patient demand").get_by_label(
        "Much more difficult", exact=True
    ).check()
    page.get_by_role("group", name="Which of these have you used in the last 12 months?").get_by_label(
        "Clinical audit"
    ).check()
    page.get_by_label("Agree", exact=True).check()
    page.get_by_label("What would help your practice most to improve quality?").fill("Protected time each month")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_load_state()
    assert "not answered yet" in page.content()
    page.get_by_role("button", name="Send my answers as they are").click()
    page.wait_for_load_state()
    assert "You have answered this survey" in page.inner_text("main")
    assert page.problems == []
    page.context.close()


def test_journey_open_answer_on_phones_close_and_read(browser, survey_universe, live_server):
    base = live_server.url
    manager = new_page(browser)
    sign_in(manager, base, "practice_manager@example.nhs.uk")
    manager.goto(f"{base}/organisations/A00001/")
    manager.get_by_role("link", name="Staff QI survey").click()
    manager.get_by_role("link", name="Open a new round").click()
    manager.get_by_label("Name of the round").fill("Spring survey")
    manager.get_by_label("Closing date").fill((timezone.localdate() + timedelta(days=14)).isoformat())
    manager.get_by_role("button", name="Open the round").click()
    manager.wait_for_load_state()
    link = manager.locator("#answer-link").inner_text().strip()
    assert link.startswith(base + "/survey/")

    for email, role in [
        ("gp@example.nhs.uk", "GP partner"),
        ("practice_nurse@example.nhs.uk", "Nurse or nursing associate"),
        ("receptionist@example.nhs.uk", "Reception, care navigation or administration"),
    ]:
        answer_on_a_phone(browser, base, link, email, role)
    assert Response.objects.count() == 3

    for _ in range(2):
        manager.goto(manager.url if "/paper/" in manager.url else f"{base}/organisations/A00001/surveys/")
        if "/paper/" not in manager.url:
            manager.get_by_role("link", name="Spring survey").click()
            manager.get_by_role("link", name="Enter answers from a paper questionnaire").click()
        manager.get_by_label("Salaried or locum GP").check()
        manager.get_by_label("Agree", exact=True).check()
        manager.get_by_role("button", name="Save these answers").click()
        manager.wait_for_load_state()
        assert "Paper answers saved" in manager.inner_text("main")
    assert Response.objects.count() == 5

    manager.goto(f"{base}/organisations/A00001/surveys/")
    manager.get_by_role("link", name="Spring survey").click()
    manager.get_by_role("button", name="Close the round and see the results").click()
    manager.wait_for_load_state()
    main = manager.inner_text("main")
    assert "5 responses" in main and "Protected time each month" in main
    assert "Easy to take part in improvement projects (agree)" in main
    # Only the question all five answered has a base of 5: one chart; the others wait for more answers.
    assert wait_for_charts(manager) == 1
    assert manager.locator("#survey-1-ease svg").count() == 1 or manager.locator("[data-vega-spec] svg").count() == 1
    assert manager.problems == []
    assert SurveyRound.objects.get().secret == ""


@pytest.fixture
def closed_round(survey_universe):
    universe = survey_universe
    today = timezone.localdate()
    manager = universe.people["practice_manager"]
    closed = actions.open_round(
        organisation=universe.practice, title="Autumn survey", closes_on=today + timedelta(days=7), by=manager
    )
    import random

    rng = random.Random(5)
    for role in ["gp_partner"] * 5 + ["reception_admin"] * 5 + ["nurse"]:
        actions.enter_paper_response(
            survey_round=closed,
            practice=universe.practice,
            answers=synthetic_answers(role, rng),
            help_most="More time",
            by=manager,
        )
    actions.close_round(survey_round=closed, by=manager)
    current = actions.open_round(
        organisation=universe.practice, title="Spring survey", closes_on=today + timedelta(days=7), by=manager
    )
    return closed, current


@pytest.mark.parametrize("width", [1280, 320])
def test_survey_pages_pass_axe_and_never_scroll_sideways(browser, closed_round, live_server, width):
    closed, current = closed_round
    base = live_server.url
    keep = os.environ.get("QILOOP_SCREENSHOTS")
    pages = {
        "practice_manager@example.nhs.uk": [
            "/organisations/A00001/surveys/",
            "/organisations/A00001/surveys/new/",
            f"/organisations/A00001/surveys/{current.pk}/",
            f"/organisations/A00001/surveys/{current.pk}/paper/",
            f"/organisations/A00001/surveys/{closed.pk}/results/",
            "/practices/A00001/qi-time/",  # the survey's protected-time answers beside the log
        ],
        "gp@example.nhs.uk": ["/organisations/A00001/", f"/survey/{current.link_key}/"],
    }
    found = {}
    for email, paths in pages.items():
        page = new_page(browser, width)
        sign_in(page, base, email)
        for path in paths:
            page.goto(base + path)
            charts = wait_for_charts(page)
            if path.endswith("/results/"):
                assert charts >= 5
            assert page.problems == [], path
            if keep:
                name = "survey_" + path.strip("/").replace("/", "_")
                page.screenshot(path=str(Path(keep) / f"{name}-{width}.png"), full_page=True)
            found[path] = serious_violations(page, base)
            scroll = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert scroll <= 0, f"{path} scrolls sideways at {width} px"
            page.problems.clear()  # axe itself sets inline styles, which the policy reports
        page.context.close()
    assert found == {path: [] for paths in pages.values() for path in paths}
