"""Action-list pages: kept in process memory by results, practice and measure; never in the browser or on disk."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from qiloop.errors import QiloopError
from qiloop.measures.actions import ActionList
from qiloop_web.dashboard import action_lists, memo


@pytest.fixture(autouse=True)
def no_kept_lists():
    action_lists.forget()
    yield
    action_lists.forget()


def _list_part(response) -> str:
    """The header and the table (the rest of the page carries a fresh nonce and CSRF token each time)."""
    html = response.content.decode()
    assert "</table>" in html, re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", html))[:3000]
    return html[html.index('data-testid="action-list-header"') : html.index("</table>")]


def _url(measure_id: str, csv: bool = False) -> str:
    return reverse("dashboard:action-list-csv" if csv else "dashboard:action-list", args=["A00001", measure_id])


def test_a_list_is_computed_once_then_served_from_memory_with_no_store(client, universe, measured, monkeypatch):
    from qiloop_web.dashboard import action_lists, pages, views

    made = []
    real, real_all = views.compute_action_list, views.compute_action_lists
    monkeypatch.setattr(views, "compute_action_list", lambda *a, **k: made.append(a[1].id) or real(*a, **k))
    monkeypatch.setattr(
        views, "compute_action_lists", lambda *a, **k: made.append(f"all:{a[1].id}") or real_all(*a, **k)
    )
    client.force_login(universe.people["gp"])
    first = client.get(_url("pincer_k"))
    again = client.get(_url("pincer_k"))
    download = client.get(_url("pincer_k", csv=True))
    assert made == ["all:pincer_k"]  # the page twice and the CSV: one computation, for every practice at once
    assert _list_part(first) == _list_part(again) and "<tbody" in _list_part(first)
    for response in (first, again, download):
        assert "no-store" in response["Cache-Control"]
    # ...so another practice's list of the measure is ready without computing again
    refused = action_lists.kept(pages.results().key, "A00002", "pincer_k", lambda: pytest.fail("computed again"))
    assert refused.practice_id == "A00002"
    client.get(_url("copd010"))
    assert made == ["all:pincer_k", "all:copd010"]  # kept per measure


def test_the_page_reads_in_clinical_words(client, universe, measured):
    client.force_login(universe.people["gp"])
    html = client.get(_url("pincer_k")).content.decode()
    assert "on an oral NSAID with eGFR below 45 — review the NSAID (most recent oral NSAID issue first)." in html
    assert "lists the patients in the numerator" in html
    for engine_words in ("events on or before", "reference date", ">nan<", ">NaT<", ">None<"):
        assert engine_words not in html
    measure_page = client.get(reverse("dashboard:measure", args=["A00001", "copd010"])).content.decode()
    assert "lists the patients in the denominator who are not in the numerator" in measure_page


def test_new_results_drop_every_kept_list():
    made = []

    def make() -> ActionList:
        made.append(1)
        return object()  # type: ignore[return-value]

    action_lists.kept("results-1", "A00001", "pincer_k", make)
    action_lists.kept("results-1", "A00001", "pincer_k", make)
    assert len(made) == 1
    action_lists.kept("results-2", "A00001", "pincer_k", make)
    assert len(made) == 2
    action_lists.kept(None, "A00001", "pincer_k", make)  # no results: never kept
    action_lists.kept(None, "A00001", "pincer_k", make)
    assert len(made) == 4


def test_an_error_is_not_kept():
    calls = []

    def failing() -> ActionList:
        calls.append(1)
        raise QiloopError("there are no data for March 2027")

    for _ in range(2):
        with pytest.raises(QiloopError):
            action_lists.kept("results-1", "A00001", "pincer_k", failing)
    assert len(calls) == 2


def test_action_lists_never_reach_the_chart_memo_that_is_saved_to_disk(client, universe, measured, tmp_path):
    client.force_login(universe.people["gp"])
    client.get(_url("pincer_k"))
    kept = list(memo._items.values())
    assert not any(isinstance(item, ActionList) for item in kept)


def test_only_the_practice_clinical_team_sees_a_list(client, universe, measured):
    for person, status in (("receptionist", 403), ("patient_representative", 403), ("other_gp", 403)):
        client.force_login(universe.people[person])
        assert client.get(_url("pincer_k")).status_code == status, person
