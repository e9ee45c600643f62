"""``qiloop bench web``: the workbench under a bounded load, on loopback only.

Starts ``python -m qiloop_web start`` as a subprocess on 127.0.0.1 (which builds
the demo network and its measure results first if they are missing), then, for
each count in ``--users`` (default 20, then 50), signs in that many simulated
people — two in three as a GP browsing the practice dashboard, measure pages and
action lists, one in three as the network QI lead browsing the network view and
network measure pages — and lets them request pages one after another for
``--seconds``, starting once the server says it has drawn its charts ahead of
first visits ("charts ready") and, unless action lists are left out, computed
every measure's action lists in the background ("action lists ready"), and
answers, so the figures are the steady state; then stops the server. The workbench serves with gunicorn (several processes),
as ``start`` always does.

For each load it prints requests/s, p50, p95 and p99 latency and errors, overall
and per page (p50, p95 and max), and against the budgets (:data:`BUDGETS`): the dashboard's HTML
size (≤ 250 KB), its time to first byte and to its last byte (p50, p95; the
dashboard needs no script to draw, so it is usable once its HTML has arrived:
≤ 1 s), action lists (p95 ≤ 300 ms) and every page (p95 ≤ 300 ms).

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
CHROMIUM = Path("/usr/bin/chromium")
BROWSER_RUNS = 5
USERS = (20, 50)
BUDGETS = {
    "dashboard_bytes": 250_000,  # the dashboard's HTML for 38 measures
    "dashboard_seconds": 1.0,  # until usable: all its content drawn (no client rendering: its last byte)
    "action_list_p95": 0.300,
    "page_p95": 0.300,
}
START_TIMEOUT = 1800.0  # the first start builds and measures the demo network
REQUEST_TIMEOUT = 30.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--users",
        type=user_counts,
        default=USERS,
        help="concurrent signed-in users, one load after another: a number or a list such as 20,50 (default 20,50)",
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="how long each load runs (default 60)")
    parser.add_argument("--port", type=int, default=8765, help="loopback port for the workbench (default 8765)")
    parser.add_argument(
        "--no-action-lists",
        action="store_true",
        help="leave action lists out of the GPs' pages (to measure the other pages alone)",
    )
    parser.add_argument(
        "--chromium",
        type=Path,
        default=CHROMIUM,
        help="Chromium to time the dashboard in, through Playwright, after the loads (default /usr/bin/chromium;"
        " skipped, saying so, when it or the playwright package is missing)",
    )
    parser.add_argument(
        "--var-dir", type=Path, default=Path("var"), help="the workbench's state directory (default var, as make demo)"
    )


def user_counts(text: str) -> tuple[int, ...]:
    """``--users``: "20" or "20,50" (each at least 1)."""
    try:
        counts = tuple(int(part) for part in text.split(","))
    except ValueError:
        message = f"--users takes whole numbers separated by commas, such as 20,50 (got {text!r})"
        raise argparse.ArgumentTypeError(message) from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"--users: every count must be at least 1 (got {text!r})")
    return counts


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    first_bytes: dict[str, list[float]] = field(default_factory=dict)  # until the response's headers arrived
    sizes: dict[str, list[int]] = field(default_factory=dict)  # bytes of each response's body
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self, page: str, seconds: float, problem: str = "", *, first_byte: float | None = None, size: int | None = None
    ) -> None:
        with self.lock:
            self.latencies.setdefault(page, []).append(seconds)
            if first_byte is not None:
                self.first_bytes.setdefault(page, []).append(first_byte)
            if size is not None:
                self.sizes.setdefault(page, []).append(size)
            if problem:
                self.errors.append(f"{page}: {problem}")


class Session:
    """One person's cookies over plain HTTP/1.1 to the loopback server."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, dict[str, str]]:
        status, text, headers, _first_byte = self.timed_request(method, path, body)
        return status, text, headers

    def timed_request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, dict[str, str], float]:
        """As :meth:`request`, and the seconds until the response's status line and headers arrived."""
        began = time.perf_counter()
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
            first_byte = time.perf_counter() - began
            text = response.read().decode("utf-8", "replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, text, dict(response.getheaders()), first_byte
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


def start_server(port: int, var_dir: Path, *, wait_for_lists: bool = False) -> tuple[subprocess.Popen[str], str]:
    """Start the workbench; return the process and the demo password once it answers (and, with
    ``wait_for_lists``, once it says its action lists are ready too)."""
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
        if time.monotonic() > deadline:
            break
        if line.startswith("charts ready") and not wait_for_lists:
            break  # the server has drawn its charts: measure the steady state
        if line.startswith("action lists ready"):
            break  # ... and computed every action list (in the background, once the charts were drawn)
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


def user_loop(
    session: Session, pages: list[tuple[str, str]], until: float, tally: Tally, seed: int, start: int = 0
) -> None:
    """Request pages back to back until ``until``: one of each kind in turn (the kinds named in ``pages``, in
    their order, from the ``start``-th), a random page of that kind each time."""
    rng = random.Random(seed)
    kinds: dict[str, list[str]] = {}
    for page, path in pages:
        kinds.setdefault(page, []).append(path)
    order = list(kinds)
    turn = start
    while time.monotonic() < until:  # bounded by the deadline
        page = order[turn % len(order)]
        turn += 1
        path = kinds[page][rng.randrange(len(kinds[page]))]
        began = time.perf_counter()
        try:
            status, text, _headers, first_byte = session.timed_request("GET", path)
            problem = "" if status == 200 else f"HTTP {status} for {path}"
            size = len(text.encode("utf-8"))
            tally.add(page, time.perf_counter() - began, problem, first_byte=first_byte, size=size)
        except OSError as error:
            tally.add(page, time.perf_counter() - began, f"{type(error).__name__} for {path}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def _ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q) * 1000:,.0f} ms"


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def report(tally: Tally, seconds: float, users: int | None = None) -> None:
    every = [v for values in tally.latencies.values() for v in values]
    if users is not None:
        print(f"== {users} concurrent user{'s' if users != 1 else ''} ==")
    print(f"requests: {len(every):,} in {seconds:.1f} s = {len(every) / seconds:.1f} requests/s")
    page_p95 = percentile(every, 95)
    print(
        f"latency: p50 {_ms(every, 50)}, p95 {_ms(every, 95)}, p99 {_ms(every, 99)} "
        f"(budget p95 <= {BUDGETS['page_p95'] * 1000:.0f} ms: {_verdict(page_p95 <= BUDGETS['page_p95'])})"
    )
    for page, values in sorted(tally.latencies.items()):
        print(
            f"  {page:<16} {len(values):>6,} requests, p50 {_ms(values, 50)}, p95 {_ms(values, 95)}, "
            f"max {_ms(values, 100)}"
        )
    dashboard = tally.latencies.get("dashboard", [])
    if dashboard:
        largest = max(tally.sizes.get("dashboard", [0]))
        first = tally.first_bytes.get("dashboard", [])
        print(
            f"dashboard HTML: {largest:,} bytes ({largest / 1000:.0f} KB; "
            f"budget <= {BUDGETS['dashboard_bytes'] / 1000:.0f} KB: {_verdict(largest <= BUDGETS['dashboard_bytes'])})"
        )
        print(f"dashboard time to first byte: p50 {_ms(first, 50)}, p95 {_ms(first, 95)}")
        usable = percentile(dashboard, 95)
        print(
            f"dashboard usable (whole HTML received; no chart is drawn in the browser): p50 {_ms(dashboard, 50)}, "
            f"p95 {_ms(dashboard, 95)}, max {_ms(dashboard, 100)} "
            f"(budget <= {BUDGETS['dashboard_seconds']:.0f} s: {_verdict(usable <= BUDGETS['dashboard_seconds'])})"
        )
    lists = tally.latencies.get("action list", [])
    if lists:
        p95 = percentile(lists, 95)
        print(
            f"action lists: p50 {_ms(lists, 50)}, p95 {_ms(lists, 95)}, max {_ms(lists, 100)} "
            f"(budget p95 <= {BUDGETS['action_list_p95'] * 1000:.0f} ms: {_verdict(p95 <= BUDGETS['action_list_p95'])})"
        )
    print(f"errors: {len(tally.errors)}")
    for problem in sorted(set(tally.errors))[:10]:
        print(f"  {problem}")


def run(args: argparse.Namespace) -> int:
    users = (args.users,) if isinstance(args.users, int) else tuple(args.users)
    if not users or min(users) < 1 or args.seconds <= 0:
        print("qiloop bench web: --users must be at least 1 and --seconds above 0")
        return 2
    from qiloop.measures import all_measures

    measures = list(all_measures())
    print(f"starting the workbench on {HOST}:{args.port} (state in {args.var_dir}) ...", file=sys.stderr)
    try:
        process, password = start_server(
            args.port, args.var_dir, wait_for_lists=not getattr(args, "no_action_lists", False)
        )
        try:
            code = load(
                args.port,
                measures,
                users=users,
                seconds=args.seconds,
                gp=("gp@demo.qiloop.invalid", password),
                lead=("network.qi.lead@demo.qiloop.invalid", password),
                action_lists=not getattr(args, "no_action_lists", False),
            )
            browser_timing(args.port, ("gp@demo.qiloop.invalid", password), chromium=args.chromium)
            return code
        finally:
            stop_server(process)
    except RuntimeError as problem:  # the workbench did not start, or a demo account could not sign in
        print(f"qiloop bench web: {problem}", file=sys.stderr)
        return 1


def browser_timing(port: int, gp: tuple[str, str], *, chromium: Path, runs: int = BROWSER_RUNS) -> list[float]:
    """Open the GP's dashboard ``runs`` times in Chromium (Playwright), the server otherwise idle, and print how
    long until all its content is drawn: the page's load event (its HTML parsed, with the inline SVG charts, and
    its stylesheet and icons loaded), once no element is left waiting for a chart script. Returns the times (s)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("dashboard in a browser: skipped (the playwright package is not installed)")
        return []
    if not chromium.exists():
        print(f"dashboard in a browser: skipped (no Chromium at {chromium})")
        return []
    base = f"http://{HOST}:{port}"
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=["--headless", "--no-sandbox"])
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.goto(f"{base}/sign-in/")
            page.fill("input[name=email]", gp[0])
            page.fill("input[name=password]", gp[1])
            with page.expect_navigation():
                page.click("main button[type=submit]")
            page.goto(f"{base}/")
            found = re.search(r'href="/organisations/([^/"]+)/"', page.content())
            if found is None:
                raise RuntimeError("the signed-in person belongs to no organisation")
            drawn = 0
            for _ in range(runs):
                page.goto(f"{base}/practices/{found.group(1)}/", wait_until="load")
                page.wait_for_function(
                    "() => [...document.querySelectorAll('[data-vega-spec]')].every(e => e.querySelector('svg'))"
                )
                times.append(page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd") / 1000)
                drawn = page.locator("figure.qiloop-chart--drawn svg").count()
        finally:
            browser.close()
    worst = max(times)
    print(
        f"dashboard in Chromium ({drawn} charts drawn on the server), until all content is drawn, {runs} visits: "
        f"p50 {_ms(times, 50)}, max {worst * 1000:,.0f} ms "
        f"(budget <= {BUDGETS['dashboard_seconds']:.0f} s: {_verdict(worst <= BUDGETS['dashboard_seconds'])})"
    )
    return times


def practice_pages(practice: str, measures: list[str], *, action_lists: bool = True) -> list[tuple[str, str]]:
    """What a GP asks for, in turn: the dashboard, an action list (unless ``action_lists`` is false), a measure
    page."""
    lists = [("action list", f"/practices/{practice}/measures/{m}/action-list/") for m in measures if action_lists]
    measure_pages = [("measure", f"/practices/{practice}/measures/{m}/") for m in measures]
    return [("dashboard", f"/practices/{practice}/"), *lists, *measure_pages]


def network_pages(network: str, measures: list[str]) -> list[tuple[str, str]]:
    """What a network QI lead asks for, in turn: the network view, a network measure page."""
    return [("network", f"/networks/{network}/")] + [
        ("network measure", f"/networks/{network}/measures/{m}/") for m in measures
    ]


def load(
    port: int,
    measures: list[str],
    *,
    users: tuple[int, ...],
    seconds: float,
    gp: tuple[str, str],
    lead: tuple[str, str],
    action_lists: bool = True,
) -> int:
    """Run one load per count in ``users`` against the workbench on ``port`` and print the figures;
    ``gp`` and ``lead`` are (email, password) of a practice GP and a network QI lead. 1 if any request failed."""
    first_gp, first_lead = Session(port), Session(port)
    first_gp.sign_in(*gp)
    first_lead.sign_in(*lead)
    practice, network = first_gp.first_organisation(), first_lead.first_organisation()
    mixes = {
        "gp": practice_pages(practice, measures, action_lists=action_lists),
        "lead": network_pages(network, measures),
    }
    failed = False
    for count in users:
        people = []
        started = {"gp": 0, "lead": 0}
        for i in range(count):  # two in three GPs; each person starts at the next kind of page of their role
            role = "lead" if i % 3 == 2 else "gp"
            session = Session(port)
            session.sign_in(*(lead if role == "lead" else gp))
            people.append((session, mixes[role], started[role]))
            started[role] += 1
        tally = Tally()
        began = time.monotonic()
        until = began + seconds
        threads = [
            threading.Thread(target=user_loop, args=(s, pages, until, tally, i, start), daemon=True)
            for i, (s, pages, start) in enumerate(people)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + REQUEST_TIMEOUT + 5)
        report(tally, time.monotonic() - began, users=count)
        failed = failed or bool(tally.errors)
    return 1 if failed else 0
