"""Sign in, growing waits after repeated failures, sign out, password reset by e-mail."""

from __future__ import annotations

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from web_universe import PASSWORD

from qiloop_web.accounts.actions import delay_after, record_failed_sign_in, throttle
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


def sign_in_from(client, address, password, email=EMAIL):
    return client.post(reverse("accounts:sign-in"), {"email": email, "password": password}, REMOTE_ADDR=address)


def test_after_three_failures_each_attempt_waits_longer_even_with_the_right_password(client, universe):
    for _ in range(3):
        assert "too many" not in sign_in(client, "wrong").content.decode()
    fourth = sign_in(client, "wrong").content.decode()
    assert "too many failed sign-in attempts" in fourth and "Wait 2 seconds" in fourth
    response = sign_in(client, PASSWORD)  # at once: refused, and not counted as a failure
    assert response.status_code == 200 and "Wait" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="sign_in.throttled").count() == 1
    assert SignInFailure.objects.count() == 4
    SignInFailure.objects.update(at=timezone.now() - timedelta(seconds=3))  # the wait is over
    assert "Wait 4 seconds" in sign_in(client, "wrong").content.decode()  # the next wait doubles
    # Another person is not affected.
    assert sign_in(client, PASSWORD, email="practice_nurse@example.nhs.uk").status_code == 302


def test_waits_double_up_to_their_cap(settings):
    free, cap = settings.QILOOP_SIGN_IN_FREE_FAILURES, settings.QILOOP_SIGN_IN_MAX_DELAY_SECONDS
    waits = [delay_after(n, free=free, cap=cap) for n in range(free + 12)]
    assert waits[: free + 1] == [0] * (free + 1)
    assert waits[free + 1 : free + 5] == [2, 4, 8, 16]
    assert max(waits) == cap and all(a <= b for a, b in zip(waits, waits[1:], strict=False))


def test_failures_from_elsewhere_never_lock_the_owner_out(client, universe, settings):
    """Anyone can type a colleague's e-mail address: their failures delay the owner by at most a minute."""
    for _ in range(30):
        record_failed_sign_in(username=EMAIL, ip="203.0.113.66")
    assert throttle(username=EMAIL, ip="203.0.113.66").wait_seconds > 60
    owner = throttle(username=EMAIL, ip="198.51.100.7")
    assert 0 < owner.wait_seconds <= settings.QILOOP_SIGN_IN_ACCOUNT_MAX_DELAY_SECONDS
    SignInFailure.objects.update(at=timezone.now() - timedelta(seconds=61))
    assert sign_in_from(client, "198.51.100.7", PASSWORD).status_code == 302


def test_one_address_trying_many_accounts_is_slowed_for_every_account(client, universe):
    people = [f"person{i}@example.nhs.uk" for i in range(11)]
    for email in people[:-1]:  # one failure each: no account on its own is throttled
        assert "too many" not in sign_in_from(client, "203.0.113.9", "wrong", email=email).content.decode()
    assert "too many" in sign_in_from(client, "203.0.113.9", "wrong", email=people[-1]).content.decode()
    assert throttle(username="someone.new@example.nhs.uk", ip="203.0.113.9").waiting
    assert not throttle(username="someone.new@example.nhs.uk", ip="198.51.100.7").waiting


def test_failures_older_than_the_window_do_not_count_and_are_dropped(universe, settings):
    old = timezone.now() - timedelta(minutes=settings.QILOOP_SIGN_IN_WINDOW_MINUTES + 1)
    for _ in range(10):
        SignInFailure.objects.create(username=EMAIL, ip_address="127.0.0.1", at=old)
    assert not throttle(username=EMAIL, ip="127.0.0.1").waiting
    record_failed_sign_in(username=EMAIL, ip="127.0.0.1")
    assert SignInFailure.objects.filter(username=EMAIL).count() == 1


def test_a_successful_sign_in_clears_earlier_failures(client, universe):
    for _ in range(3):
        sign_in(client, "wrong")
    assert sign_in(client, PASSWORD).status_code == 302
    client.logout()
    assert "too many" not in sign_in(client, "wrong").content.decode()


def test_signing_out_needs_a_post_and_is_audited(client, universe):
    client.force_login(universe.people["gp"])
    assert client.get(reverse("accounts:sign-out")).status_code == 200
    assert "_auth_user_id" in client.session
    response = client.post(reverse("accounts:sign-out"))
    assert response.status_code == 200 and b"You have signed out" in response.content
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="sign_in.signed_out", actor=EMAIL).count() == 1


def test_password_reset_by_email_sets_a_new_password_and_clears_the_failures(client, universe, mailoutbox):
    for _ in range(4):
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
