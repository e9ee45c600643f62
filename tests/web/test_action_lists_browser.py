"""Action lists in a real browser on a demo-like store: pincer_k (low is good) holds exactly the patients in the
numerator, copd010 (high is good) exactly the denominator minus the numerator.

The expected sets are computed independently, patient by patient, with the plain-Python reference evaluator on
the store's own tables. Skipped, with the reason, when /usr/bin/chromium or the playwright package is absent.
"""

from __future__ import annotations

import datetime as dt
import json
import os

import duckdb
import pytest
from test_web_browser import new_page, sign_in

from qiloop.measures.library import all_measures
from qiloop.measures.reference import load_records, patient_counts, population, truthy
from qiloop.measures.run import parse_month

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PRACTICE = "A00001"
TABLES = ("patients", "practice_registrations", "clinical_events", "medications")


def reference_sets(store, measure_id: str, month: str) -> tuple[set[int], set[int]]:
    """(denominator, numerator) patients of the practice on the month's last day, from the reference evaluator."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        tables = {name: con.execute(f"select * from {name}").df() for name in TABLES}  # names: the fixed list above
    finally:
        con.close()
    measure = all_measures()[measure_id]
    day: dt.date = parse_month(month, end=True)
    den, num = set(), set()
    for ctx in population(load_records(tables), day):
        if ctx.registration[2] != PRACTICE:
            continue
        n, d = patient_counts(measure, ctx)
        if truthy(d):
            den.add(ctx.rec.patient_id)
            if truthy(n):
                num.add(ctx.rec.patient_id)
    return den, num


def listed_ids(page) -> set[int]:
    return {int(cell) for cell in page.locator("[data-testid=action-list] tbody th").all_inner_texts()}


@pytest.mark.parametrize(
    ("measure_id", "expected_of"),
    [("pincer_k", lambda den, num: den & num), ("copd010", lambda den, num: den - num)],
    ids=["pincer_k-numerator", "copd010-denominator-minus-numerator"],
)
def test_action_list_page_holds_the_patients_its_direction_says(
    measure_id, expected_of, browser, browser_universe, live_server, measured
):
    store, results_dir = measured
    month = json.loads((results_dir / "manifest.json").read_text())["end"]
    den, num = reference_sets(store, measure_id, month)
    expected = expected_of(den, num)
    assert expected and den - expected, "the demo practice needs patients on both sides of the line"
    page = new_page(browser)
    sign_in(page, live_server.url, "gp@example.nhs.uk")
    page.goto(f"{live_server.url}/practices/{PRACTICE}/measures/{measure_id}/")
    rule = page.get_by_test_id("action-list-rule").inner_text()
    assert ("in the numerator" if measure_id == "pincer_k" else "who are not in the numerator") in rule
    page.get_by_role("link", name="Open the action list").click()
    page.wait_for_load_state()
    assert listed_ids(page) == expected
    header = page.get_by_test_id("action-list-header").inner_text()
    assert header.startswith(f"{len(expected)} patient")
    if measure_id == "pincer_k":
        assert "on an oral NSAID with eGFR below 45 — review the NSAID" in header
        headings = page.locator("[data-testid=action-list] thead th").all_inner_texts()
        assert headings == ["Patient (pseudonymous id)", "Oral NSAID — last issued", "Latest eGFR", "eGFR date"]
    cells = page.locator("[data-testid=action-list] td").all_inner_texts()
    assert cells and not {"nan", "NaT", "None", ""} & set(cells)
    assert page.problems == []
