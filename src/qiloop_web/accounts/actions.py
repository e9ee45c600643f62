"""Every change to people and sign-in state, each in a transaction with its audit event.

``by`` is the person acting: a user, or None for an anonymous visitor or the
command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from qiloop_web.accounts.models import SignInFailure, User
from qiloop_web.audit import log


def normalise_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class Throttle:
    """How long a sign-in attempt must wait, given the failures before it (0: go ahead)."""

    wait_seconds: int = 0

    @property
    def waiting(self) -> bool:
        return self.wait_seconds > 0

    def wait_text(self) -> str:
        if self.wait_seconds < 120:
            return f"{self.wait_seconds} second{'s' if self.wait_seconds != 1 else ''}"
        minutes = -(-self.wait_seconds // 60)
        return f"{minutes} minutes"


def delay_after(failures: int, *, free: int, cap: int) -> int:
    """Seconds to wait after ``failures`` recent failures: none for the first ``free``, then 2, 4, 8 ... up to
    ``cap``. Growing delays slow guessing to a crawl without a lock that anyone could set off."""
    if failures <= free:
        return 0
    return min(cap, 2 ** min(failures - free, 30))


def throttle(*, username: str, ip: str | None, now: datetime | None = None) -> Throttle:
    """How long this attempt must wait, from recent failures (QILOOP_SIGN_IN_WINDOW_MINUTES) counted three ways:

    * this e-mail address from this network address (QILOOP_SIGN_IN_FREE_FAILURES free, then growing delays up
      to QILOOP_SIGN_IN_MAX_DELAY_SECONDS): someone guessing one person's password;
    * any e-mail address from this network address (QILOOP_SIGN_IN_FREE_FAILURES_PER_ADDRESS free, same cap):
      someone trying many accounts;
    * this e-mail address from anywhere (QILOOP_SIGN_IN_FREE_FAILURES_PER_ACCOUNT free, delays capped at
      QILOOP_SIGN_IN_ACCOUNT_MAX_DELAY_SECONDS): guesses spread over many addresses. Its cap is short, so
      failures made elsewhere can delay the account's owner by at most that, never lock them out.
    """
    now = now or timezone.now()
    recent = SignInFailure.objects.filter(
        at__gt=now - timedelta(minutes=settings.QILOOP_SIGN_IN_WINDOW_MINUTES), at__lte=now
    )
    username = normalise_email(username)
    cap = settings.QILOOP_SIGN_IN_MAX_DELAY_SECONDS
    keys = [
        (recent.filter(username=username, ip_address=ip), settings.QILOOP_SIGN_IN_FREE_FAILURES, cap),
        (recent.filter(ip_address=ip), settings.QILOOP_SIGN_IN_FREE_FAILURES_PER_ADDRESS, cap),
        (
            recent.filter(username=username),
            settings.QILOOP_SIGN_IN_FREE_FAILURES_PER_ACCOUNT,
            settings.QILOOP_SIGN_IN_ACCOUNT_MAX_DELAY_SECONDS,
        ),
    ]
    wait = 0.0
    for failures, free, limit in keys:
        count = failures.count()
        delay = delay_after(count, free=free, cap=limit)
        if delay:
            last = failures.order_by("-at").values_list("at", flat=True).first()
            if last is not None:
                wait = max(wait, (last + timedelta(seconds=delay) - now).total_seconds())
    return Throttle(wait_seconds=int(-(-wait // 1)) if wait > 0 else 0)


def create_person(*, email: str, full_name: str, password: str | None, by: User | None) -> User:
    """Create a person who signs in with ``email``; without a password they cannot sign in until one is set."""
    email = normalise_email(email)
    with transaction.atomic():
        user = User(username=email, email=email, full_name=full_name.strip())
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        log.record(by=by, action="person.created", target_type="user", target_id=user.pk, detail={"email": email})
    return user


def record_sign_in(*, by: User, ip: str | None = None) -> None:
    """A successful sign-in: clears the account's failures from that address (those from elsewhere still count
    against whoever made them)."""
    with transaction.atomic():
        SignInFailure.objects.filter(username=by.username, ip_address=ip).delete()
        log.record(by=by, action="sign_in.succeeded", target_type="user", target_id=by.pk)


def record_sign_out(*, by: User) -> None:
    with transaction.atomic():
        log.record(by=by, action="sign_in.signed_out", target_type="user", target_id=by.pk)


def record_failed_sign_in(*, username: str, ip: str | None, by: User | None = None) -> Throttle:
    """A failed sign-in for ``username`` from ``ip``; returns how long the next attempt must wait."""
    username = normalise_email(username)
    window = timedelta(minutes=settings.QILOOP_SIGN_IN_WINDOW_MINUTES)
    with transaction.atomic():
        # Failures older than the window no longer count: drop them so the table stays small.
        SignInFailure.objects.filter(at__lte=timezone.now() - window).delete()
        SignInFailure.objects.create(username=username, ip_address=ip)
        state = throttle(username=username, ip=ip)
        log.record(
            by=by,
            action="sign_in.failed",
            target_type="username",
            target_id=username,
            detail={"wait_seconds": state.wait_seconds},
        )
    return state


def record_throttled_attempt(*, username: str, by: User | None = None) -> None:
    """A sign-in refused because it came before its wait was over (not counted as another failure)."""
    with transaction.atomic():
        log.record(by=by, action="sign_in.throttled", target_type="username", target_id=normalise_email(username))


def record_password_reset_requested(*, email: str, by: User | None = None) -> None:
    with transaction.atomic():
        log.record(by=by, action="password_reset.requested", target_type="username", target_id=normalise_email(email))


def complete_password_reset(*, user: User, new_password: str, by: User | None = None) -> None:
    """Set a new password from a reset link; it also clears the account's failures."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        SignInFailure.objects.filter(username=user.username).delete()
        log.record(by=by or user, action="password_reset.completed", target_type="user", target_id=user.pk)
