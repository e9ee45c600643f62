"""python -m qiloop_web import_extract FOLDER --at CODE [--practice-extract] [--from KIND]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qiloop.records import convert
from qiloop_web.dashboard import imports
from qiloop_web.dashboard.actions import start_import
from qiloop_web.organisations.models import Kind, Organisation

# a report export is a snapshot needing a profile and a store of its own: `qiloop import --from report`
KINDS = tuple(kind for kind in convert.KINDS if kind != "report")


class Command(BaseCommand):
    help = (
        "Import an extract folder into the workbench's analytics store from the command line, exactly as the data "
        "page does (checked, swapped in whole, measures recomputed) and with the same audit events in the "
        "organisation named by --at. Use this, not `qiloop import`, for a store a workbench serves: the library's "
        "command knows nothing of the workbench and writes no audit event."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="the folder of the extract's files")
        parser.add_argument("--at", required=True, help="the code of the ICB or practice the import is made at")
        parser.add_argument(
            "--practice-extract",
            action="store_true",
            help="at an ICB: the folder is one practice's extract (it replaces that practice's records only)",
        )
        parser.add_argument("--from", dest="kind", choices=KINDS, default="canonical", help="what the extract is")

    def handle(self, *args: object, **options: object) -> None:
        folder = Path(str(options["folder"])).resolve()
        if not folder.is_dir():
            raise CommandError(f"{options['folder']}: no such folder; give the folder that holds the extract's files")
        code = str(options["at"]).strip().upper()
        organisation = Organisation.objects.filter(code=code).exclude(kind=Kind.PCN).first()
        if organisation is None:
            known = ", ".join(
                Organisation.objects.exclude(kind=Kind.PCN).order_by("code").values_list("code", flat=True)[:10]
            )
            raise CommandError(f"{code}: no ICB or practice with that code here (some there are: {known or 'none'})")
        scope = "practice" if options["practice_extract"] else "network"
        job = start_import(
            organisation=organisation, by=None, folder=folder, scope=scope, kind=str(options["kind"]), inline=True
        )
        status = imports.read_status(job)
        if status.get("state") != "done":
            raise CommandError(f"the import failed: {status.get('message', 'no message')} (job {job.name})")
        self.stdout.write(f"{status.get('message', 'imported')} (job {job.name}; audit events at {organisation.code})")
