"""The load generator of ``qiloop bench web`` against a live workbench (without starting a subprocess)."""

from __future__ import annotations

import time
from urllib.parse import urlparse

import pytest
from web_universe import PASSWORD, build_universe

from qiloop.bench.web import Session, Tally, percentile, user_loop


@pytest.fixture
def port(transactional_db, measured, live_server):
    build_universe()
    return urlparse(live_server.url).port


def test_signed_in_users_request_pages_and_errors_are_counted(port):
    gp = Session(port)
    gp.sign_in("gp@example.nhs.uk", PASSWORD)
    assert gp.first_organisation() == "A00001"
    gp.request("GET", "/practices/A00001/")  # the first visit draws the charts (the server's start does that)
    tally = Tally()
    pages = [("dashboard", "/practices/A00001/"), ("forbidden", "/practices/A00002/")]
    user_loop(gp, pages, time.monotonic() + 1.0, tally, seed=1)
    assert tally.latencies["dashboard"] and tally.latencies["forbidden"]
    assert len(tally.errors) == len(tally.latencies["forbidden"])
    assert all("HTTP 403" in e for e in tally.errors)


def test_a_refused_sign_in_stops_the_benchmark(port):
    with pytest.raises(RuntimeError, match="signing in as gp@example.nhs.uk failed"):
        Session(port).sign_in("gp@example.nhs.uk", "not the password")


def test_percentiles_by_nearest_rank():
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == 51.0  # index round(0.5 * 99) = 50 (banker's rounding: 49.5 -> 50)
    assert percentile(values, 95) == 95.0  # index round(94.05) = 94
    assert percentile(values, 99) == 99.0
    assert percentile([], 50) != percentile([], 50)  # NaN


def test_a_workbench_that_does_not_start_is_reported_without_a_traceback(tmp_path, capsys):
    import argparse

    from qiloop.bench.web import run

    not_a_folder = tmp_path / "var"
    not_a_folder.write_text("a file where the state folder should be")
    args = argparse.Namespace(users=(1,), seconds=1.0, port=free_port(), var_dir=not_a_folder)
    assert run(args) == 1
    err = capsys.readouterr().err
    # the workbench's own output is shown, then the benchmark's message (not an "internal error")
    assert err.rstrip().endswith("qiloop bench web: the workbench did not start (see its output above)")
    assert "internal error" not in err


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_bench_prints_its_figures_against_the_budgets_end_to_end(port, capsys):
    """The whole load (every user count in turn) against the live test server, as ``qiloop bench web`` runs it."""
    import re

    from conftest import MEASURED
    from qiloop.bench.web import load

    gp = Session(port)
    gp.sign_in("gp@example.nhs.uk", PASSWORD)
    status, dashboard, _headers = gp.request("GET", "/practices/A00001/")
    assert status == 200
    code = load(
        port,
        MEASURED,
        users=(3, 4),  # the first GP starts at the dashboard, the second at an action list; the third person leads
        seconds=1.5,
        gp=("gp@example.nhs.uk", PASSWORD),
        lead=("network_qi_lead@example.nhs.uk", PASSWORD),
    )
    out = capsys.readouterr().out
    failures = [int(n) for n in re.findall(r"^errors: (\d+)$", out, re.M)]
    assert len(failures) == 2 and code == (1 if any(failures) else 0), out  # a request that timed out is an error
    loads = out.split("== ")[1:]
    assert [part.split(" ==")[0] for part in loads] == ["3 concurrent users", "4 concurrent users"]
    for part in loads:
        size = re.search(r"dashboard HTML: ([\d,]+) bytes \((\d+) KB; budget <= 250 KB: (met|NOT MET)\)", part)
        assert size, part
        assert int(size.group(1).replace(",", "")) == len(dashboard.encode())  # the page the GP sees, measured
        assert size.group(3) == ("met" if len(dashboard.encode()) <= 250_000 else "NOT MET")
        assert re.search(r"dashboard time to first byte: p50 [\d,]+ ms, p95 [\d,]+ ms", part)
        assert re.search(
            r"dashboard usable .*p50 [\d,]+ ms, p95 [\d,]+ ms, max [\d,]+ ms \(budget <= 1 s: (met|NOT MET)\)", part
        )
        assert re.search(
            r"action lists: p50 [\d,]+ ms, p95 [\d,]+ ms, max [\d,]+ ms \(budget p95 <= 300 ms: (met|NOT MET)\)", part
        )
        for page in ("dashboard", "action list", "network"):
            assert re.search(
                rf"^  {page} +[\d,]+ requests, p50 [\d,]+ ms, p95 [\d,]+ ms, max [\d,]+ ms$", part, re.M
            ), page
        assert all("TimeoutError" in line for line in part.split("errors: ", 1)[1].splitlines()[1:]), part


def test_user_counts_are_read_from_a_list():
    import argparse

    from qiloop.bench.web import user_counts

    assert user_counts("20,50") == (20, 50) and user_counts("7") == (7,)
    for bad in ("", "20,x", "0", "20,-1"):
        with pytest.raises(argparse.ArgumentTypeError, match="--users"):
            user_counts(bad)


def test_the_bench_times_the_dashboard_in_chromium(port, capsys, monkeypatch):
    import re

    from conftest import CHROMIUM
    from qiloop.bench.web import browser_timing

    if not CHROMIUM.exists():
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium")
    pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop in this thread; the server's is its own
    times = browser_timing(port, ("gp@example.nhs.uk", PASSWORD), chromium=CHROMIUM, runs=2)
    out = capsys.readouterr().out
    assert len(times) == 2 and all(t > 0 for t in times)
    found = re.search(
        r"dashboard in Chromium \((\d+) charts drawn on the server\), until all content is drawn, 2 visits: "
        r"p50 [\d,]+ ms, max [\d,]+ ms \(budget <= 1 s: (met|NOT MET)\)",
        out,
    )
    assert found, out
    from conftest import MEASURED

    assert int(found.group(1)) == len(MEASURED)  # the measures with results in the test store


def test_timing_in_a_browser_is_skipped_without_chromium(tmp_path, capsys):
    from qiloop.bench.web import browser_timing

    assert browser_timing(1, ("someone", "x"), chromium=tmp_path / "no-chromium") == []
    assert "dashboard in a browser: skipped" in capsys.readouterr().out


def test_the_gps_pages_with_and_without_action_lists():
    from qiloop.bench.web import practice_pages

    pages = practice_pages("A00001", ["pincer_a", "dna_rate"])
    assert [p for p, _path in pages] == ["dashboard", "action list", "action list", "measure", "measure"]
    assert ("action list", "/practices/A00001/measures/dna_rate/action-list/") in pages
    assert "action list" not in {p for p, _path in practice_pages("A00001", ["pincer_a"], action_lists=False)}
