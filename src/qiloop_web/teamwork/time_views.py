"""Protected QI time: record it, change or delete your own, and see the practice's hours by role and month."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from qiloop_web.organisations.models import Organisation
from qiloop_web.organisations.permissions import has_permission, organisation_permission_required
from qiloop_web.organisations.roles import Permission
from qiloop_web.teamwork import actions, totals
from qiloop_web.teamwork.forms import TimeEntryForm
from qiloop_web.teamwork.models import TimeEntry
from qiloop_web.teamwork.views import page_links, practice_only


def practice_totals(practice: Organisation) -> totals.Totals:
    """The practice's QI time by calendar month and the role people had when they recorded it."""
    rows = (
        TimeEntry.objects.filter(practice=practice)
        .annotate(month=TruncMonth("spent_on"))
        .values_list("month", "role")
        .annotate(minutes=Sum("minutes"))
        .order_by()
    )
    return totals.by_role_and_month(rows)


@organisation_permission_required(Permission.VIEW_PROJECTS)
def time_page(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    practice_only(organisation)
    figures = practice_totals(organisation)
    manages = has_permission(request.user, Permission.MANAGE_MEMBERS, organisation)
    entries = TimeEntry.objects.filter(practice=organisation).select_related("user", "project")
    if not manages:
        entries = entries.filter(user=request.user)
    context = {
        "organisation": organisation,
        "totals": figures,
        "table": totals.table(figures),
        "chart": None if figures.is_empty else totals.hours_chart(figures),
        "entries": entries[:100],
        "shows_everyone": manages,
        **page_links(request, organisation),
    }
    return render(request, "teamwork/time.html", context)


@organisation_permission_required(Permission.VIEW_PROJECTS)
def time_csv(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    practice_only(organisation)
    response = HttpResponse(totals.to_csv(practice_totals(organisation)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{organisation.code}-qi-time-by-role-and-month.csv"'
    return response


def _render_form(
    request: HttpRequest, organisation: Organisation, form: TimeEntryForm, entry: TimeEntry | None
) -> HttpResponse:
    context = {"organisation": organisation, "form": form, "entry": entry}
    return render(request, "teamwork/time_form.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@organisation_permission_required(Permission.EDIT_PROJECTS)
def time_create(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    practice_only(organisation)
    initial = {"project": request.GET.get("project"), "spent_on": timezone.localdate()}
    form = TimeEntryForm(request.POST if request.method == "POST" else None, practice=organisation, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            entry = actions.record_time(practice=organisation, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except actions.TeamworkError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{entry.minutes} minutes of QI time recorded for {entry.spent_on:%-d %B %Y}.")
            return redirect("teamwork:time", code=organisation.code)
    return _render_form(request, organisation, form, None)


def _changeable_entry(request: HttpRequest, organisation: Organisation, entry_id: int) -> TimeEntry:
    practice_only(organisation)
    entry = get_object_or_404(TimeEntry.objects.select_related("user", "project"), pk=entry_id, practice=organisation)
    if not actions.may_change_time(request.user, entry):
        raise PermissionDenied("Only the person who recorded this time, or the practice manager, can change it.")
    return entry


@require_http_methods(["GET", "POST"])
@organisation_permission_required(Permission.EDIT_PROJECTS)
def time_edit(request: HttpRequest, organisation: Organisation, entry_id: int) -> HttpResponse:
    entry = _changeable_entry(request, organisation, entry_id)
    initial = {field: getattr(entry, field) for field in actions.TIME_FIELDS}
    form = TimeEntryForm(request.POST if request.method == "POST" else None, practice=organisation, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_time_entry(entry=entry, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except actions.TeamworkError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "QI time saved.")
            return redirect("teamwork:time", code=organisation.code)
    return _render_form(request, organisation, form, entry)


@require_http_methods(["GET", "POST"])
@organisation_permission_required(Permission.EDIT_PROJECTS)
def time_delete(request: HttpRequest, organisation: Organisation, entry_id: int) -> HttpResponse:
    entry = _changeable_entry(request, organisation, entry_id)
    if request.method == "POST":
        actions.delete_time_entry(entry=entry, by=request.user)  # type: ignore[arg-type]
        messages.success(request, "QI time deleted.")
        return redirect("teamwork:time", code=organisation.code)
    back = reverse("teamwork:time", args=[organisation.code])
    return render(request, "teamwork/time_delete.html", {"organisation": organisation, "entry": entry, "back": back})
