"""Every change to a QI project's aim, status, team, measures and points.

The driver diagram, fishbone and process map are changed in ``diagram_actions``; PDSA cycles in
``pdsa_actions``. All share this module's rules: ``ProjectError``, ``clean_text``, ``touch``, ``record_event``.

Each function takes keyword arguments only, is told who is acting (``by``),
runs in one transaction and writes an audit event in it. Rules a person can
break raise ``ProjectError`` with a message that says what is wrong and what
to do; nothing is changed when one is raised. Views check the permission
(EDIT_PROJECTS) before calling; the actions check the rules that keep a
project whole (a member belongs to the practice, a manual point's numerator
is at most its denominator, a closed project has a reflection...).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from qiloop.improvement.aims import check_aim
from qiloop.measures import all_measures
from qiloop.months import month_end, shift_month
from qiloop_web.audit import log
from qiloop_web.organisations.models import Kind, Membership, Organisation
from qiloop_web.projects.models import (
    DriverNode,
    ManualPoint,
    MeasureRole,
    NodeKind,
    Project,
    ProjectMeasure,
    ProjectMember,
    Status,
)


class ProjectError(Exception):
    """A rule about a QI project was broken; the message is for the person."""


class PointsError(ProjectError):
    """Some lines of pasted points are wrong; ``problems`` has one message per wrong line."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


# Where a project may go from each status. Closing is possible from anywhere (an idea can be dropped);
# a sustaining project can go back to active when the improvement slips; a closed project can be reopened (active).
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    Status.IDEA: (Status.ACTIVE, Status.CLOSED),
    Status.ACTIVE: (Status.SUSTAINING, Status.CLOSED),
    Status.SUSTAINING: (Status.ACTIVE, Status.CLOSED),
    Status.CLOSED: (Status.ACTIVE,),
}


def clean_text(value: str | None, *, what: str, required: bool = True, max_length: int = 300) -> str:
    cleaned = " ".join((value or "").split())
    if required and not cleaned:
        raise ProjectError(f"Enter {what}.")
    if len(cleaned) > max_length:
        raise ProjectError(f"{what[0].upper()}{what[1:]} must be {max_length} characters or fewer.")
    return cleaned


def touch(project: Project) -> None:
    project.updated_at = timezone.now()
    project.save(update_fields=["updated_at"])


def record_event(project: Project, action: str, by: Any, target_type: str, target_id: object, **detail: Any) -> None:
    """One audit event about ``project``. ``detail`` names fields and ids, never the team's free text."""
    log.record(
        by=by,
        action=f"project.{action}",
        target_type=target_type,
        target_id=target_id,
        organisation=project.practice,
        detail={"project": project.pk, **detail},
    )


def end_of_month_after(start: date, months: int) -> date:
    """The last day of the month ``months`` after ``start``'s month (an aim's "by when" from a template)."""
    return month_end(shift_month(start, months))


# --- projects -------------------------------------------------------------------------------------------------


def create_project(
    *, practice: Organisation, title: str, by: Any, template_key: str = "", today: date | None = None
) -> Project:
    """A new project in ``practice``, blank or from a template (which fills aim, measures and change ideas).

    The person creating it joins its team as the lead.
    """
    if practice.kind != Kind.PRACTICE:
        raise ProjectError("Projects belong to a GP practice; choose a practice.")
    chosen = None
    if template_key:
        from qiloop.improvement.templates import template

        try:
            chosen = template(template_key)
        except KeyError as unknown:
            raise ProjectError(
                f"There is no project template called {template_key!r}; choose one from the list."
            ) from unknown
    title = clean_text(title or (chosen.title if chosen else ""), what="a title for the project", max_length=200)
    today = today or timezone.localdate()
    with transaction.atomic():
        project = Project.objects.create(practice=practice, title=title, template_key=template_key, created_by=by)
        if chosen is not None:
            _fill_from_template(project, chosen, today)
        if by is not None and getattr(by, "is_authenticated", False):
            ProjectMember.objects.create(project=project, user=by, role_in_project="lead")
        record_event(project, "created", by, "project", project.pk, template=template_key)
    return project


def _fill_from_template(project: Project, chosen: Any, today: date) -> None:
    project.aim_what = chosen.aim_what
    project.aim_how_much = chosen.aim_how_much
    project.aim_by = end_of_month_after(today, chosen.aim_by_months)
    project.save(update_fields=["aim_what", "aim_how_much", "aim_by"])
    library = all_measures()
    for order, measure in enumerate(chosen.measures):
        library_id = measure.library_id if measure.library_id in library else ""
        ProjectMeasure.objects.create(
            project=project,
            role=measure.role,
            title=measure.title,
            library_measure_id=library_id,
            unit=measure.unit or "",
            low_is_good=measure.low_is_good,
            order=order,
        )
    for p_order, (primary, secondaries, ideas) in enumerate(chosen.primary_drivers):
        node = DriverNode.objects.create(project=project, kind=NodeKind.PRIMARY, text=primary, order=p_order)
        for s_order, secondary in enumerate(secondaries):
            DriverNode.objects.create(
                project=project, parent=node, kind=NodeKind.SECONDARY, text=secondary, order=s_order
            )
        # A template names the change ideas for a primary driver, not for one secondary: they hang from the primary.
        for i_order, idea in enumerate(ideas, start=len(secondaries)):
            DriverNode.objects.create(project=project, parent=node, kind=NodeKind.CHANGE_IDEA, text=idea, order=i_order)


def update_aim(
    *, project: Project, title: str, what: str, how_much: str, by_when: date | None, by: Any, today: date | None = None
) -> Project:
    """Change the title and the aim. The aim must say what, by how much and by when (a future date)."""
    title = clean_text(title, what="a title for the project", max_length=200)
    what = clean_text(what, what="what you want to improve")
    how_much = clean_text(how_much, what="by how much", max_length=200)
    check = check_aim(what, how_much, by_when, today=today or timezone.localdate())
    if not check.ok:
        raise ProjectError(" ".join(check.missing))
    before = {"title": project.title, "what": project.aim_what, "how_much": project.aim_how_much}
    before["by"] = project.aim_by.isoformat() if project.aim_by else None
    with transaction.atomic():
        project.title, project.aim_what, project.aim_how_much, project.aim_by = title, what, how_much, by_when
        project.updated_at = timezone.now()
        project.save(update_fields=["title", "aim_what", "aim_how_much", "aim_by", "updated_at"])
        after = {"title": title, "what": what, "how_much": how_much, "by": by_when.isoformat() if by_when else None}
        record_event(project, "aim_changed", by, "project", project.pk, fields=log.changed_fields(before, after))
    return project


def aim_is_set(project: Project, today: date | None = None) -> bool:
    return check_aim(project.aim_what, project.aim_how_much, project.aim_by, today=today or timezone.localdate()).ok


def change_status(*, project: Project, status: str, by: Any, reflection: str = "") -> Project:
    """Move the project on (idea -> active -> sustaining -> closed). Closing needs a reflection;
    starting (active) needs an aim that says what, by how much and by when."""
    try:
        new = Status(status)
    except ValueError as unknown:
        raise ProjectError(
            f"{status!r} is not a project status; choose idea, active, sustaining or closed."
        ) from unknown
    old = Status(project.status)
    if new == old:
        return project
    if new not in NEXT_STATUSES[old]:
        allowed = " or ".join(Status(s).label.lower() for s in NEXT_STATUSES[old])
        raise ProjectError(f"A project that is {old.label.lower()} can only become {allowed}.")
    if new == Status.ACTIVE and old == Status.IDEA and not aim_is_set(project):
        raise ProjectError(
            "Before the project becomes active, write its aim: what will improve, by how much and by when."
        )
    reflection = (reflection or "").strip()
    if new == Status.CLOSED and not reflection:
        raise ProjectError("Write a closing reflection: what did the team learn, and what happens now?")
    with transaction.atomic():
        project.status = new
        fields = ["status", "updated_at"]
        if new == Status.CLOSED:
            project.closing_reflection = reflection
            fields.append("closing_reflection")
        project.updated_at = timezone.now()
        project.save(update_fields=fields)
        record_event(project, "status_changed", by, "project", project.pk, **{"from": old.value, "to": new.value})
    return project


# --- team -----------------------------------------------------------------------------------------------------


def add_member(*, project: Project, user: Any, role_in_project: str = "member", by: Any) -> ProjectMember:
    """Add someone from the practice (any role, patient representatives included) to the project's team."""
    if not Membership.objects.filter(user=user, organisation=project.practice).exists():
        raise ProjectError(f"{user.display_name} is not a member of {project.practice.name}; invite them first.")
    if ProjectMember.objects.filter(project=project, user=user).exists():
        raise ProjectError(f"{user.display_name} is already in the project team.")
    role_in_project = clean_text(role_in_project or "member", what="their part in the project", max_length=100)
    with transaction.atomic():
        member = ProjectMember.objects.create(project=project, user=user, role_in_project=role_in_project)
        touch(project)
        record_event(project, "member_added", by, "user", user.pk)
    return member


def remove_member(*, member: ProjectMember, by: Any) -> None:
    project = member.project
    with transaction.atomic():
        record_event(project, "member_removed", by, "user", member.user_id)
        member.delete()
        touch(project)


# --- measures -------------------------------------------------------------------------------------------------


def _measure_fields(*, role: str, title: str, library_measure_id: str, unit: str, low_is_good: bool) -> dict[str, Any]:
    if role not in MeasureRole.values:
        raise ProjectError("Choose whether the measure is an outcome, process or balancing measure.")
    library_measure_id = (library_measure_id or "").strip()
    library = all_measures()
    if library_measure_id and library_measure_id not in library:
        raise ProjectError(f"There is no library measure {library_measure_id!r}; choose one from the list.")
    if library_measure_id and not (title or "").strip():
        title = library[library_measure_id].title
    return {
        "role": role,
        "title": clean_text(title, what="a name for the measure", max_length=200),
        "library_measure_id": library_measure_id,
        "unit": clean_text(unit, what="a unit", required=False, max_length=50),
        "low_is_good": bool(low_is_good),
    }


def add_measure(
    *,
    project: Project,
    role: str,
    title: str = "",
    library_measure_id: str = "",
    unit: str = "",
    low_is_good: bool = False,
    by: Any,
) -> ProjectMeasure:
    """A library measure (from the practice's results) or, with no ``library_measure_id``, a series entered by hand."""
    fields = _measure_fields(
        role=role, title=title, library_measure_id=library_measure_id, unit=unit, low_is_good=low_is_good
    )
    if (
        fields["library_measure_id"]
        and project.measures.filter(library_measure_id=fields["library_measure_id"]).exists()
    ):
        raise ProjectError(f"The project already has the library measure '{fields['title']}'.")
    order = (project.measures.aggregate(m=Max("order"))["m"] or 0) + 1
    with transaction.atomic():
        measure = ProjectMeasure.objects.create(project=project, order=order, **fields)
        touch(project)
        record_event(
            project,
            "measure_added",
            by,
            "project_measure",
            measure.pk,
            role=fields["role"],
            library_measure_id=fields["library_measure_id"],
        )
    return measure


def edit_measure(
    *, measure: ProjectMeasure, role: str, title: str, unit: str, low_is_good: bool, by: Any
) -> ProjectMeasure:
    """Change a measure's role, name, unit and direction (its source, library or manual, stays)."""
    fields = _measure_fields(
        role=role, title=title, library_measure_id=measure.library_measure_id, unit=unit, low_is_good=low_is_good
    )
    before = {name: getattr(measure, name) for name in fields}
    with transaction.atomic():
        for name, value in fields.items():
            setattr(measure, name, value)
        measure.save()
        touch(measure.project)
        changed = log.changed_fields(before, fields)
        record_event(measure.project, "measure_changed", by, "project_measure", measure.pk, fields=changed)
    return measure


def remove_measure(*, measure: ProjectMeasure, by: Any) -> None:
    project = measure.project
    with transaction.atomic():
        record_event(
            project,
            "measure_removed",
            by,
            "project_measure",
            measure.pk,
            points=measure.points.count(),
        )
        measure.delete()
        touch(project)


def _number(value: Any, *, what: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ProjectError(f"The {what} must be a number, like 12 or 3.5 (we read {str(value)!r}).") from None
    if not math.isfinite(number):
        raise ProjectError(f"The {what} must be an ordinary number (we read {str(value)!r}).")
    if number < 0:
        raise ProjectError(f"The {what} cannot be negative (we read {str(value)!r}).")
    return number


def point_values(
    value: Any = None, numerator: Any = None, denominator: Any = None
) -> tuple[float, float | None, float | None]:
    """Check one point's numbers: a value alone, or a numerator and denominator (the value is then their percentage)."""
    value_n = _number(value, what="value")
    num = _number(numerator, what="numerator")
    den = _number(denominator, what="denominator")
    if (num is None) != (den is None):
        raise ProjectError("Enter both the numerator and the denominator, or neither.")
    if num is not None and den is not None:
        if den == 0:
            raise ProjectError("The denominator must be more than 0.")
        if num > den:
            raise ProjectError(
                f"The numerator ({num:g}) is more than the denominator ({den:g}): "
                "the numerator counts those of the denominator who meet the measure."
            )
        return round(100 * num / den, 6), num, den
    if value_n is None:
        raise ProjectError("Enter a value, or a numerator and a denominator.")
    return value_n, None, None


def add_point(
    *,
    measure: ProjectMeasure,
    on: date,
    by: Any,
    value: Any = None,
    numerator: Any = None,
    denominator: Any = None,
    note: str = "",
) -> ManualPoint:
    """Add one point to a series entered by hand. Dates are unique within a series."""
    if not measure.is_manual:
        raise ProjectError(f"{measure.title} comes from the practice's records; its points cannot be typed in.")
    if on is None:
        raise ProjectError("Enter the date of the point.")
    if on > timezone.localdate():
        raise ProjectError(f"The date {on:%d/%m/%Y} is in the future; enter points once they have happened.")
    if measure.points.filter(date=on).exists():
        raise ProjectError(f"There is already a point for {on:%d/%m/%Y}; remove it first or choose another date.")
    number, num, den = point_values(value, numerator, denominator)
    note = clean_text(note, what="the note", required=False)
    with transaction.atomic():
        point = ManualPoint.objects.create(
            measure=measure, date=on, value=number, numerator=num, denominator=den, note=note
        )
        touch(measure.project)
        record_event(
            measure.project, "point_added", by, "project_measure", measure.pk, point=point.pk, date=on.isoformat()
        )
    return point


MAX_PASTED_POINTS = 520  # ten years of weekly counts


def _pasted_date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise ProjectError(f"{text.strip()!r} is not a date: write it as 2026-10-05 or 05/10/2026.")


def _pasted_point(line: str, today: date) -> tuple[date, float, float | None, float | None, str]:
    parts = [part.strip() for part in (line.split("\t") if "\t" in line else line.split(","))]
    if len(parts) < 2 or not parts[1]:
        raise ProjectError("write a date and a value, separated by a comma, like 2026-10-05, 12.")
    on = _pasted_date(parts[0])
    if on > today:
        raise ProjectError(f"the date {on:%d/%m/%Y} is in the future.")
    if "/" in parts[1]:
        numerator, _, denominator = parts[1].partition("/")
        value, num, den = point_values(None, numerator, denominator)
    else:
        value, num, den = point_values(parts[1])
    note = clean_text(", ".join(parts[2:]), what="the note", required=False)
    return on, value, num, den, note


def add_points(*, measure: ProjectMeasure, text: str, by: Any) -> list[ManualPoint]:
    """Add many points at once, one a line: ``date, value[, note]`` or ``date, numerator/denominator[, note]``.

    All or nothing: when any line is wrong, :class:`PointsError` lists every wrong line and nothing is added.
    """
    if not measure.is_manual:
        raise ProjectError(f"{measure.title} comes from the practice's records; its points cannot be typed in.")
    lines = [(number, line) for number, line in enumerate((text or "").splitlines(), start=1) if line.strip()]
    if not lines:
        raise ProjectError("Paste at least one line: a date and a value, like 2026-10-05, 12.")
    if len(lines) > MAX_PASTED_POINTS:
        raise ProjectError(f"Paste at most {MAX_PASTED_POINTS} lines at a time (there are {len(lines)}).")
    taken = {d: "an earlier point" for d in measure.points.values_list("date", flat=True)}
    today = timezone.localdate()
    rows, problems = [], []
    for number, line in lines:
        try:
            on, value, num, den, note = _pasted_point(line, today)
        except ProjectError as problem:
            problems.append(f"Line {number}: {problem}")
            continue
        if on in taken:
            problems.append(f"Line {number}: there is already a point for {on:%d/%m/%Y} ({taken[on]}).")
            continue
        taken[on] = f"line {number}"
        rows.append(ManualPoint(measure=measure, date=on, value=value, numerator=num, denominator=den, note=note))
    if problems:
        raise PointsError(problems)
    with transaction.atomic():
        points = ManualPoint.objects.bulk_create(rows)
        touch(measure.project)
        dates = sorted(p.date for p in rows)
        record_event(
            measure.project,
            "points_added",
            by,
            "project_measure",
            measure.pk,
            count=len(rows),
            first=dates[0].isoformat(),
            last=dates[-1].isoformat(),
        )
    return points


def remove_point(*, point: ManualPoint, by: Any) -> None:
    measure = point.measure
    with transaction.atomic():
        record_event(
            measure.project,
            "point_removed",
            by,
            "project_measure",
            measure.pk,
            point=point.pk,
            date=point.date.isoformat(),
        )
        point.delete()
        touch(measure.project)
