"""python -m qiloop_web warm_action_lists: every measure's action lists, for every practice, into the private cache."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand

from qiloop_web.serving import warm_action_lists


class Command(BaseCommand):
    help = (
        "Compute every measure's action lists for every practice for the results' latest month, one measure at a "
        "time, into the workbench's private cache (var/cache/action-lists, files 0600), so that pages find them "
        "ready; lists already there for these results are kept. `start` and `serve` run this in the background, "
        "at a lower priority, once the charts are drawn."
    )

    def handle(self, *args: object, **options: object) -> None:
        os.nice(5)  # the server's own requests come first
        warm_action_lists()
