"""What every project page shares: the permission decorators, finding the project, the page context,
turning an action's ProjectError into a form error, and the confirmation page before a delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from qiloop_web.organisations.models import Kind, Organisation
from qiloop_web.organisations.permissions import has_permission, organisation_permission_required
from qiloop_web.organisations.roles import Permission
from qiloop_web.projects.actions import ProjectError
from qiloop_web.projects.models import Project

VIEW = organisation_permission_required(Permission.VIEW_PROJECTS)
EDIT = organisation_permission_required(Permission.EDIT_PROJECTS)
GET_POST = require_http_methods(["GET", "POST"])


def practice_only(organisation: Organisation) -> None:
    if organisation.kind != Kind.PRACTICE:
        raise Http404("Projects belong to practices.")


def project_or_404(organisation: Organisation, project_id: int) -> Project:
    practice_only(organisation)
    return get_object_or_404(Project.objects.select_related("practice"), pk=project_id, practice=organisation)


def can_edit(request: HttpRequest, organisation: Organisation) -> bool:
    return has_permission(request.user, Permission.EDIT_PROJECTS, organisation)


def require_edit(request: HttpRequest, organisation: Organisation) -> None:
    if not can_edit(request, organisation):
        raise PermissionDenied("You can see this project but not change it.")


def form_data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def page_context(request: HttpRequest, organisation: Organisation, project: Project | None = None, **more: Any) -> dict:
    return {"organisation": organisation, "project": project, "can_edit": can_edit(request, organisation), **more}


def attempt(form: Any, write: Callable[[], Any], field: str | None = None) -> bool:
    """Run an action; a ProjectError becomes a form error (shown in the error summary). True when it worked."""
    try:
        write()
    except ProjectError as problem:
        form.add_error(field, str(problem))
        return False
    return True


def to_project(project: Project, page: str = "projects:detail", anchor: str = "") -> HttpResponse:
    return redirect(reverse(page, args=[project.practice.code, project.pk]) + anchor)


def confirm_page(
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
    context = page_context(
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


def confirmed_delete(
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
    return confirm_page(request, organisation, project, error=error, **confirm)
