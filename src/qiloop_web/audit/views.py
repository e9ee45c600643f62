"""The audit log page: an organisation's events, and its current members' sign-in events, newest first."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from qiloop_web.audit.models import AuditEvent
from qiloop_web.organisations.models import Organisation
from qiloop_web.organisations.permissions import organisation_permission_required
from qiloop_web.organisations.roles import Permission

PAGE_SIZE = 50


@organisation_permission_required(Permission.VIEW_AUDIT_LOG)
def organisation_log(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    members = list(organisation.memberships.values_list("user_id", "user__email"))
    ids, emails = [m[0] for m in members], [m[1] for m in members]
    events = AuditEvent.objects.for_organisation(organisation.code) | AuditEvent.objects.account_events_of(ids, emails)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/log.html", {"organisation": organisation, "page": page})
