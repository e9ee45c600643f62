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
    args = argparse.Namespace(users=1, seconds=1.0, port=free_port(), var_dir=not_a_folder)
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
