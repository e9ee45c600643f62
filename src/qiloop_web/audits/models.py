"""Clinical audit cycles: an audit, its criteria, its collections (round 1, 2, …) and the changes between them.

Not to be confused with the **audit log** (``qiloop_web.audit``): this app holds the practice's *clinical* audits
(HQIP, RCGP). Every change goes through ``audits.actions``, which applies the stage machine of
:mod:`qiloop.audit.stages` and writes an audit-log event naming fields, never text. A collection, once recorded,
never changes (``Collection.save`` and ``CollectionCount.save`` refuse an update): a later import of the records
never changes a past audit.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from qiloop.audit.model import REASON_LABELS, CollectionKind, Reason, StandardKind
from qiloop.audit.stages import STAGE_LABELS, Stage
from qiloop_web.organisations.models import Organisation


class AuditReason(models.TextChoices):
    GUIDELINE = Reason.GUIDELINE.value, REASON_LABELS[Reason.GUIDELINE]
    COMPLAINT = Reason.COMPLAINT.value, REASON_LABELS[Reason.COMPLAINT]
    LEARNING_EVENT = Reason.LEARNING_EVENT.value, REASON_LABELS[Reason.LEARNING_EVENT]
    PRESCRIBING_DATA = Reason.PRESCRIBING_DATA.value, REASON_LABELS[Reason.PRESCRIBING_DATA]
    NATIONAL_AUDIT = Reason.NATIONAL_AUDIT.value, REASON_LABELS[Reason.NATIONAL_AUDIT]
    OTHER = Reason.OTHER.value, REASON_LABELS[Reason.OTHER]


class AuditStage(models.TextChoices):
    # Choosing the topic, the criteria, their standards and evidence.
    PLANNING = Stage.PLANNING.value, STAGE_LABELS[Stage.PLANNING]
    # Measuring care against the standards for the first time.
    FIRST_COLLECTION = Stage.FIRST_COLLECTION.value, STAGE_LABELS[Stage.FIRST_COLLECTION]
    # Making and recording the changes, and planning the re-audit.
    CHANGE = Stage.CHANGE.value, STAGE_LABELS[Stage.CHANGE]
    # Measuring again after the change.
    RE_AUDIT = Stage.RE_AUDIT.value, STAGE_LABELS[Stage.RE_AUDIT]
    # The cycle is closed with a conclusion (another cycle can start).
    COMPLETE = Stage.COMPLETE.value, STAGE_LABELS[Stage.COMPLETE]


class StandardKindChoice(models.TextChoices):
    MINIMUM = StandardKind.MINIMUM.value, "Minimum (the least acceptable)"
    OPTIMUM = StandardKind.OPTIMUM.value, "Optimum (the best achievable in practice)"
    IDEAL = StandardKind.IDEAL.value, "Ideal"


class CollectionKindChoice(models.TextChoices):
    COMPUTED = CollectionKind.COMPUTED.value, "Computed from the records"
    MANUAL = CollectionKind.MANUAL.value, "Entered by hand"


class ClinicalAudit(models.Model):
    practice = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="clinical_audits")
    title = models.CharField(max_length=200)
    template_key = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=24, choices=AuditReason.choices)
    reason_detail = models.TextField(blank=True)
    preparation = models.TextField(blank=True)  # who, the sample, the time frame (the RCGP "preparation" heading)
    stage = models.CharField(max_length=24, choices=AuditStage.choices, default=AuditStage.PLANNING)
    reaudit_planned_on = models.DateField(null=True, blank=True)
    conclusion = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title


class AuditCriterion(models.Model):
    audit = models.ForeignKey(ClinicalAudit, on_delete=models.CASCADE, related_name="criteria")
    number = models.PositiveIntegerField()
    statement = models.CharField(max_length=400)
    reference = models.CharField(max_length=400)
    standard_percent = models.FloatField()
    standard_kind = models.CharField(max_length=16, choices=StandardKindChoice.choices, default="minimum")
    measure_id = models.CharField(max_length=100, blank=True)  # a library measure; blank = counts by hand

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "number"], name="one_criterion_number_per_audit"),
            models.CheckConstraint(
                condition=models.Q(standard_percent__gte=0, standard_percent__lte=100), name="criterion_standard_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"Criterion {self.number}"


class Frozen(Exception):
    """A recorded collection was about to be changed."""


class Collection(models.Model):
    """One round of data collection. Never changed once recorded."""

    audit = models.ForeignKey(ClinicalAudit, on_delete=models.CASCADE, related_name="collections")
    round = models.PositiveIntegerField()
    reference_date = models.DateField()
    store_fingerprint = models.CharField(max_length=100, blank=True)
    qiloop_version = models.CharField(max_length=40, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["round"]
        constraints = [models.UniqueConstraint(fields=["audit", "round"], name="one_collection_per_round")]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and Collection.objects.filter(pk=self.pk).exists():
            raise Frozen("a recorded collection never changes")
        super().save(*args, **kwargs)


class CollectionCount(models.Model):
    """One criterion in one collection: met of eligible (excluded left out), and how it was counted."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="counts")
    criterion = models.ForeignKey(AuditCriterion, on_delete=models.CASCADE, related_name="counts")
    kind = models.CharField(max_length=16, choices=CollectionKindChoice.choices)
    met = models.PositiveIntegerField()
    eligible = models.PositiveIntegerField()
    excluded = models.PositiveIntegerField(default=0)
    measure_id = models.CharField(max_length=100, blank=True)
    measure_version = models.CharField(max_length=40, blank=True)
    codelist_versions = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["criterion__number"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "criterion"], name="one_count_per_criterion"),
            models.CheckConstraint(
                condition=models.Q(eligible__gt=0, met__lte=models.F("eligible")), name="count_met_within_eligible"
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and CollectionCount.objects.filter(pk=self.pk).exists():
            raise Frozen("a recorded collection never changes")
        super().save(*args, **kwargs)

    @property
    def percent(self) -> float:
        return 100 * self.met / self.eligible


class AuditChange(models.Model):
    """A change made after a collection, and when it started; optionally followed up as a teamwork task."""

    audit = models.ForeignKey(ClinicalAudit, on_delete=models.CASCADE, related_name="changes")
    after_round = models.PositiveIntegerField()
    description = models.TextField()
    implemented_on = models.DateField()
    task = models.ForeignKey(
        "teamwork.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_changes"
    )

    class Meta:
        ordering = ["implemented_on", "id"]
