"""Task pages: my tasks, the practice's task list, and create/edit/complete/delete.

Views stay short: the decorator checks the page's permission in the practice
(VIEW_PROJECTS to see, EDIT_PROJECTS to write), the actions decide who may
change which task, and a refusal there is a 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from qiloop_web.organisations.models import Membership, Organisation
from qiloop_web.organisations.permissions import has_permission, organisation_permission_required, permissions_in
from qiloop_web.organisations.roles import Permission
from qiloop_web.teamwork import actions
from qiloop_web.teamwork.forms import TaskFilterForm, TaskForm
from qiloop_web.teamwork.models import Task, TaskStatus


def practice_only(organisation: Organisation) -> None:
    if not organisation.is_practice:
        raise Http404("Tasks and QI time belong to GP practices.")


def next_or(request: HttpRequest, default: str) -> str:
    """Where to go after a change: the safe ``next`` the page was given, or ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _task_rows(request: HttpRequest, tasks: Any) -> list[dict[str, Any]]:
    today = timezone.localdate()
    granted: dict[int, frozenset[Permission]] = {}
    rows = []
    for task in tasks:
        if task.practice_id not in granted:
            granted[task.practice_id] = permissions_in(request.user, task.practice)
        can_change = actions.may_change_task(request.user, task, granted[task.practice_id])
        rows.append({"task": task, "overdue": task.is_overdue(today), "can_change": can_change})
    return rows


def page_links(request: HttpRequest, organisation: Organisation) -> dict[str, bool]:
    """What the page may offer: adding (EDIT_PROJECTS) and the way back to the practice (VIEW_ORGANISATION)."""
    granted = permissions_in(request.user, organisation)
    return {
        "can_edit": Permission.EDIT_PROJECTS in granted,
        "can_see_practice": Permission.VIEW_ORGANISATION in granted,
    }


def _tasks() -> Any:
    return Task.objects.select_related("practice__parent__parent", "owner", "project", "pdsa_cycle")


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    """The signed-in person's tasks in every practice where they can see projects: overdue first."""
    practice_ids = [
        membership.organisation_id
        for membership in Membership.objects.filter(user=request.user).select_related("organisation__parent__parent")
        if has_permission(request.user, Permission.VIEW_PROJECTS, membership.organisation)
    ]
    mine = _tasks().filter(owner=request.user, practice_id__in=practice_ids)
    today = timezone.localdate()
    open_tasks = list(mine.exclude(status=TaskStatus.DONE).order_by("due_on", "id"))
    context = {
        "overdue": _task_rows(request, [task for task in open_tasks if task.due_on < today]),
        "coming_up": _task_rows(request, [task for task in open_tasks if task.due_on >= today]),
        "done": _task_rows(request, mine.filter(status=TaskStatus.DONE).order_by("-completed_at", "-id")[:20]),
        "today": today,
    }
    return render(request, "teamwork/my_tasks.html", context)


@organisation_permission_required(Permission.VIEW_PROJECTS)
def task_list(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    practice_only(organisation)
    filters = TaskFilterForm(request.GET, practice=organisation)
    tasks = _tasks().filter(practice=organisation, **filters.filters())
    if filters.shows_open_only:
        tasks = tasks.exclude(status=TaskStatus.DONE)
    context = {
        "organisation": organisation,
        "filters": filters,
        "rows": _task_rows(request, tasks.order_by("due_on", "id")),
        **page_links(request, organisation),
        "here": request.get_full_path(),
    }
    return render(request, "teamwork/task_list.html", context)


def _task_or_404(organisation: Organisation, task_id: int) -> Task:
    return get_object_or_404(_tasks(), pk=task_id, practice=organisation)


def _changeable_task(request: HttpRequest, organisation: Organisation, task_id: int) -> Task:
    practice_only(organisation)
    task = _task_or_404(organisation, task_id)
    if not actions.may_change_task(request.user, task):
        raise PermissionDenied("Only the task's owner, the person who set it, or the practice manager can change it.")
    return task


def _render_form(request: HttpRequest, organisation: Organisation, form: TaskForm, task: Task | None) -> HttpResponse:
    context = {
        "organisation": organisation,
        "form": form,
        "task": task,
        "next": next_or(request, ""),
        "back": next_or(request, reverse("teamwork:tasks", args=[organisation.code])),
    }
    return render(request, "teamwork/task_form.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@organisation_permission_required(Permission.EDIT_PROJECTS)
def task_create(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    practice_only(organisation)
    initial = {"owner": request.user.pk, "project": request.GET.get("project"), "pdsa_cycle": request.GET.get("cycle")}
    form = TaskForm(request.POST if request.method == "POST" else None, practice=organisation, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            task = actions.create_task(practice=organisation, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except actions.TeamworkError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Task added for {task.owner.display_name}, due {task.due_on:%-d %B %Y}.")
            return redirect(next_or(request, reverse("teamwork:tasks", args=[organisation.code])))
    return _render_form(request, organisation, form, None)


@require_http_methods(["GET", "POST"])
@organisation_permission_required(Permission.EDIT_PROJECTS)
def task_edit(request: HttpRequest, organisation: Organisation, task_id: int) -> HttpResponse:
    task = _changeable_task(request, organisation, task_id)
    initial = {field: getattr(task, field) for field in actions.TASK_FIELDS}
    form = TaskForm(request.POST if request.method == "POST" else None, practice=organisation, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_task(task=task, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except actions.TeamworkError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Task “{task.title}” saved.")
            return redirect(next_or(request, reverse("teamwork:tasks", args=[organisation.code])))
    return _render_form(request, organisation, form, task)


@require_http_methods(["POST"])
@organisation_permission_required(Permission.EDIT_PROJECTS)
def task_complete(request: HttpRequest, organisation: Organisation, task_id: int) -> HttpResponse:
    task = _changeable_task(request, organisation, task_id)
    try:
        actions.complete_task(task=task, by=request.user)  # type: ignore[arg-type]
    except actions.TeamworkError as problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, f"Task “{task.title}” is done.")
    return redirect(next_or(request, reverse("teamwork:tasks", args=[organisation.code])))


@require_http_methods(["GET", "POST"])
@organisation_permission_required(Permission.EDIT_PROJECTS)
def task_delete(request: HttpRequest, organisation: Organisation, task_id: int) -> HttpResponse:
    task = _changeable_task(request, organisation, task_id)
    back = next_or(request, reverse("teamwork:tasks", args=[organisation.code]))
    if request.method == "POST":
        actions.delete_task(task=task, by=request.user)  # type: ignore[arg-type]
        messages.success(request, f"Task “{task.title}” deleted.")
        return redirect(back)
    context = {"organisation": organisation, "task": task, "back": back, "next": next_or(request, "")}
    return render(request, "teamwork/task_delete.html", context)
