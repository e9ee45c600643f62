"""The data page offers every kind of extract qiloop reads and shows the conversion report."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from test_web_data import data_settings, fit_the_universe, sha  # noqa: F401, F811 - fixtures

from qiloop.records.sql import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "records"))
from test_convert_ehrql import ehrql_tables  # noqa: E402
from test_gpad import FEB_24, gpad_file  # noqa: E402

pytestmark = pytest.mark.django_db


def zip_of(folder: Path) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.writestr(path.name, path.read_bytes())
    return SimpleUploadedFile("extract.zip", buffer.getvalue(), "application/zip")


def test_the_form_offers_every_kind(client, universe, measured):
    client.force_login(universe.people["icb_analyst"])
    page = client.get(reverse("dashboard:data", args=["QICB"])).content.decode()
    assert "What kind of extract" in page
    for value in ("canonical", "ehrql", "fhir", "emis", "gpad"):
        assert f'type="radio" value="{value}"' in page


def test_gp_appointments_data_is_added_beside_the_records_with_its_report(
    client,
    universe,
    data_settings,  # noqa: F811
    tmp_path,
):
    store, computed = data_settings
    con = connect(str(store), read_only=True)
    patients = con.execute("SELECT count(*) FROM patients").fetchone()
    con.close()
    client.force_login(universe.people["icb_analyst"])
    folder = tmp_path / "gpad"
    gpad_file(folder, "Practice_Level_Crosstab_Feb_24.csv", FEB_24)
    response = client.post(reverse("dashboard:data", args=["QICB"]), {"extract": zip_of(folder), "kind": "gpad"})
    page = client.get(response.url).content.decode()
    assert "Import finished" in page and "Conversion report" in page
    assert "Conversion from gpad" in page and "Practice_Level_Crosstab_Feb_24.csv: 10" in page
    con = connect(str(store), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM patients").fetchone() == patients
        assert con.execute("SELECT count(*) FROM gpad_appointment_counts").fetchone() == (10,)
    finally:
        con.close()


def test_ehrql_tables_are_converted_and_the_report_is_shown(client, universe, data_settings, tmp_path):  # noqa: F811
    client.force_login(universe.people["icb_analyst"])
    folder = ehrql_tables(tmp_path / "ehrql")
    response = client.post(reverse("dashboard:data", args=["QICB"]), {"extract": zip_of(folder), "kind": "ehrql"})
    page = client.get(response.url).content.decode()
    assert "Conversion from ehrql" in page, page
    assert "ons_deaths.csv" in page and "appointments: no booked_date: 1" in page
    assert "Import finished" in page, page  # the practices, of unknown PCN, join the importing ICB


def test_a_bad_fhir_export_changes_nothing_and_names_the_line(client, universe, data_settings, tmp_path):  # noqa: F811
    store, computed = data_settings
    before = sha(store)
    folder = tmp_path / "fhir"
    folder.mkdir()
    (folder / "Patient.000.ndjson").write_text(
        '{"resourceType": "Patient", "id": "1", "birthDate": "1950-01-01"}\n{oops\n'
    )
    client.force_login(universe.people["icb_analyst"])
    response = client.post(reverse("dashboard:data", args=["QICB"]), {"extract": zip_of(folder), "kind": "fhir"})
    page = client.get(response.url).content.decode()
    assert "The import failed: nothing was changed" in page
    assert "Patient.000.ndjson:2: not JSON" in page
    assert sha(store) == before and computed == []


def test_gp_appointments_data_added_at_a_practice_is_kept_whole(client, universe, data_settings, tmp_path):  # noqa: F811
    store, computed = data_settings
    client.force_login(universe.people["practice_manager"])
    folder = tmp_path / "gpad"
    gpad_file(folder, "Practice_Level_Crosstab_Feb_24.csv", FEB_24)  # other practices than A00001
    response = client.post(reverse("dashboard:data", args=["A00001"]), {"extract": zip_of(folder), "kind": "gpad"})
    page = client.get(response.url).content.decode()
    assert "Import finished" in page, page
    con = connect(str(store), read_only=True)
    try:
        assert con.execute("SELECT count(DISTINCT practice_id) FROM gpad_appointment_counts").fetchone() == (2,)
    finally:
        con.close()


def test_an_emis_extract_is_converted_and_the_report_is_shown(client, universe, data_settings, tmp_path):  # noqa: F811
    import datetime as dt

    from qiloop.bench.layouts.emis import write
    from qiloop.synth import generate_network

    generate_network(
        tmp_path / "extract", practices=1, patients=60, seed=2, fmt="csv", start=dt.date(2024, 4, 1),
        end=dt.date(2025, 3, 31),
    )  # fmt: skip
    write(tmp_path / "extract", tmp_path / "emis")
    client.force_login(universe.people["icb_analyst"])
    response = client.post(
        reverse("dashboard:data", args=["QICB"]), {"extract": zip_of(tmp_path / "emis"), "kind": "emis"}
    )
    page = client.get(response.url).content.decode()
    assert "Conversion from emis" in page, page
    assert "dummy patient (DummyType true): 1" in page and "--session-modes" in page
    # an EMIS extract does not say which PCN and ICB its practices are in: a new practice joins the importing
    # ICB, in a PCN for practices whose PCN the extract did not give (it used to fail here, UNKNOWN twice)
    assert "Import finished" in page, page
    from qiloop_web.organisations.models import Organisation

    con = connect(str(data_settings[0]), read_only=True)
    try:
        (code,) = con.execute("SELECT practice_id FROM practices").fetchone()
    finally:
        con.close()
    practice = Organisation.objects.get(code=code)
    assert practice.parent.code == "QICB-UNKNOWN" and practice.parent.parent.code == "QICB"
    assert practice.parent.name == "PCN not given in the extract"


def emis_extract_of_practice(tmp_path: Path, code: str) -> Path:
    """A one-practice EMIS Web extract (60 synthetic patients) whose practice has the ODS code ``code``."""
    import datetime as dt

    from qiloop.bench.layouts.emis import write
    from qiloop.synth import generate_network

    generate_network(
        tmp_path / "extract", practices=1, patients=60, seed=2, fmt="csv", start=dt.date(2024, 4, 1),
        end=dt.date(2025, 3, 31),
    )  # fmt: skip
    write(tmp_path / "extract", tmp_path / "emis")
    (organisations,) = (tmp_path / "emis").glob("*Admin_Organisation*")
    lines = organisations.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("ODSCode")] = code
    organisations.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    return tmp_path / "emis"


def test_a_practice_imports_its_emis_extract_and_stays_in_its_network(client, universe, data_settings, tmp_path):  # noqa: F811
    """The practice manager imports the practice's own EMIS extract: the import finishes, and the practice keeps
    its PCN and ICB in the store and the tree (the extract says 'unknown' for both)."""
    from qiloop_web.organisations.models import Organisation

    store, computed = data_settings
    fit_the_universe(store)
    con = connect(str(store), read_only=True)
    try:
        before = con.execute("SELECT * FROM practices WHERE practice_id = 'A00001'").fetchall()
        others = con.execute("SELECT * FROM practices WHERE practice_id <> 'A00001' ORDER BY ALL").fetchall()
    finally:
        con.close()
    assert before and before[0][2].lower() != "unknown"
    client.force_login(universe.people["practice_manager"])
    folder = emis_extract_of_practice(tmp_path, "A00001")
    response = client.post(reverse("dashboard:data", args=["A00001"]), {"extract": zip_of(folder), "kind": "emis"})
    page = client.get(response.url).content.decode()
    assert "Import finished" in page, page
    con = connect(str(store), read_only=True)
    try:
        row = con.execute("SELECT * FROM practices WHERE practice_id = 'A00001'").fetchall()
        assert row == before  # PCN, ICB and name kept (the EMIS extract's name differs from the store's)
        assert con.execute("SELECT * FROM practices WHERE practice_id <> 'A00001' ORDER BY ALL").fetchall() == others
        assert con.execute("SELECT count(*) FROM practice_registrations WHERE practice_id = 'A00001'").fetchone()[0] > 0
    finally:
        con.close()
    practice = Organisation.objects.get(code="A00001")
    assert practice.parent.code == "QPCN1" and not Organisation.objects.filter(code__endswith="UNKNOWN").exists()
