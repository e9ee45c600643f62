"""The action lists' private cache: warmed ahead of visits, the same as computing, one per results, 0600, shared."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from django.urls import reverse

from qiloop.measures.actions import compute_action_list, compute_action_lists
from qiloop.measures.results_store import compute_results
from qiloop_web.dashboard import action_lists, pages

MEASURES = ["pincer_k", "copd010", "pincer_a"]  # low is good (two) and high is good
PRACTICES = ["A00001", "A00002", "A00003"]


@pytest.fixture(autouse=True)
def no_kept_lists(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"  # each test its own cache folder
    action_lists.forget()
    yield
    action_lists.forget()


def _month(measured) -> str:
    return str(pages.results().manifest["end"])


def _warm(measured, measure_ids=MEASURES):
    from django.conf import settings

    loaded = pages.results()
    folder = action_lists.results_folder(Path(settings.VAR_DIR) / "cache", loaded.key)
    store = Path(measured[0])
    done = action_lists.warm(
        loaded.key, folder, measure_ids, action_lists.make_all_for(store, PRACTICES, _month(measured))
    )
    return loaded, folder, done


def _same(cached, direct) -> None:
    assert (cached.measure.id, cached.practice_id, cached.on, cached.denominator) == (
        direct.measure.id,
        direct.practice_id,
        direct.on,
        direct.denominator,
    )
    pd.testing.assert_frame_equal(cached.table, direct.table)
    assert cached.header == direct.header and cached.display_rows() == direct.display_rows()
    assert cached.csv() == direct.csv()


def test_the_warmed_lists_are_exactly_those_computed_directly(measured):
    loaded, folder, done = _warm(measured)
    assert done == (len(MEASURES), 0)
    listed = 0
    for measure_id in MEASURES:
        read = action_lists.read(folder, loaded.key, measure_id)
        assert read is not None and sorted(read) == PRACTICES
        for practice in PRACTICES:
            direct = compute_action_list(str(measured[0]), measure_id, practice, on=_month(measured))
            _same(read[practice], direct)
            listed += direct.count
    assert listed > 0  # the comparison covered patients, not only empty lists
    assert _warm(measured)[2] == (0, len(MEASURES))  # warming again computes nothing


def test_the_page_serves_the_warmed_list_without_computing(client, universe, measured):
    _loaded, _folder, _done = _warm(measured)
    before = action_lists.counts()
    client.force_login(universe.people["gp"])
    response = client.get(reverse("dashboard:action-list", args=["A00001", "pincer_k"]))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    after = action_lists.counts()
    assert after["computed"] == before["computed"] and after["read"] == before["read"] + 1
    direct = compute_action_list(str(measured[0]), "pincer_k", "A00001", on=_month(measured))
    assert direct.header in response.content.decode()


def test_new_results_are_never_shown_lists_of_the_old_and_the_old_file_goes(client, universe, measured, tmp_path):
    """An import gives new results (a new fingerprint): the lists are computed again, the old folder removed."""
    from django.conf import settings

    store, results = measured
    copy = tmp_path / "results"
    compute_results(store, copy, months=3, measure_ids=["pincer_k"], say=lambda _text: None)
    settings.QILOOP_RESULTS_DIR = copy
    client.force_login(universe.people["gp"])
    url = reverse("dashboard:action-list", args=["A00001", "pincer_k"])
    client.get(url)
    old = action_lists.results_folder(Path(settings.VAR_DIR) / "cache", pages.results().key)
    assert (old / "pincer_k.pickle").is_file()
    time.sleep(0.01)
    compute_results(store, copy, months=3, measure_ids=["pincer_k"], force=True, say=lambda _text: None)
    new = action_lists.results_folder(Path(settings.VAR_DIR) / "cache", pages.results().key)
    assert new != old
    before = action_lists.counts()["computed"]
    assert client.get(url).status_code == 200
    assert action_lists.counts()["computed"] == before + 1  # not the old list, from memory or file
    assert (new / "pincer_k.pickle").is_file() and not old.exists()


def test_the_cache_is_private_whatever_the_umask(measured):
    from django.conf import settings

    previous = os.umask(0o022)
    try:
        _loaded, folder, _done = _warm(measured, ["pincer_k"])
    finally:
        os.umask(previous)
    var = Path(settings.VAR_DIR).resolve()
    assert folder.resolve().is_relative_to(var)
    for path in (folder, folder.parent):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    files = list(folder.iterdir())
    assert {f.name for f in files} == {"pincer_k.pickle", "pincer_k.lock"}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_another_process_reads_the_lists_without_computing(measured):
    loaded, folder, _done = _warm(measured, ["pincer_k"])
    program = f"""
import json, sys
from pathlib import Path
from qiloop_web.dashboard import action_lists

def never():
    raise SystemExit("computed again")

listed = action_lists.kept_with_the_others(
    {loaded.key!r}, "A00002", "pincer_k", never, never, folder=Path({str(folder)!r})
)
print(json.dumps({{"counts": action_lists.counts(), "rows": listed.display_rows(), "header": listed.header}}))
"""
    env = os.environ | {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["counts"]["computed"] == 0 and answer["counts"]["read"] == 1
    direct = compute_action_list(str(measured[0]), "pincer_k", "A00002", on=_month(measured))
    assert answer["rows"] == direct.display_rows() and answer["header"] == direct.header


def test_many_asking_for_one_measure_at_once_cause_one_computation(measured, tmp_path):
    loaded = pages.results()
    folder = tmp_path / "cache" / action_lists.FOLDER / "one"
    made = []

    def make_all():
        made.append(1)
        time.sleep(0.2)  # long enough for every thread to be waiting
        return compute_action_lists(str(measured[0]), "pincer_k", PRACTICES, on=_month(measured))

    def ask(practice: str, out: list) -> None:
        out.append(
            action_lists.kept_with_the_others(loaded.key, practice, "pincer_k", make_all, make_all, folder=folder)
        )

    got: list = []
    threads = [threading.Thread(target=ask, args=(PRACTICES[i % 3], got)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(got) == 20 and len(made) == 1
    assert {listed.practice_id for listed in got} == set(PRACTICES)
