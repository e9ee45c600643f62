"""The guard every patient-level page will use: only the practice's clinical members, and always audited.

The real pages (action lists, their CSV download) come with the dashboards;
this checks the decorator they must use, on a stand-in view in a test URLconf.
"""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.urls import include, path

from conftest import PEOPLE
from qiloop_web.audit.models import AuditEvent
from qiloop_web.organisations.permissions import patient_level_view


@patient_level_view(what="action_list")
def action_list(request, organisation, measure):
    request.audit_target = ("measure", measure)
    return HttpResponse(f"patients of {organisation.code}")


@patient_level_view(what="action_list.csv", download=True)
def action_list_csv(request, organisation):
    return HttpResponse("patient_id\n", content_type="text/csv")


urlpatterns = [
    path("p/<str:code>/<str:measure>/", action_list),
    path("p/<str:code>/download.csv", action_list_csv),
    path("", include("qiloop_web.urls")),
]

# The designed answers: rows are requests, columns the people (conftest.PEOPLE, same order).
#                          gp  pm  nu  ph  ha  re  hs  pr  nl  ia  ad  og
TABLE = """
/p/A00001/m1/            200 200 200 200 200 403 403 403 403 403 403 403
/p/A00001/download.csv   200 200 200 200 403 403 403 403 403 403 403 403
/p/A00002/m1/            403 403 403 403 403 403 403 403 403 403 403 200
/p/QPCN1/m1/             403 403 403 403 403 403 403 403 403 403 403 403
/p/QICB/m1/              403 403 403 403 403 403 403 403 403 403 403 403
"""
ROWS = [(line.split()[0], [int(c) for c in line.split()[1:]]) for line in TABLE.strip().splitlines()]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("index", range(len(PEOPLE)))
def test_only_clinical_members_of_the_practice_reach_patient_level_pages(client, universe, index):
    person = PEOPLE[index]
    client.force_login(universe.people[person])
    answers = [client.get(url).status_code for url, _ in ROWS]
    assert answers == [statuses[index] for _, statuses in ROWS]
    events = AuditEvent.objects.filter(action__startswith="patient_data.", actor=universe.people[person].email)
    assert events.count() == sum(1 for status in answers if status == 200)


@pytest.mark.urls(__name__)
def test_each_view_and_download_is_audited_with_its_target(client, universe):
    client.force_login(universe.people["gp"])
    client.get("/p/A00001/m1/")
    client.get("/p/A00001/download.csv")
    viewed, downloaded = AuditEvent.objects.filter(action__startswith="patient_data.").order_by("id")
    assert (viewed.action, viewed.detail, viewed.target_type, viewed.target_id) == (
        "patient_data.viewed",
        {"what": "action_list"},
        "measure",
        "m1",
    )
    assert (downloaded.action, downloaded.organisation_code) == ("patient_data.downloaded", "A00001")


@pytest.mark.urls(__name__)
def test_anonymous_people_are_sent_to_sign_in_and_nothing_is_recorded(client, universe):
    assert client.get("/p/A00001/m1/").status_code == 302
    assert not AuditEvent.objects.filter(action__startswith="patient_data.").exists()
