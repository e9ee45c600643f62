"""Project pages: the practice's list, a new project, the one-page summary and the pages that edit it.

Every page needs VIEW_PROJECTS in the practice (every practice role, patient
representatives included; network QI leads from above, to view only); every
write needs EDIT_PROJECTS and goes through ``projects.actions``. Project pages
show aggregates only: never a patient-level row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from qiloop.improvement.aims import check_aim
from qiloop_web.organisations.models import Kind, Organisation
from qiloop_web.organisations.permissions import has_permission, organisation_permission_required
from qiloop_web.organisations.roles import Permission
from qiloop_web.projects import actions, forms, summary
from qiloop_web.projects.actions import ProjectError
from qiloop_web.projects.models import (
    DriverNode,
    FishboneCategory,
    FishboneCause,
    ManualPoint,
    NodeKind,
    ProcessStep,
    Project,
    ProjectMeasure,
    ProjectMember,
    Status,
)

VIEW = organisation_permission_required(Permission.VIEW_PROJECTS)
EDIT = organisation_permission_required(Permission.EDIT_PROJECTS)
GET_POST = require_http_methods(["GET", "POST"])


def _practice_only(organisation: Organisation) -> None:
    if organisation.kind != Kind.PRACTICE:
        raise Http404("Projects belong to practices.")


def _project(organisation: Organisation, project_id: int) -> Project:
    _practice_only(organisation)
    return get_object_or_404(Project.objects.select_related("practice"), pk=project_id, practice=organisation)


def _can_edit(request: HttpRequest, organisation: Organisation) -> bool:
    return has_permission(request.user, Permission.EDIT_PROJECTS, organisation)


def _require_edit(request: HttpRequest, organisation: Organisation) -> None:
    if not _can_edit(request, organisation):
        raise PermissionDenied("You can see this project but not change it.")


def _data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _context(request: HttpRequest, organisation: Organisation, project: Project | None = None, **more: Any) -> dict:
    return {"organisation": organisation, "project": project, "can_edit": _can_edit(request, organisation), **more}


def _attempt(form: Any, write: Callable[[], Any], field: str | None = None) -> bool:
    """Run an action; a ProjectError becomes a form error (shown in the error summary). True when it worked."""
    try:
        write()
    except ProjectError as problem:
        form.add_error(field, str(problem))
        return False
    return True


def _to_project(project: Project, page: str = "projects:detail", anchor: str = "") -> HttpResponse:
    return redirect(reverse(page, args=[project.practice.code, project.pk]) + anchor)


# --- list, new, summary -----------------------------------------------------------------------------------------


@VIEW
def project_list(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    _practice_only(organisation)
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
    return render(request, "projects/list.html", _context(request, organisation, rows=rows, groups=groups))


def _templates() -> list[Any]:
    from qiloop.improvement.templates import templates

    return templates()


@GET_POST
@EDIT
def new_project(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    _practice_only(organisation)
    available = _templates()
    form = forms.NewProjectForm(_data(request), templates=available)
    if request.method == "POST" and form.is_valid():
        made: list[Project] = []
        if _attempt(
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
            return _to_project(made[0])
    hints = [(t.key, t.summary) for t in available]
    return render(request, "projects/new.html", _context(request, organisation, form=form, template_hints=hints))


@VIEW
def project_detail(request: HttpRequest, organisation: Organisation, project_id: int) -> HttpResponse:
    project = _project(organisation, project_id)
    context = _context(
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
    project = _project(organisation, project_id)
    initial = {
        "title": project.title,
        "what": project.aim_what,
        "how_much": project.aim_how_much,
        "by_when": forms.initial_by_when(project.aim_by),
    }
    form = forms.AimForm(_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _attempt(
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
            return _to_project(project)
    check = check_aim(project.aim_what, project.aim_how_much, project.aim_by)
    context = _context(request, organisation, project, form=form, check=check)
    return render(request, "projects/aim.html", context)


@GET_POST
@EDIT
def change_status(request: HttpRequest, organisation: Organisation, project_id: int) -> HttpResponse:
    project = _project(organisation, project_id)
    statuses = list(actions.NEXT_STATUSES[project.status])
    form = forms.StatusForm(_data(request), statuses=statuses)
    if (
        request.method == "POST"
        and form.is_valid()
        and _attempt(
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
        return _to_project(project)
    return render(request, "projects/status.html", _context(request, organisation, project, form=form))


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
    project = _project(organisation, project_id)
    form = forms.MemberForm(_data(request), people=_people_to_add(organisation, project))
    if request.method == "POST":
        _require_edit(request, organisation)
        if form.is_valid():
            user = get_object_or_404(
                organisation.memberships.select_related("user"), user_id=form.cleaned_data["user"]
            ).user
            role = form.cleaned_data["role_in_project"]
            if _attempt(
                form,
                lambda: actions.add_member(project=project, user=user, role_in_project=role, by=request.user),
                "user",
            ):
                messages.success(request, f"{user.display_name} has joined the project team.")
                return _to_project(project, "projects:team")
    members = project.members.select_related("user").order_by("id")
    roles = {m.user_id: m.get_role_display() for m in organisation.memberships.all()}
    rows = [(member, roles.get(member.user_id, "No longer in the practice")) for member in members]
    return render(request, "projects/team.html", _context(request, organisation, project, form=form, rows=rows))


def _confirm(
    request: HttpRequest,
    organisation: Organisation,
    project: Project,
    *,
    heading: str,
    lead: str,
    button: str,
    back: str,
    error: str = "",
    consequences: list[str] | None = None,
) -> HttpResponse:
    context = _context(
        request,
        organisation,
        project,
        heading=heading,
        lead=lead,
        button=button,
        back=back,
        error=error,
        consequences=consequences or [],
    )
    return render(request, "projects/confirm_delete.html", context)


def _confirmed_delete(
    request: HttpRequest,
    organisation: Organisation,
    project: Project,
    delete: Callable[[], Any],
    *,
    done: str,
    next_url: str,
    **confirm: Any,
) -> HttpResponse:
    """GET: the confirmation page. POST: delete, then go on to ``next_url``."""
    error = ""
    if request.method == "POST":
        try:
            delete()
        except ProjectError as problem:
            error = str(problem)
        else:
            messages.success(request, done)
            return redirect(next_url)
    return _confirm(request, organisation, project, error=error, **confirm)


@GET_POST
@EDIT
def remove_member(request: HttpRequest, organisation: Organisation, project_id: int, member_id: int) -> HttpResponse:
    project = _project(organisation, project_id)
    member = get_object_or_404(ProjectMember.objects.select_related("user"), pk=member_id, project=project)
    team_url = reverse("projects:team", args=[organisation.code, project.pk])
    return _confirmed_delete(
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
    project = _project(organisation, project_id)
    form = forms.MeasureForm(_data(request))
    if request.method == "POST" and form.is_valid():
        made: list[ProjectMeasure] = []
        if _attempt(
            form, lambda: made.append(actions.add_measure(project=project, by=request.user, **form.cleaned_data))
        ):
            messages.success(request, f"Measure '{made[0].title}' added.")
            return redirect("projects:measure", organisation.code, project.pk, made[0].pk)
    return render(request, "projects/measure_form.html", _context(request, organisation, project, form=form))


@GET_POST
@EDIT
def edit_measure(request: HttpRequest, organisation: Organisation, project_id: int, measure_id: int) -> HttpResponse:
    project = _project(organisation, project_id)
    measure = _measure(project, measure_id)
    initial = {"role": measure.role, "title": measure.title, "unit": measure.unit, "low_is_good": measure.low_is_good}
    form = forms.MeasureForm(_data(request), initial=initial, editing=True)
    saved = lambda: actions.edit_measure(measure=measure, by=request.user, **form.cleaned_data)  # noqa: E731
    if request.method == "POST" and form.is_valid() and _attempt(form, saved):
        messages.success(request, "Measure saved.")
        return redirect("projects:measure", organisation.code, project.pk, measure.pk)
    context = _context(request, organisation, project, form=form, measure=measure)
    return render(request, "projects/measure_form.html", context)


@GET_POST
@VIEW
def measure_page(request: HttpRequest, organisation: Organisation, project_id: int, measure_id: int) -> HttpResponse:
    project = _project(organisation, project_id)
    measure = _measure(project, measure_id)
    many = request.method == "POST" and request.POST.get("form") == "many"
    form = forms.PointForm(None if many else _data(request)) if measure.is_manual else None
    many_form = forms.PointsForm(_data(request) if many else None) if measure.is_manual else None
    if request.method == "POST":
        _require_edit(request, organisation)
        if form is None or many_form is None:
            raise Http404("This measure's points come from the practice's records.")
        if many and many_form.is_valid():
            added = _add_points(many_form, measure, request.user)
            if added:
                messages.success(request, f"{added} points added.")
                return redirect("projects:measure", organisation.code, project.pk, measure.pk)
        elif not many and form.is_valid():
            data = form.cleaned_data
            if _attempt(
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
    context = _context(
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
    project = _project(organisation, project_id)
    measure = _measure(project, measure_id)
    n_points = measure.points.count()
    return _confirmed_delete(
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
    project = _project(organisation, project_id)
    measure = _measure(project, measure_id)
    point = get_object_or_404(ManualPoint, pk=point_id, measure=measure)
    measure_url = reverse("projects:measure", args=[organisation.code, project.pk, measure.pk])
    return _confirmed_delete(
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


# --- driver diagram ---------------------------------------------------------------------------------------------


def _node(project: Project, node_id: int) -> DriverNode:
    return get_object_or_404(DriverNode, pk=node_id, project=project)


def _parent_choices(project: Project) -> list[tuple[str, str]]:
    nodes = project.driver_nodes.exclude(kind=NodeKind.CHANGE_IDEA).order_by("parent_id", "order", "id")
    return [(str(n.pk), f"{n.get_kind_display()}: {n.text}") for n in nodes]


@GET_POST
@VIEW
def drivers(request: HttpRequest, organisation: Organisation, project_id: int) -> HttpResponse:
    project = _project(organisation, project_id)
    initial = {"parent": request.GET.get("parent", ""), "kind": request.GET.get("kind", "")}
    form = forms.DriverNodeForm(_data(request), parents=_parent_choices(project), initial=initial)
    if request.method == "POST":
        _require_edit(request, organisation)
        if form.is_valid():
            data = form.cleaned_data
            parent = _node(project, int(data["parent"])) if data["parent"] else None
            if _attempt(
                form,
                lambda: actions.add_driver_node(
                    project=project, kind=data["kind"], text=data["text"], parent=parent, by=request.user
                ),
                "parent",
            ):
                messages.success(request, f"{NodeKind(data['kind']).label} added.")
                return _to_project(project, "projects:drivers")
    context = _context(
        request, organisation, project, form=form, tree=summary.driver_tree(project), aim=summary.aim(project)
    )
    return render(request, "projects/drivers.html", context)


@GET_POST
@EDIT
def edit_driver(request: HttpRequest, organisation: Organisation, project_id: int, node_id: int) -> HttpResponse:
    project = _project(organisation, project_id)
    node = _node(project, node_id)
    form = forms.NodeTextForm(_data(request), initial={"text": node.text})
    if (
        request.method == "POST"
        and form.is_valid()
        and _attempt(
            form, lambda: actions.edit_driver_node(node=node, text=form.cleaned_data["text"], by=request.user), "text"
        )
    ):
        messages.success(request, f"{node.get_kind_display()} saved.")
        return _to_project(project, "projects:drivers")
    heading = f"Change the {node.get_kind_display().lower()}"
    context = _context(request, organisation, project, form=form, heading=heading, back="projects:drivers")
    return render(request, "projects/text_form.html", context)


@require_http_methods(["POST"])
@EDIT
def move_driver(request: HttpRequest, organisation: Organisation, project_id: int, node_id: int) -> HttpResponse:
    project = _project(organisation, project_id)
    node = _node(project, node_id)
    try:
        actions.move_driver_node(node=node, direction=request.POST.get("direction", ""), by=request.user)
    except ProjectError as problem:
        messages.error(request, str(problem))
    return _to_project(project, "projects:drivers", f"#node-{node.pk}")


@GET_POST
@EDIT
def remove_driver(request: HttpRequest, organisation: Organisation, project_id: int, node_id: int) -> HttpResponse:
    project = _project(organisation, project_id)
    node = _node(project, node_id)
    beneath = actions.nodes_beneath(node)
    linked = node.cycles.count() + sum(n.cycles.count() for n in beneath)
    consequences = [f"Also deleted, beneath it: {n.get_kind_display().lower()} '{n.text}'." for n in beneath]
    if linked:
        consequences.append(f"{linked} PDSA cycle(s) keep their record but are no longer linked to a change idea.")
    drivers_url = reverse("projects:drivers", args=[organisation.code, project.pk])
    return _confirmed_delete(
        request,
        organisation,
        project,
        lambda: actions.delete_driver_node(node=node, by=request.user),
        done=f"{node.get_kind_display()} '{node.text}' deleted.",
        next_url=drivers_url,
        heading=f"Delete the {node.get_kind_display().lower()} '{node.text}'?",
        lead="It is removed from the driver diagram.",
        consequences=consequences,
        button="Delete",
        back=drivers_url,
    )


# --- fishbone ---------------------------------------------------------------------------------------------------


@GET_POST
@VIEW
def fishbone(request: HttpRequest, organisation: Organisation, project_id: int) -> HttpResponse:
    project = _project(organisation, project_id)
    form = forms.CauseForm(_data(request), initial={"category": request.GET.get("category", "")})
    if request.method == "POST":
        _require_edit(request, organisation)
        if form.is_valid():
            data = form.cleaned_data
            if _attempt(form, lambda: actions.add_cause(project=project, by=request.user, **data)):
                messages.success(request, f"Cause added under {FishboneCategory(data['category']).label.lower()}.")
                return _to_project(project, "projects:fishbone")
    context = _context(request, organisation, project, form=form, categories=summary.fishbone(project))
    return render(request, "projects/fishbone.html", context)


@GET_POST
@EDIT
def edit_cause(request: HttpRequest, organisation: Organisation, project_id: int, cause_id: int) -> HttpResponse:
    project = _project(organisation, project_id)
    cause = get_object_or_404(FishboneCause, pk=cause_id, project=project)
    form = forms.CauseForm(_data(request), initial={"category": cause.category, "text": cause.text})
    saved = lambda: actions.edit_cause(cause=cause, by=request.user, **form.cleaned_data)  # noqa: E731
    if request.method == "POST" and form.is_valid() and _attempt(form, saved):
        messages.success(request, "Cause saved.")
        return _to_project(project, "projects:fishbone")
    context = _context(request, organisation, project, form=form, heading="Change the cause", back="projects:fishbone")
    return render(request, "projects/text_form.html", context)


@GET_POST
@EDIT
def remove_cause(request: HttpRequest, organisation: Organisation, project_id: int, cause_id: int) -> HttpResponse:
    project = _project(organisation, project_id)
    cause = get_object_or_404(FishboneCause, pk=cause_id, project=project)
    fishbone_url = reverse("projects:fishbone", args=[organisation.code, project.pk])
    return _confirmed_delete(
        request,
        organisation,
        project,
        lambda: actions.delete_cause(cause=cause, by=request.user),
        done="Cause deleted.",
        next_url=fishbone_url,
        heading=f"Delete the cause '{cause.text}'?",
        lead=f"It is removed from {cause.get_category_display().lower()} in the fishbone diagram.",
        button="Delete",
        back=fishbone_url,
    )


# --- process map ------------------------------------------------------------------------------------------------


@GET_POST
@VIEW
def process_map(request: HttpRequest, organisation: Organisation, project_id: int) -> HttpResponse:
    project = _project(organisation, project_id)
    form = forms.StepForm(_data(request))
    if request.method == "POST":
        _require_edit(request, organisation)
        added = lambda: actions.add_step(project=project, by=request.user, **form.cleaned_data)  # noqa: E731
        if form.is_valid() and _attempt(form, added):
            messages.success(request, "Step added.")
            return _to_project(project, "projects:process-map")
    context = _context(request, organisation, project, form=form, steps=list(project.process_steps.all()))
    return render(request, "projects/process_map.html", context)


@GET_POST
@EDIT
def edit_step(request: HttpRequest, organisation: Organisation, project_id: int, step_id: int) -> HttpResponse:
    project = _project(organisation, project_id)
    step = get_object_or_404(ProcessStep, pk=step_id, project=project)
    initial = {"text": step.text, "owner": step.owner, "pain_point": step.pain_point}
    form = forms.StepForm(_data(request), initial=initial)
    saved = lambda: actions.edit_step(step=step, by=request.user, **form.cleaned_data)  # noqa: E731
    if request.method == "POST" and form.is_valid() and _attempt(form, saved):
        messages.success(request, "Step saved.")
        return _to_project(project, "projects:process-map")
    context = _context(
        request, organisation, project, form=form, heading="Change the step", back="projects:process-map"
    )
    return render(request, "projects/text_form.html", context)


@require_http_methods(["POST"])
@EDIT
def move_step(request: HttpRequest, organisation: Organisation, project_id: int, step_id: int) -> HttpResponse:
    project = _project(organisation, project_id)
    step = get_object_or_404(ProcessStep, pk=step_id, project=project)
    try:
        actions.move_step(step=step, direction=request.POST.get("direction", ""), by=request.user)
    except ProjectError as problem:
        messages.error(request, str(problem))
    return _to_project(project, "projects:process-map", f"#step-{step.pk}")


@GET_POST
@EDIT
def remove_step(request: HttpRequest, organisation: Organisation, project_id: int, step_id: int) -> HttpResponse:
    project = _project(organisation, project_id)
    step = get_object_or_404(ProcessStep, pk=step_id, project=project)
    map_url = reverse("projects:process-map", args=[organisation.code, project.pk])
    return _confirmed_delete(
        request,
        organisation,
        project,
        lambda: actions.delete_step(step=step, by=request.user),
        done="Step deleted.",
        next_url=map_url,
        heading=f"Delete the step '{step.text}'?",
        lead="It is removed from the process map; the steps after it move up.",
        button="Delete",
        back=map_url,
    )
