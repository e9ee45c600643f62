"""python -m qiloop_web load_organisations PRACTICES_FILE"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qiloop_web.organisations.loading import PracticesFileError, load_practices


class Command(BaseCommand):
    help = "Create the ICBs, PCNs and practices named in a practices table (CSV or Parquet) of an extract."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the practices table, e.g. var/demo/extract/practices.csv")

    def handle(self, *args: object, **options: object) -> None:
        try:
            summary = load_practices(options["path"])  # type: ignore[arg-type]
        except PracticesFileError as error:
            raise CommandError(str(error)) from None
        created = ", ".join(f"{n} {kind}" for kind, n in summary.created.items())
        self.stdout.write(f"Created {created}; {summary.unchanged} already there.")
