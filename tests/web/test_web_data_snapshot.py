"""The data page says when the store holds a snapshot (a report export): an audit collection, not SPC."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from test_web_data import data_settings  # noqa: F401 - the fixture

from qiloop.records.convert import ConversionReport, write_report
from qiloop.records.sql import connect

pytestmark = pytest.mark.django_db


def test_the_data_page_says_a_snapshot_supports_an_audit_collection_not_spc(client, universe, data_settings):  # noqa: F811
    store, _ = data_settings
    client.force_login(universe.people["icb_analyst"])
    page = client.get(reverse("dashboard:data", args=["QICB"])).content.decode()
    assert "Kind of data" not in page  # a longitudinal store: nothing to say
    con = connect(str(store))
    try:
        write_report(con, ConversionReport("report", "export.csv", snapshot_as_of=dt.date(2025, 3, 31)))
    finally:
        con.close()
    page = client.get(reverse("dashboard:data", args=["QICB"])).content.decode()
    assert "A snapshot at 31 March 2025 (a report export)" in page
    assert "supports an audit collection at that date, but not SPC charts" in page
