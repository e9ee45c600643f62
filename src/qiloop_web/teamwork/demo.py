"""The demo project's tasks (one overdue) and some recorded QI time, so a first visit shows teamwork in use.

Made through the same actions a person's clicks go through (so they are in the audit log), for the example
project ``projects.demo.create_demo_project`` made. Development only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from qiloop_web.organisations.roles import Role
from qiloop_web.projects.models import Project
from qiloop_web.teamwork import actions
from qiloop_web.teamwork.models import Task


def create_demo_teamwork(project: Project, people: Mapping[str, Any], *, today: dt.date | None = None) -> None:
    """Two tasks and five QI time entries for the example ``project`` (once: nothing when it has tasks already);
    ``people`` maps role values to demo users."""
    if Task.objects.filter(project=project).exists():
        return
    today = today or timezone.localdate()
    practice = project.practice
    manager = people[Role.PRACTICE_MANAGER.value]
    lead = people.get(Role.PHARMACIST.value, manager)
    receptionist = people.get(Role.RECEPTIONIST.value, manager)
    actions.create_task(
        practice=practice,
        title="Put the new repeat-request times on the website",
        owner=receptionist,
        due_on=today - dt.timedelta(days=3),
        project=project,
        by=manager,
    )
    actions.create_task(
        practice=practice,
        title="Run the Friday turnaround search",
        owner=lead,
        due_on=today + dt.timedelta(days=(4 - today.weekday()) % 7),
        project=project,
        by=manager,
    )
    for weeks_ago, person, minutes, meeting in [
        (9, manager, 60, "Project kick-off"),
        (9, people.get(Role.GP.value, manager), 60, "Project kick-off"),
        (6, lead, 45, ""),
        (3, people.get(Role.PATIENT_REPRESENTATIVE.value, manager), 30, "Patient group feedback"),
        (1, manager, 30, ""),
    ]:
        actions.record_time(
            practice=practice,
            spent_on=today - dt.timedelta(weeks=weeks_ago),
            minutes=minutes,
            project=None if meeting else project,
            meeting=meeting,
            by=person,
        )
