"""Journeys in a real browser (Playwright in Debian's Chromium) and axe-core on each main page.

Skipped, with the reason, when /usr/bin/chromium or the playwright package is absent. Never runs
``playwright install``: the browser is the system's. Set QILOOP_SCREENSHOTS=DIR to keep screenshots
of the dashboard and a measure page at 1280 and 320 px.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from web_universe import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")

if not CHROMIUM.exists():
    pytest.skip(
        "browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium)", allow_module_level=True
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package (pip install playwright)"
)

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def new_page(browser, width: int = 1280):
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.problems = []  # console errors (a CSP violation would show here)
    page.on("console", lambda message: message.type == "error" and page.problems.append(message.text))
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    return page


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/sign-in/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def serious_violations(page, base: str) -> list[str]:
    page.add_script_tag(url=f"{base}/static/axe-core/axe.min.js")  # by URL: the CSP blocks inline scripts
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def wait_for_charts(page) -> int:
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-vega-spec]')].every(e => e.querySelector('svg') || e.textContent)"
    )
    return page.locator("[data-vega-spec] svg").count()


def test_journey_sign_in_dashboard_measure_download_sign_out(browser, browser_universe, live_server, tmp_path):
    base = live_server.url
    page = new_page(browser)
    sign_in(page, base, "gp@example.nhs.uk")
    page.goto(f"{base}/organisations/A00001/")
    page.get_by_role("link", name="Open the practice dashboard").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Practice dashboard"
    assert wait_for_charts(page) > 0
    page.get_by_role("link", name="Oral NSAID without gastro-protection, aged 65 and over").click()
    page.wait_for_load_state()
    assert wait_for_charts(page) == 1
    page.get_by_role("link", name="Open the action list").click()
    page.wait_for_load_state()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as CSV").click()
    saved = tmp_path / "action-list.csv"
    download_info.value.save_as(saved)
    assert saved.read_text().startswith("patient_id,Oral NSAID — last issued,Age")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    page.goto(f"{base}/practices/A00001/")
    assert "/sign-in/" in page.url
    assert page.problems == []


MAIN_PAGES = [
    ("gp@example.nhs.uk", "/practices/A00001/"),
    ("gp@example.nhs.uk", "/practices/A00001/measures/pincer_a/"),
    ("gp@example.nhs.uk", "/practices/A00001/measures/pincer_a/action-list/"),
    ("network_qi_lead@example.nhs.uk", "/networks/QPCN1/"),
    ("network_qi_lead@example.nhs.uk", "/networks/QPCN1/measures/dna_rate/"),
    ("icb_analyst@example.nhs.uk", "/organisations/QICB/data/"),
]


@pytest.mark.parametrize("width", [1280, 320])
def test_main_pages_have_no_serious_accessibility_violations(browser, browser_universe, live_server, width):
    base = live_server.url
    keep = os.environ.get("QILOOP_SCREENSHOTS")
    found = {}
    signed_in = None
    page = new_page(browser, width)
    for email, path in MAIN_PAGES:
        if email != signed_in:
            page.context.clear_cookies()
            sign_in(page, base, email)
            signed_in = email
        page.goto(base + path)
        wait_for_charts(page)
        assert page.problems == [], path  # before axe-core, whose own checks set inline styles
        if keep:
            name = path.strip("/").replace("/", "_")
            page.screenshot(path=str(Path(keep) / f"{name}-{width}.png"), full_page=True)
            height = page.evaluate("() => document.documentElement.scrollHeight")
            for i, top in enumerate(range(0, min(height, 2400), 1200)):  # readable slices for people to look at
                clip = {"x": 0, "y": top, "width": width, "height": min(1200, height - top)}
                page.screenshot(path=str(Path(keep) / f"{name}-{width}-part{i}.png"), full_page=True, clip=clip)
        found[path] = serious_violations(page, base)
        scroll = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert scroll <= 0, f"{path} scrolls sideways at {width} px"
        page.problems.clear()
    assert found == {path: [] for _email, path in MAIN_PAGES}
