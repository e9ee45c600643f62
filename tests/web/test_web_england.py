"""A practice's access measure page shows England's figure from GP appointments data, when the store has it."""

from __future__ import annotations

import shutil
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from django.urls import reverse

from qiloop.records.convert import import_from

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "records"))
from test_gpad import HEADER  # noqa: E402

pytestmark = pytest.mark.django_db

ROWS = [  # A00001 and two practices elsewhere in England, January 2024
    "01JAN2024,A00001,N,EMIS,U1,P,00K,S,GP,Face-to-Face,General Consultation Routine,Same Day,30,Attended",
    "01JAN2024,A00001,N,EMIS,U1,P,00K,S,GP,Telephone,Clinical Triage,1 Day,10,DNA",
    "01JAN2024,Z00001,N,TPP,U2,P,01A,S,GP,Face-to-Face,General Consultation Routine,8  to 14 Days,55,Attended",
    "01JAN2024,Z00002,N,TPP,U3,P,01B,S,Other Practice staff,Home Visit,Home Visit,Same Day,5,DNA",
]


@pytest.fixture
def store_with_gpad(settings, measured, tmp_path):
    store = tmp_path / "store.duckdb"
    shutil.copy(measured[0], store)
    folder = tmp_path / "gpad"
    folder.mkdir()
    (folder / "Practice_Level_Crosstab_Jun_24.csv").write_text("\r\n".join([HEADER, *ROWS]) + "\r\n")
    import_from("gpad", folder, store)
    settings.QILOOP_STORE = store
    return store


def test_the_dna_rate_page_shows_england_and_the_practice(client, universe, store_with_gpad):
    client.force_login(universe.people["gp"])
    html = client.get(reverse("dashboard:measure", args=["A00001", "dna_rate"])).content.decode()
    assert "England: GP appointments data" in html
    england = Fraction(15, 100)  # (10 + 5) DNA over 100 attended or DNA
    practice = Fraction(10, 40)
    assert f"{100 * float(england):.1f}%" in html and f"{100 * float(practice):.1f}%" in html
    assert "January 2024 (provisional)" not in html and "January 2024" in html
    assert "status is Unknown for many appointments" in html  # the definitional difference is stated


def test_no_england_section_without_gpad_or_for_other_measures(client, universe, measured, store_with_gpad, settings):
    client.force_login(universe.people["gp"])
    html = client.get(reverse("dashboard:measure", args=["A00001", "hyp008"])).content.decode()
    assert "England: GP appointments data" not in html
    settings.QILOOP_STORE = measured[0]  # the store without GPAD
    html = client.get(reverse("dashboard:measure", args=["A00001", "dna_rate"])).content.decode()
    assert "England: GP appointments data" not in html
