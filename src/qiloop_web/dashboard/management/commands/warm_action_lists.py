"""python -m qiloop_web warm_action_lists: every measure's action lists, for every practice, into the private cache."""

from __future__ import annotations

import signal
import sys

from django.core.management.base import BaseCommand

from qiloop_web.startup import warm_action_lists


class Command(BaseCommand):
    help = (
        "Compute every measure's action lists for every practice for the results' latest month, one measure at a "
        "time, into the workbench's private cache (var/cache/action-lists, files 0600), so that pages find them "
        "ready; lists already there for these results are kept, and those a page asks for meanwhile are made "
        "first. `start` and `serve` run this in the background once the charts are drawn."
    )

    def handle(self, *args: object, **options: object) -> None:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stopped with the server: tidy up on the way out
        warm_action_lists()
