"""Learning-event pages: report (from any page), the practice's list, one event by stage, and its outputs.

Views stay short: the decorator checks the page's permission in the practice; ``event_or_404`` hides an
event the person may not open (a restricted event, or someone else's report for reception) as a 404;
the actions check again and do the writing.
"""

from __future__ import annotations

import csv
from datetime import timedelta
from io import StringIO
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from qiloop.csv_safety import neutralise_row
from qiloop.learning import lfpse_sheet
from qiloop.learning.taxonomy import FACTORS
from qiloop.learning.workflow import (
    STAGE_LABELS,
    Stage,
    allowed_targets,
    analysis_overdue,
    default_review_due,
    missing,
    response_hint,
)
from qiloop_web.learning import actions
from qiloop_web.learning.forms import SECTION_FORMS, ActionForm, AnalysisForm, ReportForm
from qiloop_web.learning.models import EventStage, LearningEvent
from qiloop_web.learning.review import review_verdict
from qiloop_web.organisations.models import Membership, Organisation
from qiloop_web.organisations.permissions import (
    has_permission,
    may_see_learning_event,
    organisation_permission_required,
    permissions_in,
)
from qiloop_web.organisations.roles import Permission


def practice_only(organisation: Organisation) -> None:
    if not organisation.is_practice:
        raise Http404("Learning events belong to GP practices.")


def visible_events(request: HttpRequest, organisation: Organisation) -> list[LearningEvent]:
    granted = permissions_in(request.user, organisation)
    events = LearningEvent.objects.filter(practice=organisation).select_related("practice", "reporter")
    return [event for event in events if may_see_learning_event(request.user, event, granted)]


def event_or_404(request: HttpRequest, organisation: Organisation, event_id: int) -> LearningEvent:
    practice_only(organisation)
    event = get_object_or_404(
        LearningEvent.objects.select_related("practice", "reporter"), pk=event_id, practice=organisation
    )
    if not may_see_learning_event(request.user, event):
        raise Http404("No such event.")
    return event


def _apply_error(form: Any, problem: actions.LearningError) -> None:
    form.add_error(problem.field if problem.field in form.fields else None, str(problem))


@login_required
def report_start(request: HttpRequest) -> HttpResponse:
    """ "Report an event" from any page: straight to the form in the person's practice, or a choice of practices."""
    practices = [
        m.organisation
        for m in Membership.objects.filter(user=request.user).select_related("organisation__parent__parent")
        if m.organisation.is_practice and has_permission(request.user, Permission.REPORT_LEARNING_EVENT, m.organisation)
    ]
    if len(practices) == 1:
        return redirect("learning:new", practices[0].code)
    return render(request, "learning/report_start.html", {"practices": practices})


@organisation_permission_required(Permission.REPORT_LEARNING_EVENT)
def event_list(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    practice_only(organisation)
    today = timezone.localdate()
    stage = request.GET.get("stage", "")
    kind = request.GET.get("type", "")
    events = visible_events(request, organisation)
    shown = [e for e in events if (not stage or e.stage == stage) and (not kind or e.event_type == kind)]
    rows = [
        {"event": e, "overdue": analysis_overdue(e.stage, timezone.localtime(e.reported_at).date(), today)}
        for e in shown
    ]
    granted = permissions_in(request.user, organisation)
    context = {
        "organisation": organisation,
        "rows": rows,
        "stage": stage,
        "kind": kind,
        "stages": EventStage.choices,
        "types": LearningEvent._meta.get_field("event_type").choices,
        "can_manage": Permission.MANAGE_LEARNING_EVENTS in granted,
        "sees_all": Permission.VIEW_LEARNING_EVENTS in granted,
    }
    return render(request, "learning/event_list.html", context)


@require_http_methods(["GET", "POST"])
@organisation_permission_required(Permission.REPORT_LEARNING_EVENT)
def event_new(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    practice_only(organisation)
    form = ReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            event = actions.report_event(practice=organisation, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except actions.LearningError as problem:
            _apply_error(form, problem)
        else:
            messages.success(request, f"Event {event.number} reported. Thank you: the team will look at it.")
            return redirect("learning:detail", organisation.code, event.pk)
    context = {"organisation": organisation, "form": form}
    return render(request, "learning/event_new.html", context, status=400 if form.errors else 200)


def _stage_context(event: LearningEvent) -> dict[str, Any]:
    today = timezone.localdate()
    fields = event.fields()
    targets = allowed_targets(event.stage)
    return {
        "stage_label": STAGE_LABELS[Stage(event.stage)],
        "stages": [(s.value, STAGE_LABELS[s]) for s in Stage],
        "next_stage": targets[0] if targets else None,
        "next_label": STAGE_LABELS[targets[0]] if targets else "",
        "can_close_at_triage": Stage.CLOSED in targets and event.stage == EventStage.TRIAGED,
        "missing": missing(event.stage, fields) if event.stage != EventStage.CLOSED else [],
        "hint": response_hint(event.response_type, event.occurred_on, today),
        "overdue": analysis_overdue(event.stage, timezone.localtime(event.reported_at).date(), today),
        "factor_labels": [FACTORS[key].label for key in event.factors if key in FACTORS],
        "prompts": [
            (p.question, (event.prompt_answers or {}).get(p.key, ""))
            for p in (event.response.prompts if event.response else ())
        ],
        "tasks": [link.task for link in event.action_links.select_related("task__owner")],
        "verdict": review_verdict(event),
    }


@organisation_permission_required(Permission.REPORT_LEARNING_EVENT)
def event_detail(request: HttpRequest, organisation: Organisation, event_id: int) -> HttpResponse:
    event = event_or_404(request, organisation, event_id)
    granted = permissions_in(request.user, organisation)
    context = {
        "organisation": organisation,
        "event": event,
        "can_manage": Permission.MANAGE_LEARNING_EVENTS in granted,
        **_stage_context(event),
    }
    return render(request, "learning/event_detail.html", context)


SECTION_TITLES = {
    "details": "Complete the report",
    "triage": "Triage",
    "analysis": "Analysis",
    "change": "What has changed",
    "review": "Review",
    "sharing": "Share the learning",
}


def _initial(event: LearningEvent, section: str) -> dict[str, Any]:
    initial = {name: getattr(event, name) for name in actions.SECTIONS[section] if hasattr(event, name)}
    for name in ("duty_of_candour", "cqc_notifiable"):
        if name in initial:
            initial[name] = {True: "yes", False: "no"}.get(initial[name], "")
    if section == "change" and not event.review_due:
        initial["review_due"] = default_review_due(timezone.localdate())
    return initial


@require_http_methods(["GET", "POST"])
@organisation_permission_required(Permission.MANAGE_LEARNING_EVENTS)
def event_edit(request: HttpRequest, organisation: Organisation, event_id: int, section: str) -> HttpResponse:
    event = event_or_404(request, organisation, event_id)
    if section not in SECTION_FORMS:
        raise Http404("No such part of an event.")
    form_class = SECTION_FORMS[section]
    data = request.POST if request.method == "POST" else None
    kwargs: dict[str, Any] = {"initial": _initial(event, section)}
    form = form_class(data, event=event, **kwargs) if form_class is AnalysisForm else form_class(data, **kwargs)
    if request.method == "POST" and form.is_valid():
        changes = form.changes() if isinstance(form, AnalysisForm) else dict(form.cleaned_data)
        try:
            actions.update_event(event=event, by=request.user, **changes)  # type: ignore[arg-type]
        except actions.LearningError as problem:
            _apply_error(form, problem)
        else:
            messages.success(request, f"{SECTION_TITLES[section]} saved.")
            return redirect("learning:detail", organisation.code, event.pk)
    context = {
        "organisation": organisation,
        "event": event,
        "form": form,
        "section": section,
        "section_title": SECTION_TITLES[section],
        "hint": response_hint(event.response_type, event.occurred_on, timezone.localdate())
        if section == "triage"
        else "",
        "response": event.response if section == "analysis" else None,
    }
    return render(request, "learning/event_edit.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@organisation_permission_required(Permission.MANAGE_LEARNING_EVENTS)
def action_new(request: HttpRequest, organisation: Organisation, event_id: int) -> HttpResponse:
    event = event_or_404(request, organisation, event_id)
    initial = {"owner": request.user.pk, "due_on": timezone.localdate() + timedelta(weeks=4)}
    form = ActionForm(request.POST if request.method == "POST" else None, practice=organisation, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            link = actions.add_action(event=event, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except actions.LearningError as problem:
            _apply_error(form, problem)
        else:
            messages.success(
                request, f"Action added for {link.task.owner.display_name}, due {link.task.due_on:%-d %B %Y}."
            )
            return redirect("learning:detail", organisation.code, event.pk)
    context = {"organisation": organisation, "event": event, "form": form}
    return render(request, "learning/action_form.html", context, status=400 if form.errors else 200)


@require_POST
@organisation_permission_required(Permission.MANAGE_LEARNING_EVENTS)
def event_move(request: HttpRequest, organisation: Organisation, event_id: int) -> HttpResponse:
    event = event_or_404(request, organisation, event_id)
    try:
        actions.move_event(event=event, to=request.POST.get("to", ""), by=request.user)  # type: ignore[arg-type]
    except actions.LearningError as problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, f"Event {event.number} is now {STAGE_LABELS[Stage(event.stage)].lower()}.")
    return redirect("learning:detail", organisation.code, event.pk)


# --- outputs ---------------------------------------------------------------------------------------------------


@organisation_permission_required(Permission.REPORT_LEARNING_EVENT)
def event_record(request: HttpRequest, organisation: Organisation, event_id: int) -> HttpResponse:
    """The printable record (NES headings: what happened, why, what was learned, what changed), for appraisal."""
    event = event_or_404(request, organisation, event_id)
    context = {"organisation": organisation, "event": event, **_stage_context(event)}
    return render(request, "learning/event_record.html", context)


@organisation_permission_required(Permission.REPORT_LEARNING_EVENT)
def event_lfpse(request: HttpRequest, organisation: Organisation, event_id: int) -> HttpResponse:
    event = event_or_404(request, organisation, event_id)
    fields = event.fields()
    fields["reporter_role"] = actions.reporter_staff_type(event)
    context = {"organisation": organisation, "event": event, "rows": lfpse_sheet(fields)}
    return render(request, "learning/event_lfpse.html", context)


CSV_COLUMNS = (
    "number",
    "stage",
    "event_type",
    "occurred_on",
    "date_approximate",
    "location",
    "process",
    "physical_harm",
    "psychological_harm",
    "involved_agents",
    "response_type",
    "factors",
    "actions",
    "duty_of_candour",
    "cqc_notifiable",
    "lfpse_status",
    "review_due",
    "reviewed_on",
    "restricted",
)


@organisation_permission_required(Permission.VIEW_LEARNING_EVENTS)
def events_csv(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """The practice's events the person may see, as codes and dates: no free text at all."""
    practice_only(organisation)
    out = StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for event in visible_events(request, organisation):
        values = event.fields()
        row = []
        for name in CSV_COLUMNS:
            value = values.get(name)
            if isinstance(value, list):
                value = ";".join(str(v) for v in value)
            row.append(
                {True: "yes", False: "no", None: ""}.get(value, value) if isinstance(value, bool | None) else value
            )
        writer.writerow(neutralise_row(row))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="learning-events-{organisation.code}.csv"'
    return response


def detail_url(event: LearningEvent) -> str:
    return reverse("learning:detail", args=[event.practice.code, event.pk])
