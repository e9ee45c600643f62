"""`python -m qiloop_web serve` migrates a fresh database and answers on loopback, with the NHS styles."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def headers_of(url: str) -> dict[str, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return {k.lower(): v for k, v in response.getheaders()}


def test_serve_starts_the_workbench_on_a_fresh_machine(tmp_path):
    if not (REPO_ROOT / "node_modules" / "nhsuk-frontend").is_dir():
        pytest.skip("npm packages not installed: run `npm ci` in the repository root")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QILOOP_", "DJANGO_", "DATABASE_URL"))}
    env["PYTHONUNBUFFERED"] = "1"
    server = subprocess.Popen(
        [sys.executable, "-m", "qiloop_web", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = fetch(f"http://127.0.0.1:{port}/sign-in/")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    os.killpg(server.pid, signal.SIGTERM)
                    output = server.communicate(timeout=10)[0].decode()
                    raise AssertionError(f"the workbench did not start:\n{output}") from None
                time.sleep(0.3)
        assert status == 200 and b"Sign in to qiloop" in body
        css_status, css = fetch(f"http://127.0.0.1:{port}/static/nhsuk/nhsuk-frontend.min.css")
        assert css_status == 200 and b".nhsuk-header" in css
        static = headers_of(f"http://127.0.0.1:{port}/static/nhsuk/nhsuk-frontend.min.css")
        assert static["cache-control"] == "max-age=86400, public"  # WhiteNoise, browsers keep it for a day
        assert headers_of(f"http://127.0.0.1:{port}/sign-in/")["server"].startswith("gunicorn")
        assert (tmp_path / "var" / "workbench.sqlite3").is_file()
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=10)[0].decode()
        assert "No organisations yet" in output and f"http://127.0.0.1:{port}/" in output
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
