"""Project pages: the practice's list, a new project, the one-page summary, aim, status, team and measures.

The driver diagram, fishbone and process map pages are in ``diagram_views``.

Every page needs VIEW_PROJECTS in the practice (every practice role, patient
representatives included; never a network role, which sees a practice only as
suppressed network aggregates); every
write needs EDIT_PROJECTS and goes through ``projects.actions``. Project pages
show aggregates only: never a patient-level row.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from qiloop.improvement.aims import check_aim
from qiloop_web.organisations.models import Organisation
from qiloop_web.organisations.permissions import has_permission
from qiloop_web.organisations.roles import Permission
from qiloop_web.projects import actions, forms, summary
from qiloop_web.projects.actions import ProjectError
from qiloop_web.projects.models import (
    ManualPoint,
    Project,
    ProjectMeasure,
    ProjectMember,
    Status,
)
from qiloop_web.projects.pages import (
    EDIT,
    GET_POST,
    VIEW,
    attempt,
    confirmed_delete,
    form_data,
    page_context,
    practice_only,
    project_or_404,
    require_edit,
    to_project,
)

# --- list, new, summary -----------------------------------------------------------------------------------------


@VIEW
def project_list(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    practice_only(organisation)
    projects = (
        Project.objects.filter(practice=organisation)
        .annotate(
            n_members=Count("members", distinct=True),
            n_measures=Count("measures", distinct=True),
            n_cycles=Count("cycles", distinct=True),
            n_cycles_done=Count("cycles", filter=Q(cycles__stage="done"), distinct=True),
        )
        .order_by("-updated_at", "-id")
    )
    rows = [summary.row(project) for project in projects]
    groups = [(label, [r for r in rows if r.project.status == value]) for value, label in Status.choices]
    return render(request, "projects/list.html", page_context(request, organisation, rows=rows, groups=groups))


def _templates() -> list[Any]:
    from qiloop.improvement.templates import templates

    return templates()


@GET_POST
@EDIT
def new_project(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    practice_only(organisation)
    available = _templates()
    form = forms.NewProjectForm(form_data(request), templates=available)
    if request.method == "POST" and form.is_valid():
        made: list[Project] = []
        if attempt(
            form,
            lambda: made.append(
                actions.create_project(
                    practice=organisation,
                    title=form.cleaned_data["title"],
                    template_key=form.cleaned_data["template"],
                    by=request.user,
                )
            ),
        ):
            messages.success(request, f"Project '{made[0].title}' created.")
            return to_project(made[0])
    hints = [(t.key, t.summary) for t in available]
    return render(request, "projects/new.html", page_context(request, organisation, form=form, template_hints=hints))


@VIEW
def project_detail(request: HttpRequest, organisation: Organisation, project_id: int) -> HttpResponse:
    project = project_or_404(organisation, project_id)
    context = page_context(
        request,
        organisation,
        project,
        aim=summary.aim(project),
        members=project.members.select_related("user").order_by("id"),
        measures=project.measures.annotate(n_points=Count("points")),
        tree=summary.driver_tree(project),
        cause_count=project.fishbone_causes.count(),
        steps=list(project.process_steps.all()),
        cycles=list(project.cycles.all()),
        can_see_dashboard=has_permission(request.user, Permission.VIEW_DASHBOARD, organisation),
    )
    return render(request, "projects/detail.html", context)


# --- aim and status ---------------------------------------------------------------------------------------------


@GET_POST
@EDIT
def edit_aim(request: HttpRequest, organisation: Organisation, project_id: int) -> HttpResponse:
    project = project_or_404(organisation, project_id)
    initial = {
        "title": project.title,
        "what": project.aim_what,
        "how_much": project.aim_how_much,
        "by_when": forms.initial_by_when(project.aim_by),
    }
    form = forms.AimForm(form_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if attempt(
            form,
            lambda: actions.update_aim(
                project=project,
                title=data["title"],
                what=data["what"],
                how_much=data["how_much"],
                by_when=data["by_date"],
                by=request.user,
            ),
        ):
            messages.success(request, "Aim saved.")
            return to_project(project)
    check = check_aim(project.aim_what, project.aim_how_much, project.aim_by)
    context = page_context(request, organisation, project, form=form, check=check)
    return render(request, "projects/aim.html", context)


@GET_POST
@EDIT
def change_status(request: HttpRequest, organisation: Organisation, project_id: int) -> HttpResponse:
    project = project_or_404(organisation, project_id)
    statuses = list(actions.NEXT_STATUSES[project.status])
    form = forms.StatusForm(form_data(request), statuses=statuses)
    if (
        request.method == "POST"
        and form.is_valid()
        and attempt(
            form,
            lambda: actions.change_status(
                project=project,
                status=form.cleaned_data["status"],
                reflection=form.cleaned_data["reflection"],
                by=request.user,
            ),
            "status",
        )
    ):
        messages.success(request, f"The project is now {project.get_status_display().lower()}.")
        return to_project(project)
    return render(request, "projects/status.html", page_context(request, organisation, project, form=form))


# --- team -------------------------------------------------------------------------------------------------------


def _people_to_add(organisation: Organisation, project: Project) -> list[tuple[str, str]]:
    already = set(project.members.values_list("user_id", flat=True))
    memberships = organisation.memberships.select_related("user").order_by("user__full_name", "user__email")
    return [
        (str(m.user_id), f"{m.user.display_name} ({m.get_role_display()})")
        for m in memberships
        if m.user_id not in already
    ]


@GET_POST
@VIEW
def team(request: HttpRequest, organisation: Organisation, project_id: int) -> HttpResponse:
    project = project_or_404(organisation, project_id)
    form = forms.MemberForm(form_data(request), people=_people_to_add(organisation, project))
    if request.method == "POST":
        require_edit(request, organisation)
        if form.is_valid():
            user = get_object_or_404(
                organisation.memberships.select_related("user"), user_id=form.cleaned_data["user"]
            ).user
            role = form.cleaned_data["role_in_project"]
            if attempt(
                form,
                lambda: actions.add_member(project=project, user=user, role_in_project=role, by=request.user),
                "user",
            ):
                messages.success(request, f"{user.display_name} has joined the project team.")
                return to_project(project, "projects:team")
    members = project.members.select_related("user").order_by("id")
    roles = {m.user_id: m.get_role_display() for m in organisation.memberships.all()}
    rows = [(member, roles.get(member.user_id, "No longer in the practice")) for member in members]
    return render(request, "projects/team.html", page_context(request, organisation, project, form=form, rows=rows))


@GET_POST
@EDIT
def remove_member(request: HttpRequest, organisation: Organisation, project_id: int, member_id: int) -> HttpResponse:
    project = project_or_404(organisation, project_id)
    member = get_object_or_404(ProjectMember.objects.select_related("user"), pk=member_id, project=project)
    team_url = reverse("projects:team", args=[organisation.code, project.pk])
    return confirmed_delete(
        request,
        organisation,
        project,
        lambda: actions.remove_member(member=member, by=request.user),
        done=f"{member.user.display_name} has left the project team.",
        next_url=team_url,
        heading=f"Remove {member.user.display_name} from the project team?",
        lead="They stay a member of the practice and can still see the project.",
        button="Remove from the team",
        back=team_url,
    )


# --- measures ---------------------------------------------------------------------------------------------------


def _measure(project: Project, measure_id: int) -> ProjectMeasure:
    return get_object_or_404(ProjectMeasure, pk=measure_id, project=project)


@GET_POST
@EDIT
def add_measure(request: HttpRequest, organisation: Organisation, project_id: int) -> HttpResponse:
    project = project_or_404(organisation, project_id)
    form = forms.MeasureForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        made: list[ProjectMeasure] = []
        if attempt(
            form, lambda: made.append(actions.add_measure(project=project, by=request.user, **form.cleaned_data))
        ):
            messages.success(request, f"Measure '{made[0].title}' added.")
            return redirect("projects:measure", organisation.code, project.pk, made[0].pk)
    return render(request, "projects/measure_form.html", page_context(request, organisation, project, form=form))


@GET_POST
@EDIT
def edit_measure(request: HttpRequest, organisation: Organisation, project_id: int, measure_id: int) -> HttpResponse:
    project = project_or_404(organisation, project_id)
    measure = _measure(project, measure_id)
    initial = {"role": measure.role, "title": measure.title, "unit": measure.unit, "low_is_good": measure.low_is_good}
    form = forms.MeasureForm(form_data(request), initial=initial, editing=True)
    saved = lambda: actions.edit_measure(measure=measure, by=request.user, **form.cleaned_data)  # noqa: E731
    if request.method == "POST" and form.is_valid() and attempt(form, saved):
        messages.success(request, "Measure saved.")
        return redirect("projects:measure", organisation.code, project.pk, measure.pk)
    context = page_context(request, organisation, project, form=form, measure=measure)
    return render(request, "projects/measure_form.html", context)


@GET_POST
@VIEW
def measure_page(request: HttpRequest, organisation: Organisation, project_id: int, measure_id: int) -> HttpResponse:
    project = project_or_404(organisation, project_id)
    measure = _measure(project, measure_id)
    many = request.method == "POST" and request.POST.get("form") == "many"
    form = forms.PointForm(None if many else form_data(request)) if measure.is_manual else None
    many_form = forms.PointsForm(form_data(request) if many else None) if measure.is_manual else None
    if request.method == "POST":
        require_edit(request, organisation)
        if form is None or many_form is None:
            raise Http404("This measure's points come from the practice's records.")
        if many and many_form.is_valid():
            added = _add_points(many_form, measure, request.user)
            if added:
                messages.success(request, f"{added} points added.")
                return redirect("projects:measure", organisation.code, project.pk, measure.pk)
        elif not many and form.is_valid():
            data = form.cleaned_data
            if attempt(
                form,
                lambda: actions.add_point(
                    measure=measure,
                    on=data["date"],
                    value=data["value"],
                    numerator=data["numerator"],
                    denominator=data["denominator"],
                    note=data["note"],
                    by=request.user,
                ),
            ):
                messages.success(request, f"Point for {data['date']:%d %B %Y} added.")
                return redirect("projects:measure", organisation.code, project.pk, measure.pk)
    context = page_context(
        request,
        organisation,
        project,
        measure=measure,
        form=form,
        many_form=many_form,
        points=list(measure.points.all()),
        library_title=summary.library_title(measure),
        can_see_dashboard=has_permission(request.user, Permission.VIEW_DASHBOARD, organisation),
    )
    return render(request, "projects/measure.html", context)


def _add_points(form: forms.PointsForm, measure: ProjectMeasure, by: Any) -> int:
    """Add pasted points; each wrong line becomes an error in the summary. How many were added (0 on errors)."""
    try:
        return len(actions.add_points(measure=measure, text=form.cleaned_data["points"], by=by))
    except actions.PointsError as wrong:
        for problem in wrong.problems:
            form.add_error("points", problem)
    except ProjectError as problem:
        form.add_error("points", str(problem))
    return 0


@GET_POST
@EDIT
def remove_measure(request: HttpRequest, organisation: Organisation, project_id: int, measure_id: int) -> HttpResponse:
    project = project_or_404(organisation, project_id)
    measure = _measure(project, measure_id)
    n_points = measure.points.count()
    return confirmed_delete(
        request,
        organisation,
        project,
        lambda: actions.remove_measure(measure=measure, by=request.user),
        done=f"Measure '{measure.title}' removed.",
        next_url=reverse("projects:detail", args=[organisation.code, project.pk]) + "#measures",
        heading=f"Remove the measure '{measure.title}'?",
        lead="The project will no longer chart it.",
        consequences=[f"The {n_points} point(s) entered by hand will be deleted."] if n_points else [],
        button="Remove the measure",
        back=reverse("projects:measure", args=[organisation.code, project.pk, measure.pk]),
    )


@GET_POST
@EDIT
def remove_point(
    request: HttpRequest, organisation: Organisation, project_id: int, measure_id: int, point_id: int
) -> HttpResponse:
    project = project_or_404(organisation, project_id)
    measure = _measure(project, measure_id)
    point = get_object_or_404(ManualPoint, pk=point_id, measure=measure)
    measure_url = reverse("projects:measure", args=[organisation.code, project.pk, measure.pk])
    return confirmed_delete(
        request,
        organisation,
        project,
        lambda: actions.remove_point(point=point, by=request.user),
        done=f"Point for {point.date:%d %B %Y} removed.",
        next_url=measure_url,
        heading=f"Remove the point for {point.date:%d %B %Y}?",
        lead=f"{measure.title}: {point.value:g} on {point.date:%d %B %Y}.",
        button="Remove the point",
        back=measure_url,
    )
