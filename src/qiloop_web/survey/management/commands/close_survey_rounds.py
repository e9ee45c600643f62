"""python -m qiloop_web close_survey_rounds"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from qiloop_web.survey.actions import close_overdue_rounds


class Command(BaseCommand):
    help = (
        "Close every staff QI survey round whose closing date has passed, destroying its key so nobody can tell "
        "who answered (run daily, e.g. from cron; `qiloop-web start` runs it too)."
    )

    def handle(self, *args: object, **options: object) -> None:
        closed = close_overdue_rounds()
        self.stdout.write(f"closed {closed} survey round{'s' if closed != 1 else ''} past their closing date")
