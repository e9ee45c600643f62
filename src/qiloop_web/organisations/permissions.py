"""The one permission check, and the view decorator built on it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from qiloop_web.audit.log import record_view
from qiloop_web.organisations.models import Kind, Membership, Organisation
from qiloop_web.organisations.roles import PATIENT_LEVEL, Permission, definition


def permissions_in(user: Any, organisation: Organisation) -> frozenset[Permission]:
    """Every permission ``user`` has in ``organisation``, from their own membership there and from above."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    lineage = {organisation.pk: True} | {a.pk: False for a in organisation.ancestors()}
    granted: set[Permission] = set()
    for membership in Membership.objects.filter(user=user, organisation_id__in=lineage):
        role = definition(membership.role)
        if lineage[membership.organisation_id]:
            if organisation.kind in role.kinds:
                granted |= role.here
        else:
            granted |= role.beneath
    if organisation.kind != Kind.PRACTICE:
        granted -= PATIENT_LEVEL
    return frozenset(granted)


def has_permission(user: Any, permission: Permission, organisation: Organisation) -> bool:
    """Whether ``user`` may do ``permission`` in ``organisation``.

    A role held in the organisation itself grants its ``here`` permissions; a
    role held in a PCN or ICB above it grants only its ``beneath`` ones, which
    never include patient-level permissions. So a network QI lead sees
    patient-level data only in a practice where they also hold a clinical role.
    """
    return permission in permissions_in(user, organisation)


def organisation_permission_required(permission: Permission) -> Callable[..., Callable[..., HttpResponse]]:
    """Decorate a view taking ``code``: anonymous -> sign in; lacking ``permission`` -> 403.

    The view is called with the ``Organisation`` instead of its code.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, code: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            organisation = get_object_or_404(Organisation.objects.select_related("parent__parent"), code=code)
            if not has_permission(request.user, permission, organisation):
                raise PermissionDenied("You do not have permission to see this page.")
            return view(request, organisation, *args, **kwargs)

        return wrapped

    return decorator


def patient_level_view(*, what: str, download: bool = False) -> Callable[..., Callable[..., HttpResponse]]:
    """Decorate a practice view that shows (or, with ``download``, downloads) patient-level rows.

    It needs VIEW_PATIENT_LEVEL (downloads also DOWNLOAD_ACTION_LIST) in the
    practice named by ``code`` — which only the practice's own clinical
    members have — and, when the view answers 200, records the view in the
    audit log as ``what`` with the view's ``target_type``/``target_id`` taken
    from the ``audit_target`` attribute the view sets on the request, if any,
    and any counts from its ``audit_detail`` attribute (never patient values).
    """
    needed = [Permission.VIEW_PATIENT_LEVEL] + ([Permission.DOWNLOAD_ACTION_LIST] if download else [])

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, code: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            organisation = get_object_or_404(Organisation.objects.select_related("parent__parent"), code=code)
            granted = permissions_in(request.user, organisation)
            if not all(permission in granted for permission in needed):
                raise PermissionDenied("You do not have permission to see this page.")
            response = view(request, organisation, *args, **kwargs)
            if response.status_code == 200:
                target_type, target_id = getattr(request, "audit_target", ("", ""))
                record_view(
                    by=request.user,
                    what=what,
                    organisation=organisation,
                    target_type=target_type,
                    target_id=target_id,
                    download=download,
                    detail=getattr(request, "audit_detail", None),  # counts a view may add; never the rows
                )
            return response

        return wrapped

    return decorator


def may_see_learning_event(user: Any, event: Any, granted: frozenset[Permission] | None = None) -> bool:
    """Whether ``user`` may open one learning event of its practice.

    The person who reported it always may (while they can still report there). Otherwise: a restricted event
    (about a staff member) only those with VIEW_RESTRICTED_LEARNING_EVENTS there (the practice manager and the
    practice's GPs); any other event, anyone with VIEW_LEARNING_EVENTS there. Network roles never hold either
    permission in a practice (roles.PRACTICE_ONLY).
    """
    granted = permissions_in(user, event.practice) if granted is None else granted
    if (
        user is not None
        and getattr(user, "pk", None) == event.reporter_id
        and Permission.REPORT_LEARNING_EVENT in granted
    ):
        return True
    if Permission.VIEW_LEARNING_EVENTS not in granted:
        return False
    if event.restricted:
        return Permission.VIEW_RESTRICTED_LEARNING_EVENTS in granted
    return True
