"""Accepting a proposed recalculation (a new phase) on a practice's measure chart, and undoing one (after a
confirmation page). Each view: one permission check, then an action in ``dashboard.actions``."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from qiloop_web.dashboard import actions, pages
from qiloop_web.dashboard.models import ChartPhase
from qiloop_web.organisations.models import Kind, Organisation
from qiloop_web.organisations.permissions import organisation_permission_required
from qiloop_web.organisations.roles import Permission


def _measure_page(organisation: Organisation, measure_id: str) -> HttpResponse:
    return redirect("dashboard:measure", code=organisation.code, measure_id=measure_id)


def _practice_measure(organisation: Organisation, measure_id: str) -> str:
    if organisation.kind != Kind.PRACTICE:
        raise Http404("Only a practice's own charts have phases.")
    return pages.get_measure_or_404(measure_id).id


@require_http_methods(["POST"])
@organisation_permission_required(Permission.RECALCULATE_CHARTS)
def accept_phase(request: HttpRequest, organisation: Organisation, measure_id: str) -> HttpResponse:
    measure_id = _practice_measure(organisation, measure_id)
    loaded = pages.results()
    chart = pages.measure_figures(loaded, organisation.code, measure_id).get("chart") if loaded else None
    proposal: dt.date | None = getattr(chart, "proposal_start", None)
    if proposal is None or request.POST.get("starts", "") != proposal.isoformat():
        messages.error(
            request,
            "That recalculation is not what the chart proposes now (the results or the phases have changed): "
            "nothing was recorded. Read the chart again and accept the proposal shown, if there is one.",
        )
        return _measure_page(organisation, measure_id)
    try:
        actions.accept_phase(
            practice=organisation,
            measure_id=measure_id,
            starts=proposal,
            by=request.user,
            reason=getattr(chart, "proposal_text", ""),
        )
    except actions.PhaseError as problem:
        messages.error(request, f"Nothing was recorded: {problem.message}.")
    else:
        messages.success(
            request, f"Limits recalculated from {proposal:%B %Y}: the chart now reads that month on as a new phase."
        )
    return _measure_page(organisation, measure_id)


@require_http_methods(["GET", "POST"])
@organisation_permission_required(Permission.RECALCULATE_CHARTS)
def undo_phase(request: HttpRequest, organisation: Organisation, measure_id: str, phase_id: int) -> HttpResponse:
    measure_id = _practice_measure(organisation, measure_id)
    phase = get_object_or_404(ChartPhase, pk=phase_id, practice=organisation, measure_id=measure_id)
    if request.method == "POST":
        actions.undo_phase(phase=phase, by=request.user)
        messages.success(request, f"The phase from {phase.starts:%B %Y} is undone: the chart is drawn without it.")
        return _measure_page(organisation, measure_id)
    context = {"organisation": organisation, "measure": pages.get_measure_or_404(measure_id), "phase": phase}
    return render(request, "dashboard/undo_phase.html", context)
