"""``qiloop bench web``: the workbench under a bounded load, on loopback only.

Starts ``python -m qiloop_web start`` as a subprocess on 127.0.0.1 (which builds
the demo network and its measure results first if they are missing), signs in
``--users`` simulated people (two in three as a GP browsing the practice
dashboard and measure pages, one in three as the network QI lead browsing the
network view and network measure pages), lets them request pages one after
another for ``--seconds`` — starting once the server says it has drawn its
charts ahead of first visits ("charts ready") and answers, so the figures are
the steady state — then stops the server. The workbench serves with gunicorn
(several processes), as ``start`` always does. Prints requests/s, p50, p95
and p99 latency and errors, overall and per page. Target: p95 ≤ 300 ms, no errors.

Standard library only (http.client, threads); the library does not import the
workbench, it runs it as a separate process.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

HOST = "127.0.0.1"
START_TIMEOUT = 1800.0  # the first start builds and measures the demo network
REQUEST_TIMEOUT = 30.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--users", type=int, default=20, help="concurrent signed-in users (default 20)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load runs (default 60)")
    parser.add_argument("--port", type=int, default=8765, help="loopback port for the workbench (default 8765)")
    parser.add_argument(
        "--var-dir", type=Path, default=Path("var"), help="the workbench's state directory (default var, as make demo)"
    )


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, page: str, seconds: float, problem: str = "") -> None:
        with self.lock:
            self.latencies.setdefault(page, []).append(seconds)
            if problem:
                self.errors.append(f"{page}: {problem}")


class Session:
    """One person's cookies over plain HTTP/1.1 to the loopback server."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, dict[str, str]]:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        try:
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
            if body is not None:
                headers |= {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Referer": f"http://{HOST}:{self.port}/",
                }
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, text, dict(response.getheaders())
        finally:
            connection.close()

    def sign_in(self, email: str, password: str) -> None:
        _status, page, _headers = self.request("GET", "/sign-in/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if token is None:
            raise RuntimeError("the sign-in page has no CSRF token")
        form = urlencode({"csrfmiddlewaretoken": token.group(1), "email": email, "password": password, "next": "/"})
        status, _text, _headers = self.request("POST", "/sign-in/", form)
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"signing in as {email} failed (HTTP {status})")

    def first_organisation(self) -> str:
        _status, page, _headers = self.request("GET", "/")
        found = re.search(r'href="/organisations/([^/"]+)/"', page)
        if found is None:
            raise RuntimeError("the signed-in person belongs to no organisation")
        return found.group(1)


def start_server(port: int, var_dir: Path) -> tuple[subprocess.Popen[str], str]:
    """Start the workbench; return the process and the demo password once it answers."""
    env = os.environ | {"QILOOP_VAR_DIR": str(var_dir.resolve()), "QILOOP_PROGRESS": "0"}
    process = subprocess.Popen(
        [sys.executable, "-m", "qiloop_web", "start", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    password = ""
    deadline = time.monotonic() + START_TIMEOUT
    assert process.stdout is not None
    for line in process.stdout:
        print(f"  [workbench] {line.rstrip()}", file=sys.stderr)
        if "password for every account:" in line:
            password = line.rsplit(":", 1)[1].strip()
        if line.startswith("charts ready") or time.monotonic() > deadline:
            break  # the server has drawn its charts: measure the steady state
    threading.Thread(target=lambda: [None for _ in process.stdout or []], daemon=True).start()  # keep draining
    while time.monotonic() < deadline and process.poll() is None:
        try:
            http.client.HTTPConnection(HOST, port, timeout=2).request("HEAD", "/sign-in/")
            break
        except OSError:
            time.sleep(0.5)
    if process.poll() is not None or not password:
        stop_server(process)
        raise RuntimeError("the workbench did not start (see its output above)")
    return process, password


def stop_server(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def user_loop(session: Session, pages: list[tuple[str, str]], until: float, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    while time.monotonic() < until:  # bounded by the deadline
        page, path = pages[rng.randrange(len(pages))]
        began = time.perf_counter()
        try:
            status, _text, _headers = session.request("GET", path)
            tally.add(page, time.perf_counter() - began, "" if status == 200 else f"HTTP {status} for {path}")
        except OSError as error:
            tally.add(page, time.perf_counter() - began, f"{type(error).__name__} for {path}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def report(tally: Tally, seconds: float) -> None:
    every = [v for values in tally.latencies.values() for v in values]
    print(f"requests: {len(every):,} in {seconds:.1f} s = {len(every) / seconds:.1f} requests/s")
    print(
        f"latency: p50 {percentile(every, 50) * 1000:.0f} ms, p95 {percentile(every, 95) * 1000:.0f} ms, "
        f"p99 {percentile(every, 99) * 1000:.0f} ms (target p95 <= 300 ms)"
    )
    for page, values in sorted(tally.latencies.items()):
        print(
            f"  {page:<16} {len(values):>6,} requests, p50 {percentile(values, 50) * 1000:.0f} ms, "
            f"p95 {percentile(values, 95) * 1000:.0f} ms"
        )
    print(f"errors: {len(tally.errors)}")
    for problem in sorted(set(tally.errors))[:10]:
        print(f"  {problem}")


def run(args: argparse.Namespace) -> int:
    if args.users < 1 or args.seconds <= 0:
        print("qiloop bench web: --users must be at least 1 and --seconds above 0")
        return 2
    from qiloop.measures import all_measures

    measures = list(all_measures())
    print(f"starting the workbench on {HOST}:{args.port} (state in {args.var_dir}) ...", file=sys.stderr)
    try:
        return _measure(args, measures)
    except RuntimeError as problem:  # the workbench did not start, or a demo account could not sign in
        print(f"qiloop bench web: {problem}", file=sys.stderr)
        return 1


def _measure(args: argparse.Namespace, measures: list[str]) -> int:
    process, password = start_server(args.port, args.var_dir)
    try:
        gp, lead = Session(args.port), Session(args.port)
        gp.sign_in("gp@demo.qiloop.invalid", password)
        lead.sign_in("network.qi.lead@demo.qiloop.invalid", password)
        practice, pcn = gp.first_organisation(), lead.first_organisation()
        practice_pages = [("dashboard", f"/practices/{practice}/")] * 2 + [
            ("measure", f"/practices/{practice}/measures/{m}/") for m in measures
        ]
        network_pages = [("network", f"/networks/{pcn}/")] * 2 + [
            ("network measure", f"/networks/{pcn}/measures/{m}/") for m in measures
        ]
        users = []
        for i in range(args.users):
            session = Session(args.port)
            network_user = i % 3 == 2
            session.sign_in(
                "network.qi.lead@demo.qiloop.invalid" if network_user else "gp@demo.qiloop.invalid", password
            )
            users.append((session, network_pages if network_user else practice_pages))
        tally = Tally()
        began = time.monotonic()
        until = began + args.seconds
        threads = [
            threading.Thread(target=user_loop, args=(s, pages, until, tally, i), daemon=True)
            for i, (s, pages) in enumerate(users)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + REQUEST_TIMEOUT + 5)
        report(tally, time.monotonic() - began)
        return 0 if not tally.errors else 1
    finally:
        stop_server(process)
