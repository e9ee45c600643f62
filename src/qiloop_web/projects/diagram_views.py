"""Driver diagram, fishbone and process map pages: each shows its drawing and, for people who may edit,
the form that adds to it; changing, moving and deleting (after a confirmation) go through ``diagram_actions``."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from qiloop_web.organisations.models import Organisation
from qiloop_web.projects import diagram_actions, forms, summary
from qiloop_web.projects.actions import ProjectError
from qiloop_web.projects.models import (
    DriverNode,
    FishboneCategory,
    FishboneCause,
    NodeKind,
    ProcessStep,
    Project,
)
from qiloop_web.projects.pages import (
    EDIT,
    GET_POST,
    VIEW,
    attempt,
    confirmed_delete,
    form_data,
    page_context,
    project_or_404,
    require_edit,
    to_project,
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
    project = project_or_404(organisation, project_id)
    initial = {"parent": request.GET.get("parent", ""), "kind": request.GET.get("kind", "")}
    form = forms.DriverNodeForm(form_data(request), parents=_parent_choices(project), initial=initial)
    if request.method == "POST":
        require_edit(request, organisation)
        if form.is_valid():
            data = form.cleaned_data
            parent = _node(project, int(data["parent"])) if data["parent"] else None
            if attempt(
                form,
                lambda: diagram_actions.add_driver_node(
                    project=project, kind=data["kind"], text=data["text"], parent=parent, by=request.user
                ),
                "parent",
            ):
                messages.success(request, f"{NodeKind(data['kind']).label} added.")
                return to_project(project, "projects:drivers")
    context = page_context(
        request, organisation, project, form=form, tree=summary.driver_tree(project), aim=summary.aim(project)
    )
    return render(request, "projects/drivers.html", context)


@GET_POST
@EDIT
def edit_driver(request: HttpRequest, organisation: Organisation, project_id: int, node_id: int) -> HttpResponse:
    project = project_or_404(organisation, project_id)
    node = _node(project, node_id)
    form = forms.NodeTextForm(form_data(request), initial={"text": node.text})
    if (
        request.method == "POST"
        and form.is_valid()
        and attempt(
            form,
            lambda: diagram_actions.edit_driver_node(node=node, text=form.cleaned_data["text"], by=request.user),
            "text",
        )
    ):
        messages.success(request, f"{node.get_kind_display()} saved.")
        return to_project(project, "projects:drivers")
    heading = f"Change the {node.get_kind_display().lower()}"
    context = page_context(request, organisation, project, form=form, heading=heading, back="projects:drivers")
    return render(request, "projects/text_form.html", context)


@require_http_methods(["POST"])
@EDIT
def move_driver(request: HttpRequest, organisation: Organisation, project_id: int, node_id: int) -> HttpResponse:
    project = project_or_404(organisation, project_id)
    node = _node(project, node_id)
    try:
        diagram_actions.move_driver_node(node=node, direction=request.POST.get("direction", ""), by=request.user)
    except ProjectError as problem:
        messages.error(request, str(problem))
    return to_project(project, "projects:drivers", f"#node-{node.pk}")


@GET_POST
@EDIT
def remove_driver(request: HttpRequest, organisation: Organisation, project_id: int, node_id: int) -> HttpResponse:
    project = project_or_404(organisation, project_id)
    node = _node(project, node_id)
    beneath = diagram_actions.nodes_beneath(node)
    linked = node.cycles.count() + sum(n.cycles.count() for n in beneath)
    consequences = [f"Also deleted, beneath it: {n.get_kind_display().lower()} '{n.text}'." for n in beneath]
    if linked:
        consequences.append(f"{linked} PDSA cycle(s) keep their record but are no longer linked to a change idea.")
    drivers_url = reverse("projects:drivers", args=[organisation.code, project.pk])
    return confirmed_delete(
        request,
        organisation,
        project,
        lambda: diagram_actions.delete_driver_node(node=node, by=request.user),
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
    project = project_or_404(organisation, project_id)
    form = forms.CauseForm(form_data(request), initial={"category": request.GET.get("category", "")})
    if request.method == "POST":
        require_edit(request, organisation)
        if form.is_valid():
            data = form.cleaned_data
            if attempt(form, lambda: diagram_actions.add_cause(project=project, by=request.user, **data)):
                messages.success(request, f"Cause added under {FishboneCategory(data['category']).label.lower()}.")
                return to_project(project, "projects:fishbone")
    context = page_context(request, organisation, project, form=form, categories=summary.fishbone(project))
    return render(request, "projects/fishbone.html", context)


@GET_POST
@EDIT
def edit_cause(request: HttpRequest, organisation: Organisation, project_id: int, cause_id: int) -> HttpResponse:
    project = project_or_404(organisation, project_id)
    cause = get_object_or_404(FishboneCause, pk=cause_id, project=project)
    form = forms.CauseForm(form_data(request), initial={"category": cause.category, "text": cause.text})
    saved = lambda: diagram_actions.edit_cause(cause=cause, by=request.user, **form.cleaned_data)  # noqa: E731
    if request.method == "POST" and form.is_valid() and attempt(form, saved):
        messages.success(request, "Cause saved.")
        return to_project(project, "projects:fishbone")
    context = page_context(
        request, organisation, project, form=form, heading="Change the cause", back="projects:fishbone"
    )
    return render(request, "projects/text_form.html", context)


@GET_POST
@EDIT
def remove_cause(request: HttpRequest, organisation: Organisation, project_id: int, cause_id: int) -> HttpResponse:
    project = project_or_404(organisation, project_id)
    cause = get_object_or_404(FishboneCause, pk=cause_id, project=project)
    fishbone_url = reverse("projects:fishbone", args=[organisation.code, project.pk])
    return confirmed_delete(
        request,
        organisation,
        project,
        lambda: diagram_actions.delete_cause(cause=cause, by=request.user),
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
    project = project_or_404(organisation, project_id)
    form = forms.StepForm(form_data(request))
    if request.method == "POST":
        require_edit(request, organisation)
        added = lambda: diagram_actions.add_step(project=project, by=request.user, **form.cleaned_data)  # noqa: E731
        if form.is_valid() and attempt(form, added):
            messages.success(request, "Step added.")
            return to_project(project, "projects:process-map")
    context = page_context(request, organisation, project, form=form, steps=list(project.process_steps.all()))
    return render(request, "projects/process_map.html", context)


@GET_POST
@EDIT
def edit_step(request: HttpRequest, organisation: Organisation, project_id: int, step_id: int) -> HttpResponse:
    project = project_or_404(organisation, project_id)
    step = get_object_or_404(ProcessStep, pk=step_id, project=project)
    initial = {"text": step.text, "owner": step.owner, "pain_point": step.pain_point}
    form = forms.StepForm(form_data(request), initial=initial)
    saved = lambda: diagram_actions.edit_step(step=step, by=request.user, **form.cleaned_data)  # noqa: E731
    if request.method == "POST" and form.is_valid() and attempt(form, saved):
        messages.success(request, "Step saved.")
        return to_project(project, "projects:process-map")
    context = page_context(
        request, organisation, project, form=form, heading="Change the step", back="projects:process-map"
    )
    return render(request, "projects/text_form.html", context)


@require_http_methods(["POST"])
@EDIT
def move_step(request: HttpRequest, organisation: Organisation, project_id: int, step_id: int) -> HttpResponse:
    project = project_or_404(organisation, project_id)
    step = get_object_or_404(ProcessStep, pk=step_id, project=project)
    try:
        diagram_actions.move_step(step=step, direction=request.POST.get("direction", ""), by=request.user)
    except ProjectError as problem:
        messages.error(request, str(problem))
    return to_project(project, "projects:process-map", f"#step-{step.pk}")


@GET_POST
@EDIT
def remove_step(request: HttpRequest, organisation: Organisation, project_id: int, step_id: int) -> HttpResponse:
    project = project_or_404(organisation, project_id)
    step = get_object_or_404(ProcessStep, pk=step_id, project=project)
    map_url = reverse("projects:process-map", args=[organisation.code, project.pk])
    return confirmed_delete(
        request,
        organisation,
        project,
        lambda: diagram_actions.delete_step(step=step, by=request.user),
        done="Step deleted.",
        next_url=map_url,
        heading=f"Delete the step '{step.text}'?",
        lead="It is removed from the process map; the steps after it move up.",
        button="Delete",
        back=map_url,
    )
