"""The measure page shows each library measure's clinical review trail, or says plainly that there is none."""

from __future__ import annotations

import html

from django.urls import reverse


def _review_block(client, measure_id: str) -> str:
    page = client.get(reverse("dashboard:measure", args=["A00001", measure_id])).content.decode()
    start = page.index('data-testid="measure-review"')
    return page[start : page.index("</section>", start)]


def test_the_measure_page_shows_who_checked_it_against_what(client, universe, measured):
    client.force_login(universe.people["gp"])
    block = _review_block(client, "hyp008")
    assert "QOF 2024/25 business rules v49" in block and "6 December 2026" in block
    assert "Differs from the published rules" in block
    assert "Systolic and diastolic come from the same date" in block


def test_unchecked_and_provisional_measures_say_so(client, universe, measured):
    client.force_login(universe.people["gp"])
    assert "Not yet checked against the published rules." in _review_block(client, "wait_7d")
    copd014 = _review_block(client, "copd014")
    assert "Provisional" in copd014 and "placeholder" in copd014


def test_a_pincer_measure_page_names_the_published_study_month_to_compare_with(client, universe, measured):
    client.force_login(universe.people["gp"])
    latest = client.get(reverse("dashboard:measure", args=["A00001", "pincer_a"])).context["latest_month"]
    block = html.unescape(_review_block(client, "pincer_a"))
    assert "index date 1 " in block and f"qiloop's {latest} (to " in block
    # The study's month is the one after qiloop's: its index date is the day after qiloop's month ends.
    assert "is the published PINCER study's" in block
    assert 'data-testid="study-month"' not in _review_block(client, "hyp008")
