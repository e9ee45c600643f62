"""PDSA cycle pages: start a cycle, and the cycle page (one stage at a time; the study stage beside the charts).

Seeing a cycle needs VIEW_PROJECTS in the practice (its whole team, patient representatives included; never a
network role); changing one needs EDIT_PROJECTS (the practice's team only). Pages show no
patient-level data: the charts are the practice's aggregates.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from qiloop.improvement.pdsa import REQUIRED, STAGE_LABELS, Stage, TransitionError, missing_fields, ramp
from qiloop_web.organisations.models import Kind, Organisation
from qiloop_web.organisations.permissions import has_permission, organisation_permission_required
from qiloop_web.organisations.roles import Permission
from qiloop_web.projects import charts, pdsa_actions
from qiloop_web.projects.models import PdsaCycle, Project, Status
from qiloop_web.projects.pdsa_actions import STAGE_FIELDS, PdsaError
from qiloop_web.projects.pdsa_forms import MISSING_MESSAGES, STAGE_FORMS, CycleForm, stage_form

STAGES = [Stage.PLAN, Stage.DO, Stage.STUDY, Stage.ACT]
STAGE_HEADINGS = {
    Stage.PLAN: "Plan",
    Stage.DO: "Do: carry out the test",
    Stage.STUDY: "Study: the results against the prediction",
    Stage.ACT: "Act: adopt, adapt or abandon",
}
STAGE_HINTS = {
    Stage.PLAN: "The question, your prediction, who does what, when and where, and the data to collect. "
    "Every part must be written before the test starts.",
    Stage.DO: "Carry out the test as planned, then record what happened and what you observed.",
    Stage.STUDY: "Look at the data beside this, compare it with your prediction, and write down what you learnt.",
    Stage.ACT: "Decide what to do with the change, and the next step. An adopted change can start a new phase "
    "on the charts; an adopted or adapted one can go on to the next cycle of the ramp.",
}
CHARTS_AT = {Stage.STUDY, Stage.ACT, Stage.DONE}  # the stages that look at the data


def _project(organisation: Organisation, project_id: int) -> Project:
    if organisation.kind != Kind.PRACTICE:
        raise Http404("Projects belong to practices.")
    return get_object_or_404(Project, pk=project_id, practice=organisation)


def _can_edit(request: HttpRequest, organisation: Organisation) -> bool:
    return has_permission(request.user, Permission.EDIT_PROJECTS, organisation)


@organisation_permission_required(Permission.EDIT_PROJECTS)
def cycle_new(request: HttpRequest, organisation: Organisation, project_id: int) -> HttpResponse:
    project = _project(organisation, project_id)
    initial = {key: request.GET[key] for key in ("change_idea", "previous") if request.GET.get(key, "").isdigit()}
    form = CycleForm(request.POST or None, project=project, initial=initial)
    closed = project.status == Status.CLOSED
    if request.method == "POST" and not closed and form.is_valid():
        try:
            cycle = pdsa_actions.create_cycle(project=project, by=request.user, **form.cleaned_data)
        except (PdsaError, TransitionError) as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, f"Cycle '{cycle.title}' started: write the plan.")
            return redirect("projects:cycle", organisation.code, project.pk, cycle.pk)
    context = {
        "organisation": organisation,
        "project": project,
        "form": form,
        "closed": closed,
        "has_change_ideas": form.fields["change_idea"].queryset.exists(),
    }
    return render(request, "projects/pdsa_new.html", context, status=400 if form.errors else 200)


@organisation_permission_required(Permission.VIEW_PROJECTS)
def cycle_page(request: HttpRequest, organisation: Organisation, project_id: int, cycle_id: int) -> HttpResponse:
    project = _project(organisation, project_id)
    cycle = get_object_or_404(PdsaCycle.objects.select_related("change_idea", "previous"), pk=cycle_id, project=project)
    can_edit = _can_edit(request, organisation) and project.status != Status.CLOSED
    form = stage_form(cycle) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("You can see this cycle but not change it.")
        form = stage_form(cycle, request.POST)
        if form is None:
            messages.info(request, "This cycle is finished; its record can no longer change.")
            return redirect("projects:cycle", organisation.code, project.pk, cycle.pk)
        if form.is_valid():
            done = _save(request, cycle, form)
            if done is not None:
                return done
    context = _cycle_context(request, organisation, project, cycle, form, can_edit)
    return render(request, "projects/pdsa_cycle.html", context, status=400 if form and form.errors else 200)


def _save(request: HttpRequest, cycle: PdsaCycle, form: Any) -> HttpResponse | None:
    """Save the stage (and move on, or decide); a redirect when it worked, None with errors on the form."""
    organisation = cycle.project.practice
    stage = Stage(cycle.stage)
    data = form.cleaned_data
    following = None
    try:
        if stage == Stage.ACT and request.POST.get("finish"):
            cycle, following = pdsa_actions.decide(
                cycle=cycle,
                decision=data["decision"],
                next_step=data["next_step"],
                new_phase=data["new_phase"],
                start_next=data["start_next"],
                next_title=data["next_title"],
                by=request.user,
            )
            message = f"Decision recorded: {cycle.get_decision_display().lower()}."
        else:
            fields = {name: data[name] for name in STAGE_FIELDS[stage] if name in data}
            target = request.POST.get("to") or None
            cycle = pdsa_actions.update_cycle(cycle=cycle, fields=fields, to=target, by=request.user)
            message = f"Moved to {STAGE_LABELS[Stage(cycle.stage)]}." if target else "Saved."
    except (PdsaError, TransitionError) as problem:
        cycle.refresh_from_db()  # the action changed nothing
        form.add_error(None, str(problem))
        values = {name: data.get(name) for name in REQUIRED[stage]}
        if isinstance(problem, TransitionError):
            for name in missing_fields(stage, values):
                if name in form.fields:
                    form.add_error(name, MISSING_MESSAGES.get(name, "Fill this in"))
        return None
    if following is not None:
        message += f" The next cycle, '{following.title}', is started: write its plan."
        messages.success(request, message)
        return redirect("projects:cycle", organisation.code, cycle.project_id, following.pk)
    messages.success(request, message)
    return redirect("projects:cycle", organisation.code, cycle.project_id, cycle.pk)


def stage_records(cycle: PdsaCycle, *, upto: int) -> list[dict[str, Any]]:
    """What the stages before ``upto`` (all four once done) recorded, as label/value rows."""
    records = []
    for stage in STAGES[:upto]:
        form_class = STAGE_FORMS[stage]
        rows = []
        for name in STAGE_FIELDS[stage]:
            label = form_class.base_fields[name].label
            value = getattr(cycle, name)
            if name == "decision":
                value = cycle.get_decision_display()
            elif name == "new_phase":
                label, value = "New phase on the charts", "Yes" if value else "No"
            elif name == "starts_on":
                label, value = "Date the test started", value.strftime("%-d %B %Y") if value else ""
            rows.append((label, value))
        records.append({"label": STAGE_HEADINGS[stage], "rows": rows})
    return records


def _cycle_context(
    request: HttpRequest, organisation: Organisation, project: Project, cycle: PdsaCycle, form: Any, can_edit: bool
) -> dict[str, Any]:
    numbers = {
        pk: n for n, pk in enumerate(project.cycles.order_by("created_at", "id").values_list("pk", flat=True), 1)
    }
    previous_of = dict(project.cycles.values_list("pk", "previous_id"))
    by_pk = {c.pk: c for c in project.cycles.all()}
    chain = [by_pk[pk] for pk in ramp(cycle.pk, previous_of)]
    stage = Stage(cycle.stage)
    current_at = STAGES.index(stage) if stage in STAGES else len(STAGES)
    following = list(cycle.next_cycles.order_by("created_at", "id"))  # type: ignore[attr-defined]
    # beside the form (study, act) the charts are small; below a finished cycle, full size
    measure_charts = charts.project_charts(project, small=stage != Stage.DONE) if stage in CHARTS_AT else []
    return {
        "organisation": organisation,
        "project": project,
        "cycle": cycle,
        "number": numbers[cycle.pk],
        "numbers": numbers,
        "ramp": [(numbers[c.pk], c) for c in chain],
        "following": [(numbers[c.pk], c) for c in following],
        "stage": stage,
        "stage_label": STAGE_LABELS[stage],
        "steps": [
            {"label": STAGE_LABELS[s], "state": "done" if i < current_at else "current" if i == current_at else "todo"}
            for i, s in enumerate(STAGES)
        ],
        "next_label": STAGE_LABELS.get(STAGES[current_at + 1], "") if current_at + 1 < len(STAGES) else "",
        "next_value": STAGES[current_at + 1].value if current_at + 1 < len(STAGES) else "",
        "records": stage_records(cycle, upto=current_at),
        "stage_heading": STAGE_HEADINGS.get(stage, ""),
        "stage_hint": STAGE_HINTS.get(stage, ""),
        "form": form,
        "can_edit": can_edit,
        "measure_charts": measure_charts,
        "has_charts": any(item.chart for item in measure_charts),
    }
