"""``python -m qiloop_web start``: everything a fresh machine needs, then the workbench on 127.0.0.1.

1. bring the workbench database up to date (SQLite in var/, or DATABASE_URL);
2. generate and import the synthetic demo network when there is no analytics store yet
   (``qiloop.demo.build_demo``: about 20 practices, five years);
3. compute every library measure for every practice and month (cached: only again when the
   store or a measure's version changes);
4. create the ICB, PCNs and practices from the store's practices table;
5. create one demo account per role and print them with their password (kept in var/demo_password),
   the example QI project and a closed staff QI survey round with synthetic answers;
6. draw the charts, then serve on http://127.0.0.1:PORT/ (``serving.serve``: gunicorn, several processes with threads),
   while one lower-priority process computes every measure's action lists ahead of first visits.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

from qiloop.commands.arguments import at_least_one
from qiloop_web.serving import say as _say

DEMO_PASSWORD_FILE = "demo_password"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="qiloop-web start", description="Set up the demo workbench on this computer (first run) and start it."
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("QILOOP_PORT", "8000")))
    parser.add_argument(
        "--practices", type=at_least_one, default=20, help="practices in a new demo network (default 20)"
    )
    parser.add_argument(
        "--patients", type=at_least_one, default=40_000, help="patients in a new demo network (default 40,000)"
    )
    parser.add_argument("--no-serve", action="store_true", help="set everything up, then stop instead of serving")
    return parser.parse_args(argv)


def ensure_store(store: Path, *, practices: int, patients: int) -> None:
    """Build the demo network into ``store`` when it is missing (only at a demo location: DIR/store.duckdb)."""
    from qiloop.demo import build_demo
    from qiloop.errors import QiloopError
    from qiloop.records.store import read_store_info

    try:
        read_store_info(store)
        _say(f"analytics store: {store}")
        return
    except QiloopError:
        if store.exists() or store.name != "store.duckdb":
            raise
    _say(f"no analytics store at {store}: building the synthetic demo network")
    build_demo(store.parent, practices=practices, patients=patients, say=_say)


def load_store_organisations(store: Path) -> None:
    """Create the ICBs, PCNs and practices in the store's practices table (idempotent), and say what was made."""
    from qiloop_web.organisations.loading import load_store_practices

    summary = load_store_practices(store)
    created = ", ".join(f"{n} {kind}" for kind, n in summary.created.items() if n) or "nothing new"
    _say(f"organisations: created {created}; {summary.unchanged} already there")


def demo_password(var_dir: Path) -> str:
    """The demo accounts' password: made once, kept in var/demo_password (mode 600) so later starts can print it."""
    path = var_dir / DEMO_PASSWORD_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    password = secrets.token_urlsafe(12)
    var_dir.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(password + "\n", encoding="utf-8")
    return password


def print_accounts(accounts: list[tuple[str, str, str, bool]], password: str, port: int) -> None:
    _say("")
    _say(f"Demo accounts (synthetic data only). Sign in at http://127.0.0.1:{port}/sign-in/")
    _say(f"  password for every account: {password}")
    for email, role, organisation, _created in accounts:
        _say(f"  {email:<46} {role:<30} {organisation}")
    _say("")


def start(argv: list[str]) -> int:
    from django.conf import settings
    from django.core.management import call_command

    from qiloop.errors import QiloopError
    from qiloop.measures.results_store import compute_results
    from qiloop_web.learning.demo import create_demo_events
    from qiloop_web.organisations.demo import create_demo_accounts
    from qiloop_web.organisations.models import Kind, Organisation
    from qiloop_web.projects.demo import create_demo_project, demo_people
    from qiloop_web.serving import close_interrupted_imports, serve
    from qiloop_web.survey.actions import close_overdue_rounds
    from qiloop_web.survey.demo import create_demo_survey
    from qiloop_web.teamwork.demo import create_demo_teamwork

    args = parse(argv)
    if settings.PRODUCTION:
        print("qiloop-web start sets up a demo; in production use `serve` (QILOOP_ENV=production).", file=sys.stderr)
        return 1
    began = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    _say("workbench database: up to date")
    store = Path(settings.QILOOP_STORE)
    close_interrupted_imports()
    try:
        ensure_store(store, practices=args.practices, patients=args.patients)
        compute_results(store, settings.QILOOP_RESULTS_DIR, say=_say)
        load_store_organisations(store)
    except QiloopError as problem:
        print(f"qiloop-web start: {problem}", file=sys.stderr)
        return 1
    practice = Organisation.objects.filter(kind=Kind.PRACTICE).order_by("code").first()
    if practice is None:
        print("The store has no practices: nothing to show.", file=sys.stderr)
        return 1
    password = demo_password(Path(settings.VAR_DIR))
    accounts = create_demo_accounts(practice=practice, password=password)
    project = create_demo_project(practice, demo_people())
    create_demo_teamwork(project, demo_people())
    _say(f"example QI project: {practice.name} → Projects")
    create_demo_events(practice, demo_people())
    _say(f"worked learning events: {practice.name} → Learning from events")
    close_overdue_rounds()  # rounds whose closing date passed while the workbench was stopped
    create_demo_survey(practice, demo_people())
    _say(f"example staff QI survey round (closed): {practice.name} → Staff QI survey")
    from qiloop_web.audits.demo import create_demo_audit

    if create_demo_audit(practice, demo_people()) is not None:
        _say(f"example clinical audit (a completed cycle): {practice.name} → Clinical audits")
    print_accounts(accounts, password, args.port)
    _say(f"ready in {time.perf_counter() - began:.1f} s")
    if args.no_serve:
        return 0
    return serve(["--no-migrate", "--port", str(args.port)])
