"""A small, documented universe of organisations and people for the workbench tests.

The data is graph-shaped (who belongs where decides what they may see), so
the tests share one small universe built through the actions:

    ICB  QICB  "Test ICB"                 icb_analyst, administrator
    ├─ PCN  QPCN1 "North PCN"              network_qi_lead
    │  ├─ practice A00001 "Riverside Surgery"   (name not shared) one person per practice role
    │  └─ practice A00002 "Hill Street Practice" (name shared)   other_gp (a GP here only)
    └─ PCN  QPCN2 "South PCN"
       └─ practice A00003 "Meadow Practice"

Each person's key is their role's value (e.g. ``"gp"``), plus ``other_gp``.
Every password is ``PASSWORD``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qiloop_web.accounts.actions import create_person
from qiloop_web.accounts.models import User
from qiloop_web.organisations import actions
from qiloop_web.organisations.models import Organisation
from qiloop_web.organisations.roles import Role

PASSWORD = "correct horse battery staple"

PRACTICE_ROLES = [
    Role.GP,
    Role.PRACTICE_MANAGER,
    Role.PRACTICE_NURSE,
    Role.PHARMACIST,
    Role.HEALTHCARE_ASSISTANT,
    Role.RECEPTIONIST,
    Role.HEALTH_SECRETARY,
    Role.PATIENT_REPRESENTATIVE,
]


@dataclass
class Universe:
    icb: Organisation
    pcn: Organisation
    other_pcn: Organisation
    practice: Organisation
    sibling_practice: Organisation
    far_practice: Organisation
    people: dict[str, User] = field(default_factory=dict)


def person(key: str) -> User:
    return create_person(
        email=f"{key}@example.nhs.uk", full_name=key.replace("_", " ").title(), password=PASSWORD, by=None
    )


def build_universe() -> Universe:
    icb = actions.create_organisation(kind="icb", code="QICB", name="Test ICB", by=None)
    pcn = actions.create_organisation(kind="pcn", code="QPCN1", name="North PCN", parent=icb, by=None)
    other_pcn = actions.create_organisation(kind="pcn", code="QPCN2", name="South PCN", parent=icb, by=None)
    practice = actions.create_organisation(
        kind="practice", code="A00001", name="Riverside Surgery", parent=pcn, by=None
    )
    sibling = actions.create_organisation(
        kind="practice", code="A00002", name="Hill Street Practice", parent=pcn, by=None
    )
    actions.change_practice_settings(practice=sibling, share_name_with_network=True, by=None)
    far = actions.create_organisation(kind="practice", code="A00003", name="Meadow Practice", parent=other_pcn, by=None)
    universe = Universe(icb, pcn, other_pcn, practice, sibling, far)
    for role in PRACTICE_ROLES:
        universe.people[role.value] = user = person(role.value)
        actions.add_membership(user=user, organisation=practice, role=role, by=None)
    placements = [
        ("network_qi_lead", pcn, Role.NETWORK_QI_LEAD),
        ("icb_analyst", icb, Role.ICB_ANALYST),
        ("administrator", icb, Role.ADMINISTRATOR),
        ("other_gp", sibling, Role.GP),
    ]
    for key, organisation, role in placements:
        universe.people[key] = user = person(key)
        actions.add_membership(user=user, organisation=organisation, role=role, by=None)
    return universe
