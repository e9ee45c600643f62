"""Template tags of the teamwork app.

``{% overdue_tasks organisation user %}``: the practice's overdue tasks, for
the practice dashboard. It shows nothing to people who may not see the
practice's projects (VIEW_PROJECTS), and nothing when no task is overdue.

``{% nhsuk_date_field form.due_on %}``: an NHS date input for a
``date_input.DayMonthYearField``.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField
from django.utils import timezone

from qiloop_web.organisations.models import Organisation
from qiloop_web.organisations.permissions import has_permission
from qiloop_web.organisations.roles import Permission
from qiloop_web.teamwork.models import Task, TaskStatus

register = template.Library()

# The dashboard lists the oldest few; the task list has them all.
SHOWN = 10


def overdue_for(practice: Organisation, today: Any = None) -> Any:
    """The practice's tasks not done whose due date has passed, the longest overdue first."""
    return (
        Task.objects.filter(practice=practice, due_on__lt=today or timezone.localdate())
        .exclude(status=TaskStatus.DONE)
        .select_related("owner", "project")
        .order_by("due_on", "id")
    )


@register.inclusion_tag("teamwork/_overdue_tasks.html")
def overdue_tasks(organisation: Organisation, user: Any) -> dict[str, Any]:
    if not organisation.is_practice or not has_permission(user, Permission.VIEW_PROJECTS, organisation):
        return {"shown": False}
    overdue = overdue_for(organisation)
    count = overdue.count()
    return {
        "shown": count > 0,
        "organisation": organisation,
        "tasks": list(overdue[:SHOWN]),
        "count": count,
        "more": max(0, count - SHOWN),
    }


@register.inclusion_tag("teamwork/_date_field.html")
def nhsuk_date_field(field: BoundField) -> dict[str, Any]:
    day, month, year = field.field.prepare_value(field.value())
    ids = [field.auto_id, f"{field.auto_id}_month", f"{field.auto_id}_year"]
    parts = [
        {"label": label, "id": id_, "name": f"{field.html_name}_{key}", "value": value, "width": width}
        for (key, label, width), id_, value in zip(
            [("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4)], ids, (day, month, year), strict=True
        )
    ]
    described_by = " ".join(
        [f"{field.auto_id}-hint"] * bool(field.help_text) + [f"{field.auto_id}-error"] * bool(field.errors)
    )
    return {"field": field, "parts": parts, "described_by": described_by}
