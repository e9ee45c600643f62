"""Survey bits for other pages: the open rounds a person can answer (on the organisation page), and figures."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from qiloop_web.organisations.models import Organisation
from qiloop_web.survey import actions
from qiloop_web.survey.models import RoundStatus, SurveyRound

register = template.Library()


@register.inclusion_tag("survey/_open_rounds.html")
def open_surveys(organisation: Organisation, user: Any) -> dict[str, Any]:
    """The practice's (and its network's) open rounds that ``user`` may still answer."""
    rounds: list[SurveyRound] = []
    if organisation.is_practice:
        today = timezone.localdate()
        candidates = SurveyRound.objects.filter(
            organisation_id__in=[organisation.pk, organisation.parent_id],
            status=RoundStatus.OPEN,
            opens_on__lte=today,
            closes_on__gte=today,
        ).select_related("organisation")
        rounds = [
            r
            for r in candidates
            if actions.answering_practice(r, user) is not None and not actions.has_answered(r, user)
        ]
    return {"rounds": rounds}


@register.inclusion_tag("survey/_protected_time.html")
def survey_protected_time(organisation: Organisation, user: Any) -> dict[str, Any]:
    """Beside the QI-time log, for the practice manager: what the latest closed staff survey said about
    protected time last month (the practice's own answers, under the survey's small-number rules)."""
    from qiloop_web.organisations.permissions import has_permission
    from qiloop_web.organisations.roles import Permission
    from qiloop_web.survey.results import results

    if not organisation.is_practice or not has_permission(user, Permission.MANAGE_SURVEYS, organisation):
        return {}
    latest = (
        SurveyRound.objects.filter(
            organisation_id__in=[organisation.pk, organisation.parent_id], status=RoundStatus.CLOSED
        )
        .select_related("organisation")
        .order_by("-closed_at", "-id")
        .first()
    )
    if latest is None:
        return {}
    found = results(latest, organisation)
    return {
        "organisation": organisation,
        "survey_round": latest,
        "any": found.report.figure("protected_time.any"),
        "over_4h": found.report.figure("protected_time.over_4h"),
        "helpful": found.report.figure("facilitators.protected_time"),
    }


@register.filter
def pct(value: float | None) -> str:
    """A proportion (0–1) as a whole-number percentage."""
    if value is None:
        return "–"
    return f"{100 * value:.0f}%"


@register.filter
def points(value: float | None) -> str:
    """A difference in percentage points, signed."""
    if value is None:
        return "–"
    return f"{value:+.0f} points"
