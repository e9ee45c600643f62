"""Survey pages: opening a round, answering through the link (once, anonymously), closing, and the results —
figures only above the small-number rules, free text only for the manager after closing, CSV of aggregates."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from qiloop_web.accounts.actions import create_person
from qiloop_web.organisations.actions import add_membership
from qiloop_web.survey import actions
from qiloop_web.survey.models import Response, SurveyRound

TODAY = timezone.localdate()
MARKER = "Zebra-Quokka-7731"


def staff(universe, n, practice=None, role="receptionist"):
    """``n`` more staff members of the practice (default Riverside)."""
    people = []
    for i in range(n):
        person = create_person(
            email=f"staff{i}-{role}@example.nhs.uk", full_name=f"Staff {i}", password="pw-pw-pw-pw", by=None
        )
        add_membership(user=person, organisation=practice or universe.practice, role=role, by=None)
        people.append(person)
    return people


def open_round(client, universe):
    client.force_login(universe.people["practice_manager"])
    response = client.post(
        reverse("survey:new", args=["A00001"]),
        {"title": "Spring survey", "closes_on": (TODAY + timedelta(days=14)).isoformat()},
    )
    survey_round = SurveyRound.objects.get()
    assert response.status_code == 302 and response.url == reverse("survey:round", args=["A00001", survey_round.pk])
    return survey_round


def test_reversed_or_past_dates_are_refused_on_the_form(client, universe):
    client.force_login(universe.people["practice_manager"])
    response = client.post(
        reverse("survey:new", args=["A00001"]), {"title": "x", "closes_on": (TODAY - timedelta(days=1)).isoformat()}
    )
    assert response.status_code == 400 and "choose a closing date after it" in response.content.decode()
    assert not SurveyRound.objects.exists()


def test_answering_through_the_link_once_with_what_is_left_said(client, universe):
    survey_round = open_round(client, universe)
    url = reverse("survey:answer", args=[survey_round.link_key])
    client.force_login(universe.people["gp"])
    page = client.get(url).content.decode()
    assert "Your answers are anonymous" in page and 'name="facilitators__teamwork"' in page
    first = client.post(url, {"role": "gp_partner", "ease": "agree"})
    assert first.status_code == 200 and "not answered yet" in first.content.decode()
    assert not Response.objects.exists()  # nothing sent until they choose to send it as it is
    sent = client.post(url, {"role": "gp_partner", "ease": "agree", "send_as_is": "on"}, follow=True)
    assert "You have answered this survey" in sent.content.decode() and "unanswered" in sent.content.decode()
    [response] = Response.objects.all()
    assert response.answers == {"ease": "agree"} and response.role_group == "gp"
    again = client.post(url, {"role": "gp_partner", "ease": "disagree", "send_as_is": "on"})
    assert "You have answered this survey" in again.content.decode()
    assert Response.objects.count() == 1 and Response.objects.get().answers == {"ease": "agree"}


def test_an_identifier_in_the_free_text_is_refused_on_the_form(client, universe):
    survey_round = open_round(client, universe)
    client.force_login(universe.people["gp"])
    response = client.post(
        reverse("survey:answer", args=[survey_round.link_key]), {"help_most": "Call 943 476 5919", "send_as_is": "on"}
    )
    page = response.content.decode()
    assert response.status_code == 400 and "an NHS number" in page and "943 476 5919" in page  # kept in the box only
    assert not Response.objects.exists()


def answer_all(survey_round, people, ease="agree", role="reception_admin", help_most=""):
    for person in people:
        actions.answer(
            survey_round=survey_round,
            answers={"role": role, "ease": ease, "facilitators": {"protected_time": "very"}},
            help_most=help_most,
            by=person,
        )


def test_results_wait_for_closing_and_five_answers(client, universe):
    survey_round = open_round(client, universe)
    people = staff(universe, 5)
    answer_all(survey_round, people[:4], help_most=MARKER)
    results = reverse("survey:results", args=["A00001", survey_round.pk])
    page = client.get(results).content.decode()
    assert "Results are shown once the round has closed" in page and "Protected time" not in page
    answer_all(survey_round, people[4:], help_most=MARKER)
    page = client.get(results).content.decode()
    assert "5 responses so far" in page and "Results are shown once the round has closed" in page
    assert "Protected time" not in page and MARKER not in page  # no figures that move with each answer
    csv_open = client.get(reverse("survey:results-csv", args=["A00001", survey_round.pk])).content.decode()
    assert len(csv_open.strip().splitlines()) == 1  # the header only
    client.post(reverse("survey:close", args=["A00001", survey_round.pk]))
    page = client.get(results).content.decode()
    assert "100%" in page and "Protected time to plan and work on improvement" in page and "79% / 55%" in page
    assert MARKER in page and "What would help most" in page
    assert 'data-vega-spec="survey-' in page  # the charts


def test_a_closed_round_with_four_answers_shows_nothing(client, universe):
    survey_round = open_round(client, universe)
    answer_all(survey_round, staff(universe, 4), help_most=MARKER)
    client.post(reverse("survey:close", args=["A00001", survey_round.pk]))
    page = client.get(reverse("survey:results", args=["A00001", survey_round.pk])).content.decode()
    assert "Results are shown once at least 5 people have answered" in page
    assert "Protected time" not in page and MARKER not in page


def test_the_csv_holds_aggregates_only(client, universe):
    survey_round = open_round(client, universe)
    answer_all(survey_round, staff(universe, 6), help_most=MARKER)
    client.post(reverse("survey:close", args=["A00001", survey_round.pk]))
    body = client.get(reverse("survey:results-csv", args=["A00001", survey_round.pk])).content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert MARKER not in body
    ease = next(r for r in rows if r["indicator"] == "ease.agree" and r["group"] == "All staff")
    assert (ease["positive"], ease["answered"], ease["national_gp_percent"], ease["national_pm_percent"]) == (
        "6",
        "6",
        "65",
        "88",
    )
    assert (ease["low_95"], ease["high_95"]) == ("61.0", "100.0")  # 6 of 6: Wilson 0.610–1
    assert ease["differs_from_national_gp"] == "no" and ease["differs_from_national_pm"] == "no"  # 65, 88 inside
    time = next(r for r in rows if r["indicator"] == "facilitators.protected_time" and r["group"] == "All staff")
    assert time["differs_from_national_gp"] == "no" and time["differs_from_national_pm"] == "yes"  # 79 in, 55 out
    assert {r["group"] for r in rows} == {"All staff", "Reception, admin and other roles"}


@pytest.mark.parametrize("answered", [8])
def test_the_network_sees_pooled_suppressed_figures_and_each_practice_its_own(client, universe, answered):
    lead = universe.people["network_qi_lead"]
    network = actions.open_round(organisation=universe.pcn, title="North", closes_on=TODAY + timedelta(days=9), by=lead)
    answer_all(network, staff(universe, answered), help_most=MARKER)
    answer_all(
        network, staff(universe, 6, practice=universe.sibling_practice, role="gp"), ease="disagree", role="gp_partner"
    )
    actions.close_round(survey_round=network, by=lead)
    client.force_login(lead)
    page = client.get(reverse("survey:results", args=["QPCN1", network.pk])).content.decode()
    assert "pooled" in page and MARKER not in page and "Riverside" not in page and "Hill Street" not in page
    assert "67%" in page and "10 of 15" in page  # 8 of 14 agree: counts rounded to 5 -> 10 of 15
    assert "15 of 15" in page  # protected time: all 14 -> 15
    client.force_login(universe.people["practice_manager"])
    page = client.get(reverse("survey:results", args=["A00001", network.pk])).content.decode()
    assert "Network, pooled" in page and "8 of 8" in page and MARKER in page


def test_the_previous_round_is_shown_beside_for_the_trend(client, universe):
    people = staff(universe, 6)
    first = open_round(client, universe)
    answer_all(first, people, ease="disagree")
    client.post(reverse("survey:close", args=["A00001", first.pk]))
    client.post(
        reverse("survey:new", args=["A00001"]),
        {"title": "Autumn survey", "closes_on": (TODAY + timedelta(days=14)).isoformat()},
    )
    second = SurveyRound.objects.get(title="Autumn survey")
    answer_all(second, people, ease="agree")
    client.post(reverse("survey:close", args=["A00001", second.pk]))
    page = client.get(reverse("survey:results", args=["A00001", second.pk])).content.decode()
    assert "Last round" in page
    row = page[page.index("Item </span>Easy to take part in improvement projects (agree)") :]
    row = row[: row.index("</tr>")]
    assert "6 of 6" in row and "Last round </span>0%" in row
    first_page = client.get(reverse("survey:results", args=["A00001", first.pk])).content.decode()
    assert "Last round" not in first_page


def test_the_protected_time_answers_sit_beside_the_qi_time_log_for_the_manager(client, universe):
    survey_round = open_round(client, universe)
    people = staff(universe, 5)
    for person, band in zip(people, ["none", "1_4h", "5_8h", "none", "under_1h"], strict=True):
        actions.answer(survey_round=survey_round, answers={"protected_time": band}, by=person)
    time_page = reverse("teamwork:time", args=["A00001"])
    assert "What the staff survey said" not in client.get(time_page).content.decode()  # still open
    client.post(reverse("survey:close", args=["A00001", survey_round.pk]))
    page = client.get(time_page).content.decode()
    assert "What the staff survey said about protected time" in page and "(3 of 5)" in page and "20%" in page
    client.force_login(universe.people["gp"])  # the rest of the team does not see survey results
    assert "What the staff survey said" not in client.get(time_page).content.decode()
