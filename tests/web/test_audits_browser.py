"""A clinical audit in a real browser: create it from the NSAID template, collect, record a change, re-audit,
conclude and complete; the results chart draws under the CSP; the pages pass axe-core at 1280 and 320 px.

Skipped like test_web_browser.py when Debian's Chromium or playwright is absent. Set QILOOP_SCREENSHOTS=DIR to keep
screenshots of the pages.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_web_browser import new_page, serious_violations, sign_in, wait_for_charts  # noqa: F401

from qiloop_web.audits.models import ClinicalAudit


def click(page, role: str, name: str) -> None:
    page.get_by_role(role, name=name).first.click()
    page.wait_for_load_state()


def fill_date(page, name: str, day: int, month: int, year: int) -> None:
    page.locator(f"[name={name}_day]").fill(str(day))
    page.locator(f"[name={name}_month]").fill(str(month))
    page.locator(f"[name={name}_year]").fill(str(year))


def journey(page, base: str) -> ClinicalAudit:
    page.goto(f"{base}/practices/A00001/audits/")
    click(page, "link", "Start a new audit")
    page.get_by_label("NSAID safety in people aged 65 and over (PINCER)").check()
    click(page, "button", "Create the audit")
    assert page.get_by_role("heading", level=1).inner_text() == "NSAID safety in people aged 65 and over (PINCER)"
    click(page, "button", "Move on to first collection")
    click(page, "link", "Record a collection")
    fill_date(page, "reference_date", 31, 3, 2025)
    click(page, "button", "Record the collection")
    assert "Collection recorded." in page.content()
    click(page, "button", "Move on to change")
    click(page, "link", "Record a change")
    page.get_by_label("What did you change?").fill("A monthly search and a prompt to add gastro-protection")
    fill_date(page, "implemented_on", 1, 4, 2025)
    click(page, "button", "Record the change")
    click(page, "link", "Plan the re-audit")
    fill_date(page, "on", 30, 9, 2025)
    click(page, "button", "Save the date")
    click(page, "button", "Move on to re-audit")
    click(page, "link", "Record a collection")
    fill_date(page, "reference_date", 30, 9, 2025)
    click(page, "button", "Record the collection")
    click(page, "link", "Write the conclusion")
    page.get_by_label("Conclusion: what did you learn?").fill("The search and prompt work; keep them.")
    click(page, "button", "Save the conclusion")
    click(page, "button", "Move on to complete")
    assert "The audit is at complete." in page.content()
    return ClinicalAudit.objects.get()


@pytest.mark.parametrize("width", [1280, 320])
def test_an_audit_cycle_in_the_browser_passes_axe(browser, browser_universe, live_server, width):
    base = live_server.url
    keep = os.environ.get("QILOOP_SCREENSHOTS")
    page = new_page(browser, width)
    sign_in(page, base, "gp@example.nhs.uk")
    audit = journey(page, base)
    assert audit.stage == "complete" and audit.collections.count() == 2 and audit.changes.count() == 1
    root = f"/practices/A00001/audits/{audit.pk}/"
    pages = ["/practices/A00001/audits/", "/practices/A00001/audits/new/", root, root + "criteria/new/",
             root + "results/", root + "report/", root + "conclusion/"]  # fmt: skip
    found = {}
    for path in pages:
        page.goto(base + path)
        if path.endswith("/results/"):
            assert wait_for_charts(page) == 1
            assert page.locator("#chart-criterion-1 svg path, #chart-criterion-1 svg .mark-symbol").count() > 0
            assert "Criterion 1 was met for" in page.content()
        if path.endswith("/audits/"):
            assert "Completed cycles in the last 12 months" in page.content()
        assert page.problems == [], path
        if keep:
            name = "audits_" + path.strip("/").replace("/", "_")
            page.screenshot(path=str(Path(keep) / f"{name}-{width}.png"), full_page=True)
        found[path] = serious_violations(page, base)
        scroll = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert scroll <= 0, f"{path} scrolls sideways at {width} px"
        page.problems.clear()
    assert found == {path: [] for path in pages}
