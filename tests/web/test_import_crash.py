"""A workbench killed (SIGKILL) at any stage of an import: the next start puts the old store back, ends the job
as failed and leaves no upload, unpacked extract, second store or build folder behind."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from qiloop.records.importer import import_extract
from qiloop.records.store import BUILD_PREFIX
from qiloop.synth import generate_network
from qiloop_web.dashboard import imports

STAGES = ["unpacking", "building", "importing", "quality", "organisations", "computing"]

WORKER = r"""
import sys, time
from pathlib import Path
import qiloop.records.importer as importer
import qiloop.records.quality as quality
import qiloop.records.store as store_module
from qiloop_web.dashboard import imports

stage, job, store, marker = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])

def hold(*_args, **_kwargs):
    marker.write_text(stage)
    time.sleep(600)

def after(real):
    def wrapped(*args, **kwargs):
        out = real(*args, **kwargs)
        hold()
        return out
    return wrapped

def before(real):
    def wrapped(*args, **kwargs):
        hold()
        return real(*args, **kwargs)
    return wrapped

if stage == "unpacking":
    imports.unpack = after(imports.unpack)
elif stage == "building":
    store_module.publish = before(store_module.publish)
    importer.publish = before(importer.publish)
elif stage == "importing":
    importer.import_extract = after(importer.import_extract)
elif stage == "quality":
    quality.quality_report = before(quality.quality_report)
imports.run_import(
    job,
    store=store,
    results_dir=store.parent / "results",
    compute=hold if stage == "computing" else (lambda *a, **k: None),
    load_organisations=hold if stage == "organisations" else (lambda *a, **k: None),
)
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def extracts(tmp_path_factory) -> tuple[Path, Path]:
    """An imported store, and a zip of a different network's extract to import over it."""
    base = tmp_path_factory.mktemp("crash")
    generate_network(base / "old", practices=2, patients=300, seed=11, fmt="csv")
    import_extract(base / "old", base / "store.duckdb")
    generate_network(base / "new", practices=2, patients=300, seed=12, fmt="csv")
    with zipfile.ZipFile(base / "new.zip", "w") as archive:
        for path in sorted((base / "new").iterdir()):
            archive.write(path, path.name)
    return base / "store.duckdb", base / "new.zip"


@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES)
def test_an_import_killed_at_any_stage_is_undone_at_the_next_start(extracts, tmp_path, stage):
    original_store, upload = extracts
    data = tmp_path / "demo"
    data.mkdir()
    store = data / "store.duckdb"
    store.write_bytes(original_store.read_bytes())
    before = sha256(store)
    imports_dir = tmp_path / "imports"
    job = imports.new_job(imports_dir, organisation="Q10001")
    (job / "upload.zip").write_bytes(upload.read_bytes())
    marker = tmp_path / "marker"
    worker = subprocess.Popen([sys.executable, "-c", WORKER, stage, str(job), str(store), str(marker)])
    try:
        deadline = time.monotonic() + 180
        while not marker.exists():
            assert worker.poll() is None, f"the import ended before reaching {stage}"
            assert time.monotonic() < deadline, f"the import never reached {stage}"
            time.sleep(0.05)
        assert imports.read_status(job)["state"] == "running"
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()

    ended = imports.recover_interrupted(imports_dir, store)

    assert [j for j, _message in ended] == [job]
    status = imports.read_status(job)
    assert status["state"] == "failed" and "interrupted" in status["message"]
    assert sha256(store) == before  # the store as it was before the import
    assert not (job / "upload.zip").exists() and not (job / "extract").exists()
    leftovers = [p.name for p in data.iterdir() if p.name.startswith((BUILD_PREFIX, ".store.duckdb.before-"))]
    assert leftovers == []
    assert imports.recover_interrupted(imports_dir, store) == []  # once only


def test_a_finished_import_removes_its_upload(extracts, tmp_path):
    original_store, upload = extracts
    store = tmp_path / "store.duckdb"
    store.write_bytes(original_store.read_bytes())
    job = imports.new_job(tmp_path / "imports", organisation="Q10001")
    (job / "upload.zip").write_bytes(b"not a zip")
    assert not imports.run_import(
        job, store=store, results_dir=tmp_path / "results", compute=lambda *a, **k: None, load_organisations=print
    )
    assert not (job / "upload.zip").exists()


def test_a_killed_cli_import_leaves_nothing_behind_on_the_next_run(extracts, tmp_path):
    """A build folder whose import has gone (no process holds its lock) is removed by the next import."""
    _store, upload = extracts
    with zipfile.ZipFile(upload) as archive:
        archive.extractall(tmp_path / "extract")
    abandoned = tmp_path / f"{BUILD_PREFIX}killed"
    abandoned.mkdir()
    (abandoned / ".lock").write_text("")
    (abandoned / "store.duckdb").write_bytes(b"half written")
    import_extract(tmp_path / "extract", tmp_path / "store.duckdb")
    assert not abandoned.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(BUILD_PREFIX)] == []
