"""Every write goes through an action that checks its rules and writes exactly one audit event."""

from __future__ import annotations

import inspect

import pytest

from qiloop_web.accounts import actions as account_actions
from qiloop_web.audit import log
from qiloop_web.audit.models import AuditEvent
from qiloop_web.organisations import actions
from qiloop_web.organisations.models import Invitation, Membership, Organisation
from qiloop_web.organisations.roles import Role


def new_events(before: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("id")[before:])


@pytest.mark.parametrize("module", [actions, account_actions])
def test_every_public_action_takes_keyword_arguments_only_including_by(module):
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if function.__module__ != module.__name__ or name.startswith("_"):
            continue
        if name in {
            "normalise_email",
            "throttle",
            "delay_after",
            "find_invitation",
            "usable_invitation",
            "grantable_roles",
        }:
            continue  # reads, not writes
        parameters = inspect.signature(function).parameters.values()
        assert all(p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD) for p in parameters), name
        assert "by" in inspect.signature(function).parameters, name


def test_each_write_writes_one_audit_event_with_its_action_name(universe):
    manager = universe.people["practice_manager"]
    practice = universe.practice
    steps = [
        (
            "organisation.created",
            lambda: actions.create_organisation(
                kind="practice", code="a00009", name="New Practice", parent=universe.pcn, by=None
            ),
        ),
        (
            "person.created",
            lambda: account_actions.create_person(email="New@Example.nhs.uk", full_name="N", password=None, by=manager),
        ),
        (
            "membership.added",
            lambda: actions.add_membership(
                user=universe.people["other_gp"], organisation=practice, role=Role.PHARMACIST, by=manager
            ),
        ),
        (
            "membership.role_changed",
            lambda: actions.change_role(
                membership=Membership.objects.get(user=universe.people["receptionist"]),
                role=Role.HEALTH_SECRETARY,
                by=manager,
            ),
        ),
        (
            "invitation.created",
            lambda: actions.invite(organisation=practice, email="x@example.nhs.uk", role=Role.GP, by=manager),
        ),
        (
            "invitation.cancelled",
            lambda: actions.cancel_invitation(invitation=Invitation.objects.get(email="x@example.nhs.uk"), by=manager),
        ),
        (
            "practice.settings_changed",
            lambda: actions.change_practice_settings(practice=practice, share_name_with_network=True, by=manager),
        ),
        (
            "membership.removed",
            lambda: actions.remove_membership(
                membership=Membership.objects.get(user=universe.people["other_gp"], organisation=practice), by=manager
            ),
        ),
        ("sign_in.succeeded", lambda: account_actions.record_sign_in(by=manager)),
        ("sign_in.signed_out", lambda: account_actions.record_sign_out(by=manager)),
        ("sign_in.failed", lambda: account_actions.record_failed_sign_in(username="gp@example.nhs.uk", ip="127.0.0.1")),
        (
            "password_reset.requested",
            lambda: account_actions.record_password_reset_requested(email="gp@example.nhs.uk"),
        ),
        (
            "password_reset.completed",
            lambda: account_actions.complete_password_reset(
                user=universe.people["gp"], new_password="another long password"
            ),
        ),
    ]
    for action_name, step in steps:
        before = AuditEvent.objects.count()
        step()
        events = new_events(before)
        assert [e.action for e in events] == [action_name]
    assert Organisation.objects.get(code="A00009").name == "New Practice"
    assert Membership.objects.get(user=universe.people["receptionist"]).role == Role.HEALTH_SECRETARY
    assert universe.practice.share_name_with_network is True
    settings_event = AuditEvent.objects.get(action="practice.settings_changed", organisation_code="A00001")
    assert settings_event.detail == {"share_name_with_network": {"from": False, "to": True}}
    assert settings_event.actor == "practice_manager@example.nhs.uk"


def test_when_the_audit_event_cannot_be_written_the_change_is_undone(universe, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(log, "record", broken)
    with pytest.raises(RuntimeError):
        actions.create_organisation(kind="practice", code="Z1", name="Z", parent=universe.pcn, by=None)
    with pytest.raises(RuntimeError):
        actions.change_practice_settings(practice=universe.practice, share_name_with_network=True, by=None)
    assert not Organisation.objects.filter(code="Z1").exists()
    assert Organisation.objects.get(code="A00001").share_name_with_network is False


@pytest.mark.parametrize(
    ("kind", "parent_key", "message"),
    [
        ("practice", "icb", "^A GP practice must belong to a primary care network"),
        ("practice", None, "must belong to a primary care network"),
        ("pcn", "pcn", "must belong to an integrated care board"),
        ("icb", "icb", "has no parent"),
    ],
)
def test_the_organisation_tree_keeps_its_shape(universe, kind, parent_key, message):
    parent = getattr(universe, parent_key) if parent_key else None
    before = AuditEvent.objects.count()
    with pytest.raises(actions.OrganisationError, match=message):
        actions.create_organisation(kind=kind, code="BAD1", name="Bad", parent=parent, by=None)
    assert AuditEvent.objects.count() == before


def test_duplicate_codes_are_refused(universe):
    with pytest.raises(actions.OrganisationError, match="already an organisation with the code A00001"):
        actions.create_organisation(kind="practice", code="a00001", name="Again", parent=universe.pcn, by=None)


def test_roles_must_fit_the_kind_of_organisation(universe):
    with pytest.raises(actions.OrganisationError, match="not a role in a primary care network"):
        actions.add_membership(user=universe.people["gp"], organisation=universe.pcn, role=Role.GP, by=None)
    with pytest.raises(actions.OrganisationError, match="not a role in a GP practice"):
        actions.invite(organisation=universe.practice, email="a@example.nhs.uk", role=Role.ICB_ANALYST, by=None)


def test_only_administrators_give_the_administrator_role(universe):
    manager = universe.people["practice_manager"]
    assert Role.ADMINISTRATOR not in actions.grantable_roles(by=manager, organisation=universe.practice)
    with pytest.raises(actions.OrganisationError, match="Only an administrator"):
        actions.invite(organisation=universe.practice, email="a@example.nhs.uk", role=Role.ADMINISTRATOR, by=manager)
    admin = universe.people["administrator"]
    assert Role.ADMINISTRATOR in actions.grantable_roles(by=admin, organisation=universe.practice)
    actions.invite(organisation=universe.practice, email="a@example.nhs.uk", role=Role.ADMINISTRATOR, by=admin)


def test_a_person_has_one_membership_per_organisation(universe):
    with pytest.raises(actions.OrganisationError, match="already a member"):
        actions.add_membership(
            user=universe.people["gp"], organisation=universe.practice, role=Role.PHARMACIST, by=None
        )


def test_unknown_practice_settings_and_non_practices_are_refused(universe):
    with pytest.raises(actions.OrganisationError, match="Unknown practice setting"):
        actions.change_practice_settings(practice=universe.practice, colour="blue", by=None)
    with pytest.raises(actions.OrganisationError, match="Only a practice"):
        actions.change_practice_settings(practice=universe.pcn, share_name_with_network=True, by=None)


def test_an_unchanged_setting_writes_no_event(universe):
    before = AuditEvent.objects.count()
    actions.change_practice_settings(practice=universe.practice, share_name_with_network=False, by=None)
    assert AuditEvent.objects.count() == before


def test_a_person_can_have_a_long_email_address(db):
    email = "a" * 60 + "." + "b" * 60 + "@" + "c" * 40 + ".example.nhs.uk"
    assert len(email) > 150
    user = account_actions.create_person(email=email, full_name="Long", password=None, by=None)
    assert user.username == email
