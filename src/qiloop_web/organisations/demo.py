"""Demo accounts, one per role, for trying the workbench on synthetic data (development only)."""

from __future__ import annotations

from qiloop_web.accounts.actions import create_person
from qiloop_web.accounts.models import User
from qiloop_web.organisations import actions
from qiloop_web.organisations.models import Membership, Organisation
from qiloop_web.organisations.roles import ROLES, Role

DEMO_DOMAIN = "demo.qiloop.invalid"  # .invalid: these addresses can never receive mail


def _place(role: Role, practice: Organisation) -> Organisation:
    """Practice roles in the practice, the network lead in its PCN, ICB roles and the administrator in its ICB."""
    pcn = practice.parent
    icb = pcn.parent if pcn else None
    if pcn is None or icb is None:
        raise actions.OrganisationError(f"{practice.name} is not in a PCN within an ICB.")
    kinds = ROLES[role].kinds
    if role == Role.ADMINISTRATOR or ("icb" in kinds and "pcn" not in kinds):
        return icb
    return practice if "practice" in kinds else pcn


def create_demo_accounts(*, practice: Organisation, password: str) -> list[tuple[str, str, str, bool]]:
    """Create (or keep) one account per role around ``practice``; returns (email, role, organisation, created)."""
    accounts = []
    for role in Role:
        email = f"{role.value.replace('_', '.')}@{DEMO_DOMAIN}"
        user = User.objects.filter(email=email).first()
        created = user is None
        if user is None:
            user = create_person(email=email, full_name=f"Demo {role.label}", password=password, by=None)
        organisation = _place(role, practice)
        if not Membership.objects.filter(user=user, organisation=organisation).exists():
            actions.add_membership(user=user, organisation=organisation, role=role, by=None)
        accounts.append((email, role.label, organisation.name, created))
    return accounts
