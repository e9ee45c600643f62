"""A closed staff QI survey round with synthetic answers in the demo practice, so a first visit shows the results.

Everything is made up and made through the actions (so it is in the audit log, like any round): the practice
manager opens a round, the demo accounts that may answer do so through the round's link, the manager types in
eleven paper questionnaires, and closes the round. Answers are drawn at random (fixed seed) around the national
figures for each group, so the demo looks like a real practice without being one. Development only.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from qiloop.survey.instrument import AREAS, BARRIERS, FACILITATORS, TOOLS
from qiloop.survey.national import national
from qiloop_web.organisations.models import Organisation
from qiloop_web.organisations.roles import Role
from qiloop_web.survey import actions
from qiloop_web.survey.models import SurveyRound

TITLE = "Staff QI survey (demo round)"
# Demo accounts that answer through the link, and the survey role each gives.
ONLINE = {
    Role.GP.value: "gp_partner",
    Role.PRACTICE_MANAGER.value: "practice_manager",
    Role.PRACTICE_NURSE.value: "nurse",
    Role.PHARMACIST.value: "pharmacist",
    Role.HEALTHCARE_ASSISTANT.value: "hca",
    Role.RECEPTIONIST.value: "reception_admin",
    Role.HEALTH_SECRETARY.value: "reception_admin",
}
PAPER = ["gp_partner", "gp_partner", "gp_salaried", "gp_salaried", "gp_trainee"]
PAPER += ["nurse", "nurse", "reception_admin", "reception_admin", "reception_admin", "other"]
HELP_MOST = [
    "An hour a month protected for the whole team to look at our data together.",
    "Training for reception in how we run improvement projects, not just the clinicians.",
    "Fewer separate requests from outside bodies so we can pick one thing and do it well.",
    "",
    "Someone who can pull the searches for us each month.",
    "",
]


def _share(key: str, role: str, default: float) -> float:
    figure = national(key)
    if figure is None:
        return default
    return (figure.pm if role == "practice_manager" else figure.gp) / 100


def synthetic_answers(role: str, rng: random.Random) -> dict[str, Any]:
    """One made-up questionnaire for ``role``, each answer drawn around the national figure for that group."""

    def yes(key: str, default: float = 0.3) -> bool:
        return rng.random() < _share(key, role, default)

    answers: dict[str, Any] = {"role": role}
    answers["quality"] = rng.choice(["well_above", "above", "as_expected", "as_expected", "below", "dont_know"])
    answers["lead"] = "single_lead" if not yes("lead.no_single_lead") else rng.choice(["shared", "nobody"])
    areas = [a.value for a in AREAS if rng.random() < 0.35]
    answers["areas"] = areas or ["prescribing"]
    for question in ("tools_used", "tools_wanted"):
        chosen = [t.value for t in TOOLS if yes(f"{question}.{t.value}", 0.1)]
        answers[question] = chosen or ["none"]
    answers["tools_trained"] = [t.value for t in TOOLS if rng.random() < 0.2] or ["none"]
    answers["facilitators"] = {
        s.value: rng.choice(["very", "fairly"]) if yes(f"facilitators.{s.value}") else rng.choice(["not_very", "na"])
        for s in FACILITATORS
    }
    answers["barriers"] = {
        s.value: rng.choice(["much", "somewhat"]) if yes(f"barriers.{s.value}") else rng.choice(["slightly", "not"])
        for s in BARRIERS
    }
    answers["ease"] = (
        rng.choice(["agree", "strongly_agree"]) if yes("ease.agree") else rng.choice(["neither", "disagree"])
    )
    answers["other_practices"] = "yes" if yes("other_practices.yes") else "no"
    answers["protected_time"] = rng.choice(["none", "none", "under_1h", "1_4h", "5_8h"])
    return answers


def create_demo_survey(
    practice: Organisation, people: Mapping[str, Any], *, today: dt.date | None = None, seed: int = 11
) -> SurveyRound | None:
    """Create the closed demo round in ``practice`` (once); ``people`` maps role values to demo users."""
    existing = SurveyRound.objects.filter(organisation=practice, title=TITLE).first()
    manager = people.get(Role.PRACTICE_MANAGER.value)
    if existing is not None or manager is None:
        return existing
    today = today or timezone.localdate()
    rng = random.Random(seed)
    survey_round = actions.open_round(
        organisation=practice, title=TITLE, opens_on=today, closes_on=today + dt.timedelta(days=14), by=manager
    )
    texts = iter(HELP_MOST * 4)
    for key, role in ONLINE.items():
        if key in people:
            actions.answer(
                survey_round=survey_round, answers=synthetic_answers(role, rng), help_most=next(texts), by=people[key]
            )
    for role in PAPER:
        actions.enter_paper_response(
            survey_round=survey_round,
            practice=practice,
            answers=synthetic_answers(role, rng),
            help_most=next(texts),
            by=manager,
        )
    return actions.close_round(survey_round=survey_round, by=manager)
