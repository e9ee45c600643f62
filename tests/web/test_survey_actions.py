"""Survey actions: opening and closing rounds, answering once and anonymously, paper answers, the audit log."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.db import connection, models
from django.utils import timezone

from qiloop_web.accounts.models import User
from qiloop_web.audit import log
from qiloop_web.audit.models import AuditEvent
from qiloop_web.survey import actions
from qiloop_web.survey.models import Response, ResponseToken, SurveyRound

TODAY = timezone.localdate()
MARKER = "Zebra-Quokka-7731"
FULL = {
    "role": "gp_partner",
    "quality": "above",
    "lead": "single_lead",
    "areas": ["prescribing"],
    "tools_used": ["audit", "sea"],
    "tools_trained": ["audit"],
    "tools_wanted": ["pdsa"],
    "facilitators": {"teamwork": "very"},
    "barriers": {"patient_demand": "much"},
    "ease": "agree",
    "other_practices": "yes",
    "protected_time": "1_4h",
}


def open_practice_round(universe, **extra):
    fields = {"title": "Spring survey", "closes_on": TODAY + timedelta(days=14)} | extra
    return actions.open_round(organisation=universe.practice, by=universe.people["practice_manager"], **fields)


def test_the_practice_manager_opens_a_round_and_it_is_audited(universe):
    survey_round = open_practice_round(universe)
    assert survey_round.opens_on == TODAY and len(survey_round.secret) == 64 and survey_round.link_key
    [event] = AuditEvent.objects.filter(action="survey.round_opened")
    assert event.actor == "practice_manager@example.nhs.uk" and event.organisation_code == "A00001"
    assert event.detail["instrument"] == "igps2017-derived-v1"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"closes_on": TODAY}, "not after the opening date"),
        ({"closes_on": TODAY - timedelta(days=3)}, "not after the opening date"),
        ({"opens_on": TODAY - timedelta(days=1)}, "in the past"),
        ({"opens_on": TODAY + timedelta(days=20), "closes_on": TODAY + timedelta(days=10)}, "not after"),
        ({"closes_on": TODAY + timedelta(days=200)}, "at most 92 days"),
        ({"title": "   "}, "Enter a name"),
    ],
)
def test_bad_rounds_are_refused_and_change_nothing(universe, fields, message):
    with pytest.raises(actions.SurveyError, match=message):
        open_practice_round(universe, **fields)
    assert not SurveyRound.objects.exists() and not AuditEvent.objects.filter(action__startswith="survey.").exists()


def test_only_managers_open_rounds_and_one_round_at_a_time(universe):
    with pytest.raises(actions.NotAllowed):
        actions.open_round(
            organisation=universe.practice, title="x", closes_on=TODAY + timedelta(days=5), by=universe.people["gp"]
        )
    open_practice_round(universe)
    with pytest.raises(actions.SurveyError, match="already has an open round"):
        open_practice_round(universe)
    with pytest.raises(actions.SurveyError, match="one practice or across one primary care network"):
        actions.open_round(
            organisation=universe.icb,
            title="x",
            closes_on=TODAY + timedelta(days=5),
            by=universe.people["network_qi_lead"],
        )
    network = actions.open_round(
        organisation=universe.pcn,
        title="Network",
        closes_on=TODAY + timedelta(days=5),
        by=universe.people["network_qi_lead"],
    )
    assert network.is_network


def test_an_answer_holds_no_person_and_a_second_is_refused(universe):
    survey_round = open_practice_round(universe)
    with log.request_origin("203.0.113.9"):
        response = actions.answer(
            survey_round=survey_round, answers=FULL, help_most="More time", by=universe.people["gp"]
        )
    response.refresh_from_db()
    assert response.role_group == "gp" and "role" not in response.answers and response.help_most == "More time"
    [event] = AuditEvent.objects.filter(action="survey.response_received")
    assert event.actor_id is None and event.actor == "" and event.ip_address is None
    with pytest.raises(actions.AlreadyAnswered, match="already answered"):
        actions.answer(survey_round=survey_round, answers={"ease": "agree"}, by=universe.people["gp"])
    assert Response.objects.count() == 1 and ResponseToken.objects.count() == 1


def test_no_path_from_a_response_or_token_to_a_person():
    for model in (Response, ResponseToken):
        for field in model._meta.get_fields():
            assert getattr(field, "related_model", None) is not User, f"{model.__name__}.{field.name}"
            assert not isinstance(field, models.DateField | models.DateTimeField | models.TimeField), field.name
            assert not isinstance(field, models.GenericIPAddressField), field.name
    response_links = {f.related_model.__name__ for f in Response._meta.get_fields() if f.is_relation}
    assert response_links == {"SurveyRound", "Organisation"}
    token_links = {f.related_model.__name__ for f in ResponseToken._meta.get_fields() if f.is_relation}
    assert token_links == {"SurveyRound"}  # a token cannot be joined to a response
    assert isinstance(Response._meta.pk, models.UUIDField)  # ids say nothing about the order of answers


def test_tokens_cannot_be_linked_once_the_round_closes(universe):
    survey_round = open_practice_round(universe)
    people = [universe.people[key] for key in ("gp", "practice_nurse", "receptionist")]
    for person in people:
        actions.answer(survey_round=survey_round, answers={"ease": "agree"}, by=person)
    secret = survey_round.secret
    assert all(actions.has_answered(survey_round, p) for p in people)
    actions.close_round(survey_round=survey_round, by=universe.people["practice_manager"])
    survey_round.refresh_from_db()
    assert survey_round.secret == "" and survey_round.is_closed
    with connection.cursor() as cursor:  # the key is gone from the database itself, not just hidden
        cursor.execute("SELECT secret FROM survey_surveyround WHERE id = %s", [survey_round.pk])
        assert cursor.fetchone()[0] == ""
    digests = set(ResponseToken.objects.values_list("digest", flat=True))
    assert len(digests) == 3
    for person in people:
        guesses = {hashlib.sha256(str(person.pk).encode()).hexdigest(), actions.token_digest("", person.pk)}
        assert not digests & guesses
        assert actions.token_digest(secret, person.pk) in digests  # only the destroyed key links them
        assert not actions.has_answered(survey_round, person)
    [event] = AuditEvent.objects.filter(action="survey.round_closed")
    assert event.detail == {"responses": 3, "reason": "closed by the manager"}


def test_answers_after_closing_or_from_outside_the_practice_are_refused(universe):
    survey_round = open_practice_round(universe)
    with pytest.raises(actions.NotAllowed):
        actions.answer(
            survey_round=survey_round, answers={"ease": "agree"}, by=universe.people["patient_representative"]
        )
    with pytest.raises(actions.NotAllowed):
        actions.answer(survey_round=survey_round, answers={"ease": "agree"}, by=universe.people["other_gp"])
    actions.close_round(survey_round=survey_round, by=universe.people["practice_manager"])
    with pytest.raises(actions.SurveyError, match="has closed"):
        actions.answer(survey_round=survey_round, answers={"ease": "agree"}, by=universe.people["gp"])
    with pytest.raises(actions.SurveyError, match="already closed"):
        actions.close_round(survey_round=survey_round, by=universe.people["practice_manager"])
    SurveyRound.objects.filter(pk=survey_round.pk).update(
        status="open", secret="ab" * 32, closes_on=TODAY - timedelta(days=1), opens_on=TODAY - timedelta(days=5)
    )
    survey_round.refresh_from_db()
    with pytest.raises(actions.SurveyError, match="has closed"):  # past its closing date
        actions.answer(survey_round=survey_round, answers={"ease": "agree"}, by=universe.people["gp"])
    assert not Response.objects.exists()


def test_a_network_round_takes_answers_from_each_practice_beneath(universe):
    network = actions.open_round(
        organisation=universe.pcn,
        title="North",
        closes_on=TODAY + timedelta(days=9),
        by=universe.people["network_qi_lead"],
    )
    mine = actions.answer(survey_round=network, answers={"role": "gp_salaried"}, by=universe.people["other_gp"])
    theirs = actions.answer(survey_round=network, answers={"role": "nurse"}, by=universe.people["practice_nurse"])
    assert (mine.practice, theirs.practice) == (universe.sibling_practice, universe.practice)
    assert actions.answering_practice(network, universe.people["network_qi_lead"]) is None


def test_an_incomplete_answer_is_saved_as_it_is(universe):
    survey_round = open_practice_round(universe)
    response = actions.answer(
        survey_round=survey_round, answers={"ease": "agree", "areas": []}, by=universe.people["gp"]
    )
    assert response.answers == {"ease": "agree"} and response.role_group == "not_given"


def test_bad_answers_and_identifiers_in_the_free_text_are_refused(universe):
    survey_round = open_practice_round(universe)
    with pytest.raises(actions.SurveyError, match="not one of its answers"):
        actions.answer(survey_round=survey_round, answers={"ease": "yes please"}, by=universe.people["gp"])
    with pytest.raises(actions.SurveyError, match="NHS number"):
        actions.answer(survey_round=survey_round, answers={}, help_most="Ring 943 476 5919", by=universe.people["gp"])
    assert not Response.objects.exists() and not ResponseToken.objects.exists()


def test_paper_answers_by_the_manager_only_and_audited_without_text(universe):
    survey_round = open_practice_round(universe)
    response = actions.enter_paper_response(
        survey_round=survey_round,
        practice=universe.practice,
        answers=FULL,
        help_most=MARKER,
        by=universe.people["practice_manager"],
    )
    assert response.on_paper and response.help_most == MARKER
    with pytest.raises(actions.NotAllowed):
        actions.enter_paper_response(
            survey_round=survey_round, practice=universe.practice, answers=FULL, by=universe.people["gp"]
        )
    with pytest.raises(actions.SurveyError, match="taking part"):
        actions.enter_paper_response(
            survey_round=survey_round,
            practice=universe.sibling_practice,
            answers=FULL,
            by=universe.people["practice_manager"],
        )
    actions.answer(survey_round=survey_round, answers=FULL, help_most=MARKER, by=universe.people["gp"])
    actions.close_round(survey_round=survey_round, by=universe.people["practice_manager"])
    events = AuditEvent.objects.filter(action__startswith="survey.")
    assert {e.action for e in events} == {
        "survey.round_opened",
        "survey.paper_response_entered",
        "survey.response_received",
        "survey.round_closed",
    }
    for event in events:
        text = str(event.detail) + event.target_id + event.target_type
        assert MARKER not in text and "gp_partner" not in text and "above" not in text


def test_rounds_past_their_closing_date_are_closed_and_their_key_destroyed(universe, capsys):
    from django.core.management import call_command

    overdue = open_practice_round(universe)
    network = actions.open_round(
        organisation=universe.pcn,
        title="North",
        closes_on=TODAY + timedelta(days=3),
        by=universe.people["network_qi_lead"],
    )
    actions.answer(survey_round=overdue, answers={"ease": "agree"}, by=universe.people["gp"])
    SurveyRound.objects.filter(pk=overdue.pk).update(
        opens_on=TODAY - timedelta(days=9), closes_on=TODAY - timedelta(days=1)
    )
    call_command("close_survey_rounds")
    assert "closed 1 survey round past their closing date" in capsys.readouterr().out
    overdue.refresh_from_db()
    network.refresh_from_db()
    assert overdue.is_closed and overdue.secret == "" and not network.is_closed and network.secret
    [event] = AuditEvent.objects.filter(action="survey.round_closed")
    assert event.actor_id is None and event.detail == {"responses": 1, "reason": "closing date passed"}
    assert actions.close_overdue_rounds() == 0
