"""Survey rounds, anonymous responses, and the keyed tokens that stop double answers.

Anonymity is built into the tables, not promised by the pages:

* ``Response`` has **no link to a person**: no user, no membership, no IP address and no time at all (not
  even a date) — only its round, its practice, a reporting *group* (GPs, practice managers, nurses /
  pharmacists / HCAs, reception / admin / other; never the exact role, which could be one person) and the
  answers. Its key is a random UUID, so its id says nothing about the order people answered in.
* ``ResponseToken`` records **that** someone answered, never what: ``HMAC-SHA256(round.secret, user id)``.
  It stops a second answer while the round is open. It has no link to a ``Response`` and no time either.
* When the round closes, ``SurveyRound.secret`` is emptied: from then on nobody — not the practice, not
  whoever holds the database — can work out whose token is whose.

Every change goes through ``survey.actions``, which writes an audit event (never answers, never text).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from qiloop.survey.instrument import GROUP_LABELS, VERSION
from qiloop_web.organisations.models import Organisation


class RoundStatus(models.TextChoices):
    # Staff can answer (between its opening and closing dates).
    OPEN = "open", "Open"
    # Closed by the manager: no more answers, its secret destroyed, its free text readable.
    CLOSED = "closed", "Closed"


class SurveyRound(models.Model):
    """One running of the survey in a practice, or across a network's practices (organisation = the PCN)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="survey_rounds")
    title = models.CharField(max_length=200)
    instrument_version = models.CharField(max_length=40, default=VERSION)
    opens_on = models.DateField()
    closes_on = models.DateField()
    status = models.CharField(max_length=8, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    # The per-round link staff answer through (random, not guessable).
    link_key = models.CharField(max_length=32, unique=True)
    # The HMAC key of this round's tokens; emptied at close so tokens can no longer be linked to anyone.
    secret = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opens_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(closes_on__gt=models.F("opens_on")), name="round_dates_in_order"),
            models.CheckConstraint(
                condition=models.Q(status="open") | models.Q(secret=""), name="closed_round_has_no_secret"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_network(self) -> bool:
        return not self.organisation.is_practice

    @property
    def is_closed(self) -> bool:
        return self.status == RoundStatus.CLOSED


class Response(models.Model):
    """One person's answers: round, practice, reporting group and answers — nothing that names them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="responses")
    practice = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    role_group = models.CharField(max_length=24, choices=[(k, v) for k, v in GROUP_LABELS.items() if k != "all"])
    # Question id -> answer (qiloop.survey.instrument), without the role and without the free text.
    answers = models.JSONField(default=dict)
    # "What would help most?": checked by qiloop.text_safety; shown only to the manager, after the round closes.
    help_most = models.TextField(blank=True)
    on_paper = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]  # random: says nothing about who answered when

    def as_answers(self) -> dict[str, object]:
        return {**self.answers, "role_group": self.role_group}


class ResponseToken(models.Model):
    """That someone answered a round: HMAC(round secret, user id). No person, no response, no time."""

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="tokens")
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "digest"], name="one_answer_per_person_per_round")]
