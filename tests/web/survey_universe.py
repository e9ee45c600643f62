"""Survey rounds for the permission matrix: made directly (no actions, so no audit events), once per test.

``@practice``: Riverside's own round; ``@pcn``: North PCN's network round, asked for under the PCN's code;
``@practice-network``: the network round asked for under Riverside's code (its manager's own-practice view);
``@practice-sibling-round``: Hill Street's round asked for under Riverside's code; ``@missing``: no such link.
"""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from qiloop_web.survey.models import SurveyRound


def survey_round(organisation, key: str) -> SurveyRound:
    today = timezone.localdate()
    found, _ = SurveyRound.objects.get_or_create(
        organisation=organisation,
        title=f"Matrix round {key}",
        defaults={
            "opens_on": today,
            "closes_on": today + timedelta(days=14),
            "link_key": f"matrix-{key}",
            "secret": "ab" * 32,
        },
    )
    return found


def survey_url(name: str, where: str, universe, codes) -> str:
    if name == "survey:answer":
        if where == "missing":
            return reverse(name, args=["no-such-link"])
        organisation = universe.pcn if where == "network" else universe.practice
        return reverse(name, args=[survey_round(organisation, where or "practice").link_key])
    if name in ("survey:rounds", "survey:new"):
        return reverse(name, args=[codes[where]])
    rounds = {
        "practice": (universe.practice, "A00001"),
        "pcn": (universe.pcn, "QPCN1"),
        "practice-network": (universe.pcn, "A00001"),
        "practice-sibling-round": (universe.sibling_practice, "A00001"),
    }
    organisation, code = rounds[where]
    return reverse(name, args=[code, survey_round(organisation, where.split("-")[-1]).pk])
