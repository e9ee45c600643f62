"""Learning events: significant / learning event analysis with the LFPSE fields and a PSIRF learning response.

One :class:`LearningEvent` per event a practice reports. Coded answers hold the LFPSE v5 national code
(``qiloop.learning.taxonomy``); the stage follows ``qiloop.learning.workflow``. Changes agreed become
teamwork tasks, linked through :class:`LearningAction` (so the teamwork app is unchanged).

No patient identifiers are ever stored: every free-text field goes through the shared text-safety check
(``qiloop_web.ui.text_safety``) before an action saves it; patients are counted, never named.

Every change goes through ``learning.actions``, which checks the rules and writes an audit event naming
the fields changed, never their text.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from qiloop.learning.responses import RESPONSES
from qiloop.learning.taxonomy import (
    AGE_BRACKETS,
    EVENT_TYPES,
    HEALTHCARE_PROCESS,
    LEVEL_OF_CONCERN,
    LOCATION,
    PHYSICAL_HARM,
    PSYCHOLOGICAL_HARM,
    REPORTER_INVOLVEMENT,
    RISK_THEMES,
    RISK_TIMEFRAMES,
    STRENGTH_OF_ASSOCIATION,
    YES_NO_UNKNOWN,
)
from qiloop.learning.workflow import STAGE_LABELS, Stage
from qiloop_web.organisations.models import Organisation


class EventStage(models.TextChoices):
    REPORTED = Stage.REPORTED.value, STAGE_LABELS[Stage.REPORTED]
    TRIAGED = Stage.TRIAGED.value, STAGE_LABELS[Stage.TRIAGED]
    ANALYSED = Stage.ANALYSED.value, STAGE_LABELS[Stage.ANALYSED]
    ACTIONS_AGREED = Stage.ACTIONS_AGREED.value, STAGE_LABELS[Stage.ACTIONS_AGREED]
    MONITORING = Stage.MONITORING.value, STAGE_LABELS[Stage.MONITORING]
    CLOSED = Stage.CLOSED.value, STAGE_LABELS[Stage.CLOSED]


class LfpseStatus(models.TextChoices):
    NOT_REQUIRED = "not_required", "Not needed"
    TO_SUBMIT = "to_submit", "To record on LFPSE"
    SUBMITTED = "submitted", "Recorded on LFPSE"


def _coded(max_length: int = 4) -> models.CharField:
    return models.CharField(max_length=max_length, blank=True)


class LearningEvent(models.Model):
    practice = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="learning_events")
    number = models.PositiveIntegerField()  # the practice's own running number: "Event 12"
    stage = models.CharField(max_length=16, choices=EventStage.choices, default=EventStage.REPORTED)

    # --- the report -------------------------------------------------------------------------------------------
    title = models.CharField(max_length=120)
    event_type = models.CharField(max_length=12, choices=EVENT_TYPES.choices())
    occurred_on = models.DateField()
    date_approximate = models.BooleanField(default=False)
    description = models.TextField()
    location = models.CharField(max_length=4, choices=LOCATION.choices())
    process = models.CharField(max_length=4, choices=HEALTHCARE_PROCESS.choices())
    physical_harm = _coded()
    psychological_harm = _coded()
    restricted = models.BooleanField(default=False)  # about a staff member: PM, GPs and the reporter only
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reporter_role = models.CharField(max_length=32, blank=True)  # qiloop role when reported (snapshot)
    reported_at = models.DateTimeField(default=timezone.now)

    # --- more LFPSE answers (completed at triage) ---------------------------------------------------------------
    immediate_actions = models.TextField(blank=True)
    involved_agents = models.JSONField(default=list, blank=True)
    medicines_involved = models.CharField(max_length=300, blank=True)
    clinical_outcome = models.TextField(blank=True)
    strength_of_association = _coded()
    patients_affected = models.PositiveIntegerField(null=True, blank=True)
    age_bracket = _coded()
    risk_theme = _coded()
    risk_imminent = _coded()
    risk_timeframe = _coded()
    strengths_of_care = models.TextField(blank=True)
    how_to_repeat = models.TextField(blank=True)
    reporter_involvement = _coded()
    level_of_concern = _coded()

    # --- triage -------------------------------------------------------------------------------------------------
    response_type = models.CharField(max_length=24, blank=True, choices=[(k, r.label) for k, r in RESPONSES.items()])
    duty_of_candour = models.BooleanField(null=True, blank=True)
    cqc_notifiable = models.BooleanField(null=True, blank=True)
    cqc_criteria = models.JSONField(default=list, blank=True)
    lfpse_status = models.CharField(max_length=16, choices=LfpseStatus.choices, default=LfpseStatus.NOT_REQUIRED)
    lfpse_reference = models.CharField(max_length=40, blank=True)
    closure_reason = models.CharField(max_length=200, blank=True)

    # --- analysis -----------------------------------------------------------------------------------------------
    prompt_answers = models.JSONField(default=dict, blank=True)
    what_happened = models.TextField(blank=True)
    why = models.TextField(blank=True)
    factors = models.JSONField(default=list, blank=True)
    what_learned = models.TextField(blank=True)
    meeting_on = models.DateField(null=True, blank=True)

    # --- change and review --------------------------------------------------------------------------------------
    what_changed = models.TextField(blank=True)
    no_change_reason = models.TextField(blank=True)
    review_due = models.DateField(null=True, blank=True)
    reviewed_on = models.DateField(null=True, blank=True)
    review_outcome = models.TextField(blank=True)
    review_measure_id = models.CharField(max_length=80, blank=True)  # a library measure, to read its SPC verdict

    # --- sharing with the network ---------------------------------------------------------------------------------
    share_learning = models.BooleanField(default=False)
    learning_summary = models.CharField(max_length=500, blank=True)

    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_on", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "number"], name="learning_event_number_unique"),
            models.CheckConstraint(
                condition=models.Q(stage__in=[s.value for s in EventStage]), name="learning_event_stage_is_known"
            ),
            models.CheckConstraint(
                condition=~models.Q(event_type="good_care")
                | (models.Q(physical_harm="") & models.Q(psychological_harm="")),
                name="learning_event_good_care_has_no_harm",
            ),
            models.CheckConstraint(
                condition=models.Q(share_learning=False) | ~models.Q(learning_summary=""),
                name="learning_event_shared_has_summary",
            ),
        ]
        indexes = [models.Index(fields=["practice", "stage"]), models.Index(fields=["practice", "occurred_on"])]

    def __str__(self) -> str:
        return f"Event {self.number}: {self.title}"

    @property
    def open_tasks(self) -> Any:
        return [link.task for link in self.action_links.select_related("task__owner") if link.task.status != "done"]

    def fields(self) -> dict[str, Any]:
        """The event as the library reads it (``qiloop.learning.workflow`` and ``lfpse_sheet``)."""
        values = {f.attname: getattr(self, f.attname) for f in self._meta.concrete_fields}
        values["organisation"] = self.practice.code
        values["actions"] = self.action_links.count() if self.pk else 0
        return values

    # Words for the coded answers (templates and the CSV).
    def label_of(self, name: str) -> str:
        value_sets = {
            "physical_harm": PHYSICAL_HARM,
            "psychological_harm": PSYCHOLOGICAL_HARM,
            "location": LOCATION,
            "process": HEALTHCARE_PROCESS,
            "strength_of_association": STRENGTH_OF_ASSOCIATION,
            "age_bracket": AGE_BRACKETS,
            "risk_theme": RISK_THEMES,
            "risk_imminent": YES_NO_UNKNOWN,
            "risk_timeframe": RISK_TIMEFRAMES,
            "reporter_involvement": REPORTER_INVOLVEMENT,
            "level_of_concern": LEVEL_OF_CONCERN,
            "event_type": EVENT_TYPES,
        }
        return value_sets[name].label(getattr(self, name))

    @property
    def response(self) -> Any:
        return RESPONSES.get(self.response_type)


class LearningAction(models.Model):
    """A change agreed for an event, as a teamwork task (owner, due date, status live in the task)."""

    event = models.ForeignKey(LearningEvent, on_delete=models.CASCADE, related_name="action_links")
    task = models.OneToOneField("teamwork.Task", on_delete=models.CASCADE, related_name="learning_link")

    class Meta:
        ordering = ["task__due_on", "id"]
