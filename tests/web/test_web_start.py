"""The pieces of ``python -m qiloop_web start``: cached results, organisations from the store, the demo password."""

from __future__ import annotations

import json
import shutil
import stat

import pytest

from qiloop_web.dashboard.results import compute_results, up_to_date
from qiloop_web.organisations.models import Kind, Organisation
from qiloop_web.startup import demo_password, load_store_organisations


def test_results_are_reused_until_the_fingerprint_changes(measured, tmp_path):
    store, results = measured
    assert up_to_date(store, results)
    said = []
    summary = compute_results(store, results, measure_ids=["pincer_a"], say=said.append)
    assert summary.computed is False and "up to date" in said[0]
    copy = tmp_path / "results"
    shutil.copytree(results, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["digest"] = "from another store or other measure versions"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert not up_to_date(store, copy)
    (copy / "results.parquet").unlink()
    assert not up_to_date(store, tmp_path / "nothing-here")


@pytest.mark.django_db
def test_organisations_come_from_the_store_and_loading_twice_changes_nothing(measured):
    store, _results = measured
    load_store_organisations(store)
    practices = set(Organisation.objects.filter(kind=Kind.PRACTICE).values_list("code", flat=True))
    assert practices == {"A00001", "A00002", "A00003"}
    before = Organisation.objects.count()
    load_store_organisations(store)
    assert Organisation.objects.count() == before


def test_the_demo_password_is_made_once_and_kept_private(tmp_path):
    first = demo_password(tmp_path)
    assert len(first) >= 12
    assert demo_password(tmp_path) == first
    assert stat.S_IMODE((tmp_path / "demo_password").stat().st_mode) == 0o600
