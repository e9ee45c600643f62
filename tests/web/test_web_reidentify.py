"""NHS numbers on action lists in the workbench: the practice's key (held sealed, never shown, removable) and the
download with NHS numbers (clinical members of the owning practice only, no-store, upload deleted, audited
with counts and never with numbers)."""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import shutil

import duckdb
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import PEOPLE
from qiloop.measures import action_list
from qiloop_web.audit.models import AuditEvent
from qiloop_web.reidentify import actions, lists, sealing
from qiloop_web.reidentify.models import PracticeKey
from synthetic_nhs_numbers import synthetic_nhs_numbers

KEY = b"riverside-surgery-key-0123456789abcdef"
SIBLING_KEY = b"hill-street-practice-key-9876543210"
MEASURE = "hyp008"  # high is good: its list is the denominator without the numerator, 30-odd patients at A00001


@pytest.fixture
def numbers(settings, measured_store, tmp_path):
    """A copy of the measured store whose patients were imported with synthetic NHS numbers under KEY
    (pseudonyms computed here with Python's hmac); patient_id -> number."""
    store, results = measured_store
    copy = tmp_path / "store.duckdb"
    shutil.copy(store, copy)
    with duckdb.connect(str(copy)) as con:
        ids = [row[0] for row in con.execute("SELECT patient_id FROM patients ORDER BY patient_id").fetchall()]
        by_patient = dict(zip(ids, synthetic_nhs_numbers(len(ids)), strict=True))
        frame = pd.DataFrame(
            {
                "patient_id": ids,
                "p": [hmac.new(KEY, by_patient[i].encode(), hashlib.sha256).hexdigest() for i in ids],
            }
        )
        con.execute("ALTER TABLE patients ADD COLUMN nhs_number_pseudonym VARCHAR")
        con.register("incoming", frame)
        con.execute(
            "UPDATE patients SET nhs_number_pseudonym = incoming.p FROM incoming "
            "WHERE patients.patient_id = incoming.patient_id"
        )
    settings.QILOOP_STORE, settings.QILOOP_RESULTS_DIR = copy, results
    return by_patient


@pytest.fixture
def uploads(settings, tmp_path):
    """Every upload spooled to disk, in a folder of its own, so a test can see when it is gone."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


def spaced(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}"


def plain_list(numbers, name="nhs-numbers.txt") -> SimpleUploadedFile:
    text = "NHS Number\n" + "\n".join(spaced(n) for n in numbers) + "\n"
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


def download_url(code="A00001", measure=MEASURE):
    return reverse("reidentify:download", args=[code, measure])


def client_settings_store():
    from django.conf import settings

    return settings.QILOOP_STORE


def month_of_results():
    from qiloop_web.dashboard import pages

    return str(pages.results().manifest.get("end"))


def everything_audited() -> str:
    return " ".join(
        f"{e.actor} {e.action} {e.target_type} {e.target_id} {e.organisation_code} {e.detail}"
        for e in AuditEvent.objects.all()
    )


def assert_no_numbers_in(text: str, by_patient: dict[int, str]) -> None:
    for number in by_patient.values():
        assert number not in text and spaced(number) not in text


# The practice's key


def test_the_practice_manager_holds_the_key_sealed_and_it_is_never_shown(client, universe):
    client.force_login(universe.people["practice_manager"])
    url = reverse("reidentify:key", args=["A00001"])
    response = client.post(url, {"key": f"  {KEY.decode()}\n"})
    assert response.status_code == 302
    held = PracticeKey.objects.get(practice=universe.practice)
    assert KEY.decode() not in held.sealed and base64.b64encode(KEY).decode() not in held.sealed
    assert actions.held_key(universe.practice) == KEY  # whitespace removed, as qiloop import --key-file does
    page = client.get(url)
    assert page.status_code == 200 and page["Cache-Control"].startswith("max-age=0")
    assert KEY.decode() not in page.content.decode()
    assert "The workbench holds the practice's key, entered by practice_manager@example.nhs.uk" in page.content.decode()
    event = AuditEvent.objects.get(action="practice.key_held")
    assert (event.organisation_code, event.actor, event.detail) == (
        "A00001",
        "practice_manager@example.nhs.uk",
        {"replaced": False},
    )
    assert KEY.decode() not in everything_audited()


def test_a_short_key_is_refused_and_nothing_is_held(client, universe):
    client.force_login(universe.people["practice_manager"])
    response = client.post(reverse("reidentify:key", args=["A00001"]), {"key": "short"})
    assert response.status_code == 200
    assert "too short to be the practice" in response.content.decode()
    assert not PracticeKey.objects.exists()
    assert not AuditEvent.objects.filter(action="practice.key_held").exists()


def test_removing_the_key_needs_a_confirmation_and_is_audited(client, universe):
    actions.hold_key(practice=universe.practice, key=KEY, by=None)
    client.force_login(universe.people["practice_manager"])
    url = reverse("reidentify:remove-key", args=["A00001"])
    assert client.get(url).status_code == 200
    unconfirmed = client.post(url, {})
    assert unconfirmed.status_code == 200 and "Tick the box" in unconfirmed.content.decode()
    assert PracticeKey.objects.filter(practice=universe.practice).exists()
    assert client.post(url, {"confirm": "on"}).status_code == 302
    assert not PracticeKey.objects.exists()
    assert AuditEvent.objects.filter(action="practice.key_removed", organisation_code="A00001").count() == 1
    assert client.get(url).status_code == 404  # nothing left to remove


def test_the_sealed_key_opens_only_for_its_practice_unaltered_and_under_the_same_secret(settings):
    sealed = sealing.seal(KEY, "A00001")
    assert sealing.unseal(sealed, "A00001") == KEY
    assert sealing.seal(KEY, "A00001") != sealed  # a fresh nonce every time
    with pytest.raises(sealing.SealError):
        sealing.unseal(sealed, "A00002")
    raw = bytearray(base64.b64decode(sealed))
    raw[20] ^= 1
    with pytest.raises(sealing.SealError):
        sealing.unseal(base64.b64encode(bytes(raw)).decode(), "A00001")
    settings.SECRET_KEY = "another-secret-key-for-this-test-only"
    with pytest.raises(sealing.SealError, match="another SECRET_KEY"):
        sealing.unseal(sealed, "A00001")


# The download with NHS numbers


def test_a_clinician_downloads_the_action_list_with_each_patients_number(
    client, universe, numbers, uploads, monkeypatch
):
    actions.hold_key(practice=universe.practice, key=KEY, by=None)
    seen_uploads = []
    original = lists.with_nhs_numbers

    def spy(*args, **kwargs):
        seen_uploads.append(sorted(uploads.iterdir()))  # the upload must be gone before the list is computed
        return original(*args, **kwargs)

    monkeypatch.setattr(lists, "with_nhs_numbers", spy)
    client.force_login(universe.people["gp"])
    response = client.post(download_url(), {"numbers": plain_list(numbers.values())})
    assert response.status_code == 200, response.content.decode()[:2000]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"] == 'attachment; filename="A00001-hyp008-action-list-nhs-numbers.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    expected = action_list(str(client_settings_store()), MEASURE, "A00001", on=month_of_results())
    assert [int(r["patient_id"]) for r in rows] == expected["patient_id"].tolist()
    assert len(rows) > 0
    for row in rows:
        assert row["nhs_number"] == spaced(numbers[int(row["patient_id"])])
        assert row["nhs_number_note"] == ""
    assert seen_uploads == [[]]
    assert list(uploads.iterdir()) == []
    event = AuditEvent.objects.get(action="patient_data.downloaded")
    assert (event.target_type, event.target_id, event.organisation_code, event.actor) == (
        "measure",
        MEASURE,
        "A00001",
        "gp@example.nhs.uk",
    )
    assert event.detail == {"what": "action_list_with_nhs_numbers", "patients": len(rows), "with_nhs_number": len(rows)}
    assert_no_numbers_in(everything_audited(), numbers)


def test_patients_missing_from_the_upload_are_kept_and_flagged(client, universe, numbers):
    actions.hold_key(practice=universe.practice, key=KEY, by=None)
    listed = list(numbers.items())[::2]
    client.force_login(universe.people["pharmacist"])
    response = client.post(download_url(), {"numbers": plain_list(n for _, n in listed)})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    found = dict(listed)
    missing = [r for r in rows if int(r["patient_id"]) not in found]
    assert missing, "some listed patients should be missing from the upload"
    assert all(
        r["nhs_number"] == "" and r["nhs_number_note"] == "not in the file of NHS numbers given" for r in missing
    )
    event = AuditEvent.objects.get(action="patient_data.downloaded")
    assert event.detail["with_nhs_number"] == len(rows) - len(missing)


def test_the_wrong_key_is_refused_and_nothing_is_downloaded_or_audited(client, universe, numbers, uploads):
    actions.hold_key(practice=universe.practice, key=SIBLING_KEY, by=None)
    client.force_login(universe.people["gp"])
    response = client.post(download_url(), {"numbers": plain_list(numbers.values())})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "wrong key or a file from another practice" in response.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="patient_data.").exists()
    assert list(uploads.iterdir()) == []


def test_a_file_without_nhs_numbers_and_invalid_numbers_are_refused_masked(client, universe, numbers):
    actions.hold_key(practice=universe.practice, key=KEY, by=None)
    client.force_login(universe.people["gp"])
    no_numbers = SimpleUploadedFile("patients.csv", b"patient_id,sex\n1,female\n")
    response = client.post(download_url(), {"numbers": no_numbers})
    assert response.status_code == 400
    assert "patients.csv: line 1: no nhs_number column" in response.content.decode()
    good = next(iter(numbers.values()))
    bad = good[:9] + str((int(good[9]) + 1) % 10)
    response = client.post(download_url(), {"numbers": plain_list([good, bad])})
    page = response.content.decode()
    assert response.status_code == 400
    assert f"line 3: &#x27;{bad[:3]}*******&#x27; is not a valid NHS number" in page
    assert bad not in page and spaced(bad) not in page
    assert not AuditEvent.objects.filter(action__startswith="patient_data.").exists()


def test_without_a_key_held_there_is_no_download(client, universe, numbers):
    client.force_login(universe.people["gp"])
    assert client.post(download_url(), {"numbers": plain_list(numbers.values())}).status_code == 404
    assert client.get(download_url()).status_code == 405


# Who: the table of designed answers for a POST with a good file, the practices holding their keys.
#                       gp  pm  nu  ph  ha  re  hs  pr  nl  ia  ad  og
TABLE = """
A00001-hyp008          200 200 200 200 403 403 403 403 403 403 403 403
A00002-hyp008          403 403 403 403 403 403 403 403 403 403 403 200
QPCN1-hyp008           403 403 403 403 403 403 403 403 403 403 403 403
QICB-hyp008            403 403 403 403 403 403 403 403 403 403 403 403
"""
ROWS = [(line.split()[0], [int(c) for c in line.split()[1:]]) for line in TABLE.strip().splitlines()]


@pytest.mark.parametrize("index", range(len(PEOPLE)))
def test_only_clinical_members_of_the_owning_practice_may_download(client, universe, numbers, index):
    actions.hold_key(practice=universe.practice, key=KEY, by=None)
    actions.hold_key(practice=universe.sibling_practice, key=KEY, by=None)
    person = PEOPLE[index]
    client.force_login(universe.people[person])
    answers = []
    for where, _ in ROWS:
        code, measure = where.split("-")
        answers.append(client.post(download_url(code, measure), {"numbers": plain_list(numbers.values())}).status_code)
    assert answers == [statuses[index] for _, statuses in ROWS]
    downloads = AuditEvent.objects.filter(action="patient_data.downloaded", actor=universe.people[person].email)
    assert downloads.count() == answers.count(200)


def test_anonymous_people_are_sent_to_sign_in(client, universe, numbers):
    actions.hold_key(practice=universe.practice, key=KEY, by=None)
    response = client.post(download_url(), {"numbers": plain_list(numbers.values())})
    assert response.status_code == 302 and "sign-in" in response.url


# The action-list page


@pytest.mark.parametrize(
    ("person", "held", "shown"),
    [
        ("gp", True, "Download with NHS numbers"),
        ("gp", False, "the practice manager can let the workbench hold the key"),
        ("practice_manager", False, "let the workbench hold the practice"),
        ("healthcare_assistant", True, None),
    ],
)
def test_the_action_list_page_offers_the_upload_only_to_those_who_may_use_it(
    client, universe, numbers, person, held, shown
):
    if held:
        actions.hold_key(practice=universe.practice, key=KEY, by=None)
    client.force_login(universe.people[person])
    page = client.get(reverse("dashboard:action-list", args=["A00001", MEASURE])).content.decode()
    upload_form = download_url() in page
    assert upload_form == (shown == "Download with NHS numbers")
    if shown:
        assert shown in page
    else:
        assert "NHS numbers" not in page


def test_the_form_on_the_action_list_page_posts_with_its_csrf_token(universe, numbers):
    import re

    from django.test import Client

    actions.hold_key(practice=universe.practice, key=KEY, by=None)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(universe.people["gp"])
    page = browser.get(reverse("dashboard:action-list", args=["A00001", MEASURE])).content.decode()
    form = page[page.index(f'action="{download_url()}"') :]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    assert browser.post(download_url(), {"numbers": plain_list(numbers.values())}).status_code == 403
    answer = browser.post(download_url(), {"numbers": plain_list(numbers.values()), "csrfmiddlewaretoken": token})
    assert answer.status_code == 200 and answer["Content-Type"] == "text/csv; charset=utf-8"


def _assert_accessible_structure(html: str) -> None:
    from test_web_pages import outline

    page = outline(html)
    assert page.headings.count(1) == 1, page.headings
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, page.headings
    for field in page.fields:
        assert field.get("id") in page.labels_for, field
    assert len(page.ids) == len(set(page.ids))
    assert (page.inline_scripts, page.style_attributes) == (0, 0)


def test_the_new_pages_have_an_accessible_structure(client, universe, numbers):
    client.force_login(universe.people["practice_manager"])
    _assert_accessible_structure(client.get(reverse("reidentify:key", args=["A00001"])).content.decode())
    actions.hold_key(practice=universe.practice, key=KEY, by=None)
    _assert_accessible_structure(client.get(reverse("reidentify:key", args=["A00001"])).content.decode())
    _assert_accessible_structure(client.get(reverse("reidentify:remove-key", args=["A00001"])).content.decode())
    action_list_page = client.get(reverse("dashboard:action-list", args=["A00001", MEASURE])).content.decode()
    _assert_accessible_structure(action_list_page)
    problem = client.post(download_url(), {"numbers": SimpleUploadedFile("x.txt", b"")})
    assert problem.status_code == 400
    _assert_accessible_structure(problem.content.decode())
    assert "There is a problem" in problem.content.decode()
