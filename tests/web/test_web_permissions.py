"""has_permission: roles in code, inheritance down the tree, patient-level data only inside the practice."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from qiloop_web.organisations import actions
from qiloop_web.organisations.permissions import has_permission, permissions_in
from qiloop_web.organisations.roles import PATIENT_LEVEL, ROLES, Permission, Role, RoleDefinition

P = Permission

# The designed permissions of each person in practice A00001 (see web_universe.py for who is where).
# Columns: O=VIEW_ORGANISATION D=VIEW_DASHBOARD V=VIEW_PATIENT_LEVEL L=DOWNLOAD_ACTION_LIST I=INVITE_MEMBERS
#          M=MANAGE_MEMBERS U=IMPORT_DATA A=VIEW_AUDIT_LOG S=MANAGE_PRACTICE_SETTINGS N=VIEW_NETWORK G=MANAGE_ORGANISATIONS
#          q=VIEW_PROJECTS Q=EDIT_PROJECTS R=RECALCULATE_CHARTS r=REPORT_LEARNING_EVENT e=VIEW_LEARNING_EVENTS
#          x=VIEW_RESTRICTED_LEARNING_EVENTS E=MANAGE_LEARNING_EVENTS y=ANSWER_SURVEYS
#          Y=MANAGE_SURVEYS c=VIEW_CLINICAL_AUDITS
#          C=MANAGE_CLINICAL_AUDITS
CODES = {
    "O": P.VIEW_ORGANISATION,
    "D": P.VIEW_DASHBOARD,
    "V": P.VIEW_PATIENT_LEVEL,
    "L": P.DOWNLOAD_ACTION_LIST,
    "I": P.INVITE_MEMBERS,
    "M": P.MANAGE_MEMBERS,
    "U": P.IMPORT_DATA,
    "A": P.VIEW_AUDIT_LOG,
    "S": P.MANAGE_PRACTICE_SETTINGS,
    "N": P.VIEW_NETWORK,
    "G": P.MANAGE_ORGANISATIONS,
    "q": P.VIEW_PROJECTS,
    "Q": P.EDIT_PROJECTS,
    "R": P.RECALCULATE_CHARTS,
    "r": P.REPORT_LEARNING_EVENT,
    "e": P.VIEW_LEARNING_EVENTS,
    "x": P.VIEW_RESTRICTED_LEARNING_EVENTS,
    "E": P.MANAGE_LEARNING_EVENTS,
    "y": P.ANSWER_SURVEYS,
    "Y": P.MANAGE_SURVEYS,
    "c": P.VIEW_CLINICAL_AUDITS,
    "C": P.MANAGE_CLINICAL_AUDITS,
}
IN_PRACTICE_A00001 = """
gp                      ODVLqQRrexEycC
practice_manager        ODVLIMUASqQRrexEyYcC
practice_nurse          ODVLqQRreEycC
pharmacist              ODVLqQRreEycC
healthcare_assistant    ODVqQreyc
receptionist            ODqQryc
health_secretary        ODqQryc
patient_representative  ODqQc
network_qi_lead         N
icb_analyst             N
administrator           OIMUAG
other_gp                -
"""


def expected_table(text: str) -> dict[str, frozenset[Permission]]:
    table = {}
    for line in text.strip().splitlines():
        person, codes = line.split()
        table[person] = frozenset(CODES[c] for c in codes if c != "-")
    return table


@pytest.mark.parametrize(("person", "expected"), sorted(expected_table(IN_PRACTICE_A00001).items()))
def test_permissions_of_each_person_in_the_practice(universe, person, expected):
    assert permissions_in(universe.people[person], universe.practice) == expected


def test_patient_level_data_is_reachable_only_inside_the_patients_own_practice(universe):
    clinical = {"gp", "practice_manager", "practice_nurse", "pharmacist", "healthcare_assistant"}
    organisations = [universe.icb, universe.pcn, universe.other_pcn, universe.practice, universe.sibling_practice]
    organisations.append(universe.far_practice)
    for key, user in universe.people.items():
        for organisation in organisations:
            allowed = (organisation.code == "A00001" and key in clinical) or (
                organisation.code == "A00002" and key == "other_gp"
            )
            assert has_permission(user, P.VIEW_PATIENT_LEVEL, organisation) is allowed, (key, organisation.code)


def test_a_network_lead_who_is_also_a_gp_sees_patients_only_in_their_own_practice(universe):
    lead = universe.people["network_qi_lead"]
    actions.add_membership(user=lead, organisation=universe.sibling_practice, role=Role.GP, by=None)
    assert has_permission(lead, P.VIEW_PATIENT_LEVEL, universe.sibling_practice)
    assert not has_permission(lead, P.VIEW_PATIENT_LEVEL, universe.practice)
    assert has_permission(lead, P.VIEW_NETWORK, universe.practice)


def test_no_network_or_administrative_role_inherits_a_practices_projects(universe):
    """A practice's projects, tasks and QI time carry its name and exact counts: only its own team sees them."""
    for key in ("network_qi_lead", "icb_analyst", "administrator"):
        for organisation in (universe.practice, universe.sibling_practice, universe.far_practice):
            granted = permissions_in(universe.people[key], organisation)
            assert not granted & {P.VIEW_PROJECTS, P.EDIT_PROJECTS}, (key, organisation.code)


def test_a_role_that_would_inherit_project_permissions_is_refused_when_defined():
    with pytest.raises(ValueError, match="never be inherited"):
        RoleDefinition(Role.NETWORK_QI_LEAD, frozenset({"pcn"}), frozenset(), beneath=frozenset({P.VIEW_PROJECTS}))


def test_network_permissions_follow_the_tree_down_but_not_up_or_sideways(universe):
    lead, analyst = universe.people["network_qi_lead"], universe.people["icb_analyst"]
    for organisation, lead_sees, analyst_sees in [
        (universe.icb, False, True),
        (universe.pcn, True, True),
        (universe.practice, True, True),
        (universe.sibling_practice, True, True),
        (universe.other_pcn, False, True),
        (universe.far_practice, False, True),
    ]:
        assert has_permission(lead, P.VIEW_NETWORK, organisation) is lead_sees, organisation.code
        assert has_permission(analyst, P.VIEW_NETWORK, organisation) is analyst_sees, organisation.code
    gp = universe.people["gp"]
    assert not has_permission(gp, P.VIEW_ORGANISATION, universe.pcn)
    assert not has_permission(gp, P.VIEW_DASHBOARD, universe.sibling_practice)


def test_the_administrator_manages_beneath_the_icb_but_never_sees_patients_or_changes_practice_choices(universe):
    admin = universe.people["administrator"]
    for organisation in (universe.icb, universe.pcn, universe.far_practice):
        assert has_permission(admin, P.MANAGE_MEMBERS, organisation)
        assert not has_permission(admin, P.VIEW_PATIENT_LEVEL, organisation)
        assert not has_permission(admin, P.MANAGE_PRACTICE_SETTINGS, organisation)


def test_anonymous_and_deactivated_people_have_no_permissions(universe):
    assert permissions_in(AnonymousUser(), universe.practice) == frozenset()
    gp = universe.people["gp"]
    gp.is_active = False
    assert permissions_in(gp, universe.practice) == frozenset()


def test_every_role_is_defined_and_patient_representatives_never_see_patients():
    assert set(ROLES) == set(Role)
    assert not ROLES[Role.PATIENT_REPRESENTATIVE].here & PATIENT_LEVEL
    for definition in ROLES.values():
        assert not definition.beneath & PATIENT_LEVEL


def test_a_role_that_would_inherit_patient_level_data_cannot_be_defined():
    with pytest.raises(ValueError, match="never be inherited"):
        RoleDefinition(Role.NETWORK_QI_LEAD, frozenset({"pcn"}), frozenset(), beneath=frozenset({P.VIEW_PATIENT_LEVEL}))
    with pytest.raises(ValueError, match="only exist inside a practice"):
        RoleDefinition(Role.ICB_ANALYST, frozenset({"icb"}), frozenset({P.DOWNLOAD_ACTION_LIST}))
