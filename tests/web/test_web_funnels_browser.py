"""The practice's place among its peers, drawn in a real browser (skipped without Debian's Chromium and playwright)."""

from __future__ import annotations

import pytest
from test_web_browser import new_page, serious_violations, sign_in, wait_for_charts


@pytest.mark.parametrize("width", [1280, 320])
def test_the_position_funnel_draws_without_errors_and_fits(browser, browser_universe, live_server, width):
    base = live_server.url
    page = new_page(browser, width)
    sign_in(page, base, "receptionist@example.nhs.uk")  # any practice role sees it
    page.goto(f"{base}/practices/A00001/measures/dna_rate/")
    wait_for_charts(page)
    assert page.locator("#position-funnel svg").count() == 1
    labels = [t.text_content() for t in page.locator("#position-funnel svg text").all()]
    assert "Your practice" in labels
    assert not [t for t in labels if "Practice" in t and t != "Your practice"]  # no other practice named
    assert page.problems == []
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert serious_violations(page, base) == []
