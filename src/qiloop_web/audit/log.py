"""Write audit events.

Actions call :func:`record` inside their transaction, so an event is written
if and only if the change is. Pages that show or download patient-level data
call :func:`record_view`. Where the request came from (its IP address) is
taken from the request being served (set by ``AuditContextMiddleware``);
outside a request, for example from the command line, it is left empty.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from qiloop_web.audit.models import AuditEvent

_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("qiloop_client_ip", default=None)


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from.

    REMOTE_ADDR, or behind a trusted reverse proxy (QILOOP_BEHIND_PROXY) the
    last address in X-Forwarded-For, which is the one the proxy itself added.
    """
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR") or None


@contextmanager
def request_origin(ip: str | None) -> Iterator[None]:
    """Attribute audit events written inside the block to this IP address."""
    token = _client_ip.set(ip)
    try:
        yield
    finally:
        _client_ip.reset(token)


def record(
    *,
    by: Any,
    action: str,
    target_type: str = "",
    target_id: object = "",
    organisation: Any = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event: ``by`` (a user, or None for anonymous/the command line) did ``action`` to the target.

    ``organisation`` is the organisation (or its code) whose audit log the
    event belongs in. ``detail`` holds what changed, e.g. ``{"from": "gp",
    "to": "practice_manager"}``; it must never hold patient-level values.
    """
    authenticated = by is not None and getattr(by, "is_authenticated", False)
    code = getattr(organisation, "code", organisation) or ""
    return AuditEvent.objects.create(
        actor_id=by.pk if authenticated else None,
        actor=by.email if authenticated else "",
        action=action,
        target_type=target_type,
        target_id="" if target_id is None else str(target_id),
        organisation_code=code,
        ip_address=_client_ip.get(),
        detail=detail or {},
    )


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The names of the fields whose values differ: what an event's ``detail`` says changed.

    Names, never values: the team's free text (titles, aims, notes) and imported cell values must not be
    copied into the append-only audit log, where they could never be removed.
    """
    return sorted(name for name in after.keys() | before.keys() if before.get(name) != after.get(name))


def record_view(
    *,
    by: Any,
    what: str,
    organisation: Any,
    target_type: str = "",
    target_id: object = "",
    download: bool = False,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record that ``by`` viewed (or downloaded) patient-level data of ``organisation``.

    ``what`` names the page or file, e.g. ``"action_list"``; ``target_*`` the
    measure it belongs to. Call it from every page and download that shows
    patient-level rows. Record counts if useful, never the rows themselves.
    """
    verb = "downloaded" if download else "viewed"
    return record(
        by=by,
        action=f"patient_data.{verb}",
        target_type=target_type,
        target_id=target_id,
        organisation=organisation,
        detail={"what": what, **(detail or {})},
    )
