"""Every change to survey rounds and responses, each in a transaction with its audit event.

Functions take keyword arguments only and are told who is acting (``by``). Rules a person can break raise
``SurveyError`` with a message for them (``NotAllowed`` when they lack the permission).

Audit events name rounds and counts, never answers and never the free text. An answer given through the
link is recorded with **no actor and no IP address** (``by=None`` inside ``log.request_origin(None)``): the
event says that the round received a response, not who sent it — otherwise the audit log itself would tie
a person to a moment, and the moment to an answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from qiloop.survey.instrument import FREE_TEXT, AnswerError, clean_answers, reporting_group
from qiloop.text_safety import blocking, check_text
from qiloop_web.accounts.models import User
from qiloop_web.audit import log
from qiloop_web.organisations.models import Kind, Membership, Organisation
from qiloop_web.organisations.permissions import has_permission
from qiloop_web.organisations.roles import Permission
from qiloop_web.survey.models import Response, ResponseToken, RoundStatus, SurveyRound

MAX_ROUND_DAYS = 92  # a round runs for at most about three months
MAX_FREE_TEXT = 2000


class SurveyError(Exception):
    """A rule about survey rounds or answers was broken; the message is for the person."""


class NotAllowed(SurveyError):
    """The person lacks the permission for this change."""


class AlreadyAnswered(SurveyError):
    """The person has already answered this round."""


def token_digest(secret: str, user_id: int) -> str:
    """HMAC-SHA256(secret, user id): the same person gives the same digest in a round, and nothing else does."""
    return hmac.new(bytes.fromhex(secret), str(user_id).encode(), hashlib.sha256).hexdigest()


def _check_dates(opens_on: dt.date, closes_on: dt.date, today: dt.date) -> None:
    if opens_on < today:
        raise SurveyError(f"The opening date {opens_on:%-d %B %Y} is in the past; open the round today or later.")
    if closes_on <= opens_on:
        raise SurveyError(
            f"The closing date {closes_on:%-d %B %Y} is not after the opening date {opens_on:%-d %B %Y}; "
            "choose a closing date after it."
        )
    if (closes_on - opens_on).days > MAX_ROUND_DAYS:
        raise SurveyError(f"A round runs for at most {MAX_ROUND_DAYS} days; choose an earlier closing date.")


def open_round(
    *,
    organisation: Organisation,
    title: str,
    closes_on: dt.date,
    opens_on: dt.date | None = None,
    by: User,
) -> SurveyRound:
    """Open a round in a practice (its manager) or across a PCN's practices (its network QI lead)."""
    if organisation.kind not in (Kind.PRACTICE, Kind.PCN):
        raise SurveyError("A survey round runs in one practice or across one primary care network.")
    if not has_permission(by, Permission.MANAGE_SURVEYS, organisation):
        raise NotAllowed(f"You cannot run staff surveys at {organisation.name}.")
    title = title.strip()
    if not title:
        raise SurveyError("Enter a name for the round, for example “Staff QI survey, spring 2027”.")
    if len(title) > 200:
        raise SurveyError(f"Keep the name to 200 characters or fewer (it has {len(title)}).")
    today = timezone.localdate()
    opens_on = opens_on or today
    _check_dates(opens_on, closes_on, today)
    if SurveyRound.objects.filter(organisation=organisation, status=RoundStatus.OPEN).exists():
        raise SurveyError(f"{organisation.name} already has an open round; close it before opening another.")
    with transaction.atomic():
        survey_round = SurveyRound.objects.create(
            organisation=organisation,
            title=title,
            opens_on=opens_on,
            closes_on=closes_on,
            link_key=secrets.token_urlsafe(16)[:22],
            secret=secrets.token_hex(32),
            created_by=by,
        )
        log.record(
            by=by,
            action="survey.round_opened",
            target_type="survey_round",
            target_id=survey_round.pk,
            organisation=organisation,
            detail={
                "opens_on": opens_on.isoformat(),
                "closes_on": closes_on.isoformat(),
                "instrument": survey_round.instrument_version,
            },
        )
    return survey_round


def answering_practice(survey_round: SurveyRound, user: Any) -> Organisation | None:
    """The practice ``user`` answers ``survey_round`` for: the round's practice, or (network round) the first
    of the PCN's practices where they may answer. None when they may not answer it."""
    if survey_round.organisation.is_practice:
        candidates = [survey_round.organisation]
    else:
        ids = Membership.objects.filter(user=user, organisation__parent=survey_round.organisation).values_list(
            "organisation_id", flat=True
        )
        candidates = list(Organisation.objects.filter(pk__in=list(ids)).order_by("code"))
    return next((p for p in candidates if has_permission(user, Permission.ANSWER_SURVEYS, p)), None)


def has_answered(survey_round: SurveyRound, user: Any) -> bool:
    if not survey_round.secret:
        return False  # closed: nobody can be told apart any more
    return ResponseToken.objects.filter(round=survey_round, digest=token_digest(survey_round.secret, user.pk)).exists()


def _check_open(survey_round: SurveyRound) -> None:
    today = timezone.localdate()
    if survey_round.is_closed or today > survey_round.closes_on:
        raise SurveyError(f"“{survey_round.title}” has closed; answers can no longer be sent.")
    if today < survey_round.opens_on:
        raise SurveyError(f"“{survey_round.title}” opens on {survey_round.opens_on:%-d %B %Y}; answer from then.")


def _clean(answers: Mapping[str, Any], help_most: str) -> tuple[dict[str, Any], str]:
    try:
        cleaned = clean_answers(answers)
    except AnswerError as error:
        raise SurveyError(str(error)) from None
    cleaned.pop(FREE_TEXT, None)
    help_most = (help_most or "").strip()
    if len(help_most) > MAX_FREE_TEXT:
        raise SurveyError(f"Keep “what would help most” to {MAX_FREE_TEXT} characters (it has {len(help_most)}).")
    found = blocking(check_text(help_most, today=timezone.localdate()))
    if found:  # forms say where; this is the backstop for any other caller
        raise SurveyError(found[0].message("What would help most"))
    return cleaned, help_most


def _store(
    survey_round: SurveyRound, practice: Organisation, cleaned: dict[str, Any], help_most: str, paper: bool
) -> Response:
    group = reporting_group(cleaned)
    cleaned.pop("role", None)  # only the group is kept: an exact role can be one person
    return Response.objects.create(
        round=survey_round, practice=practice, role_group=group, answers=cleaned, help_most=help_most, on_paper=paper
    )


def answer(*, survey_round: SurveyRound, answers: Mapping[str, Any], help_most: str = "", by: User) -> Response:
    """Store ``by``'s answers anonymously, once. Incomplete answers are stored as they are."""
    already = (
        f"You have already answered “{survey_round.title}”. Each person answers once, so your first answers stand."
    )
    with transaction.atomic():
        survey_round = SurveyRound.objects.select_for_update().select_related("organisation").get(pk=survey_round.pk)
        _check_open(survey_round)
        practice = answering_practice(survey_round, by)
        if practice is None:
            raise NotAllowed("This survey is for the practice's staff; you are not one of the staff it was sent to.")
        if has_answered(survey_round, by):
            raise AlreadyAnswered(already)
        cleaned, help_most = _clean(answers, help_most)
        try:
            with transaction.atomic():
                ResponseToken.objects.create(round=survey_round, digest=token_digest(survey_round.secret, by.pk))
        except IntegrityError:
            raise AlreadyAnswered(already) from None
        response = _store(survey_round, practice, cleaned, help_most, paper=False)
        with log.request_origin(None):
            log.record(
                by=None,
                action="survey.response_received",
                target_type="survey_round",
                target_id=survey_round.pk,
                organisation=survey_round.organisation,
                detail={"on_paper": False},
            )
    return response


def enter_paper_response(
    *, survey_round: SurveyRound, practice: Organisation, answers: Mapping[str, Any], help_most: str = "", by: User
) -> Response:
    """The practice manager types in one paper questionnaire for their practice."""
    taking_part = survey_round.organisation_id in (practice.pk, practice.parent_id)
    if not practice.is_practice or not taking_part:
        raise SurveyError("Paper answers are entered for a practice taking part in the round.")
    if not has_permission(by, Permission.MANAGE_SURVEYS, practice):
        raise NotAllowed(f"Only the practice manager of {practice.name} can enter its paper answers.")
    _check_open(survey_round)
    cleaned, help_most = _clean(answers, help_most)
    with transaction.atomic():
        response = _store(survey_round, practice, cleaned, help_most, paper=True)
        log.record(
            by=by,
            action="survey.paper_response_entered",
            target_type="survey_round",
            target_id=survey_round.pk,
            organisation=practice,
            detail={"on_paper": True},
        )
    return response


def _close(survey_round: SurveyRound, by: User | None, reason: str) -> SurveyRound:
    with transaction.atomic():
        survey_round.status = RoundStatus.CLOSED
        survey_round.closed_at = timezone.now()
        survey_round.secret = ""
        survey_round.save(update_fields=["status", "closed_at", "secret"])
        log.record(
            by=by,
            action="survey.round_closed",
            target_type="survey_round",
            target_id=survey_round.pk,
            organisation=survey_round.organisation,
            detail={"responses": survey_round.responses.count(), "reason": reason},
        )
    return survey_round


def close_round(*, survey_round: SurveyRound, by: User) -> SurveyRound:
    """Close the round: no more answers, and its secret destroyed so no token can be linked to anyone."""
    if not has_permission(by, Permission.MANAGE_SURVEYS, survey_round.organisation):
        raise NotAllowed(f"You cannot close survey rounds at {survey_round.organisation.name}.")
    if survey_round.is_closed:
        raise SurveyError(f"“{survey_round.title}” is already closed.")
    return _close(survey_round, by, "closed by the manager")


def close_overdue_rounds(*, today: dt.date | None = None, by: User | None = None) -> int:
    """Close every open round whose closing date has passed (at start, and daily from
    ``python -m qiloop_web close_survey_rounds``), so no round's key outlives its dates. Returns how many."""
    today = today or timezone.localdate()
    overdue = SurveyRound.objects.filter(status=RoundStatus.OPEN, closes_on__lt=today).select_related("organisation")
    for survey_round in overdue:
        _close(survey_round, by, "closing date passed")
    return len(overdue)
