"""htmx in a real browser: the dashboard's filters swap the chart grid in place, charts drawn, no CSP errors.

Skipped like test_web_browser.py when Debian's Chromium or the playwright package is missing.
"""

from __future__ import annotations

import pytest
from test_web_browser import CHROMIUM, new_page, serious_violations, sign_in, sync_api  # noqa: F401 - skips with it

from qiloop_web.dashboard.pages import shown_measures


def test_the_topic_filter_swaps_the_chart_grid_in_place(browser, browser_universe, live_server):
    base = live_server.url
    page = new_page(browser)
    sign_in(page, base, "gp@example.nhs.uk")
    page.goto(f"{base}/practices/A00001/")
    page.wait_for_selector("#chart-grid figure.qiloop-chart--drawn svg")
    page.evaluate("window.notReloaded = true")  # gone if the page were loaded again
    with page.expect_response(lambda r: "topic=access_continuity" in r.url and r.request.headers.get("hx-request")):
        page.get_by_label("Topic").select_option("access_continuity")
    page.wait_for_function("() => document.querySelectorAll('#chart-grid h2').length === 1")
    assert page.evaluate("window.notReloaded") is True
    assert page.locator("#chart-grid h2").inner_text() == "Access and continuity"
    in_topic = sum(m.topic == "access_continuity" for m in shown_measures().values())
    assert page.locator("#grid-status").inner_text() == f"Showing {in_topic} measures about access and continuity."
    assert "topic=access_continuity" in page.url  # pushed: the filtered view can be bookmarked and shared
    assert page.locator("#chart-grid [data-vega-spec]").count() == 0  # drawn on the server, not in the browser
    charted = (
        page.locator("#chart-grid .nhsuk-card").count()
        - page.locator("#chart-grid .nhsuk-card", has_text="Not enough data").count()
    )
    assert page.locator("#chart-grid .nhsuk-card").count() == in_topic
    assert charted > 0 and page.locator("#chart-grid figure.qiloop-chart--drawn svg").count() == charted
    assert page.problems == []  # no console errors: nothing the Content-Security-Policy blocked
    assert serious_violations(page, base) == []
    page.problems.clear()  # axe-core's own inline styles are refused by the policy; not the page's doing
    page.go_back()  # the unfiltered page again (htmx asks the server for all of it)
    sync_api.expect(page.locator("#chart-grid h2")).to_have_count(3)
    sync_api.expect(page.locator("#chart-grid .nhsuk-card")).to_have_count(len(shown_measures()))
    assert page.url.endswith("/practices/A00001/")
    assert page.problems == []


@pytest.mark.parametrize("width", [1280, 320])
def test_only_concerns_swaps_the_summary_and_the_cards_in_place(browser, browser_universe, live_server, width):
    base = live_server.url
    page = new_page(browser, width)
    sign_in(page, base, "gp@example.nhs.uk")
    page.goto(f"{base}/practices/A00001/")
    every = page.locator("#summary tbody tr").count()
    assert every == len(shown_measures())
    page.evaluate("window.notReloaded = true")
    with page.expect_response(lambda r: "show=concerns" in r.url and r.request.headers.get("hx-request")):
        page.get_by_label("Concerns only").check()
    page.wait_for_function("() => location.search.includes('show=concerns')")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#summary tbody tr')].every(r => r.matches('.qiloop-summary__concern'))"
    )
    assert page.evaluate("window.notReloaded") is True
    concerns = page.locator("#summary tbody tr").count()
    assert concerns < every
    assert page.locator("#chart-grid figure.qiloop-chart--drawn svg").count() == concerns
    assert "with a concern in the latest month" in page.locator("#grid-status").inner_text()
    assert page.problems == []
    assert serious_violations(page, base) == []
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0


@pytest.mark.parametrize("width", [1280, 320])
def test_the_data_page_and_its_errors_are_accessible(browser, browser_universe, live_server, width):
    base = live_server.url
    page = new_page(browser, width)
    sign_in(page, base, "icb_analyst@example.nhs.uk")
    page.goto(f"{base}/organisations/QICB/data/")
    assert page.get_by_label("Or a folder on the server").is_visible()
    assert page.get_by_role("radio", name="The whole network: it replaces every practice's records").is_checked()
    page.get_by_label("Or a folder on the server").fill("/etc")
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    assert page.locator(".nhsuk-error-summary").get_by_text("The folder must be inside the import folder").count()
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    # the page itself answers 400 (the form has errors), which Chromium logs; nothing else may be wrong
    assert [p for p in page.problems if "status of 400 (Bad Request)" not in p] == []
    assert serious_violations(page, base) == []


def test_the_import_page_follows_the_import_without_reloading(browser, browser_universe, live_server, settings):
    from pathlib import Path

    from qiloop_web.dashboard import imports

    job = imports.new_job(Path(settings.VAR_DIR) / "imports", folder=Path("/nowhere"), organisation="QICB")
    imports.write_status(job, state="running", step=imports.STEPS[1])
    base = live_server.url
    page = new_page(browser)
    sign_in(page, base, "icb_analyst@example.nhs.uk")
    page.goto(f"{base}/organisations/QICB/data/imports/{job.name}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Importing"
    page.evaluate("window.notReloaded = true")
    imports.write_status(job, state="done", step="", message="imported 12 rows and recomputed the measures")
    page.wait_for_selector("h1:has-text('Import finished')", timeout=10_000)  # within a poll or two (every 3 s)
    assert page.evaluate("window.notReloaded") is True
    assert page.get_by_text("Imported 12 rows and recomputed the measures.").is_visible()
    assert page.problems == []
