"""The demo practice's closed survey round: built once through the actions, and its results read as designed."""

from __future__ import annotations

import datetime as dt
import random

from qiloop.survey.instrument import clean_answers
from qiloop_web.audit.models import AuditEvent
from qiloop_web.survey.demo import ONLINE, PAPER, TITLE, create_demo_survey, synthetic_answers
from qiloop_web.survey.models import Response, ResponseToken
from qiloop_web.survey.results import results


def test_synthetic_answers_fit_the_instrument():
    rng = random.Random(3)
    for role in ("gp_partner", "practice_manager", "nurse", "other"):
        answers = synthetic_answers(role, rng)
        assert clean_answers(answers) == answers


def test_the_demo_round_is_built_once_through_the_actions_and_closed(universe):
    survey_round = create_demo_survey(universe.practice, universe.people, today=dt.date.today())
    assert create_demo_survey(universe.practice, universe.people).pk == survey_round.pk
    assert survey_round.title == TITLE and survey_round.is_closed and survey_round.secret == ""
    assert Response.objects.filter(round=survey_round).count() == len(ONLINE) + len(PAPER) == 18
    assert Response.objects.filter(round=survey_round, on_paper=True).count() == len(PAPER)
    assert ResponseToken.objects.filter(round=survey_round).count() == len(ONLINE)
    actions = list(
        AuditEvent.objects.filter(action__startswith="survey.").order_by("pk").values_list("action", flat=True)
    )
    assert actions.count("survey.response_received") == len(ONLINE)
    assert actions.count("survey.paper_response_entered") == len(PAPER)
    assert actions[0] == "survey.round_opened" and actions[-1] == "survey.round_closed"

    found = results(survey_round, universe.practice)
    # 6 GPs and 6 reception/admin shown; 5 nurses/pharmacists/HCAs hidden with the lone manager (6 hidden).
    assert found.report.total == 18 and found.report.groups == ["admin_other", "gp"]
    assert found.free_text and all(text for text in found.free_text)
    assert all(section.chart is not None for section in found.sections if section.rows)
