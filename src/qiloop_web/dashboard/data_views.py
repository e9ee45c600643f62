"""The data page (import an extract) and an import's progress. Each: one permission check, then render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers

from qiloop_web.dashboard import imports, pages
from qiloop_web.dashboard.actions import start_import
from qiloop_web.dashboard.forms import ImportForm
from qiloop_web.dashboard.views import wants_partial
from qiloop_web.organisations.models import Kind, Organisation
from qiloop_web.organisations.permissions import organisation_permission_required
from qiloop_web.organisations.roles import Permission


def _importer(organisation: Organisation) -> None:
    if organisation.kind == Kind.PCN:
        raise Http404("Extracts are imported at the ICB (the whole network, or one practice) or by the practice.")


def _job_of(organisation: Organisation, job_id: str) -> dict[str, Any]:
    """The status of an import made at this organisation (404 for anything else)."""
    if not imports.JOB_NAME.fullmatch(job_id):
        raise Http404("No such import.")
    status = imports.read_status(Path(settings.VAR_DIR) / "imports" / job_id)
    if not status or not _made_at(status, organisation):
        raise Http404("No such import.")
    return status


def _made_at(status: dict[str, Any], organisation: Organisation) -> bool:
    # Jobs from before imports named their organisation were all made at the ICB.
    made_at = status.get("organisation") or ("" if organisation.kind != Kind.ICB else organisation.code)
    return bool(made_at) and made_at == organisation.code


@organisation_permission_required(Permission.IMPORT_DATA)
def data_page(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    _importer(organisation)
    at_practice = organisation.kind == Kind.PRACTICE
    posted = request.method == "POST"
    form = ImportForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        import_root=settings.QILOOP_IMPORT_ROOT,
        jobs_dir=settings.QILOOP_IMPORT_JOBS_DIR,
        max_upload_bytes=settings.QILOOP_MAX_UPLOAD_BYTES,
        practice=organisation.code if at_practice else "",
    )
    if posted and form.is_valid():
        job = start_import(
            organisation=organisation,
            by=request.user,
            upload=form.cleaned_data["extract"],
            folder=form.cleaned_data["folder"],
            scope=form.chosen_scope,
            kind=form.chosen_kind,
        )
        return redirect("dashboard:import-status", organisation.code, job.name)
    loaded = pages.results()
    recent = [
        (job.name, status)
        for job in imports.recent_jobs(Path(settings.VAR_DIR) / "imports", count=50)
        if _made_at(status := imports.read_status(job), organisation)
    ][:5]
    context = {
        "organisation": organisation,
        "at_practice": at_practice,
        "form": form,
        "manifest": loaded.manifest if loaded else {},
        "latest_month": pages.latest_month_label(loaded),
        "store": Path(settings.QILOOP_STORE).name,  # never the server's path
        "snapshot": _snapshot_text(Path(settings.QILOOP_STORE)),
        "recent": recent,
    }
    return render(request, "dashboard/data.html", context, status=400 if form.errors else 200)


def _snapshot_text(store: Path) -> str:
    """A sentence when the store holds a snapshot (a report export), else ""."""
    from qiloop.records.convert import snapshot_sentence, store_snapshot

    as_of = store_snapshot(store)
    return snapshot_sentence(as_of) if as_of else ""


@organisation_permission_required(Permission.IMPORT_DATA)
def import_status(request: HttpRequest, organisation: Organisation, job_id: str) -> HttpResponse:
    _importer(organisation)
    status = _job_of(organisation, job_id)
    context = {
        "organisation": organisation,
        "job_id": job_id,
        "status": status,
        "steps": imports.steps_for(status),
        "running": status.get("state") in ("queued", "running"),
    }
    template = "dashboard/_import_progress.html" if wants_partial(request) else "dashboard/import_status.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
