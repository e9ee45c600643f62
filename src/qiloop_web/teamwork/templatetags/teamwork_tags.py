"""Template tags of the teamwork app.

``{% overdue_tasks organisation user %}``: the practice's overdue tasks, for
the practice dashboard. It shows nothing to people who may not see the
practice's projects (VIEW_PROJECTS), and nothing when no task is overdue.

``{% project_tasks project %}`` (or ``{% project_tasks project cycle=cycle %}``):
the open tasks of a project (or of one PDSA cycle), with links to add a task
for that step and to record QI time for the project, for project pages.

The NHS date input's tag, ``{% nhsuk_date_field %}``, is in ``ui`` (``nhsuk``).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

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


@register.inclusion_tag("teamwork/_project_tasks.html", takes_context=True)
def project_tasks(context: Any, project: Any, cycle: Any = None, heading: str = "h2") -> dict[str, Any]:
    request = context["request"]
    practice = project.practice
    if not has_permission(request.user, Permission.VIEW_PROJECTS, practice):
        return {"shown": False}
    tasks = Task.objects.filter(practice=practice, project=project).exclude(status=TaskStatus.DONE)
    if cycle is not None:
        tasks = tasks.filter(pdsa_cycle=cycle)
    today = timezone.localdate()
    query = {"project": project.pk, "next": request.get_full_path()} | ({"cycle": cycle.pk} if cycle else {})
    can_edit = has_permission(request.user, Permission.EDIT_PROJECTS, practice)
    return {
        "shown": True,
        "heading": heading if heading in ("h2", "h3", "h4") else "h2",
        "cycle": cycle,
        "rows": [{"task": task, "overdue": task.is_overdue(today)} for task in tasks.select_related("owner")],
        "add_url": f"{reverse('teamwork:task-create', args=[practice.code])}?{urlencode(query)}" if can_edit else "",
        "time_url": f"{reverse('teamwork:time-create', args=[practice.code])}?{urlencode({'project': project.pk})}"
        if can_edit
        else "",
        "list_url": f"{reverse('teamwork:tasks', args=[practice.code])}?{urlencode({'project': project.pk})}",
    }
