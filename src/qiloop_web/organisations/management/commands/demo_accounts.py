"""python -m qiloop_web demo_accounts [--practice CODE] [--password PASSWORD]"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qiloop_web.organisations.demo import DEMO_DOMAIN, create_demo_accounts
from qiloop_web.organisations.models import Kind, Organisation


class Command(BaseCommand):
    help = (
        "Development only: create one demo account per role (practice roles in one practice, the network QI lead "
        f"in its PCN, the ICB analyst and administrator in its ICB), e-mail ROLE@{DEMO_DOMAIN}, and print them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", help="the practice code (default: the first practice by code)")
        parser.add_argument("--password", help="the password for every demo account (default: a random one)")

    def handle(self, *args: object, **options: object) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo accounts are for development only (QILOOP_ENV=production is set).")
        code = options.get("practice")
        practices = Organisation.objects.filter(kind=Kind.PRACTICE).order_by("code")
        practice = practices.filter(code=str(code).upper()).first() if code else practices.first()
        if practice is None:
            raise CommandError(
                f"No practice {code!r}." if code else "No practices yet: run load_organisations PRACTICES_FILE first."
            )
        password = str(options.get("password") or secrets.token_urlsafe(12))
        accounts = create_demo_accounts(practice=practice, password=password)
        self.stdout.write(f"Demo accounts (password for all: {password}):")
        for email, role, organisation, created in accounts:
            note = "" if created else "  (already there; password unchanged)"
            self.stdout.write(f"  {email:<44} {role:<30} {organisation}{note}")
