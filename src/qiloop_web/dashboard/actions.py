"""Writes of the dashboard app: starting an import (audited when it starts and when it ends), and accepting or
undoing a new phase (a recalculation) on a practice's measure chart."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction

from qiloop.errors import QiloopError
from qiloop.measures import all_measures
from qiloop.measures.results_store import compute_results
from qiloop_web.audit.log import record
from qiloop_web.dashboard import imports
from qiloop_web.dashboard.models import ChartPhase
from qiloop_web.organisations.models import Kind, Organisation


def _load_organisations(store: Path, within: str | None = None) -> None:
    """``within``: the ICB importing, where new practices go when the extract does not say (a converted one)."""
    from qiloop_web.organisations.loading import PracticesFileError, load_store_practices

    try:
        load_store_practices(store, within)  # all or nothing (one transaction)
    except PracticesFileError as problem:
        raise imports.ImportFailed(
            f"the extract's practices do not fit the organisations already here: {problem}",
            hint="check the practice, PCN and ICB codes in the extract's practices table",
        ) from None


def start_import(
    *,
    organisation: Organisation,
    by: Any,
    upload: Any = None,
    folder: Path | None = None,
    scope: str = "network",
    kind: str = "canonical",
    inline: bool = False,
) -> Path:
    """Make a job of an uploaded zip or a folder on the server and run it (in the background unless
    QILOOP_IMPORTS_IN_BACKGROUND is off). ``scope`` "practice": one practice's extract (at a practice, that
    practice's own), replacing only its records. ``kind``: what the extract is (canonical, ehrql, fhir or gpad).
    ``inline``: run it now, whatever the setting (the ``import_extract`` management command)."""
    practice = organisation.code if organisation.kind == Kind.PRACTICE else ""
    scope = "practice" if practice else scope
    with transaction.atomic():
        job = imports.new_job(
            Path(settings.VAR_DIR) / "imports",
            upload,
            folder=folder,
            scope=scope,
            practice=practice,
            organisation=organisation.code,
            kind=kind,
        )
        # Not the file's or folder's name: a name is free text (the job's status.json says where it came from).
        source = (
            {"source": "folder"}
            if folder is not None
            else {"source": "upload", "bytes": int(getattr(upload, "size", 0) or 0)}
        )
        record(
            by=by,
            action="data.import_started",
            target_type="import",
            target_id=job.name,
            organisation=organisation,
            detail={**source, "scope": scope, "kind": kind},
        )

    def finished(ok: bool, message: str) -> None:
        record(
            by=by,
            action="data.imported" if ok else "data.import_failed",
            target_type="import",
            target_id=job.name,
            organisation=organisation,
            detail={"message": message[:500]} if message else {},
        )
        if background:
            close_old_connections()

    background = getattr(settings, "QILOOP_IMPORTS_IN_BACKGROUND", True) and not inline
    kwargs = {
        "store": Path(settings.QILOOP_STORE),
        "results_dir": Path(settings.QILOOP_RESULTS_DIR),
        "compute": compute_results,
        "load_organisations": functools.partial(
            _load_organisations, within=organisation.code if organisation.kind == Kind.ICB else None
        ),
        "on_finish": finished,
    }
    if background:
        imports.start_in_background(job, **kwargs)
    else:
        imports.run_import(job, **kwargs)
    return job


def end_interrupted_imports(*, by: Any = None) -> int:
    """At start: imports a stopped server left running end as failed, with the old store put back, the
    leftovers removed and an audit event in the organisation where each was made. Returns how many ended;
    the measures are recomputed when a store was put back."""
    store = Path(settings.QILOOP_STORE)
    ended = imports.recover_interrupted(Path(settings.VAR_DIR) / "imports", store)
    for job, message in ended:
        status = imports.read_status(job)
        organisation = Organisation.objects.filter(code=status.get("organisation", "")).first()
        record(
            by=by,
            action="data.import_interrupted",
            target_type="import",
            target_id=job.name,
            organisation=organisation,
            detail={"step": str(status.get("step", ""))[:100], "store_restored": "put back" in message},
        )
    if any("put back" in message for _job, message in ended):
        compute_results(store, Path(settings.QILOOP_RESULTS_DIR), say=lambda _text: None)
    return len(ended)


class PhaseError(QiloopError):
    """A new phase that cannot be accepted or undone as asked (the message says why)."""


def accept_phase(*, practice: Organisation, measure_id: str, starts: dt.date, by: Any, reason: str = "") -> ChartPhase:
    """Record that ``practice`` recalculates its chart of ``measure_id`` from the month ``starts`` (a new phase).

    The caller (the view) checks the permission and that ``starts`` is the chart's current proposal.
    """
    if practice.kind != Kind.PRACTICE:
        raise PhaseError(f"{practice.name} is not a practice: only a practice's own charts have phases")
    if measure_id not in all_measures():
        raise PhaseError(f"there is no measure {measure_id!r}")
    if starts.day != 1:
        raise PhaseError(f"a phase starts on the first day of a month, not {starts:%d %B %Y}")
    with transaction.atomic():
        if ChartPhase.objects.filter(practice=practice, measure_id=measure_id, starts=starts).exists():
            raise PhaseError(f"the chart already has a phase from {starts:%B %Y}")
        phase = ChartPhase.objects.create(
            practice=practice, measure_id=measure_id, starts=starts, reason=reason[:500], accepted_by=by
        )
        record(
            by=by,
            action="chart.phase_accepted",
            target_type="measure",
            target_id=measure_id,
            organisation=practice,
            detail={"starts": starts.isoformat(), "with_reason": bool(reason)},  # never the reason text
        )
    return phase


def undo_phase(*, phase: ChartPhase, by: Any) -> None:
    """Remove an accepted phase: the practice's chart of the measure is drawn without it again."""
    with transaction.atomic():
        record(
            by=by,
            action="chart.phase_undone",
            target_type="measure",
            target_id=phase.measure_id,
            organisation=phase.practice,
            detail={"starts": phase.starts.isoformat(), "accepted_at": phase.accepted_at.isoformat()},
        )
        phase.delete()
