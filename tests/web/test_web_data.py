"""The data page: an uploaded extract is imported, reported on and measured; a bad one changes nothing."""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from qiloop_web.audit.models import AuditEvent
from qiloop_web.dashboard import imports

pytestmark = pytest.mark.django_db


def zipped(folder, *, break_file: str | None = None, prefix: str = "extract/") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            data = path.read_bytes()
            if path.name == break_file:
                data = b"this is not a Parquet file"
            archive.writestr(prefix + path.name, data)
    return buffer.getvalue()


@pytest.fixture
def data_settings(settings, measured, tmp_path, monkeypatch):
    """A private copy of the measured store; imports run inline; measures are not recomputed (recorded)."""
    store = tmp_path / "store.duckdb"
    shutil.copy(measured[0], store)
    settings.QILOOP_STORE = store
    settings.QILOOP_IMPORTS_IN_BACKGROUND = False
    computed = []
    monkeypatch.setattr("qiloop_web.dashboard.actions.compute_results", lambda *a, **k: computed.append(a))
    return store, computed


def extract_of(measured):
    """The extract the measured store was imported from (Parquet files)."""
    return measured[0].parent / "extract"


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_good_extract_is_imported_reported_and_measured(client, universe, data_settings, measured, tmp_path):
    store, computed = data_settings
    client.force_login(universe.people["icb_analyst"])
    upload = SimpleUploadedFile("extract.zip", zipped(extract_of(measured)), "application/zip")
    response = client.post(reverse("dashboard:data", args=["QICB"]), {"extract": upload})
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Import finished" in page and "Data-quality report" in page
    assert computed and computed[0][0] == store
    actions = list(AuditEvent.objects.filter(target_type="import").values_list("action", flat=True))
    assert sorted(actions) == ["data.import_started", "data.imported"]


def test_a_bad_extract_changes_nothing_and_says_why(client, universe, data_settings, measured, tmp_path):
    store, computed = data_settings
    before = sha(store)
    client.force_login(universe.people["icb_analyst"])
    upload = SimpleUploadedFile(
        "extract.zip", zipped(extract_of(measured), break_file="patients.parquet"), "application/zip"
    )
    response = client.post(reverse("dashboard:data", args=["QICB"]), {"extract": upload})
    page = client.get(response.url).content.decode()
    assert "The import failed: nothing was changed" in page
    assert "patients.parquet" in page  # the library's message names the file
    assert sha(store) == before and computed == []
    assert AuditEvent.objects.filter(action="data.import_failed").count() == 1


def test_unsafe_or_non_zip_uploads_are_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../escape.csv", "x")
    (tmp_path / "bad.zip").write_bytes(buffer.getvalue())
    with pytest.raises(imports.ImportFailed, match="unsafe entry"):
        imports.unpack(tmp_path / "bad.zip", tmp_path / "out")
    (tmp_path / "not.zip").write_bytes(b"hello")
    with pytest.raises(imports.ImportFailed, match="not a zip"):
        imports.unpack(tmp_path / "not.zip", tmp_path / "out2")
    assert not (tmp_path / "escape.csv").exists()


def test_zips_with_too_many_entries_or_a_bomb_are_refused_before_unpacking(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(imports.MAX_ZIP_ENTRIES + 1):
            archive.writestr(f"table{n}.csv", "a\n")
    (tmp_path / "many.zip").write_bytes(buffer.getvalue())
    with pytest.raises(imports.ImportFailed, match="101 entries"):
        imports.unpack(tmp_path / "many.zip", tmp_path / "out")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("patients.csv", "0" * (20 * 1024**2))  # 20 MB of zeros packs to about 20 KB
    (tmp_path / "bomb.zip").write_bytes(buffer.getvalue())
    with pytest.raises(imports.ImportFailed, match="zip bomb"):
        imports.unpack(tmp_path / "bomb.zip", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_upload_over_the_size_limit_is_refused_with_the_limit(client, universe, measured, settings):
    settings.QILOOP_MAX_UPLOAD_BYTES = 1024
    client.force_login(universe.people["icb_analyst"])
    upload = SimpleUploadedFile("extract.zip", b"x" * 3000, "application/zip")
    response = client.post(reverse("dashboard:data", args=["QICB"]), {"extract": upload})
    assert response.status_code == 400
    assert "The zip is 2.9 KB, more than the 1 KB the workbench accepts" in response.content.decode()


def test_no_data_page_shows_a_server_path(client, universe, measured, settings, tmp_path):
    client.force_login(universe.people["icb_analyst"])
    html = client.get(reverse("dashboard:data", args=["QICB"])).content.decode()
    for path in (settings.QILOOP_STORE, settings.QILOOP_IMPORT_ROOT, settings.VAR_DIR):
        assert str(path) not in html
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    response = client.post(reverse("dashboard:data", args=["QICB"]), {"folder": str(outside)})
    assert response.status_code == 400 and str(settings.QILOOP_IMPORT_ROOT) not in response.content.decode()


def test_a_folder_among_the_import_jobs_is_refused_even_under_the_import_root(
    client, universe, data_settings, settings
):
    """An administrator who points the import root at var/ must not let one organisation import another's
    uploaded extract from its job folder."""
    settings.QILOOP_IMPORT_ROOT = Path(settings.VAR_DIR)
    job_extract = Path(settings.QILOOP_IMPORT_JOBS_DIR) / "20260101-000000-abcdef" / "extract"
    job_extract.mkdir(parents=True)
    client.force_login(universe.people["icb_analyst"])
    response = client.post(reverse("dashboard:data", args=["QICB"]), {"folder": str(job_extract)})
    assert response.status_code == 400
    assert "must be inside the import folder" in response.content.decode()


def test_the_form_wants_a_zip(client, universe, measured):
    client.force_login(universe.people["icb_analyst"])
    upload = SimpleUploadedFile("extract.csv", b"a,b\n", "text/csv")
    response = client.post(reverse("dashboard:data", args=["QICB"]), {"extract": upload})
    assert response.status_code == 400
    assert "The extract must be a .zip file" in response.content.decode()


def practice_extract_from_store(store, out, practice: str):
    """One practice's extract cut from a store: its row, registrations and appointments, and the full record
    of every patient registered there (as the practice's own system would send it)."""
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    patients = f"(SELECT patient_id FROM practice_registrations WHERE practice_id = '{practice}')"
    queries = {
        "practices": f"SELECT * FROM practices WHERE practice_id = '{practice}'",
        "patients": f"SELECT * FROM patients WHERE patient_id IN {patients}",
        "practice_registrations": f"SELECT * FROM practice_registrations WHERE practice_id = '{practice}'",
        "clinical_events": f"SELECT * FROM clinical_events WHERE patient_id IN {patients}",
        "medications": f"SELECT * FROM medications WHERE patient_id IN {patients}",
        "appointments": f"SELECT * FROM appointments WHERE practice_id = '{practice}'",
    }
    con = duckdb.connect(str(store), read_only=True)
    try:
        for name, query in queries.items():
            con.execute(f"COPY ({query}) TO '{out / f'{name}.parquet'}' (FORMAT parquet)")
    finally:
        con.close()
    return out


def rows_of_other_practices(store, practice: str) -> dict[str, list]:
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    try:
        return {
            name: sorted(con.execute(f"SELECT * FROM {name} WHERE practice_id <> ?", [practice]).fetchall())
            for name in ("practices", "practice_registrations", "appointments")
        }
    finally:
        con.close()


@pytest.fixture
def import_root(settings, tmp_path):
    root = tmp_path / "imports-root"
    root.mkdir()
    settings.QILOOP_IMPORT_ROOT = root
    return root


def fit_the_universe(store) -> None:
    """Give the store's practices the universe's PCNs and ICB (A00001, A00002 in QPCN1; A00003 in QPCN2)."""
    import duckdb

    con = duckdb.connect(str(store))
    try:
        con.execute(
            "UPDATE practices SET icb_id = 'QICB', pcn_id = CASE practice_id WHEN 'A00003' THEN 'QPCN2' ELSE 'QPCN1' END"
        )
    finally:
        con.close()


def test_a_practice_manager_imports_the_practices_own_extract_from_a_folder(
    client, universe, data_settings, import_root, settings
):
    import duckdb

    store, computed = data_settings
    fit_the_universe(store)
    folder = practice_extract_from_store(store, import_root / "A00001-november", "A00001")
    con = duckdb.connect(str(store))
    other = con.execute(
        "SELECT max(patient_id) FROM practice_registrations WHERE practice_id = 'A00002' AND patient_id NOT IN "
        "(SELECT patient_id FROM practice_registrations WHERE practice_id = 'A00001')"
    ).fetchone()[0]
    con.execute(
        "INSERT INTO clinical_events (patient_id, date, snomedct_code) VALUES (?, DATE '2099-01-01', '38341003')",
        [other],
    )
    con.close()
    others = rows_of_other_practices(store, "A00001")
    client.force_login(universe.people["practice_manager"])
    page = client.get(reverse("dashboard:data", args=["A00001"])).content.decode()
    assert "replaces your practice's records only" in page and 'name="scope"' not in page
    response = client.post(reverse("dashboard:data", args=["A00001"]), {"folder": "A00001-november"})
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Import finished" in page and "for practice A00001 (the other practices" in page
    assert rows_of_other_practices(store, "A00001") == others
    assert computed and folder.is_dir()  # the folder is read where it is, not moved or deleted
    # the quality report is of the practice's own extract: another practice's problem (and patient) is not in it
    job = Path(settings.VAR_DIR) / "imports" / response.url.rstrip("/").rsplit("/", 1)[-1]
    quality = imports.read_status(job)["quality"]
    assert "practice's extract" in quality and "in the future" not in quality.lower()
    assert f"patient_id {other})" not in quality and str(store) not in quality
    started = AuditEvent.objects.get(action="data.import_started")
    assert started.detail["scope"] == "practice" and started.detail["source"] == "folder"
    assert started.organisation_code == "A00001"


def test_another_practices_extract_is_refused_at_a_practice_and_changes_nothing(
    client, universe, data_settings, import_root
):
    store, computed = data_settings
    practice_extract_from_store(store, import_root / "theirs", "A00002")
    before = sha(store)
    client.force_login(universe.people["practice_manager"])
    response = client.post(reverse("dashboard:data", args=["A00001"]), {"folder": str(import_root / "theirs")})
    page = client.get(response.url).content.decode()
    assert "The import failed: nothing was changed" in page
    assert "the extract is for practice A00002, not A00001" in page
    assert sha(store) == before and computed == []


def test_at_the_icb_one_practices_extract_replaces_only_that_practice(client, universe, data_settings, import_root):
    store, computed = data_settings
    fit_the_universe(store)
    upload_folder = practice_extract_from_store(store, import_root / "a2", "A00002")
    others = rows_of_other_practices(store, "A00002")
    client.force_login(universe.people["icb_analyst"])
    upload = SimpleUploadedFile("a2.zip", zipped(upload_folder), "application/zip")
    response = client.post(reverse("dashboard:data", args=["QICB"]), {"extract": upload, "scope": "practice"})
    page = client.get(response.url).content.decode()
    assert "for practice A00002" in page
    assert rows_of_other_practices(store, "A00002") == others
    # the network's whole extract sent as "one practice" is refused, saying why
    upload = SimpleUploadedFile("all.zip", zipped(extract_of_store(store, import_root / "all")), "application/zip")
    before = sha(store)
    response = client.post(reverse("dashboard:data", args=["QICB"]), {"extract": upload, "scope": "practice"})
    page = client.get(response.url).content.decode()
    assert "holds one practice, but its practices table has 3" in page and sha(store) == before


def extract_of_store(store, out):
    import duckdb

    out.mkdir()
    con = duckdb.connect(str(store), read_only=True)
    try:
        for name in ("practices", "patients", "practice_registrations", "clinical_events", "medications"):
            con.execute(f"COPY {name} TO '{out / f'{name}.parquet'}' (FORMAT parquet)")
    finally:
        con.close()
    return out


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("/etc", "The folder must be inside the import folder"),
        ("../outside", "The folder must be inside the import folder"),
        ("not-there", "There is no folder at"),
    ],
)
def test_a_folder_outside_the_import_root_or_missing_is_refused(
    client, universe, data_settings, import_root, given, message
):
    store, _computed = data_settings
    (import_root.parent / "outside").mkdir()
    before = sha(store)
    client.force_login(universe.people["icb_analyst"])
    response = client.post(reverse("dashboard:data", args=["QICB"]), {"folder": given})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "nhsuk-error-summary" in page and "<title>Error: " in page
    assert sha(store) == before
    assert not AuditEvent.objects.filter(action="data.import_started").exists()


def test_a_zip_and_a_folder_together_or_neither_are_refused(client, universe, data_settings, import_root):
    client.force_login(universe.people["icb_analyst"])
    response = client.post(reverse("dashboard:data", args=["QICB"]), {})
    assert response.status_code == 400
    assert "Choose the zip file of the extract to import, or give a folder on the server" in response.content.decode()
    (import_root / "x").mkdir()
    upload = SimpleUploadedFile("extract.zip", b"PK", "application/zip")
    response = client.post(reverse("dashboard:data", args=["QICB"]), {"extract": upload, "folder": "x"})
    assert response.status_code == 400
    assert "Give either a zip file or a folder, not both" in response.content.decode()


def test_import_progress_polls_with_htmx_and_stops_when_done(client, universe, settings):
    job = imports.new_job(
        Path(settings.VAR_DIR) / "imports", folder=Path("/nowhere"), scope="network", organisation="QICB"
    )
    imports.write_status(job, state="running", step=imports.STEPS[1])
    url = reverse("dashboard:import-status", args=["QICB", job.name])
    client.force_login(universe.people["icb_analyst"])
    page = client.get(url).content.decode()
    assert "<html" in page and 'hx-trigger="every 3s"' in page and "htmx.min.js" in page
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert "Checking the folder" in page  # a folder import's first step
    partial = client.get(url, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and 'id="import-progress"' in partial.content.decode()
    assert "HX-Request" in partial["Vary"]
    imports.write_status(job, state="done", message="imported 5 rows and recomputed the measures")
    done = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "Import finished" in done and "hx-trigger" not in done  # polling stops
    # the job was made at the ICB: not visible from a practice, even to someone who may import there
    client.force_login(universe.people["administrator"])
    assert client.get(reverse("dashboard:import-status", args=["A00001", job.name])).status_code == 404


def test_an_extract_that_contradicts_the_organisations_puts_the_store_back(
    client, universe, data_settings, import_root
):
    """The store's A00001 is in another PCN than the workbench's: the import itself is valid, the organisations
    step refuses it, and the store goes back to what it was."""
    store, computed = data_settings
    practice_extract_from_store(store, import_root / "a1", "A00001")
    before = sha(store)
    client.force_login(universe.people["practice_manager"])
    response = client.post(reverse("dashboard:data", args=["A00001"]), {"folder": "a1"})
    page = client.get(response.url).content.decode()
    assert "The import failed: nothing was changed" in page
    assert "do not fit the organisations already here" in page and "A00001 belongs to QPCN1" in page
    assert "the analytics store was put back as it was" in page
    assert sha(store) == before and computed == []
    assert not [p for p in store.parent.iterdir() if ".before-" in p.name]


def test_imports_into_one_store_wait_for_each_other(tmp_path):
    import threading
    import time

    store = tmp_path / "store.duckdb"
    job = imports.new_job(tmp_path / "imports", folder=tmp_path / "gone", organisation="QICB")
    steps = {"store": store, "results_dir": tmp_path / "results", "compute": None, "load_organisations": None}
    with imports.one_import_at_a_time(store, tmp_path / "another-job"):  # another import is running
        worker = threading.Thread(target=imports.run_import, args=(job,), kwargs=steps)
        worker.start()
        deadline = time.monotonic() + 10
        while imports.read_status(job).get("message") != "waiting for another import to finish":
            assert time.monotonic() < deadline, imports.read_status(job)
            time.sleep(0.05)
        assert imports.read_status(job)["state"] == "queued" and worker.is_alive()
    worker.join(timeout=10)
    status = imports.read_status(job)
    assert status["state"] == "failed" and "is not there any more" in status["message"]


def test_at_start_an_interrupted_import_ends_failed_with_the_store_put_back_and_an_audit_event(
    universe, data_settings, settings, tmp_path
):
    from qiloop_web.dashboard.actions import end_interrupted_imports

    settings.VAR_DIR = tmp_path / "var"  # only this test's jobs: another test in this process may leave one running
    store, computed = data_settings
    before = sha(store)
    job = imports.new_job(Path(settings.VAR_DIR) / "imports", organisation="QICB")
    kept = store.with_name(f".{store.name}.before-{job.name}")
    shutil.copy(store, kept)  # what a job keeps while it runs
    store.write_bytes(b"a store half way through an import")
    imports.write_status(job, state="running", step=imports.STEPS[4])

    assert end_interrupted_imports() == 1

    assert sha(store) == before and not kept.exists()
    assert imports.read_status(job)["state"] == "failed"
    event = AuditEvent.objects.get(action="data.import_interrupted", target_id=job.name)
    assert event.organisation_code == "QICB" and event.detail["store_restored"] is True
    assert computed  # the measures are recomputed from the store put back
    assert end_interrupted_imports() == 0


def test_a_command_line_import_into_the_workbench_writes_the_same_audit_events(universe, data_settings, tmp_path):
    from django.core.management import CommandError, call_command

    store, computed = data_settings
    fit_the_universe(store)
    folder = practice_extract_from_store(store, tmp_path / "A00001-december", "A00001")
    others = rows_of_other_practices(store, "A00001")
    call_command("import_extract", str(folder), "--at", "a00001")
    started = AuditEvent.objects.get(action="data.import_started")
    finished = AuditEvent.objects.get(action="data.imported", target_id=started.target_id)
    assert started.organisation_code == finished.organisation_code == "A00001"
    assert started.actor == "" and started.detail["scope"] == "practice"
    assert rows_of_other_practices(store, "A00001") == others and computed
    before = sha(store)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "patients.csv").write_text("patient_id,date_of_birth,sex\n1,yesterday,female\n")
    with pytest.raises(CommandError, match="the import failed"):
        call_command("import_extract", str(broken), "--at", "A00001")
    assert sha(store) == before
    assert AuditEvent.objects.filter(action="data.import_failed").count() == 1
    with pytest.raises(CommandError, match="no ICB or practice with that code"):
        call_command("import_extract", str(folder), "--at", "QPCN1")
