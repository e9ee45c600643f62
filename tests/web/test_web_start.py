"""The pieces of ``python -m qiloop_web start``: cached results, organisations from the store, the demo password."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys

import pytest

from conftest import MEASURED
from qiloop.measures.results_store import compute_results, up_to_date
from qiloop_web.organisations.models import Kind, Organisation
from qiloop_web.startup import demo_password, load_store_organisations


def test_results_are_reused_until_the_fingerprint_changes(measured, tmp_path):
    store, results = measured
    assert up_to_date(store, results, MEASURED)
    assert not up_to_date(store, results), "results of a few measures are not those of the whole library"
    said = []
    summary = compute_results(store, results, measure_ids=MEASURED, say=said.append)
    assert summary.computed is False and "up to date" in said[0]
    copy = tmp_path / "results"
    shutil.copytree(results, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["digest"] = "from another store or other measure versions"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert not up_to_date(store, copy, MEASURED)
    shutil.copy(results / "manifest.json", copy / "manifest.json")
    assert up_to_date(store, copy, MEASURED)
    (copy / "results.parquet").unlink()
    assert not up_to_date(store, copy, MEASURED)


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


def test_start_sets_everything_up_on_a_fresh_directory_and_a_second_start_reuses_it(tmp_path):
    """The main command end to end (without serving): tiny demo network, all measures, accounts printed."""
    env = os.environ | {"QILOOP_VAR_DIR": str(tmp_path), "QILOOP_PROGRESS": "0"}
    env.pop("QILOOP_STORE", None)
    env.pop("DATABASE_URL", None)  # its own SQLite file in tmp_path
    command = [sys.executable, "-m", "qiloop_web", "start", "--no-serve", "--practices", "2", "--patients", "300"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    password = (tmp_path / "demo_password").read_text().strip()
    assert f"password for every account: {password}" in first.stdout
    for email in ("gp@demo.qiloop.invalid", "network.qi.lead@demo.qiloop.invalid", "icb.analyst@demo.qiloop.invalid"):
        assert email in first.stdout
    assert "example QI project" in first.stdout
    assert "example clinical audit (a completed cycle)" in first.stdout
    manifest = json.loads((tmp_path / "results" / "manifest.json").read_text())
    # Five synthetic years (synth DEFAULT_START 2021-04 to DEFAULT_END 2026-03); the first 12 months only fill
    # the look-back windows, so results run from 2022-04.
    assert (manifest["start"], manifest["end"]) == ("2022-04", "2026-03")
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0
    assert "measure results are up to date" in second.stdout and "created nothing new" in second.stdout
    assert f"password for every account: {password}" in second.stdout


def test_the_data_starts_when_the_extract_does_not_with_old_history(measured):
    from qiloop.measures.results_store import data_months
    from qiloop.synth import DEFAULT_END, DEFAULT_START

    assert data_months(measured[0]) == (DEFAULT_START.replace(day=1), DEFAULT_END.replace(day=1))


def test_start_refuses_a_bad_size_before_setting_anything_up(tmp_path):
    env = os.environ | {"QILOOP_VAR_DIR": str(tmp_path / "var"), "QILOOP_PROGRESS": "0"}
    env.pop("DATABASE_URL", None)
    for option, value in (("--practices", "0"), ("--patients", "many")):
        command = [sys.executable, "-m", "qiloop_web", "start", "--no-serve", option, value]
        run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 2
        assert option in run.stderr
        assert not (tmp_path / "var" / "demo").exists()
