"""Invitations from a practice manager: a token link that expires and works once."""

from __future__ import annotations

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from qiloop_web.accounts.models import User
from qiloop_web.audit.models import AuditEvent
from qiloop_web.organisations import actions
from qiloop_web.organisations.models import Invitation, Membership, hash_token
from qiloop_web.organisations.roles import Role

NEW_EMAIL = "new.nurse@example.nhs.uk"
NEW_PASSWORD = "a long new passphrase"


def invite(universe, email=NEW_EMAIL, role=Role.PRACTICE_NURSE):
    return actions.invite(
        organisation=universe.practice, email=email, role=role, by=universe.people["practice_manager"]
    )


def accept_as_new_person(client, token):
    return client.post(
        reverse("organisations:accept-invitation", args=[token]),
        {"full_name": "New Nurse", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )


def test_a_practice_manager_invites_by_email_from_the_organisation_page(client, universe, mailoutbox):
    client.force_login(universe.people["practice_manager"])
    url = reverse("organisations:invite", args=["A00001"])
    page = client.get(url).content.decode()
    assert "Practice nurse" in page and "Administrator" not in page
    response = client.post(url, {"email": "New.Nurse@Example.nhs.uk", "role": "practice_nurse"})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        NEW_EMAIL,
        "practice_nurse",
        universe.people["practice_manager"],
    )
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [NEW_EMAIL]
    token = re.search(r"/invitations/([^/]+)/", mailoutbox[0].body).group(1)
    assert invitation.token_hash == hash_token(token) and token not in invitation.token_hash
    assert NEW_EMAIL in client.get(reverse("organisations:detail", args=["A00001"])).content.decode()


def test_the_invite_form_validates_with_the_error_summary(client, universe):
    client.force_login(universe.people["practice_manager"])
    url = reverse("organisations:invite", args=["A00001"])
    html = client.post(url, {"email": "not an address", "role": ""}).content.decode()
    assert "There is a problem" in html and 'href="#id_email"' in html and 'href="#id_role"' in html
    html = client.post(url, {"email": "gp@example.nhs.uk", "role": "gp"}).content.decode()
    assert "already a member of Riverside Surgery" in html
    html = client.post(url, {"email": "a@example.nhs.uk", "role": "administrator"}).content.decode()
    assert "Select a valid choice" in html
    assert not Invitation.objects.exists()


def test_accepting_creates_the_person_with_the_invited_role_and_signs_them_in(client, universe):
    invitation, token = invite(universe)
    page = client.get(reverse("organisations:accept-invitation", args=[token]))
    assert page.status_code == 200 and b"Practice nurse" in page.content
    response = accept_as_new_person(client, token)
    assert response.status_code == 302 and response.url == reverse("organisations:detail", args=["A00001"])
    user = User.objects.get(email=NEW_EMAIL)
    assert user.check_password(NEW_PASSWORD) and user.full_name == "New Nurse"
    assert Membership.objects.get(user=user).role == Role.PRACTICE_NURSE
    assert client.session["_auth_user_id"] == str(user.pk)
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.accepted_at is not None
    assert AuditEvent.objects.filter(action="invitation.accepted", actor=NEW_EMAIL, organisation_code="A00001").exists()


def test_an_invitation_works_only_once(client, universe):
    _, token = invite(universe)
    accept_as_new_person(client, token)
    client.logout()
    response = accept_as_new_person(client, token)
    assert response.status_code == 410 and b"already been used" in response.content
    assert User.objects.filter(email=NEW_EMAIL).count() == 1
    try:
        actions.accept_invitation(token=token, by=None, full_name="X", password=NEW_PASSWORD)
    except actions.OrganisationError as error:
        assert "already been used" in str(error)
    else:
        raise AssertionError("a used invitation was accepted again")


def test_an_expired_invitation_cannot_be_used(client, universe):
    invitation, token = invite(universe)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = accept_as_new_person(client, token)
    assert response.status_code == 410 and b"has expired" in response.content
    assert not User.objects.filter(email=NEW_EMAIL).exists()


def test_invitations_expire_after_the_configured_days(universe, settings):
    invitation, _ = invite(universe)
    assert invitation.expires_at - invitation.created_at == timedelta(days=settings.QILOOP_INVITATION_DAYS)


def test_an_unknown_token_is_refused(client, db):
    response = client.get(reverse("organisations:accept-invitation", args=["not-a-token"]))
    assert response.status_code == 410 and b"not valid" in response.content


def test_a_weak_or_mismatched_password_is_refused_and_nothing_is_created(client, universe):
    _, token = invite(universe)
    url = reverse("organisations:accept-invitation", args=[token])
    html = client.post(url, {"full_name": "N", "password1": "short", "password2": "short"}).content.decode()
    assert "There is a problem" in html and "too short" in html
    html = client.post(url, {"full_name": "N", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"}).content
    assert b"do not match" in html
    assert not User.objects.filter(email=NEW_EMAIL).exists()


def test_a_signed_in_person_accepts_an_invitation_to_their_own_address(client, universe):
    other_gp = universe.people["other_gp"]
    _, token = invite(universe, email=other_gp.email, role=Role.GP)
    client.force_login(other_gp)
    response = client.post(reverse("organisations:accept-invitation", args=[token]))
    assert response.status_code == 302
    assert Membership.objects.get(user=other_gp, organisation=universe.practice).role == Role.GP


def test_a_signed_in_person_cannot_take_someone_elses_invitation(client, universe):
    _, token = invite(universe)
    client.force_login(universe.people["other_gp"])
    response = client.post(reverse("organisations:accept-invitation", args=[token]))
    assert response.status_code == 200 and b"This invitation is for new.nurse@example.nhs.uk" in response.content
    assert not Membership.objects.filter(user=universe.people["other_gp"], organisation=universe.practice).exists()


def test_a_cancelled_invitation_cannot_be_used(client, universe):
    invitation, token = invite(universe)
    client.force_login(universe.people["practice_manager"])
    url = reverse("organisations:cancel-invitation", args=["A00001", invitation.pk])
    response = client.post(url, follow=True)
    assert b"has been cancelled" in response.content and NEW_EMAIL.encode() in response.content
    assert list(response.context["invitations"]) == []
    assert AuditEvent.objects.filter(action="invitation.cancelled", organisation_code="A00001").count() == 1
    client.logout()
    response = accept_as_new_person(client, token)
    assert response.status_code == 410 and b"has been cancelled" in response.content
    assert not User.objects.filter(email=NEW_EMAIL).exists()


def test_an_accepted_invitation_cannot_be_cancelled(client, universe):
    invitation, token = invite(universe)
    accept_as_new_person(client, token)
    invitation.refresh_from_db()
    try:
        actions.cancel_invitation(invitation=invitation, by=None)
    except actions.OrganisationError as error:
        assert "already been accepted" in str(error)
    else:
        raise AssertionError("an accepted invitation was cancelled")
