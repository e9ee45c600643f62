"""``python -m qiloop_web`` (or ``qiloop-web``): start the workbench, or run a Django management command.

    python -m qiloop_web start [--port 8000] [--no-serve]     first run: demo network, measures, accounts; then serve
    python -m qiloop_web serve [--port 8000] [--no-migrate]   migrate, then serve on 127.0.0.1
    python -m qiloop_web <django command> ...                  e.g. migrate, createsuperuser, check

A configuration problem (for example production without SECRET_KEY) is
printed as a message without a traceback, and the exit code is 1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path


def _install_front_end(repo_root: Path, node_modules: Path) -> None:
    """Install the pinned npm packages (package-lock.json) when serving from a checkout that lacks them."""
    npm = shutil.which("npm")
    if npm is None or not (repo_root / "package-lock.json").is_file() or node_modules != repo_root / "node_modules":
        return
    print("Installing the NHS design system and chart libraries from the npm registry (npm ci)...", file=sys.stderr)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=repo_root, check=False)


def _serve(argv: list[str]) -> int:
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
    from qiloop_web.startup import (
        close_interrupted_imports,
        draw_charts,
        start_warming_action_lists,
        stop_warming_action_lists,
        write_ahead_log,
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


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qiloop_web.settings")
    if argv[:1] in (["serve"], ["start"]):
        # Serving for people to use: no debug pages or per-query bookkeeping unless asked for
        # (`runserver` keeps QILOOP_DEBUG's development default for working on the code).
        os.environ.setdefault("QILOOP_DEBUG", "false")
    os.umask(0o077)  # before settings make var/: the workbench's files are its own user's alone
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
        from django.conf import settings

        from qiloop_web.environment import keep_private

        keep_private(Path(settings.VAR_DIR))
        if argv[:1] == ["serve"]:
            return _serve(argv[1:])
        if argv[:1] == ["start"]:
            from qiloop_web.startup import start

            return start(argv[1:])
        from django.core.management import execute_from_command_line

        execute_from_command_line(["qiloop-web", *argv])
    except ImproperlyConfigured as problem:
        print(f"qiloop-web: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
