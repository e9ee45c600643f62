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
class LockState:
    locked: bool
    until: datetime | None = None

    def minutes_left(self, now: datetime | None = None) -> int:
        if self.until is None:
            return 0
        seconds = (self.until - (now or timezone.now())).total_seconds()
        return max(1, int(-(-seconds // 60)))


def lock_state(*, username: str, now: datetime | None = None) -> LockState:
    """Whether sign-in for this e-mail address is locked, and until when.

    It is locked while it has at least QILOOP_SIGN_IN_MAX_FAILURES failures
    in the last QILOOP_SIGN_IN_LOCKOUT_MINUTES; it unlocks when the oldest of
    those failures is older than the window.
    """
    now = now or timezone.now()
    window = timedelta(minutes=settings.QILOOP_SIGN_IN_LOCKOUT_MINUTES)
    limit = settings.QILOOP_SIGN_IN_MAX_FAILURES
    recent = list(
        SignInFailure.objects.filter(username=normalise_email(username), at__gt=now - window)
        .order_by("-at")
        .values_list("at", flat=True)[:limit]
    )
    if len(recent) < limit:
        return LockState(locked=False)
    return LockState(locked=True, until=recent[-1] + window)


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


def record_sign_in(*, by: User) -> None:
    """A successful sign-in: clears the account's failures."""
    with transaction.atomic():
        SignInFailure.objects.filter(username=by.username).delete()
        log.record(by=by, action="sign_in.succeeded", target_type="user", target_id=by.pk)


def record_sign_out(*, by: User) -> None:
    with transaction.atomic():
        log.record(by=by, action="sign_in.signed_out", target_type="user", target_id=by.pk)


def record_failed_sign_in(*, username: str, by: User | None = None) -> LockState:
    """A failed sign-in for ``username``; returns whether the account is now locked."""
    username = normalise_email(username)
    window = timedelta(minutes=settings.QILOOP_SIGN_IN_LOCKOUT_MINUTES)
    with transaction.atomic():
        # Failures older than the window no longer count: drop them so the table stays small.
        SignInFailure.objects.filter(username=username, at__lte=timezone.now() - window).delete()
        SignInFailure.objects.create(username=username)
        state = lock_state(username=username)
        log.record(
            by=by,
            action="sign_in.failed",
            target_type="username",
            target_id=username,
            detail={"locked": state.locked},
        )
    return state


def record_locked_out_attempt(*, username: str, by: User | None = None) -> None:
    """A sign-in refused because the account is locked (not counted as another failure)."""
    with transaction.atomic():
        log.record(by=by, action="sign_in.refused_locked", target_type="username", target_id=normalise_email(username))


def record_password_reset_requested(*, email: str, by: User | None = None) -> None:
    with transaction.atomic():
        log.record(by=by, action="password_reset.requested", target_type="username", target_id=normalise_email(email))


def complete_password_reset(*, user: User, new_password: str, by: User | None = None) -> None:
    """Set a new password from a reset link; it also lifts any lock-out."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        SignInFailure.objects.filter(username=user.username).delete()
        log.record(by=by or user, action="password_reset.completed", target_type="user", target_id=user.pk)
