"""``python -m qiloop_web`` (or ``qiloop-web``): start the workbench, or run a Django management command.

    python -m qiloop_web start [--port 8000] [--no-serve]     first run: demo network, measures, accounts; then serve
    python -m qiloop_web serve [--port 8000] [--no-migrate]   migrate, then serve on 127.0.0.1
    python -m qiloop_web <django command> ...                  e.g. migrate, createsuperuser, check

A configuration problem (for example production without SECRET_KEY) is
printed as a message without a traceback, and the exit code is 1.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


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
            from qiloop_web.serving import serve

            return serve(argv[1:])
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
