"""The practice's key in the workbench (hold, remove) and the action list with NHS numbers (a download only).

Each view: one permission check through ``organisations.permissions``, then an
action or the list. The download is a POST (the upload) answered with the CSV:
``Cache-Control: no-store``, the upload closed (and a large upload's temporary
file deleted) before the list is computed, nothing saved, one audit event
naming the measure and the counts.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from qiloop.errors import QiloopError
from qiloop.measures.model import Measure
from qiloop_web.dashboard import pages
from qiloop_web.organisations.models import Organisation
from qiloop_web.organisations.permissions import organisation_permission_required, patient_level_view
from qiloop_web.organisations.roles import Permission
from qiloop_web.reidentify import actions, lists, sealing
from qiloop_web.reidentify.forms import HoldKeyForm, NhsNumbersForm, RemoveKeyForm
from qiloop_web.reidentify.models import PracticeKey


def _practice_only(organisation: Organisation) -> None:
    if not organisation.is_practice:
        raise Http404("Only a practice has a pseudonymisation key.")


@never_cache
@require_http_methods(["GET", "POST"])
@organisation_permission_required(Permission.MANAGE_PRACTICE_SETTINGS)
def key_page(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    _practice_only(organisation)
    form = HoldKeyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            key = actions.normalise_key(form.cleaned_data["key"])
            actions.hold_key(practice=organisation, key=key, by=request.user)  # type: ignore[arg-type]
        except actions.PracticeKeyError as problem:
            form.add_error("key", str(problem))
        else:
            messages.success(request, "The workbench now holds the practice's key. It will not be shown again.")
            return redirect("reidentify:key", code=organisation.code)
    held = PracticeKey.objects.filter(practice=organisation).first()
    return render(request, "reidentify/key.html", {"organisation": organisation, "form": form, "held": held})


@never_cache
@require_http_methods(["GET", "POST"])
@organisation_permission_required(Permission.MANAGE_PRACTICE_SETTINGS)
def remove_key(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    _practice_only(organisation)
    if not actions.holds_key(organisation):
        raise Http404("The workbench does not hold this practice's key.")
    form = RemoveKeyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        actions.remove_key(practice=organisation, by=request.user)  # type: ignore[arg-type]
        messages.success(request, "The practice's key has been removed from the workbench.")
        return redirect("reidentify:key", code=organisation.code)
    return render(request, "reidentify/remove_key.html", {"organisation": organisation, "form": form})


def _close_uploads(request: HttpRequest) -> None:
    """Close every uploaded file: an upload Django spooled to disk is deleted as it closes."""
    for _name, files in request.FILES.lists():
        for upload in files:
            upload.close()


def _problem(
    request: HttpRequest,
    organisation: Organisation,
    measure: Measure,
    form: NhsNumbersForm,
    problem: str = "",
    hint: str = "",
) -> HttpResponse:
    context = {"organisation": organisation, "measure": measure, "form": form, "problem": problem, "hint": hint}
    return render(request, "reidentify/download_problem.html", context, status=400)


@require_POST
@never_cache  # patient-identifiable: never kept by a browser or proxy
@patient_level_view(what="action_list_with_nhs_numbers", download=True)
def download(request: HttpRequest, organisation: Organisation, measure_id: str) -> HttpResponse:
    try:
        return _download(request, organisation, measure_id)
    finally:
        _close_uploads(request)


def _download(request: HttpRequest, organisation: Organisation, measure_id: str) -> HttpResponse:
    if not organisation.is_practice:
        raise Http404("NHS numbers are added to a practice's own action lists only.")
    measure = pages.get_measure_or_404(measure_id)
    form = NhsNumbersForm(request.POST, request.FILES)
    try:
        key = actions.held_key(organisation)
    except sealing.SealError as problem:
        return _problem(
            request, organisation, measure, form, f"{problem}.", "Ask the practice manager to enter it again."
        )
    if key is None:
        raise Http404("This practice has not chosen to hold its key in the workbench.")
    if not form.is_valid():
        return _problem(request, organisation, measure, form)
    upload = form.cleaned_data["numbers"]
    data, name = upload.read(), upload.name or "upload"
    _close_uploads(request)  # before the list is computed: a large upload's temporary file is gone from here on
    try:
        found = lists.with_nhs_numbers(organisation, measure, key, data, name)
    except QiloopError as problem:  # the message masks NHS numbers
        return _problem(request, organisation, measure, form, problem.message, problem.hint or "")
    request.audit_target = ("measure", measure.id)  # type: ignore[attr-defined]
    request.audit_detail = {"patients": len(found.table), "with_nhs_number": found.matched}  # type: ignore[attr-defined]
    response = HttpResponse(found.table.to_csv(index=False), content_type="text/csv; charset=utf-8")
    filename = f"{organisation.code}-{measure.id}-action-list-nhs-numbers.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
