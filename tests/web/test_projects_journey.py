"""The QI project journey in a real browser (Playwright in Debian's Chromium), and axe-core on the project pages.

Sign in, create a project from a template, add a change idea to its driver diagram, run a PDSA cycle through
plan, do and study to "adopt" with a new phase, and see the cycle's marker and the new phase on the chart (drawn,
and in its text alternative). Skipped, with the reason, like test_web_browser.py, when Chromium or playwright is
missing; never runs ``playwright install``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from test_web_browser import new_page, serious_violations, sign_in, sync_api, wait_for_charts

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def change_month(measured) -> str:
    """The 13th month of the results: twelve months of baseline before the change, the rest after it."""
    _store, results_dir = measured
    start = json.loads((Path(results_dir) / "manifest.json").read_text())["start"]
    year, month = map(int, start.split("-"))
    index = year * 12 + month - 1 + 12
    return f"{index // 12:04d}-{index % 12 + 1:02d}-01"


def click(page, role: str, name: str, **options) -> None:
    page.get_by_role(role, name=name, **options).click()
    page.wait_for_load_state()


def test_journey_template_project_driver_diagram_pdsa_to_adopt_marker_and_new_phase(
    browser, browser_universe, live_server, measured
):
    base = live_server.url
    page = new_page(browser)
    sign_in(page, base, "practice_nurse@example.nhs.uk")
    page.goto(f"{base}/practices/A00001/projects/new/")
    page.get_by_label("Reduce missed appointments").check()
    click(page, "button", "Create the project")
    assert page.get_by_role("heading", level=1).inner_text() == "Reduce missed appointments"
    project_url = page.url

    click(page, "link", "Change the driver diagram")
    page.get_by_label("Change idea", exact=True).check()
    page.get_by_label("Beneath").select_option(index=1)
    page.get_by_label("Text", exact=True).fill("Text reminder the day before, one GP's list")
    click(page, "button", "Add", exact=True)
    assert page.get_by_text("Text reminder the day before, one GP's list").count() > 0

    page.goto(project_url)
    click(page, "link", "Start a PDSA cycle")
    page.get_by_label("Title of the cycle").fill("Day-before texts")
    page.get_by_label("The change idea it tests").select_option(label="Text reminder the day before, one GP's list")
    click(page, "button", "Start the cycle")
    assert page.get_by_role("heading", level=1).inner_text() == "PDSA 1: Day-before texts"

    # Plan: trying to skip ahead is refused with a clear message
    page.get_by_label("The question this cycle answers").fill("Do day-before texts cut missed appointments?")
    click(page, "button", "Save and move to Do")
    assert "There is a problem" in page.content() and page.title().startswith("Error: ")
    assert page.get_by_role("link", name="Enter what you predict will happen").count() == 1
    assert page.problems == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    page.problems.clear()
    page.get_by_label("What you predict will happen").fill("Missed appointments fall by a fifth on that list.")
    page.get_by_label("Who does what").fill("Reception sends; the nurse counts.")
    page.get_by_label("When", exact=True).fill("Each morning for a month")
    page.get_by_label("Where", exact=True).fill("One GP's list")
    page.get_by_label("The data to collect").fill("Missed appointments per week")
    year, month, day = change_month(measured).split("-")
    page.get_by_label("Day").fill(day)
    page.get_by_label("Month").fill(month)
    page.get_by_label("Year").fill(year)
    click(page, "button", "Save and move to Do")
    page.get_by_label("What happened").fill("Texts went out every morning.")
    page.get_by_label("Observations").fill("A few numbers were out of date.")
    click(page, "button", "Save and move to Study")

    # Study: the charts of the project's measures beside the results
    assert "Study: the results against the prediction" in page.content()
    assert wait_for_charts(page) >= 1
    page.get_by_label("Results against the prediction").fill("Fewer missed appointments, as predicted.")
    click(page, "button", "Save and move to Act")

    assert page.problems == []
    assert serious_violations(page, base) == []  # the act stage, beside the charts
    page.problems.clear()  # axe-core's own checks set inline styles, which the CSP reports
    page.get_by_label("Decision").select_option("adopt")
    page.get_by_label("The next step").fill("Every list from next month.")
    page.get_by_label(re.compile("Start a new phase on the charts")).check()
    click(page, "button", "Record the decision")
    assert "Decision recorded: adopt." in page.content()

    page.goto(project_url)
    assert wait_for_charts(page) >= 1
    chart = page.locator("figure", has=page.locator("[data-vega-spec]")).first
    words = chart.locator(".nhsuk-details__text").text_content()  # inside the closed "Chart in words"
    assert (
        "PDSA 1: Day-before texts" in words
        and "adopted, and a new phase starts here" in words
        and "In 2 phases" in words
    )
    drawn = chart.locator("[data-vega-spec] svg")  # the marker and the new phase, drawn (Vega adds its text marks)
    sync_api.expect(drawn).to_contain_text("PDSA 1: Day-before texts")
    sync_api.expect(drawn).to_contain_text("Phase 2")
    assert page.get_by_text("Done: adopt, new phase").count() == 1
    if keep := os.environ.get("QILOOP_SCREENSHOTS"):
        chart.screenshot(path=str(Path(keep) / "project-chart-after-adopting-1280.png"))
    assert page.problems == []
    assert serious_violations(page, base) == []


def test_project_pages_have_no_serious_accessibility_violations(browser, browser_universe, live_server, measured):
    from projects_universe import build_project

    from qiloop_web.projects import pdsa_actions

    made = build_project(browser_universe)
    gp = browser_universe.people["gp"]
    cycle = pdsa_actions.create_cycle(project=made.project, title="Texts", change_idea=made.change_idea, by=gp)
    plan = dict.fromkeys(("question", "prediction", "who", "when", "where", "data_to_collect"), "Written")
    pdsa_actions.update_cycle(cycle=cycle, fields=plan | {"starts_on": _date(change_month(measured))}, to="do", by=gp)
    pdsa_actions.update_cycle(cycle=cycle, fields={"what_happened": "Ran", "observations": "Fine"}, to="study", by=gp)
    project = f"/practices/A00001/projects/{made.project.pk}/"
    paths = [project, f"{project}cycles/new/", f"{project}cycles/{cycle.pk}/"]
    found = {}
    keep = os.environ.get("QILOOP_SCREENSHOTS")  # a folder to keep full-page screenshots in
    for width in (1280, 320):
        page = new_page(browser, width)
        sign_in(page, live_server.url, "patient_representative@example.nhs.uk")
        for path in paths:
            page.goto(live_server.url + path)
            wait_for_charts(page)
            assert page.problems == [], path
            if keep:
                name = path.strip("/").replace("/", "_")
                page.screenshot(path=str(Path(keep) / f"{name}-{width}.png"), full_page=True)
                height = page.evaluate("() => document.documentElement.scrollHeight")
                for i, top in enumerate(range(0, height, 1200)):  # readable slices for people to look at
                    clip = {"x": 0, "y": top, "width": width, "height": min(1200, height - top)}
                    page.screenshot(path=str(Path(keep) / f"{name}-{width}-part{i}.png"), full_page=True, clip=clip)
            found[(path, width)] = serious_violations(page, live_server.url)
            scroll = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert scroll <= 0, f"{path} scrolls sideways at {width} px"
            page.problems.clear()  # axe-core's own checks set inline styles, which the CSP reports
        # the cycle page with errors (the study stage asked to skip to done)
        page.get_by_role("button", name="Save and move to Act").click()
        page.wait_for_load_state()
        assert "There is a problem" in page.content()
        found[("errors", width)] = serious_violations(page, live_server.url)
        page.context.close()
    assert found == {key: [] for key in found}


def _date(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)
