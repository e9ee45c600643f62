"""Every change to tasks and QI time, each in a transaction with its audit event.

Functions take keyword arguments only and are told who is acting (``by``).
Rules a person can break raise ``TeamworkError`` (or ``NotYours`` when they
try to change someone else's task or time) with a message for them. Views
check the page's permission first; the actions re-check who may change what.

Audit events never hold a task's title, notes or a time entry's note: they
are free text and could hold anything; the event names the record by id and
says which fields changed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from qiloop_web.accounts.models import User
from qiloop_web.audit import log
from qiloop_web.organisations.models import Membership, Organisation
from qiloop_web.organisations.permissions import has_permission, permissions_in
from qiloop_web.organisations.roles import Permission
from qiloop_web.projects.models import PdsaCycle, Project
from qiloop_web.teamwork.models import Task, TaskStatus, TimeEntry

# A day has 1,440 minutes: more than that on one day is a typing mistake.
MAX_MINUTES_PER_ENTRY = 24 * 60
TASK_FIELDS = ("title", "notes", "owner", "due_on", "status", "project", "pdsa_cycle")
TIME_FIELDS = ("spent_on", "minutes", "project", "meeting", "note")


class TeamworkError(Exception):
    """A rule about tasks or QI time was broken; the message is for the person."""


class NotYours(TeamworkError):
    """Someone tried to change a task or time entry that is not theirs (and they do not manage the practice)."""


def may_change_task(user: Any, task: Task, granted: frozenset[Permission] | None = None) -> bool:
    """Its owner, the person who created it, and the practice manager may change a task.

    ``granted``: the user's permissions in the task's practice, when the caller already has them
    (a list of tasks asks once per practice, not once per task).
    """
    granted = permissions_in(user, task.practice) if granted is None else granted
    if Permission.EDIT_PROJECTS not in granted:
        return False
    return user.pk in (task.owner_id, task.created_by_id) or Permission.MANAGE_MEMBERS in granted


def may_change_time(user: Any, entry: TimeEntry, granted: frozenset[Permission] | None = None) -> bool:
    """The person who recorded the time, and the practice manager, may change or delete it."""
    granted = permissions_in(user, entry.practice) if granted is None else granted
    if Permission.EDIT_PROJECTS not in granted:
        return False
    return user.pk == entry.user_id or Permission.MANAGE_MEMBERS in granted


def _check_may_edit(by: User, practice: Organisation) -> None:
    if not has_permission(by, Permission.EDIT_PROJECTS, practice):
        raise NotYours(f"You cannot change tasks or QI time at {practice.name}.")


def _check_practice(practice: Organisation) -> None:
    if not practice.is_practice:
        raise TeamworkError("Tasks and QI time belong to a GP practice, not to a network.")


def _check_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise TeamworkError("Enter what needs doing.")
    if len(title) > 200:
        raise TeamworkError(f"Keep what needs doing to 200 characters or fewer (it has {len(title)}).")
    return title


def _check_owner(owner: User, practice: Organisation) -> None:
    if not Membership.objects.filter(user=owner, organisation=practice).exists():
        raise TeamworkError(f"{owner.display_name} is not a member of {practice.name}; choose someone in the team.")


def _check_links(practice: Organisation, project: Project | None, cycle: PdsaCycle | None) -> Project | None:
    """The project the task hangs off: a cycle's own project when only the cycle is given."""
    if cycle is not None:
        if project is None:
            project = cycle.project
        elif cycle.project_id != project.pk:
            raise TeamworkError(f"The PDSA cycle “{cycle.title}” belongs to another project; choose one of its cycles.")
    if project is not None and project.practice_id != practice.pk:
        raise TeamworkError("That project belongs to another practice; choose one of this practice's projects.")
    return project


def _check_status(status: str) -> TaskStatus:
    try:
        return TaskStatus(status)
    except ValueError:
        raise TeamworkError(f"“{status}” is not a task status; choose to do, doing or done.") from None


def _task_detail(task: Task, changed: list[str] | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "owner": task.owner_id,
        "due_on": task.due_on.isoformat(),
        "status": task.status,
        "project": task.project_id,
        "pdsa_cycle": task.pdsa_cycle_id,
    }
    if changed is not None:
        detail["changed"] = changed
    return detail


def create_task(
    *,
    practice: Organisation,
    title: str,
    owner: User,
    due_on: date,
    status: str = TaskStatus.TODO,
    project: Project | None = None,
    pdsa_cycle: PdsaCycle | None = None,
    notes: str = "",
    by: User,
) -> Task:
    _check_practice(practice)
    _check_may_edit(by, practice)
    title = _check_title(title)
    _check_owner(owner, practice)
    project = _check_links(practice, project, pdsa_cycle)
    status = _check_status(status)
    now = timezone.now()
    with transaction.atomic():
        task = Task.objects.create(
            practice=practice,
            title=title,
            notes=notes.strip(),
            owner=owner,
            due_on=due_on,
            status=status,
            project=project,
            pdsa_cycle=pdsa_cycle,
            created_by=by,
            created_at=now,
            updated_at=now,
            completed_at=now if status == TaskStatus.DONE else None,
        )
        log.record(
            by=by,
            action="task.created",
            target_type="task",
            target_id=task.pk,
            organisation=practice,
            detail=_task_detail(task),
        )
    return task


def update_task(*, task: Task, by: User, **changes: Any) -> Task:
    """Change any of TASK_FIELDS; only the fields given change. Nothing changed -> no event."""
    unknown = set(changes) - set(TASK_FIELDS)
    if unknown:
        raise TypeError(f"update_task() cannot change {', '.join(sorted(unknown))}")
    if not may_change_task(by, task):
        raise NotYours("Only the task's owner, the person who set it, or the practice manager can change it.")
    new = {field: changes.get(field, getattr(task, field)) for field in TASK_FIELDS}
    new["title"] = _check_title(new["title"])
    new["notes"] = (new["notes"] or "").strip()
    if new["owner"] != task.owner:  # a task whose owner has left can still be finished or handed on
        _check_owner(new["owner"], task.practice)
    new["project"] = _check_links(task.practice, new["project"], new["pdsa_cycle"])
    new["status"] = _check_status(new["status"])
    changed = [field for field in TASK_FIELDS if new[field] != getattr(task, field)]
    if not changed:
        return task
    now = timezone.now()
    with transaction.atomic():
        for field in changed:
            setattr(task, field, new[field])
        if "status" in changed:
            task.completed_at = now if task.status == TaskStatus.DONE else None
        task.updated_at = now
        task.save()
        log.record(
            by=by,
            action="task.changed",
            target_type="task",
            target_id=task.pk,
            organisation=task.practice,
            detail=_task_detail(task, changed),
        )
    return task


def complete_task(*, task: Task, by: User) -> Task:
    if task.status == TaskStatus.DONE:
        raise TeamworkError("This task is already done.")
    return update_task(task=task, status=TaskStatus.DONE, by=by)


def delete_task(*, task: Task, by: User) -> None:
    if not may_change_task(by, task):
        raise NotYours("Only the task's owner, the person who set it, or the practice manager can delete it.")
    with transaction.atomic():
        detail = _task_detail(task)
        task_id = task.pk
        task.delete()
        log.record(
            by=by,
            action="task.deleted",
            target_type="task",
            target_id=task_id,
            organisation=task.practice,
            detail=detail,
        )


def _check_time(practice: Organisation, *, spent_on: date, minutes: int, project: Project | None, meeting: str) -> str:
    if spent_on > timezone.localdate():
        raise TeamworkError(f"{spent_on:%-d %B %Y} is in the future; record time once it has been spent.")
    if minutes is None or minutes <= 0:
        raise TeamworkError("Enter the minutes spent as a whole number greater than 0.")
    if minutes > MAX_MINUTES_PER_ENTRY:
        raise TeamworkError(f"A day has {MAX_MINUTES_PER_ENTRY:,} minutes; enter {MAX_MINUTES_PER_ENTRY:,} or fewer.")
    meeting = meeting.strip()
    if project is None and not meeting:
        raise TeamworkError("Choose the project the time was for, or name the meeting.")
    if project is not None and project.practice_id != practice.pk:
        raise TeamworkError("That project belongs to another practice; choose one of this practice's projects.")
    if len(meeting) > 200:
        raise TeamworkError(f"Keep the meeting's name to 200 characters or fewer (it has {len(meeting)}).")
    return meeting


def _time_detail(entry: TimeEntry, changed: list[str] | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "user": entry.user_id,
        "role": entry.role,
        "spent_on": entry.spent_on.isoformat(),
        "minutes": entry.minutes,
        "project": entry.project_id,
    }
    if changed is not None:
        detail["changed"] = changed
    return detail


def record_time(
    *,
    practice: Organisation,
    spent_on: date,
    minutes: int,
    project: Project | None = None,
    meeting: str = "",
    note: str = "",
    by: User,
) -> TimeEntry:
    """``by`` records QI time they spent themselves; their current role in the practice is kept with it."""
    _check_practice(practice)
    _check_may_edit(by, practice)
    membership = Membership.objects.filter(user=by, organisation=practice).first()
    if membership is None:
        raise TeamworkError(f"Only members of {practice.name} record QI time there.")
    meeting = _check_time(practice, spent_on=spent_on, minutes=minutes, project=project, meeting=meeting)
    now = timezone.now()
    with transaction.atomic():
        entry = TimeEntry.objects.create(
            practice=practice,
            user=by,
            role=membership.role,
            project=project,
            meeting=meeting,
            spent_on=spent_on,
            minutes=minutes,
            note=note.strip(),
            created_at=now,
            updated_at=now,
        )
        log.record(
            by=by,
            action="qi_time.recorded",
            target_type="time_entry",
            target_id=entry.pk,
            organisation=practice,
            detail=_time_detail(entry),
        )
    return entry


def update_time_entry(*, entry: TimeEntry, by: User, **changes: Any) -> TimeEntry:
    """Change any of TIME_FIELDS. The role stays the one recorded with the time."""
    unknown = set(changes) - set(TIME_FIELDS)
    if unknown:
        raise TypeError(f"update_time_entry() cannot change {', '.join(sorted(unknown))}")
    if not may_change_time(by, entry):
        raise NotYours("Only the person who recorded this time, or the practice manager, can change it.")
    new = {field: changes.get(field, getattr(entry, field)) for field in TIME_FIELDS}
    new["meeting"] = _check_time(
        entry.practice, spent_on=new["spent_on"], minutes=new["minutes"], project=new["project"], meeting=new["meeting"]
    )
    new["note"] = (new["note"] or "").strip()
    changed = [field for field in TIME_FIELDS if new[field] != getattr(entry, field)]
    if not changed:
        return entry
    with transaction.atomic():
        for field in changed:
            setattr(entry, field, new[field])
        entry.updated_at = timezone.now()
        entry.save()
        log.record(
            by=by,
            action="qi_time.changed",
            target_type="time_entry",
            target_id=entry.pk,
            organisation=entry.practice,
            detail=_time_detail(entry, changed),
        )
    return entry


def delete_time_entry(*, entry: TimeEntry, by: User) -> None:
    if not may_change_time(by, entry):
        raise NotYours("Only the person who recorded this time, or the practice manager, can delete it.")
    with transaction.atomic():
        detail = _time_detail(entry)
        entry_id = entry.pk
        entry.delete()
        log.record(
            by=by,
            action="qi_time.deleted",
            target_type="time_entry",
            target_id=entry_id,
            organisation=entry.practice,
            detail=detail,
        )
