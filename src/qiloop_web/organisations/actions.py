"""Every change to organisations, memberships, invitations and practice settings.

Each function takes keyword arguments only, is told who is acting (``by``: a
user, or None for the command line), runs in one transaction, and writes an
audit event in that transaction. Rules a person can break raise
``OrganisationError`` with a message for them; views check permissions
before calling, and the actions re-check the rules that protect the model.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from qiloop_web.accounts.actions import create_person, normalise_email
from qiloop_web.accounts.models import User
from qiloop_web.audit import log
from qiloop_web.organisations.models import A_KIND, PARENT_KIND, Invitation, Kind, Membership, Organisation, hash_token
from qiloop_web.organisations.permissions import has_permission
from qiloop_web.organisations.roles import ADMINISTRATOR_ONLY, Permission, Role, definition


class OrganisationError(Exception):
    """A rule about organisations, roles or invitations was broken; the message is for the person."""


def create_organisation(
    *, kind: str, code: str, name: str, parent: Organisation | None = None, by: User | None
) -> Organisation:
    kind = Kind(kind)
    expected = PARENT_KIND[kind]
    if expected is None and parent is not None:
        raise OrganisationError("An integrated care board has no parent organisation.")
    if expected is not None and (parent is None or parent.kind != expected):
        raise OrganisationError(f"{A_KIND[kind][0].upper()}{A_KIND[kind][1:]} must belong to {A_KIND[Kind(expected)]}.")
    code = code.strip().upper()
    if Organisation.objects.filter(code=code).exists():
        raise OrganisationError(f"There is already an organisation with the code {code}.")
    with transaction.atomic():
        organisation = Organisation.objects.create(kind=kind, code=code, name=name.strip(), parent=parent)
        log.record(
            by=by,
            action="organisation.created",
            target_type="organisation",
            target_id=organisation.code,
            organisation=organisation,
            detail={"kind": kind.value, "parent": parent.code if parent else None},
        )
    return organisation


def _check_role_fits(role: Role, organisation: Organisation) -> None:
    if organisation.kind not in definition(role).kinds:
        raise OrganisationError(
            f"{role.label} is not a role in {A_KIND[Kind(organisation.kind)]}; choose another role."
        )


def grantable_roles(*, by: User | None, organisation: Organisation) -> list[Role]:
    """The roles ``by`` may give in ``organisation`` (only administrators give the administrator role)."""
    is_admin = by is None or has_permission(by, Permission.MANAGE_ORGANISATIONS, organisation)
    return [
        role
        for role in Role
        if organisation.kind in definition(role).kinds and (is_admin or role not in ADMINISTRATOR_ONLY)
    ]


def _check_may_grant(role: Role, organisation: Organisation, by: User | None) -> None:
    _check_role_fits(role, organisation)
    if role not in grantable_roles(by=by, organisation=organisation):
        raise OrganisationError(f"Only an administrator can give the {role.label.lower()} role.")


def add_membership(*, user: User, organisation: Organisation, role: str, by: User | None) -> Membership:
    role = Role(role)
    _check_may_grant(role, organisation, by)
    if Membership.objects.filter(user=user, organisation=organisation).exists():
        raise OrganisationError(f"{user.display_name} is already a member of {organisation.name}.")
    with transaction.atomic():
        membership = Membership.objects.create(user=user, organisation=organisation, role=role)
        log.record(
            by=by,
            action="membership.added",
            target_type="user",
            target_id=user.pk,
            organisation=organisation,
            detail={"email": user.email, "role": role.value},
        )
    return membership


def change_role(*, membership: Membership, role: str, by: User | None) -> Membership:
    role = Role(role)
    _check_may_grant(role, membership.organisation, by)
    old = Role(membership.role)
    if old in ADMINISTRATOR_ONLY and role not in ADMINISTRATOR_ONLY:
        _check_may_grant(old, membership.organisation, by)
    if old == role:
        return membership
    with transaction.atomic():
        membership.role = role
        membership.save(update_fields=["role"])
        log.record(
            by=by,
            action="membership.role_changed",
            target_type="user",
            target_id=membership.user_id,
            organisation=membership.organisation,
            detail={"from": old.value, "to": role.value},
        )
    return membership


def remove_membership(*, membership: Membership, by: User | None) -> None:
    """Take a person out of an organisation (their account and the audit history stay)."""
    if by is not None and membership.user_id == by.pk:
        raise OrganisationError("You cannot remove yourself; ask another manager or an administrator.")
    if Role(membership.role) in ADMINISTRATOR_ONLY:
        _check_may_grant(Role(membership.role), membership.organisation, by)
    with transaction.atomic():
        log.record(
            by=by,
            action="membership.removed",
            target_type="user",
            target_id=membership.user_id,
            organisation=membership.organisation,
            detail={"role": membership.role},
        )
        membership.delete()


def invite(*, organisation: Organisation, email: str, role: str, by: User | None) -> tuple[Invitation, str]:
    """Create an invitation; returns it with the secret token for the link (only its hash is stored)."""
    role = Role(role)
    _check_may_grant(role, organisation, by)
    email = normalise_email(email)
    if Membership.objects.filter(user__email=email, organisation=organisation).exists():
        raise OrganisationError(f"{email} is already a member of {organisation.name}.")
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email,
            role=role,
            token_hash=hash_token(token),
            invited_by=by,
            created_at=now,
            expires_at=now + timedelta(days=settings.QILOOP_INVITATION_DAYS),
        )
        log.record(
            by=by,
            action="invitation.created",
            target_type="invitation",
            target_id=invitation.pk,
            organisation=organisation,
            detail={"email": email, "role": role.value},
        )
    return invitation, token


def find_invitation(token: str) -> Invitation | None:
    return Invitation.objects.select_related("organisation").filter(token_hash=hash_token(token)).first()


def usable_invitation(token: str) -> Invitation:
    """The invitation for ``token`` if it can still be accepted, else OrganisationError saying why."""
    invitation = find_invitation(token)
    if invitation is None:
        raise OrganisationError("This invitation link is not valid. Ask your practice manager for a new one.")
    if invitation.is_accepted:
        raise OrganisationError("This invitation has already been used. Sign in, or ask for a new invitation.")
    if invitation.is_cancelled:
        raise OrganisationError("This invitation has been cancelled. Ask your practice manager if you need a new one.")
    if invitation.is_expired():
        raise OrganisationError("This invitation has expired. Ask your practice manager to invite you again.")
    return invitation


def cancel_invitation(*, invitation: Invitation, by: User | None) -> Invitation:
    """Cancel an invitation that has not been accepted; its link stops working."""
    if invitation.is_accepted:
        raise OrganisationError(f"The invitation for {invitation.email} has already been accepted.")
    if invitation.is_cancelled:
        return invitation
    with transaction.atomic():
        invitation.cancelled_at = timezone.now()
        invitation.save(update_fields=["cancelled_at"])
        log.record(
            by=by,
            action="invitation.cancelled",
            target_type="invitation",
            target_id=invitation.pk,
            organisation=invitation.organisation,
            detail={"email": invitation.email, "role": invitation.role},
        )
    return invitation


def accept_invitation(
    *, token: str, by: User | None, full_name: str = "", password: str | None = None
) -> tuple[User, Membership]:
    """Accept an invitation: a signed-in person joins; otherwise a new person is created with ``password``."""
    with transaction.atomic():
        invitation = usable_invitation(token)
        # Lock the row so the same link cannot be used twice at once.
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.is_accepted or invitation.is_cancelled:
            raise OrganisationError("This invitation can no longer be used. Ask for a new invitation.")
        if by is not None:
            if normalise_email(by.email) != invitation.email:
                raise OrganisationError(
                    f"This invitation is for {invitation.email}; sign out and open the link again, "
                    "or ask for an invitation to your own address."
                )
            user = by
        else:
            if User.objects.filter(email=invitation.email).exists():
                raise OrganisationError(f"There is already an account for {invitation.email}: sign in first.")
            user = create_person(email=invitation.email, full_name=full_name, password=password, by=None)
        role = Role(invitation.role)
        _check_role_fits(role, invitation.organisation)
        if Membership.objects.filter(user=user, organisation=invitation.organisation).exists():
            raise OrganisationError(f"You are already a member of {invitation.organisation.name}.")
        membership = Membership.objects.create(user=user, organisation=invitation.organisation, role=role)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        log.record(
            by=user,
            action="invitation.accepted",
            target_type="invitation",
            target_id=invitation.pk,
            organisation=invitation.organisation,
            detail={"email": user.email, "role": role.value},
        )
    return user, membership


def change_practice_settings(*, practice: Organisation, by: User | None, **changes: Any) -> Organisation:
    """Change a practice's settings; today one: ``share_name_with_network`` (bool)."""
    allowed = {"share_name_with_network"}
    if not practice.is_practice:
        raise OrganisationError("Only a practice has practice settings.")
    unknown = set(changes) - allowed
    if unknown:
        raise OrganisationError(f"Unknown practice setting: {', '.join(sorted(unknown))}.")
    diff = {
        name: {"from": getattr(practice, name), "to": bool(value)}
        for name, value in changes.items()
        if getattr(practice, name) != bool(value)
    }
    if not diff:
        return practice
    with transaction.atomic():
        for name, change in diff.items():
            setattr(practice, name, change["to"])
        practice.save(update_fields=list(diff))
        log.record(
            by=by,
            action="practice.settings_changed",
            target_type="organisation",
            target_id=practice.code,
            organisation=practice,
            detail=diff,
        )
    return practice
