"""Sign in, lock-out after repeated failures, sign out, password reset by e-mail."""

from __future__ import annotations

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from web_universe import PASSWORD

from qiloop_web.accounts.actions import lock_state, record_failed_sign_in
from qiloop_web.accounts.models import SignInFailure
from qiloop_web.audit.models import AuditEvent

EMAIL = "gp@example.nhs.uk"


def sign_in(client, password, email=EMAIL):
    return client.post(reverse("accounts:sign-in"), {"email": email, "password": password})


def test_signing_in_redirects_home_and_is_audited(client, universe):
    response = sign_in(client, PASSWORD, email="GP@Example.NHS.uk ")
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).context["user"] == universe.people["gp"]
    assert AuditEvent.objects.filter(action="sign_in.succeeded", actor=EMAIL).count() == 1


def test_sign_in_follows_a_safe_next_but_not_another_site(client, universe):
    url = reverse("accounts:sign-in")
    response = client.post(url, {"email": EMAIL, "password": PASSWORD, "next": "/organisations/A00001/"})
    assert response.url == "/organisations/A00001/"
    client.logout()
    response = client.post(url, {"email": EMAIL, "password": PASSWORD, "next": "https://evil.example.com/"})
    assert response.url == reverse("home")


def test_a_wrong_password_shows_the_error_summary_and_is_audited(client, universe):
    response = sign_in(client, "not the password")
    assert response.status_code == 200
    html = response.content.decode()
    assert "nhsuk-error-summary" in html and "There is a problem" in html
    assert "<title>Error: Sign in" in html
    assert AuditEvent.objects.get(action="sign_in.failed").target_id == EMAIL


def test_missing_fields_get_inline_errors_linked_from_the_summary(client, db):
    response = client.post(reverse("accounts:sign-in"), {"email": "", "password": ""})
    html = response.content.decode()
    assert 'href="#id_email"' in html and 'href="#id_password"' in html
    assert 'id="id_email-error"' in html and 'aria-describedby="id_email-error"' in html
    assert "nhsuk-input--error" in html
    assert "Enter your e-mail address" in html and "Enter your password" in html


def test_five_failures_lock_the_account_even_against_the_right_password(client, universe):
    for _ in range(4):
        assert "locked" not in sign_in(client, "wrong").content.decode()
    fifth = sign_in(client, "wrong").content.decode()
    assert "This account is locked" in fifth and "Try again in 15 minutes" in fifth
    response = sign_in(client, PASSWORD)
    assert response.status_code == 200 and "This account is locked" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="sign_in.refused_locked").count() == 1
    # Another person is not affected.
    assert sign_in(client, PASSWORD, email="practice_nurse@example.nhs.uk").status_code == 302


def test_the_lock_lifts_when_the_failures_are_older_than_the_window(client, universe):
    for _ in range(5):
        sign_in(client, "wrong")
    assert lock_state(username=EMAIL).locked
    later = timezone.now() + timedelta(minutes=15, seconds=1)
    assert not lock_state(username=EMAIL, now=later).locked
    SignInFailure.objects.update(at=timezone.now() - timedelta(minutes=16))
    assert sign_in(client, PASSWORD).status_code == 302
    assert not SignInFailure.objects.filter(username=EMAIL).exists()


def test_failures_spread_over_more_than_the_window_do_not_lock(universe):
    now = timezone.now()
    for minutes_ago in (40, 30, 20, 10, 1):
        SignInFailure.objects.create(username=EMAIL, at=now - timedelta(minutes=minutes_ago))
    assert not lock_state(username=EMAIL, now=now).locked


def test_old_failures_are_dropped_when_a_new_one_is_recorded(universe):
    SignInFailure.objects.create(username=EMAIL, at=timezone.now() - timedelta(hours=3))
    record_failed_sign_in(username=EMAIL)
    assert SignInFailure.objects.filter(username=EMAIL).count() == 1


def test_a_successful_sign_in_clears_earlier_failures(client, universe):
    for _ in range(4):
        sign_in(client, "wrong")
    assert sign_in(client, PASSWORD).status_code == 302
    client.logout()
    assert "locked" not in sign_in(client, "wrong").content.decode()


def test_signing_out_needs_a_post_and_is_audited(client, universe):
    client.force_login(universe.people["gp"])
    assert client.get(reverse("accounts:sign-out")).status_code == 200
    assert "_auth_user_id" in client.session
    response = client.post(reverse("accounts:sign-out"))
    assert response.status_code == 200 and b"You have signed out" in response.content
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="sign_in.signed_out", actor=EMAIL).count() == 1


def test_password_reset_by_email_sets_a_new_password_and_lifts_the_lock(client, universe, mailoutbox):
    for _ in range(5):
        sign_in(client, "wrong")
    response = client.post(reverse("accounts:password-reset"), {"email": EMAIL})
    assert response.status_code == 302 and response.url == reverse("accounts:password-reset-sent")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [EMAIL]
    link = re.search(r"http://testserver(/password-reset/[^/\s]+/[^/\s]+/)", mailoutbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    new_password = "a different long passphrase"
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}
    )
    assert response.status_code == 302 and response.url == reverse("accounts:password-reset-complete")
    assert sign_in(client, new_password).status_code == 302
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"password_reset.requested", "password_reset.completed"} <= actions
    # The link is single use.
    assert not client.get(link, follow=True).context["validlink"]


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, db, mailoutbox):
    response = client.post(reverse("accounts:password-reset"), {"email": "nobody@example.nhs.uk"})
    assert response.status_code == 302 and response.url == reverse("accounts:password-reset-sent")
    assert mailoutbox == []
