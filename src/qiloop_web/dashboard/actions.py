"""Writes of the dashboard app: starting an import (audited when it starts and when it ends)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction

from qiloop_web.audit.log import record
from qiloop_web.dashboard import imports
from qiloop_web.dashboard.results import compute_results
from qiloop_web.organisations.models import Organisation


def _load_organisations(store: Path) -> None:
    from qiloop_web.startup import load_store_organisations

    load_store_organisations(store)


def start_import(*, organisation: Organisation, upload: Any, by: Any) -> Path:
    """Save the upload as a job and run it (in the background unless QILOOP_IMPORTS_IN_BACKGROUND is off)."""
    with transaction.atomic():
        job = imports.new_job(Path(settings.VAR_DIR) / "imports", upload)
        record(
            by=by,
            action="data.import_started",
            target_type="import",
            target_id=job.name,
            organisation=organisation,
            detail={"file": str(getattr(upload, "name", ""))[:200], "bytes": int(getattr(upload, "size", 0) or 0)},
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

    background = getattr(settings, "QILOOP_IMPORTS_IN_BACKGROUND", True)
    kwargs = {
        "store": Path(settings.QILOOP_STORE),
        "results_dir": Path(settings.QILOOP_RESULTS_DIR),
        "compute": compute_results,
        "load_organisations": _load_organisations,
        "on_finish": finished,
    }
    if background:
        imports.start_in_background(job, **kwargs)
    else:
        imports.run_import(job, **kwargs)
    return job
