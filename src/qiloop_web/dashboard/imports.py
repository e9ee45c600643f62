"""Importing an uploaded extract (a zip of the canonical CSV/Parquet files) into the analytics store.

One import is a job in ``var/imports/ID/``: the uploaded zip, the unpacked
extract and ``status.json`` (state, the step it is on, the message, the
quality report). The job runs in a background thread of the server:

1. unpack the zip (refusing absolute paths, ``..``, links and more than
   ``MAX_UNPACKED_BYTES``);
2. ``qiloop.records.importer.import_extract`` into the store — it builds the
   new store beside the old one and replaces it only when everything is
   valid, so a failed import changes nothing;
3. the data-quality report; 4. the organisations in the new practices table;
5. the measure results again (``compute_results``).

A failure at any step is recorded with its message (the library's
``QiloopError`` messages say what is wrong and where).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qiloop.errors import QiloopError

MAX_UNPACKED_BYTES = 4 * 1024**3
STEPS = [
    "unpacking the zip",
    "importing and checking the extract",
    "checking data quality",
    "creating organisations",
    "computing the measures",
]


class ImportFailed(QiloopError):
    pass


def new_job(imports_dir: Path, upload: Any) -> Path:
    """Save an uploaded file as a new job folder; returns the folder."""
    job = imports_dir / (dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3))
    job.mkdir(parents=True)
    with (job / "upload.zip").open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    write_status(job, state="queued", step="", message="")
    return job


def write_status(job: Path, **fields: Any) -> None:
    status = read_status(job) | fields | {"updated_at": dt.datetime.now(dt.UTC).isoformat()}
    temporary = job / "status.json.tmp"
    temporary.write_text(json.dumps(status, indent=2), encoding="utf-8")
    temporary.replace(job / "status.json")


def read_status(job: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((job / "status.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def unpack(zip_path: Path, target: Path) -> Path:
    """Unpack safely; return the folder that holds the extract's files (the zip's root or its one folder)."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile:
        raise ImportFailed(
            "the uploaded file is not a zip file", hint="zip the extract's files and upload the .zip"
        ) from None
    with archive:
        members = archive.infolist()
        total = sum(m.file_size for m in members)
        if total > MAX_UNPACKED_BYTES:
            raise ImportFailed(f"the zip unpacks to {total:,} bytes, more than the limit of {MAX_UNPACKED_BYTES:,}")
        for member in members:
            path = Path(member.filename)
            is_link = (member.external_attr >> 16) & 0o170000 == 0o120000
            if path.is_absolute() or ".." in path.parts or is_link:
                raise ImportFailed(
                    f"the zip holds an unsafe entry: {member.filename!r}", hint="zip only the extract's files"
                )
        target.mkdir(parents=True, exist_ok=True)
        archive.extractall(target)
    entries = [p for p in target.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return target


def run_import(
    job: Path,
    *,
    store: Path,
    results_dir: Path,
    compute: Callable[..., Any],
    load_organisations: Callable[[Path], Any],
    on_finish: Callable[[bool, str], None] = lambda ok, message: None,
) -> bool:
    """Run every step of the job, recording progress in status.json; True when it succeeded."""
    from qiloop.records.importer import import_extract
    from qiloop.records.quality import quality_report

    step = STEPS[0]
    try:
        write_status(job, state="running", step=step)
        extract = unpack(job / "upload.zip", job / "extract")
        step = STEPS[1]
        write_status(job, step=step)
        result = import_extract(extract, store)
        step = STEPS[2]
        write_status(job, step=step, rows=result.total_rows)
        write_status(job, quality=quality_report(store).summary_text())
        step = STEPS[3]
        write_status(job, step=step)
        load_organisations(store)
        step = STEPS[4]
        write_status(job, step=step)
        compute(store, results_dir, say=lambda _text: None)
    except QiloopError as problem:
        message = f"{step}: {problem}"
        write_status(job, state="failed", message=message)
        on_finish(False, message)
        return False
    except Exception as problem:  # noqa: BLE001 - a job must always end in a recorded state
        message = f"{step}: an unexpected error ({type(problem).__name__}); nothing was changed if the import had not finished"
        write_status(job, state="failed", message=message)
        on_finish(False, message)
        return False
    finally:
        shutil.rmtree(job / "extract", ignore_errors=True)
    write_status(job, state="done", step="", message=f"imported {result.total_rows:,} rows and recomputed the measures")
    on_finish(True, "")
    return True


def start_in_background(job: Path, **kwargs: Any) -> threading.Thread:
    thread = threading.Thread(target=run_import, args=(job,), kwargs=kwargs, name=f"import-{job.name}", daemon=True)
    thread.start()
    return thread
