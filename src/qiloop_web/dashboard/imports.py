"""Importing an extract (an uploaded zip, or a folder on the server) into the analytics store.

One import is a job in ``var/imports/ID/``: the uploaded zip, the unpacked
extract and ``status.json`` (state, the step it is on, the message, the
quality report, and where the extract came from). The job runs in a
background thread of the server:

1. unpack the zip (refusing absolute paths, ``..``, links, more than
   ``MAX_UNPACKED_BYTES`` in all, more than ``MAX_ZIP_ENTRIES`` entries, and an
   entry that unpacks to more than ``MAX_COMPRESSION_RATIO`` times its size), or check the folder is still there (a folder is
   read where it is, never changed);
2. the whole network's extract: ``qiloop.records.importer.import_extract``
   into the store; one practice's extract:
   ``qiloop.records.practice_import.import_practice_extract``, which replaces
   that practice's records only. Both build the new store beside the old one
   and replace it only when everything is valid, so a failed import changes
   nothing;
3. the data-quality report; 4. the organisations in the new practices table;
5. the measure results again (``compute_results``).

A failure at any step is recorded with its message (the library's
``QiloopError`` messages say what is wrong and where).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import secrets
import shutil
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from qiloop.errors import QiloopError, values_hidden

MAX_UNPACKED_BYTES = 4 * 1024**3
MAX_ZIP_ENTRIES = 100  # an extract is six tables; anything with hundreds of entries is not one
MAX_COMPRESSION_RATIO = 200  # CSV compresses about 5-20 times; a zip bomb thousands of times
FOLDER_STEP = "checking the folder"
STEPS = [
    "unpacking the zip",
    "importing and checking the extract",
    "checking data quality",
    "creating organisations",
    "computing the measures",
]


class ImportFailed(QiloopError):
    pass


JOB_NAME = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9a-f]{6}")


def new_job(
    imports_dir: Path,
    upload: Any = None,
    *,
    folder: Path | None = None,
    scope: str = "network",
    practice: str = "",
    organisation: str = "",
    kind: str = "canonical",
) -> Path:
    """A new job folder for an uploaded zip (saved into it) or a folder on the server; returns the job folder.

    ``scope`` "practice": the extract is one practice's (``practice``, when given, says which), replacing only
    that practice's records; "network": the whole network's, replacing the store. ``organisation``: the code of
    the organisation where the import was made (only its importers see the job). ``kind``: what the extract
    is (``qiloop.records.convert.KINDS``); anything but canonical is converted first.
    """
    job = imports_dir / (dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3))
    job.mkdir(parents=True)
    if upload is not None:
        with (job / "upload.zip").open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
    source = {"source": "folder", "folder": str(folder)} if folder is not None else {"source": "upload"}
    write_status(
        job,
        state="queued",
        step="",
        message="",
        scope=scope,
        practice=practice,
        organisation=organisation,
        kind=kind,
        **source,
    )
    return job


def recent_jobs(imports_dir: Path, count: int = 5) -> list[Path]:
    """The latest job folders, newest first (other folders under the imports directory are not jobs)."""
    if not imports_dir.is_dir():
        return []
    jobs = [p for p in imports_dir.iterdir() if p.is_dir() and JOB_NAME.fullmatch(p.name)]
    return sorted(jobs, reverse=True)[:count]


def steps_for(status: dict[str, Any]) -> list[str]:
    """The steps of this job, as shown while it runs."""
    return [FOLDER_STEP, *STEPS[1:]] if status.get("source") == "folder" else list(STEPS)


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
        if len(members) > MAX_ZIP_ENTRIES:
            raise ImportFailed(
                f"the zip holds {len(members):,} entries, more than the {MAX_ZIP_ENTRIES} an extract can have",
                hint="zip only the extract's table files",
            )
        total = sum(m.file_size for m in members)
        if total > MAX_UNPACKED_BYTES:
            raise ImportFailed(f"the zip unpacks to {total:,} bytes, more than the limit of {MAX_UNPACKED_BYTES:,}")
        for member in members:
            if member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1) and member.file_size > 1024**2:
                raise ImportFailed(
                    f"the zip entry {member.filename!r} unpacks to more than {MAX_COMPRESSION_RATIO} times its "
                    "packed size, which no extract does (a zip bomb?)",
                    hint="zip the extract's files again with an ordinary zip tool",
                )
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


def source_folder(job: Path, status: dict[str, Any]) -> Path:
    """The folder holding the extract's files: the unpacked zip, or the folder on the server as it is."""
    if status.get("source") != "folder":
        return unpack(job / "upload.zip", job / "extract")
    folder = Path(str(status.get("folder", "")))
    if not folder.is_dir():
        raise ImportFailed("the folder given is not there any more", hint="check the path and import again")
    return folder


@contextmanager
def one_import_at_a_time(store: Path, job: Path) -> Iterator[None]:
    store.parent.mkdir(parents=True, exist_ok=True)
    with (store.parent / f".{store.name}.import-lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            write_status(job, state="queued", step="", message="waiting for another import to finish")
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _keep_store(store: Path, job: Path) -> Path | None:
    """A second name for the store file as it is now (a hard link: imports write a new file and move it into
    place, so the link keeps the old one), to put back if a later step fails. None when there is no store."""
    if not store.is_file():
        return None
    kept = store.with_name(f".{store.name}.before-{job.name}")
    kept.unlink(missing_ok=True)
    try:
        os.link(store, kept)
    except OSError:
        shutil.copy2(store, kept)  # a file system without hard links
    return kept


def run_import(
    job: Path,
    *,
    store: Path,
    results_dir: Path,
    compute: Callable[..., Any],
    load_organisations: Callable[[Path], Any],
    on_finish: Callable[[bool, str], None] = lambda ok, message: None,
) -> bool:
    """Run every step of the job, recording progress in status.json; True when it succeeded.

    Imports into one store run one at a time (a lock file beside the store, across the server's processes):
    two at once would each start from the old store and the second would undo the first.
    """
    status = read_status(job)
    with one_import_at_a_time(store, job):
        return _run_steps(
            job,
            status,
            store=store,
            results_dir=results_dir,
            compute=compute,
            load_organisations=load_organisations,
            on_finish=on_finish,
        )


def _run_steps(
    job: Path,
    status: dict[str, Any],
    *,
    store: Path,
    results_dir: Path,
    compute: Callable[..., Any],
    load_organisations: Callable[[Path], Any],
    on_finish: Callable[[bool, str], None],
) -> bool:
    from qiloop.records.convert import import_from
    from qiloop.records.quality import quality_report

    one_practice = status.get("scope") == "practice"
    kind = str(status.get("kind") or "canonical")
    step = steps_for(status)[0]
    before: Path | None = None
    imported = False
    try:
        write_status(job, state="running", step=step)
        before = _keep_store(store, job)
        extract = source_folder(job, status)
        step = STEPS[1]
        write_status(job, step=step)
        # GP appointments data is published national data: kept whole even when a practice adds it
        practice = (status.get("practice") or None) if one_practice and kind != "gpad" else None
        with values_hidden():  # the message is kept and audited: file, line and column, never a cell's value
            if one_practice and kind != "gpad" and practice is None:
                practice = _the_practice(extract, kind, job)
            outcome = import_from(kind, extract, store, practice=practice, one_practice=one_practice)
        result: Any = outcome.result
        imported = True
        step = STEPS[2]
        write_status(job, step=step, rows=result.total_rows)
        if kind == "gpad":  # the national comparator: no patient records to check or measure
            conversion = "\n".join(outcome.report.summary_lines()) if outcome.report else ""
            write_status(job, conversion=_without_server_paths(conversion, job, store, status))
            write_status(
                job, state="done", step="", message=f"added {result.total_rows:,} rows of GP appointments data"
            )
            on_finish(True, "")
            return True
        # A practice's import reports on what the practice sent, never on the other practices in the store.
        report = _practice_quality(extract, job, kind) if one_practice else quality_report(store).summary_text()
        write_status(job, quality=_without_server_paths(report, job, store, status))
        step = STEPS[3]
        write_status(job, step=step)
        load_organisations(store)
        step = STEPS[4]
        write_status(job, step=step)
        compute(store, results_dir, say=lambda _text: None)
    except Exception as problem:  # noqa: BLE001 - a job must always end in a recorded state
        if imported and before is not None:
            os.replace(before, store)  # the store as it was before this import
        if isinstance(problem, QiloopError):
            message = f"{step}: {_without_server_paths(str(problem), job, store, status)}"
        else:
            message = f"{step}: an unexpected error ({type(problem).__name__})"
        if imported and before is not None:
            message += "; the analytics store was put back as it was"
        write_status(job, state="failed", message=message)
        on_finish(False, message)
        return False
    finally:
        _remove_leftovers(job)
        if before is not None:
            before.unlink(missing_ok=True)
    scope = f" for practice {result.practice_id} (the other practices' records are unchanged)" if one_practice else ""
    write_status(
        job, state="done", step="", message=f"imported {result.total_rows:,} rows{scope} and recomputed the measures"
    )
    on_finish(True, "")
    return True


def _practice_quality(extract: Path, job: Path, kind: str = "canonical") -> str:
    """The data-quality report of one practice's extract on its own (its ids, its files' rows)."""
    import tempfile

    from qiloop.records.convert import import_from
    from qiloop.records.quality import quality_report

    with tempfile.TemporaryDirectory(prefix=".quality-", dir=job) as folder:
        part = Path(folder) / "practice.duckdb"
        import_from(kind, extract, part)
        return quality_report(part).summary_text().replace(str(part), "the practice's extract")


def _the_practice(extract: Path, kind: str, job: Path) -> str | None:
    """For a converted practice extract given at the ICB without a practice code: the one practice its
    registrations name (the converted extract's practices table is written for that practice)."""
    import tempfile

    from qiloop.records.convert import import_from
    from qiloop.records.store import registered_practice_ids

    if kind == "canonical":
        return None
    with tempfile.TemporaryDirectory(prefix=".practice-", dir=job) as folder:
        part = Path(folder) / "practice.duckdb"
        import_from(kind, extract, part)
        ids = registered_practice_ids(part)
    if len(ids) != 1:
        raise ImportFailed(
            f"one practice's extract must name one practice, and this one names {len(ids)}",
            hint="import it as the whole network's extract, or send one practice's extract",
        )
    return str(ids[0])


def _without_server_paths(message: str, job: Path, store: Path, status: dict[str, Any]) -> str:
    """A message for the job's page: the server's folders named as what they are, not by their paths."""
    places = [(job / "extract", "the extract"), (job / "upload.zip", "the uploaded zip"), (store, "the store")]
    if status.get("folder"):
        places.append((Path(str(status["folder"])), "the folder"))
    for path, words in sorted(places, key=lambda pair: -len(str(pair[0]))):
        message = message.replace(str(path), words)
    return message


def _remove_leftovers(job: Path) -> None:
    """The unpacked extract and the uploaded zip go as soon as the import ends, whichever way it ended."""
    shutil.rmtree(job / "extract", ignore_errors=True)
    (job / "upload.zip").unlink(missing_ok=True)


def recover_interrupted(imports_dir: Path, store: Path) -> list[tuple[Path, str]]:
    """Jobs left "queued" or "running" by a server that stopped (killed, crashed, powered off) end as failed.

    For each: the store as it was before the job is put back (a job keeps the old store under a second name
    until it ends), its status says what happened, and the uploaded zip and unpacked extract are removed;
    build folders that killed imports left beside the store are removed too. Runs only when no import
    holds the store's import lock (an import running in another process is left alone). Returns
    (job, message) for each job it ended.
    """
    from qiloop.records.store import remove_abandoned_builds

    ended: list[tuple[Path, str]] = []
    if not store.parent.is_dir():
        return ended
    with (store.parent / f".{store.name}.import-lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return ended  # an import is running now: nothing here is abandoned
        try:
            for job in sorted(p for p in imports_dir.glob("*") if p.is_dir() and JOB_NAME.fullmatch(p.name)):
                status = read_status(job)
                kept = store.with_name(f".{store.name}.before-{job.name}")
                if status.get("state") in ("queued", "running"):
                    message = _interrupted(job, status, store, kept)
                    write_status(job, state="failed", message=message)
                    ended.append((job, message))
                else:
                    kept.unlink(missing_ok=True)
                _remove_leftovers(job)
            remove_abandoned_builds(store.parent)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return ended


def _interrupted(job: Path, status: dict[str, Any], store: Path, kept: Path) -> str:
    step = status.get("step") or "waiting to start"
    message = f"{step}: interrupted (the workbench stopped before the import finished)"
    if kept.is_file():
        if not store.exists() or not os.path.samefile(kept, store):
            os.replace(kept, store)
            return message + "; the analytics store was put back as it was"
        kept.unlink()
    return message + "; the analytics store was not changed"


def start_in_background(job: Path, **kwargs: Any) -> threading.Thread:
    thread = threading.Thread(target=run_import, args=(job,), kwargs=kwargs, name=f"import-{job.name}", daemon=True)
    thread.start()
    return thread
