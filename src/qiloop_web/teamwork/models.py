"""Tasks for the whole team, and the time people spend on quality improvement.

A task belongs to one practice and is owned by one of its members (any role,
patient representatives included); it may hang off a project and one of its
PDSA cycles, so any step of a project can become someone's task. A time
entry records QI time one person spent on one day, for a project or a named
meeting; it keeps the person's role in the practice *when they recorded it*,
so the totals by role stay true after people change roles or leave.

Every change goes through ``teamwork.actions``, which checks the rules a
person can break and writes an audit event; the constraints here are the
backstop for the rules a bug could break.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

from qiloop_web.organisations.models import Organisation
from qiloop_web.organisations.roles import Role


class TaskStatus(models.TextChoices):
    # Nobody has started it yet.
    TODO = "todo", "To do"
    # Its owner is working on it.
    DOING = "doing", "Doing"
    # Finished.
    DONE = "done", "Done"


class Task(models.Model):
    practice = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="tasks")
    # A task outlives the project or cycle it came from (the team may still want to finish it).
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    pdsa_cycle = models.ForeignKey(
        "projects.PdsaCycle", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    title = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tasks")
    due_on = models.DateField()
    status = models.CharField(max_length=8, choices=TaskStatus.choices, default=TaskStatus.TODO)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in TaskStatus]), name="task_status_is_known"
            ),
            models.CheckConstraint(
                condition=models.Q(status="done", completed_at__isnull=False)
                | (~models.Q(status="done") & models.Q(completed_at__isnull=True)),
                name="task_completed_at_iff_done",
            ),
        ]
        indexes = [models.Index(fields=["practice", "status", "due_on"]), models.Index(fields=["owner", "status"])]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: date | None = None) -> bool:
        return self.status != TaskStatus.DONE and self.due_on < (today or timezone.localdate())


class TimeEntry(models.Model):
    """Minutes of QI time one person spent on one day, for a project or a meeting."""

    practice = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="time_entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_entries")
    # Their role in the practice when they recorded the time (a snapshot, not a link to the membership).
    role = models.CharField(max_length=32, choices=Role.choices)
    # The time stays in the totals if the project is later deleted; the action asks for a project or a meeting.
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="time_entries"
    )
    meeting = models.CharField(max_length=200, blank=True)
    spent_on = models.DateField()
    minutes = models.PositiveIntegerField()
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-spent_on", "-id"]
        verbose_name_plural = "time entries"
        constraints = [
            models.CheckConstraint(condition=models.Q(minutes__gt=0), name="time_entry_minutes_positive"),
        ]
        indexes = [models.Index(fields=["practice", "spent_on"])]

    def __str__(self) -> str:
        return f"{self.minutes} minutes on {self.spent_on:%Y-%m-%d}"

    @property
    def what_for(self) -> str:
        """The project's title or the meeting's name (both when both were given)."""
        parts = [self.project.title if self.project_id and self.project else "", self.meeting]
        return " — ".join(part for part in parts if part) or "Not recorded"
