"""``python -m qiloop_web serve`` (and the end of ``start``): the workbench on 127.0.0.1, with its charts drawn first.

1. bring the workbench database up to date (unless ``--no-migrate``) and put SQLite in write-ahead-log mode;
2. end imports interrupted when the workbench last stopped;
3. draw every practice's charts and every network's funnels (or load them from var/cache/);
4. serve with gunicorn (several processes, each with threads, forked once the charts are drawn), while one
   lower-priority process computes every measure's action lists ahead of first visits.

``start`` (``startup.py``) sets a demo up and then calls :func:`serve`; this module imports neither it nor
``__main__``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path


def say(text: str) -> None:
    print(text, flush=True)


def _install_front_end(repo_root: Path, node_modules: Path) -> None:
    """Install the pinned npm packages (package-lock.json) when serving from a checkout that lacks them."""
    npm = shutil.which("npm")
    if npm is None or not (repo_root / "package-lock.json").is_file() or node_modules != repo_root / "node_modules":
        return
    print("Installing the NHS design system and chart libraries from the npm registry (npm ci)...", file=sys.stderr)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=repo_root, check=False)


def serve(argv: list[str]) -> int:
    """``python -m qiloop_web serve [--port N] [--no-migrate]``: the steps above, then serve until stopped."""
    from django.conf import settings
    from django.core.management import call_command

    parser = argparse.ArgumentParser(prog="qiloop-web serve", description="Start the workbench on this computer.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("QILOOP_PORT", "8000")))
    parser.add_argument("--no-migrate", action="store_true", help="do not bring the database up to date first")
    args = parser.parse_args(argv)
    if not (settings.NODE_MODULES / "nhsuk-frontend").is_dir():
        _install_front_end(settings.REPO_ROOT, settings.NODE_MODULES)
    if not (settings.NODE_MODULES / "nhsuk-frontend").is_dir():
        print(
            f"The NHS design system files are missing ({settings.NODE_MODULES / 'nhsuk-frontend'}).\n"
            "Run `npm ci` in the repository root (or set QILOOP_NODE_MODULES) and start again.",
            file=sys.stderr,
        )
        return 1
    if not args.no_migrate:
        call_command("migrate", interactive=False, verbosity=1)
    from qiloop_web.organisations.models import Organisation

    if not Organisation.objects.exists():
        print(
            "No organisations yet. Load them from an extract's practices table, then create demo accounts:\n"
            "  python -m qiloop_web load_organisations var/demo/extract/practices.parquet   (made by `qiloop demo`)\n"
            "  python -m qiloop_web demo_accounts"
        )
    write_ahead_log()
    close_interrupted_imports()
    draw_charts()
    warming = start_warming_action_lists()  # its own process, after the charts: ready before anyone asks
    print(f"qiloop workbench: http://127.0.0.1:{args.port}/  (Ctrl+C to stop)", flush=True)
    try:
        return run_server(args.port)
    finally:
        stop_warming_action_lists(warming)


def run_server(port: int) -> int:
    """Serve on 127.0.0.1 with gunicorn: QILOOP_WEB_WORKERS processes of QILOOP_WEB_THREADS threads each.

    The processes are forked from this one once it has loaded the application and drawn the charts, so
    every worker begins with the charts this process already holds in memory.
    """
    from django.conf import settings
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    # STATIC_ROOT holds collectstatic's copies (production); empty, WhiteNoise serves from the finders.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    from qiloop_web.wsgi import application

    connections.close_all()  # each worker opens its own database connection after the fork

    class Workbench(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options = {
                "bind": f"127.0.0.1:{port}",
                "workers": max(1, settings.QILOOP_WEB_WORKERS),
                "threads": max(1, settings.QILOOP_WEB_THREADS),
                "worker_class": "gthread",
                "preload_app": True,
                "timeout": 120,
                "graceful_timeout": 10,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
                "proc_name": "qiloop-web",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):  # type: ignore[no-untyped-def]
            return application

    Workbench().run()
    return 0


def close_interrupted_imports() -> None:
    from qiloop_web.dashboard.actions import end_interrupted_imports

    ended = end_interrupted_imports()
    if ended:
        say(f"imports interrupted when the workbench last stopped: {ended} ended as failed (see the data page)")


def draw_charts() -> None:
    """Draw every practice's charts (with the dashboard cards' SVGs, drawn through vl-convert, and trends) and
    every network's funnels and small multiples before serving, so the server's worker processes (forked from
    this one) all start with them and first visits are quick. What was drawn is saved in var/cache/ and loaded
    instead of drawn again while the results and code are the same."""
    from django.conf import settings
    from django.db import connection

    from qiloop_web.dashboard import memo, pages
    from qiloop_web.dashboard.views import warm_network_caches

    loaded = pages.results()
    if loaded is None:
        say("charts ready: none to draw")
        return
    began = time.perf_counter()
    cache = Path(settings.VAR_DIR) / "cache"
    if memo.load(cache, loaded.key):
        say(f"charts drawn at an earlier start loaded from {cache}")
    else:
        say(
            "drawing every practice's charts (and its dashboard as SVG) and every network's funnels ahead of first visits ..."
        )
    try:
        pages.warm_caches(loaded)  # what is already there is found, not drawn again
        warm_network_caches(loaded)
    finally:
        connection.close()
    if memo.counts()["misses"]:
        memo.save(cache, loaded.key)
    say(f"charts ready in {time.perf_counter() - began:.0f} s")


def write_ahead_log() -> str:
    """Put a SQLite workbench database in write-ahead-log mode (kept in the file; PostgreSQL: nothing to do), so
    pages reading it never wait while a request writes its audit event, and a commit costs one flush instead of
    a journal file made and removed. Returns the journal mode now in force ("" on PostgreSQL)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return ""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        (mode,) = cursor.fetchone()
    return str(mode)


def warm_action_lists() -> None:
    """Compute every measure's action lists for every practice (each measure once, for every practice at once)
    into the private cache file of the results (``dashboard/action_lists.py``), skipping those already there;
    stops when the results change or the process that started it has gone."""
    from django.conf import settings
    from django.db import connection

    from qiloop_web.dashboard import action_lists, pages

    loaded = pages.results()
    connection.close()
    if loaded is None:
        say("action lists ready: no results to list from")
        return
    began = time.perf_counter()
    parent = os.getppid()

    def keep_going() -> bool:
        now = pages.results()
        return os.getppid() == parent and now is not None and now.key == loaded.key

    computed, present = action_lists.warm(
        loaded.key,
        action_lists.results_folder(Path(settings.VAR_DIR) / "cache", loaded.key),
        action_lists.measures_to_warm(loaded.results["measure"].unique()),
        action_lists.make_all_for(
            Path(settings.QILOOP_STORE), sorted(loaded.practice_ids()), str(loaded.manifest.get("end"))
        ),
        keep_going=keep_going,
    )
    say(
        f"action lists ready in {time.perf_counter() - began:.0f} s: {computed} measures computed for every "
        f"practice, {present} found from an earlier start"
    )


def start_warming_action_lists() -> subprocess.Popen[bytes]:
    """Run :func:`warm_action_lists` in its own process (``python -m qiloop_web warm_action_lists``), so the
    server's processes and threads never wait on it; it writes to this process's output."""
    return subprocess.Popen([sys.executable, "-m", "qiloop_web", "warm_action_lists"])


def stop_warming_action_lists(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
