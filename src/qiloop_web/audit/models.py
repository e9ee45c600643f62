"""The audit event table.

It has no foreign keys on purpose: an event must outlive the person,
organisation or invitation it describes, so it keeps plain ids and names as
they were at the time. Rows are append-only: saving an existing event,
deleting one, or bulk-updating/deleting through the ORM raises
``AuditLogIsAppendOnly`` (and on PostgreSQL a trigger refuses UPDATE and
DELETE as well).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

# Plain-English names for the actions, shown in the audit log page.
ACTION_LABELS = {
    "organisation.created": "Organisation created",
    "person.created": "Account created",
    "membership.added": "Member added",
    "membership.role_changed": "Role changed",
    "membership.removed": "Member removed",
    "invitation.created": "Invitation sent",
    "invitation.accepted": "Invitation accepted",
    "invitation.cancelled": "Invitation cancelled",
    "practice.settings_changed": "Practice settings changed",
    "practice.key_held": "Practice key entered in the workbench",
    "practice.key_removed": "Practice key removed from the workbench",
    "sign_in.succeeded": "Signed in",
    "sign_in.signed_out": "Signed out",
    "sign_in.failed": "Sign-in failed",
    "sign_in.refused_locked": "Sign-in refused: account locked",
    "sign_in.throttled": "Sign-in refused: too soon after failed attempts",
    "password_reset.requested": "Password reset requested",
    "password_reset.completed": "Password reset",
    "patient_data.viewed": "Patient-level data viewed",
    "patient_data.downloaded": "Patient-level data downloaded",
    "project.created": "QI project created",
    "project.aim_changed": "QI project aim changed",
    "project.status_changed": "QI project status changed",
    "project.member_added": "Joined a QI project team",
    "project.member_removed": "Left a QI project team",
    "project.measure_added": "QI project measure added",
    "project.measure_changed": "QI project measure changed",
    "project.measure_removed": "QI project measure removed",
    "project.point_added": "QI project data point added",
    "project.points_added": "QI project data points added",
    "project.point_removed": "QI project data point removed",
    "project.driver_added": "Driver diagram: added",
    "project.driver_changed": "Driver diagram: changed",
    "project.driver_moved": "Driver diagram: moved",
    "project.driver_removed": "Driver diagram: deleted",
    "project.cause_added": "Fishbone cause added",
    "project.cause_changed": "Fishbone cause changed",
    "project.cause_removed": "Fishbone cause deleted",
    "project.step_added": "Process map step added",
    "project.step_changed": "Process map step changed",
    "project.step_moved": "Process map step moved",
    "project.step_removed": "Process map step deleted",
    "task.created": "Task added",
    "task.changed": "Task changed",
    "task.deleted": "Task deleted",
    "qi_time.recorded": "QI time recorded",
    "qi_time.changed": "QI time changed",
    "qi_time.deleted": "QI time deleted",
}


class AuditLogIsAppendOnly(Exception):
    """Raised when code tries to change or remove an audit event."""

    def __init__(self) -> None:
        super().__init__("audit events are append-only: they cannot be changed or deleted")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AuditLogIsAppendOnly()

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly()

    def for_organisation(self, code: str) -> AuditEventQuerySet:
        return self.filter(organisation_code=code)

    def account_events_of(self, user_ids: list[int], emails: list[str]) -> AuditEventQuerySet:
        """Sign-in and password events of these people (they belong to no organisation)."""
        account = models.Q(action__startswith="sign_in.") | models.Q(action__startswith="password_reset.")
        whose = models.Q(actor_id__in=user_ids) | models.Q(target_type="username", target_id__in=emails)
        return self.filter(account & whose)


class AuditEvent(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # Who: the user's id and e-mail address as they were; empty for anonymous or the command line.
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=254, blank=True)
    # What: a dotted verb such as "membership.role_changed", and what it acted on.
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=254, blank=True)
    # Which organisation's log the event belongs in (its code), so a practice manager can read it.
    organisation_code = models.CharField(max_length=32, blank=True, db_index=True)
    # From where.
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # The change itself (old and new values). Never patient-level data.
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organisation_code", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor or 'system'} {self.action} {self.target_type}:{self.target_id}"

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly()
