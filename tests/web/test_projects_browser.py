"""Project pages in a real browser: axe-core finds nothing serious, and nothing scrolls sideways at 320 px.

Uses the set-up of test_web_browser.py (Debian's Chromium; skipped with the reason when absent).
Set QILOOP_SCREENSHOTS=DIR to keep screenshots of each page at 1280 and 320 px.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from projects_universe import build_project
from test_web_browser import new_page, serious_violations, sign_in  # noqa: F401  (browser is a fixture)
from web_universe import build_universe


@pytest.fixture
def project_universe(transactional_db):
    universe = build_universe()
    universe.qi_project = build_project(universe)
    return universe


PAGES = ["", "drivers/", "fishbone/", "process-map/", "team/", "aim/", "measures/new/"]


@pytest.mark.parametrize("width", [1280, 320])
def test_project_pages_are_accessible_and_fit_the_screen(browser, project_universe, live_server, width):
    base = live_server.url
    project = project_universe.qi_project.project
    keep = os.environ.get("QILOOP_SCREENSHOTS")
    page = new_page(browser, width)
    sign_in(page, base, "patient_representative@example.nhs.uk")
    found = {}
    qi = project_universe.qi_project
    pages = [*PAGES, f"measures/{qi.manual.pk}/", f"drivers/{qi.primary.pk}/remove/", "status/"]
    paths = ["/practices/A00001/projects/", "/practices/A00001/projects/new/"]
    paths += [f"/practices/A00001/projects/{project.pk}/{p}" for p in pages]
    for path in paths:
        page.goto(base + path)
        page.wait_for_load_state()
        assert page.problems == [], path
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow} px wider than the {width} px screen"
        if keep:
            name = path.strip("/").replace("/", "_")
            page.screenshot(path=str(Path(keep) / f"{name}-{width}.png"), full_page=True)
        found[path] = serious_violations(page, base)
        page.problems.clear()  # axe-core's own checks set inline styles, which the CSP reports
    assert found == {path: [] for path in paths}


def test_the_driver_diagram_is_drawn_as_a_tree(browser, project_universe, live_server):
    base = live_server.url
    qi = project_universe.qi_project
    page = new_page(browser, 320)
    sign_in(page, base, "gp@example.nhs.uk")
    page.goto(f"{base}/practices/A00001/projects/{qi.project.pk}/drivers/")
    primary = page.locator(f"#node-{qi.primary.pk} > .qiloop-tree__node").bounding_box()
    child = qi.primary.children.order_by("order", "id").first()
    secondary = page.locator(f"#node-{child.pk} > .qiloop-tree__node").bounding_box()
    assert secondary["x"] > primary["x"]  # drawn indented beneath its parent
    assert secondary["y"] > primary["y"]
    assert secondary["x"] + secondary["width"] <= 320
