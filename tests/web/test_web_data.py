"""The data page: an uploaded extract is imported, reported on and measured; a bad one changes nothing."""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile

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


def test_the_form_wants_a_zip(client, universe, measured):
    client.force_login(universe.people["icb_analyst"])
    upload = SimpleUploadedFile("extract.csv", b"a,b\n", "text/csv")
    response = client.post(reverse("dashboard:data", args=["QICB"]), {"extract": upload})
    assert response.status_code == 400
    assert "The extract must be a .zip file" in response.content.decode()
